"""COCO import: a file that says nothing about the pixels is refused, never saved as empty masks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.store import Project

H, W = 24, 32
BOX = {"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[2, 2, 12, 2, 12, 10, 2, 10]]}


def _coco(src: Path, write_photo, data: dict) -> Path:
    for k in (1, 2):
        write_photo(src / "images" / f"p{k}.jpg", (H, W), seed=k)
    images = [{"id": k, "file_name": f"p{k}.jpg", "width": W, "height": H} for k in (1, 2)]
    path = src / "annotations.json"
    path.write_text(json.dumps({"images": images, **data}))
    return path


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"categories": [{"id": 1, "name": "garment"}]}, "2 images listed but no annotations"),
        ({"annotations": [], "categories": [{"id": 1, "name": "garment"}]}, "2 images listed but no annotations"),
        ({"annotations": [BOX]}, "annotations but no 'categories'"),
        ({"annotations": [BOX], "categories": []}, "annotations but no 'categories'"),
    ],
)
def test_a_coco_file_without_annotations_or_categories_is_refused(
    project: Project, tmp_path: Path, write_photo, data: dict, message: str
) -> None:
    """An image list (no 'annotations') saved an all-background mask for every image, marked
    done and in the training set."""
    path = _coco(tmp_path / "coco", write_photo, data)
    with pytest.raises(ValueError, match=message) as caught:
        import_source(project, path, "coco")
    assert str(caught.value).startswith(f"{path}: ")
    assert project.images() == [] and project.training_items("garment") == []


def test_an_image_without_annotations_beside_annotated_ones_is_all_background(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """As documented: in a file with annotations, a listed image without any has nothing on it."""
    path = _coco(tmp_path / "coco", write_photo, {"annotations": [BOX], "categories": [{"id": 1, "name": "garment"}]})
    summary = import_source(project, path, "coco")
    assert (summary.masks, summary.errors) == (2, [])
    (empty,) = project.images_by_stem("p2")
    assert not project.load_mask(empty.id, "garment").any()
    (painted,) = project.images_by_stem("p1")
    assert np.count_nonzero(project.load_mask(painted.id, "garment")) == 80


def test_this_apps_export_of_all_background_masks_imports(tmp_path: Path, write_photo) -> None:
    """Its file has no annotations either, but says every listed image is a saved mask."""
    with Project.create(tmp_path / "a", tasks=("garment",)) as source:
        record = source.add_image(write_photo(tmp_path / "look.png", (H, W)))
        source.save_mask(record.id, "garment", np.zeros((H, W), np.uint8))
        export_project(source, tmp_path / "out", "coco", task="garment")
    assert json.loads((tmp_path / "out" / "annotations.json").read_text())["annotations"] == []
    with Project.create(tmp_path / "b", tasks=("garment",)) as target:
        summary = import_source(target, tmp_path / "out", "coco")
        assert (summary.masks, summary.errors) == (1, [])
        (image,) = target.images()
        assert not target.load_mask(image.id, "garment").any()
