"""``bench first-click``: a process's first Smart click with and without the model's warm-up."""

from __future__ import annotations

import json

from fashion_annotator.cli import main


def test_bench_first_click_prints_the_medians_with_and_without_the_warm_up(tmp_path, capsys):
    """One fresh process of each kind (subprocesses: each quits after its click)."""
    out = tmp_path / "first.json"
    assert main(["bench", "first-click", "--runs", "1", "--pause", "0.5", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "without warm-up: first click " in printed and "with warm-up: first click " in printed
    figures = json.loads(out.read_text())
    for kind in ("with", "without"):
        assert figures[f"{kind}_warmup_click_ms_median"] >= figures[f"{kind}_warmup_model_ms_median"] > 0
    assert figures["without_warmup_warmed_runs"] == 0 and figures["runs"] == 1
