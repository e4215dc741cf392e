"""COCO import: a file that says nothing about the pixels is refused, never saved as empty masks."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from fashion_annotator.dataset.formats import coco, export_project, import_source
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


def _rle(region: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(region.astype(np.uint8)))
    return {"size": list(region.shape), "counts": rle["counts"].decode("ascii")}


def test_many_regions_are_painted_from_their_boxes_largest_first(tmp_path: Path, write_photo) -> None:
    """Every decoded annotation was kept as a full-frame array until the image was painted: a
    12-megapixel photo of 400 regions peaked at 4.7 GB. The mask is the same as painting each
    full frame, largest first."""
    height, width = 600, 900
    rng = np.random.default_rng(3)
    anns, regions = [], []
    for k in range(150):
        region = np.zeros((height, width), bool)
        y, x = rng.integers(0, height - 60), rng.integers(0, width - 80)
        region[y : y + rng.integers(5, 60), x : x + rng.integers(5, 80)] = True
        seg: object = _rle(region)
        if k % 3 == 0:  # a polygon too: its box is pycocotools' rasterised one
            seg = [[float(x), float(y), float(x + 30), float(y), float(x + 15), float(y + 25)]]
            region = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(seg, height, width))).astype(bool)
        anns.append({"id": k + 1, "image_id": 1, "category_id": 1 + k % 6, "segmentation": seg})
        regions.append((int(region.sum()), 1 + k % 6, region))
    expected = np.zeros((height, width), np.uint8)
    for _, label, region in sorted(regions, key=lambda item: -item[0]):
        expected[region] = label
    src = tmp_path / "coco"
    write_photo(src / "images" / "big.png", (height, width))
    images = [{"id": 1, "file_name": "big.png", "width": width, "height": height}]
    cats = [{"id": i, "name": n} for i, n in enumerate(("skin", "hair", "top", "shoes", "bottom", "dress"), 1)]
    (src / "annotations.json").write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    with Project.create(tmp_path / "p", tasks=("parsing7",)) as project:
        summary = import_source(project, src, "coco")
        assert (summary.masks, summary.errors) == (1, [])
        (record,) = project.images()
        np.testing.assert_array_equal(project.load_mask(record.id, "parsing7"), expected)
    tracemalloc.start()  # the painting alone (reading a photo reserves a 1 GiB buffer it never fills)
    try:
        painted, _ = coco._paint(record, anns, {k: k for k in range(1, 7)}, "big.png")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(painted, expected)
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.0f} MiB (150 full frames are {150 * height * width / 2**20:.0f} MiB)"
