"""A COCO annotation that paints no pixel of its photo is named, and an image none of whose
annotations paints saves no mask (both were silent: the annotation dropped, or an all-background
mask saved and the photo marked done)."""

from __future__ import annotations

import json
from pathlib import Path

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

H, W = 24, 32


def _coco(src: Path, write_photo, *polygons: list[float]) -> None:
    write_photo(src / "images" / "look.png", (H, W))
    data = {
        "images": [{"id": 1, "file_name": "look.png", "height": H, "width": W}],
        "annotations": [{"id": k, "image_id": 1, "category_id": k, "segmentation": [polygon]}
                        for k, polygon in enumerate(polygons, 1)],  # fmt: skip
        "categories": [{"id": 1, "name": "top"}, {"id": 2, "name": "shoes"}],
    }
    (src / "annotations.json").write_text(json.dumps(data))


def test_a_coco_annotation_that_paints_nothing_is_named(project: Project, tmp_path: Path, write_photo) -> None:
    """It was dropped without a word."""
    _coco(tmp_path, write_photo, [40, 1, 60, 1, 60, 20], [2, 2, 20, 2, 20, 20])
    summary = import_source(project, tmp_path, "coco")
    assert summary.masks == 1 and summary.errors == []
    ((where, what),) = summary.empty_shapes
    assert where.endswith("image 'look.png'") and what == (
        f"annotation 1 paints no pixel of the {W}x{H} photo (it lies outside it, or is a line or a sliver that "
        "covers no pixel's centre)"
    )


def test_a_coco_image_none_of_whose_annotations_paints_saves_no_mask(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """It saved an all-background mask, the photo done, without a word."""
    _coco(tmp_path, write_photo, [40, 1, 60, 1, 60, 20], [1, 1, 5, 5, 10, 10])
    summary = import_source(project, tmp_path, "coco")
    (record,) = project.images()
    assert summary.masks == 0 and project.load_mask(record.id, "parsing7") is None
    ((where, problem),) = summary.errors
    assert where.endswith("image 'look.png'") and summary.without_mask == ["look.png"]
    assert problem == f"none of its 2 annotations paints a pixel of the {W}x{H} photo (outside it, or too thin); no mask saved"
