"""Plain COCO import: an ``images`` entry without ``height`` / ``width`` takes the photo's size
(as coco-instances does); a missing or unreadable photo, or a declared size that is not the
photo's, is refused naming the file, the entry and the photo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

H, W = 24, 32
CATEGORIES = [{"id": 1, "name": "garment"}]


def _box(image_id: int) -> dict:
    return {"id": image_id, "image_id": image_id, "category_id": 1, "segmentation": [[2, 2, 12, 2, 12, 10, 2, 10]]}


def _write(src: Path, images: list[dict]) -> Path:
    path = src / "annotations.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    annotations = [_box(entry["id"]) for entry in images]
    path.write_text(json.dumps({"images": images, "annotations": annotations, "categories": CATEGORIES}))
    return path


def test_entries_without_height_and_width_take_the_photos_size(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """Refused before: "size (None, None) differs from the photo's (24, 32)"."""
    src = tmp_path / "coco"
    for k in (1, 2):
        write_photo(src / "images" / f"p{k}.jpg", (H, W), seed=k)
    path = _write(src, [{"id": 1, "file_name": "p1.jpg"}, {"id": 2, "file_name": "p2.jpg", "width": W}])
    summary = import_source(project, path, "coco")
    assert (summary.masks, summary.errors) == (2, [])
    for stem in ("p1", "p2"):
        (record,) = project.images_by_stem(stem)
        mask = project.load_mask(record.id, "garment")
        assert mask.shape == (H, W) and np.count_nonzero(mask) == 80


def test_a_missing_or_unreadable_photo_without_a_size_is_refused_naming_it(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "coco"
    write_photo(src / "images" / "good.jpg", (H, W))
    (src / "images" / "broken.jpg").write_bytes(b"not a photo at all")
    path = _write(src, [{"id": 1, "file_name": "gone.jpg"}, {"id": 2, "file_name": "broken.jpg"},
                        {"id": 3, "file_name": "good.jpg"}])
    summary = import_source(project, path, "coco")
    assert summary.masks == 1
    errors = {str(where): str(why) for where, why in summary.errors}
    assert len(errors) == 2, errors
    gone = next(f"{w}: {m}" for w, m in errors.items() if "gone.jpg" in w)
    broken = next(f"{w}: {m}" for w, m in errors.items() if "broken.jpg" in w)
    assert str(path) in gone and "images[0]" in gone and "gone" in gone.split("images[0]", 1)[1]
    assert str(path) in broken and "images[1]" in broken and str(src / "images" / "broken.jpg") in broken
    assert [r.stem for r in project.images()] == ["good"]


def test_a_declared_size_that_is_not_the_photos_is_refused(project: Project, tmp_path: Path, write_photo) -> None:
    src = tmp_path / "coco"
    write_photo(src / "images" / "p1.jpg", (H, W))
    path = _write(src, [{"id": 1, "file_name": "p1.jpg", "width": W, "height": H + 1}])
    summary = import_source(project, path, "coco")
    assert summary.masks == 0
    ((where, why),) = summary.errors
    message = f"{where}: {why}"
    assert str(path) in message and "images[0]" in message and "p1.jpg" in message
    assert f"{W}x{H + 1}" in message and f"{W}x{H}" in message
    (record,) = project.images()
    assert project.load_mask(record.id, "garment") is None
