"""``bench startup``: launch to window, photo, stroke and first proposal, as medians."""

from __future__ import annotations

from fashion_annotator.cli import main


def test_bench_startup_prints_the_medians_of_each_milestone(tmp_path, capsys):
    """One launch of the window on the sample project (a subprocess: the app quits itself)."""
    out = tmp_path / "startup.json"
    assert main(["bench", "startup", "--runs", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "sample (" in printed and "this checkout" in printed
    for milestone in ("window", "photo", "stroke", "proposal"):
        assert f"{milestone} " in printed
    text = out.read_text()
    for milestone in ("window", "photo", "stroke", "proposal"):
        assert f'"sample_new_{milestone}_s_median"' in text
