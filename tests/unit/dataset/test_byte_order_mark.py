"""Source files saved with a UTF-8 byte-order mark (Notepad, Windows PowerShell's ``Out-File``)
import as the same files without one.

A labelme JSON was refused as "Unexpected UTF-8 BOM", a YOLO label file's first line as
"invalid literal for int() with base 10: '\\ufeff2'", and a VOC ``labelmap.txt`` named its first
label ``\\ufeffbackground``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.formats.voc import voc_colormap
from fashion_annotator.dataset.store import Project

H, W = 24, 32
BOM = b"\xef\xbb\xbf"
TOP = 3  # parsing7


def _labelme(src: Path) -> None:
    doc = {"shapes": [{"label": "top", "points": [[2, 2], [12, 2], [12, 12], [2, 12]]}], "imagePath": "look.png"}
    (src / "look.json").write_bytes(BOM + json.dumps(doc).encode())


def _yolo(src: Path) -> None:
    (src / "data.yaml").write_bytes(BOM + b"names: [skin, hair, top]\n")
    (src / "labels").mkdir()
    (src / "labels" / "look.txt").write_bytes(BOM + f"2 {2 / W} {2 / H} {12 / W} {2 / H} {12 / W} {12 / H} {2 / W} {12 / H}\n".encode())


def _voc(src: Path) -> None:
    colours = voc_colormap()
    names = ("background", "skin", "hair", "top")
    text = "".join(f"{n}:{','.join(map(str, colours[i]))}::\n" for i, n in enumerate(names))
    (src / "labelmap.txt").write_bytes(BOM + text.encode())
    (src / "SegmentationClass").mkdir()
    ids = np.zeros((H, W), np.uint8)
    ids[2:12, 2:12] = 3
    image = Image.fromarray(ids, "P")
    image.putpalette(colours.ravel().tolist())
    image.save(src / "SegmentationClass" / "look.png")


@pytest.mark.parametrize(("fmt", "build", "photos"), [
    ("labelme", _labelme, "."), ("yolo", _yolo, "images"), ("voc", _voc, "JPEGImages"),
])  # fmt: skip
def test_a_file_with_a_byte_order_mark_imports(
    project: Project, tmp_path: Path, write_photo, fmt: str, build, photos: str
) -> None:
    write_photo(tmp_path / photos / "look.png", (H, W))
    build(tmp_path)
    summary = import_source(project, tmp_path, fmt)
    assert (summary.errors, summary.masks) == ([], 1)
    (record,) = project.images()
    mask = project.load_mask(record.id, "parsing7")
    assert mask is not None and (mask[2:12, 2:12] == TOP).all() and mask.sum() == TOP * 100
