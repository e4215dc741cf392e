"""A source that annotates one photo twice: the first annotation is imported, the second refused.

Two Label Studio tasks of one image, two labelme files naming one photo, two COCO entries of
one file name, ``look.png`` and ``look.PNG`` masks: the second was refused as differing from
"saved version 1" (which the same import had just saved), and with ``--overwrite`` it replaced
the first without a word.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.formats.voc import voc_colormap
from fashion_annotator.dataset.store import Project

H, W = 24, 32
TOP, SHOES = 3, 4  # parsing7 class ids
BOX = (slice(2, 12), slice(2, 12))  # the pixels both annotations paint
BOX_POINTS = [[2, 2], [12, 2], [12, 12], [2, 12]]


def _labelme(src: Path, write_photo) -> None:
    write_photo(src / "look.png", (H, W))
    for name, label in (("a.json", "top"), ("b.json", "shoes")):
        shape = {"label": label, "points": BOX_POINTS, "shape_type": "polygon"}
        (src / name).write_text(json.dumps({"shapes": [shape], "imagePath": "look.png"}))


def _labelstudio(src: Path, write_photo) -> None:
    write_photo(src / "look.png", (H, W))
    points = [[x * 100 / W, y * 100 / H] for x, y in BOX_POINTS]

    def task(label: str) -> dict:
        result = {"type": "polygonlabels", "original_width": W, "original_height": H,
                  "value": {"points": points, "polygonlabels": [label]}}  # fmt: skip
        return {"data": {"image": "look.png"}, "annotations": [{"result": [result]}]}

    (src / "tasks.json").write_text(json.dumps([task("top"), task("shoes")]))


def _cvat(src: Path, write_photo) -> None:
    write_photo(src / "images" / "look.png", (H, W))
    points = ";".join(f"{x},{y}" for x, y in BOX_POINTS)
    images = "".join(
        f'<image id="{i}" name="look.png" width="{W}" height="{H}">'
        f'<polygon label="{label}" points="{points}" z_order="0"/></image>'
        for i, label in enumerate(("top", "shoes"))
    )
    (src / "annotations.xml").write_text(f"<annotations>{images}</annotations>")


def _coco(src: Path, write_photo) -> None:
    write_photo(src / "images" / "look.png", (H, W))
    polygon = [float(v) for point in BOX_POINTS for v in point]
    data = {
        "images": [{"id": i, "file_name": "look.png", "height": H, "width": W} for i in (1, 2)],
        "annotations": [{"id": i, "image_id": i, "category_id": i, "segmentation": [polygon]} for i in (1, 2)],
        "categories": [{"id": 1, "name": "top"}, {"id": 2, "name": "shoes"}],
    }
    (src / "annotations.json").write_text(json.dumps(data))


def _mask(label: int) -> np.ndarray:
    mask = np.zeros((H, W), np.uint8)
    mask[BOX] = label
    return mask


def _voc(src: Path, write_photo) -> None:
    write_photo(src / "JPEGImages" / "look.jpg", (H, W))
    (src / "SegmentationClass").mkdir()
    names = ("background", "skin", "hair", "top", "shoes", "bottom", "dress")
    colours = voc_colormap()
    (src / "labelmap.txt").write_text("".join(f"{n}:{','.join(map(str, colours[i]))}::\n" for i, n in enumerate(names)))
    for name, label in (("look.PNG", TOP), ("look.png", SHOES)):  # sorted: look.PNG first
        image = Image.fromarray(_mask(label), "P")
        image.putpalette(colours.ravel().tolist())
        image.save(src / "SegmentationClass" / name)


def _plain(src: Path, write_photo) -> None:
    write_photo(src / "images" / "look.png", (H, W))
    (src / "masks").mkdir()
    for name, label in (("look.PNG", TOP), ("look.png", SHOES)):
        Image.fromarray(_mask(label)).save(src / "masks" / name)


SOURCES: dict[str, tuple[Callable, str]] = {
    "labelme": (_labelme, "b.json"),
    "labelstudio": (_labelstudio, "task 2"),
    "cvat": (_cvat, "annotations.xml"),
    "coco": (_coco, "id 2"),
    "voc": (_voc, "look.png"),
    "plain": (_plain, "look.png"),
}


@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("fmt", list(SOURCES))
def test_a_photo_annotated_twice_keeps_its_first_annotation_and_names_the_second(
    tmp_path: Path, write_photo, fmt: str, overwrite: bool
) -> None:
    build, second = SOURCES[fmt]
    src = tmp_path / "src"
    src.mkdir()
    build(src, write_photo)
    taxonomy = "parsing7" if fmt == "plain" else None
    with Project.create(tmp_path / "proj", tasks=("parsing7",)) as project:
        summary = import_source(project, src, fmt, taxonomy, overwrite=overwrite)
        (record,) = project.images()
        assert summary.masks == 1 and len(project.mask_versions(record.id, "parsing7")) == 1
        np.testing.assert_array_equal(project.load_mask(record.id, "parsing7"), _mask(TOP))
        ((where, problem),) = summary.errors
        assert second in f"{where} {problem}"
        assert "annotates the photo look." in problem and "again" in problem
        assert "saved version" not in problem and "--overwrite" not in problem


@pytest.mark.parametrize("fmt", list(SOURCES))
def test_a_first_annotation_refused_by_a_saved_mask_does_not_refuse_the_second(
    tmp_path: Path, write_photo, fmt: str
) -> None:
    """The first annotation differs from the photo's saved mask (refused without --overwrite),
    the second equals it: nothing of the photo was imported by the first, so the second is not
    refused as annotating it "again"; it counts as unchanged (it was refused with "only the first
    annotation is imported", which nothing was)."""
    build, _ = SOURCES[fmt]
    src = tmp_path / "src"
    src.mkdir()
    photos: list[Path] = []
    build(src, lambda path, shape: photos.append(write_photo(path, shape)))
    taxonomy = "parsing7" if fmt == "plain" else None
    with Project.create(tmp_path / "proj", tasks=("parsing7",)) as project:
        record = project.add_image(photos[0])
        project.save_mask(record.id, "parsing7", _mask(SHOES))
        summary = import_source(project, src, fmt, taxonomy)
        assert [v.version for v in project.mask_versions(record.id, "parsing7")] == [1]
        assert summary.masks == 0 and summary.unchanged == 1
        ((where, problem),) = summary.errors
        assert "again" not in problem and "only the first" not in problem
        assert "--overwrite" in problem
