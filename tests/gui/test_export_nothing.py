"""File > Export that writes no image says why (a QA hand test: "0 images exported" alone, for
an export of approved images while no image was approved for every task)."""

from __future__ import annotations


def test_an_export_of_no_approved_image_warns_and_says_why(opened, qtbot, tmp_path):
    window, project = opened
    seen: list[tuple[list[str], bool]] = []
    window.files.inform = lambda title, lines, wrong: seen.append((lines, wrong))
    n = len(project.images())
    assert window.files.export(tmp_path / "approved", "plain", "garment", ("approved",)) is not None
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=30000)
    lines, went_wrong = seen[0]
    assert lines[0].startswith("0 images exported")
    assert lines[-1].startswith(f"No image exported: no image has status approved (the project's {n} images: "), lines
    assert went_wrong, "a warning, not an information box"
