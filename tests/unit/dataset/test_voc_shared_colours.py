"""A VOC label map that gives two labels one colour: their pixels are never merged into one label.

A ``labelmap.txt`` where ``top`` and ``skin`` were both ``128,0,0`` (a colour picked twice in
CVAT, a hand-edited line) imported every top pixel as skin, without a word: the colour table
kept the last line of each colour.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

H, W = 24, 32
LABELMAP = "background:0,0,0::\ntop:128,0,0::\nskin:128,0,0::\nhair:0,0,128::\n"
PALETTE = np.array([[0, 0, 0], [128, 0, 0], [128, 0, 0], [0, 0, 128]], np.uint8)
TOP, SKIN = 3, 1  # parsing7 class ids


def _ids() -> np.ndarray:
    ids = np.zeros((H, W), np.uint8)
    ids[2:10, 2:10] = 1  # top
    ids[12:20, 12:20] = 2  # skin
    return ids


def _source(tmp_path: Path, write_photo) -> Path:
    src = tmp_path / "voc"
    write_photo(src / "JPEGImages" / "look.jpg", (H, W))
    (src / "SegmentationClass").mkdir(parents=True)
    (src / "labelmap.txt").write_text(LABELMAP)
    return src


def _indexed(path: Path, indices: np.ndarray, palette: np.ndarray) -> None:
    full = np.zeros((256, 3), np.uint8)  # a full palette: 8-bit indices, as CVAT writes
    full[: len(palette)] = palette
    image = Image.fromarray(indices, "P")
    image.putpalette(full.ravel().tolist())
    image.save(path)


def test_an_indexed_mask_is_read_by_index_where_its_labels_share_a_colour(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = _source(tmp_path, write_photo)
    _indexed(src / "SegmentationClass" / "look.png", _ids(), PALETTE)
    summary = import_source(project, src, "voc")
    assert summary.errors == [] and summary.masks == 1
    (record,) = project.images()
    mask = project.load_mask(record.id, "parsing7")
    assert (mask[2:10, 2:10] == TOP).all() and (mask[12:20, 12:20] == SKIN).all()


def test_a_shared_colour_under_another_index_is_refused_naming_the_labels(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """Re-saved with the palette reordered: index 3 is red now, and hair's line is not."""
    src = _source(tmp_path, write_photo)
    ids = _ids()
    ids[ids == 1] = 3
    palette = np.array([[0, 0, 0], [0, 0, 128], [128, 0, 0], [128, 0, 0]], np.uint8)
    _indexed(src / "SegmentationClass" / "look.png", ids, palette)
    summary = import_source(project, src, "voc")
    ((where, problem),) = summary.errors
    assert where.endswith("look.png") and summary.masks == 0
    assert "index 3's colour (128, 0, 0) (64 pixels)" in problem and "(top, skin)" in problem


def test_an_rgb_mask_in_a_shared_colour_is_refused_naming_the_labels(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = _source(tmp_path, write_photo)
    Image.fromarray(PALETTE[_ids()]).save(src / "SegmentationClass" / "look.png")
    summary = import_source(project, src, "voc")
    ((where, problem),) = summary.errors
    assert where.endswith("look.png") and summary.masks == 0
    assert "colour (128, 0, 0) at x=2, y=2 (128 pixels)" in problem and "(top, skin)" in problem


def test_a_label_map_that_is_not_utf8_is_named(project: Project, tmp_path: Path, write_photo) -> None:
    """The error was Python's "'utf-8' codec can't decode byte 0xe9 in position 35", no file named."""
    src = _source(tmp_path, write_photo)
    _indexed(src / "SegmentationClass" / "look.png", _ids(), PALETTE)
    (src / "labelmap.txt").write_bytes(LABELMAP.encode() + "chapeau-\xe9t\xe9:1,2,3::\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"labelmap\.txt: not a readable label map \(not UTF-8 text: invalid continuation byte at byte 71\)"):
        import_source(project, src, "voc")
