"""A project's own label set through the exports and imports: the masks come back unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.cli import main
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.dataset.store import Project


def _masks(shape: tuple[int, int]) -> list[np.ndarray]:
    first = np.zeros(shape, np.uint8)
    first[8:40, 10:50] = 1  # garment
    first[12:20, 14:24] = 2  # label-tag
    first[2:6, 20:44] = 3  # hanger
    second = np.zeros(shape, np.uint8)
    second[20:44, 4:30] = 1
    second[30:36, 8:16] = 3
    return [first, second]


@pytest.mark.parametrize("fmt", ["plain", "coco", "cvat", "labelme"])
def test_a_label_set_round_trips_through_a_format(tmp_path: Path, write_photo, label_set_file, fmt: str) -> None:
    source, target = tmp_path / "a", tmp_path / "b"
    masks = _masks((48, 64))
    with Project.create(source, tasks=["garment", label_set_file]) as project:
        for i, mask in enumerate(masks):
            record = project.add_image(write_photo(tmp_path / "photos" / f"p{i}.png", (48, 64), seed=i))
            project.save_mask(record.id, "garment_parts", mask, status="done")
    out = tmp_path / "out"
    assert main(["export", str(source), str(out), "--format", fmt, "--task", "garment_parts"]) == 0
    if fmt == "plain":
        table = json.loads((out / "taxonomies.json").read_text(encoding="utf-8"))
        assert table["garment_parts"]["classes"] == ["background", "garment", "label-tag", "hanger"]
        colours = _palette(out / "masks" / "p0.png")
        assert colours[3] == (0, 130, 200)  # the file's hanger colour is the PNG's palette entry
    assert main(["new", str(target), "--images", str(tmp_path / "photos"), "--tasks", str(label_set_file)]) == 0
    assert main(["import", str(target), str(out), "--format", fmt, "--taxonomy", "garment_parts"]) == 0
    with Project.open(target) as project:
        for i, mask in enumerate(masks):
            (record,) = project.images_by_stem(f"p{i}")
            np.testing.assert_array_equal(project.load_mask(record.id, "garment_parts"), mask)


def _palette(path: Path) -> list[tuple[int, ...]]:
    """The first four palette entries of an indexed PNG (and the file reads as label ids)."""
    from PIL import Image

    load_mask(path)
    with Image.open(path) as image:
        palette = image.getpalette() or []
    return [tuple(palette[3 * i : 3 * i + 3]) for i in range(4)]
