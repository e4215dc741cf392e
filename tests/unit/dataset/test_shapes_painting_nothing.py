"""A shape that paints no pixel is named for what it is: outside the photo, or too thin.

Three points on one line (a slip of the mouse) inside the photo were reported as "lies outside
the 32x24 photo", which sent the reader looking for a wrong image size.
"""

from __future__ import annotations

import json
from pathlib import Path

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

H, W = 24, 32


def _labelme(src: Path, write_photo, *shapes: list[list[float]]) -> None:
    write_photo(src / "look.png", (H, W))
    listed = [{"label": label, "points": points, "shape_type": "polygon"}
              for label, points in zip(("top", "shoes", "dress"), shapes, strict=False)]  # fmt: skip
    (src / "look.json").write_text(json.dumps({"shapes": listed, "imagePath": "look.png"}))


def test_a_line_inside_the_photo_is_not_said_to_lie_outside_it(project: Project, tmp_path: Path, write_photo) -> None:
    _labelme(tmp_path, write_photo, [[2, 2], [20, 2], [20, 20]], [[1, 1], [5, 5], [10, 10]])
    summary = import_source(project, tmp_path, "labelme")
    assert summary.masks == 1 and summary.errors == []
    ((where, what),) = summary.empty_shapes
    assert where.endswith("look.json")
    assert what == (f"shape 2 (shoes) paints no pixel of the {W}x{H} photo (it lies outside it, or is a line or a "
                    "sliver that covers no pixel's centre)")  # fmt: skip
    assert "1 shape painting no pixel (outside the photo, or too thin), left out:" in summary.lines()


def test_a_file_none_of_whose_shapes_paints_saves_no_mask(project: Project, tmp_path: Path, write_photo) -> None:
    """Drawn on a photo four times as large: it saved an all-background mask and marked the photo
    done, so the right file imported later was refused as differing from that saved version."""
    _labelme(tmp_path, write_photo, [[40, 30], [120, 30], [120, 90]], [[100, 60], [120, 60], [120, 80]])
    summary = import_source(project, tmp_path, "labelme")
    (record,) = project.images()
    assert summary.masks == 0 and project.load_mask(record.id, "parsing7") is None and record.status == "new"
    assert summary.without_mask == ["look.png"] and summary.empty_shapes == []
    ((where, problem),) = summary.errors
    assert where.endswith("look.json") and problem == (
        f"none of its 2 shapes paints a pixel of the {W}x{H} photo (outside it, or too thin: drawn on another "
        "image size?); no mask saved"
    )
