"""VOC masks are read by colour: an indexed PNG re-saved by an image editor keeps its classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.formats.voc import voc_colormap
from fashion_annotator.dataset.store import Project

H, W = 24, 32
LABELMAP = "background:0,0,0::\ntop:128,0,0::\nskin:0,128,0::\n"


def _ids() -> np.ndarray:
    ids = np.zeros((H, W), np.uint8)
    ids[2:10, 2:10] = 1
    ids[12:20, 12:20] = 2
    ids[22, :] = 255
    return ids


def _indexed(path: Path, indices: np.ndarray, palette: np.ndarray) -> None:
    image = Image.fromarray(indices.astype(np.uint8), "L").convert("P")
    image.putpalette(palette.astype(np.uint8).ravel().tolist())
    image.save(path)


def _voc(src: Path, write_photo) -> Path:
    write_photo(src / "JPEGImages" / "look.png", (H, W))
    (src / "SegmentationClass").mkdir(parents=True)
    (src / "labelmap.txt").write_text(LABELMAP)
    return src / "SegmentationClass" / "look.png"


def test_an_indexed_mask_re_saved_with_another_palette_order_keeps_its_classes(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """An editor re-saved the mask with its own index order (same colours on screen): every
    class came in wrong, since the palette indices were read as the labels."""
    path = _voc(tmp_path / "voc", write_photo)
    ids = _ids()
    order = np.array([2, 0, 1])  # the editor's index of each label; void goes to index 3
    editor_indices = np.where(ids == 255, 3, order[np.minimum(ids, 2)])
    colours = voc_colormap()
    palette = np.zeros((4, 3), np.uint8)
    palette[order] = colours[:3]
    palette[3] = colours[255]
    _indexed(path, editor_indices, palette)
    summary = import_source(project, tmp_path / "voc", "voc")
    assert (summary.masks, summary.errors) == (1, [])
    (record,) = project.images_by_stem("look")
    names = project.taxonomy("parsing7").names
    expected = np.zeros((H, W), np.uint8)
    expected[ids == 1], expected[ids == 2] = names.index("top"), names.index("skin")
    np.testing.assert_array_equal(project.load_mask(record.id, "parsing7"), expected)


def test_a_palette_colour_outside_the_labelmap_refuses_the_file_with_its_pixel_count(
    project: Project, tmp_path: Path, write_photo
) -> None:
    path = _voc(tmp_path / "voc", write_photo)
    indices = np.zeros((H, W), np.uint8)
    indices[:2, :5] = 1
    _indexed(path, indices, np.array([[0, 0, 0], [10, 20, 30]]))
    summary = import_source(project, tmp_path / "voc", "voc")
    ((where, problem),) = summary.errors
    assert where == str(path)
    assert problem == "palette colours not in labelmap.txt: (10, 20, 30) (10 pixels)"
    (record,) = project.images_by_stem("look")
    assert project.load_mask(record.id, "parsing7") is None


def test_an_indexed_mask_with_the_grey_ramp_palette_is_read_by_index(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """A grey palette carries no colours (index i is (i, i, i)): the indices are the labels."""
    path = _voc(tmp_path / "voc", write_photo)
    ids = _ids()
    _indexed(path, ids, np.repeat(np.arange(256)[:, None], 3, axis=1))
    summary = import_source(project, tmp_path / "voc", "voc")
    assert (summary.masks, summary.errors) == (1, [])
    (record,) = project.images_by_stem("look")
    names = project.taxonomy("parsing7").names
    mask = project.load_mask(record.id, "parsing7")
    assert (mask[ids == 1] == names.index("top")).all() and (mask[ids == 2] == names.index("skin")).all()
    assert (mask[(ids == 0) | (ids == 255)] == 0).all()


SHORT_LABELMAP = "background:0,0,0::\ntop:128,0,0::\nskin:0,128,0::\n"


def test_an_indexed_mask_with_a_short_palette_keeps_void_255(project: Project, tmp_path: Path, write_photo) -> None:
    """A review: a palette of only the 21 VOC class colours (a script's putpalette) with void at
    index 255 was refused whole ("index 255 (no palette colour)"); void is 255 by index."""
    h, w = 24, 32
    src = tmp_path / "voc"
    write_photo(src / "JPEGImages" / "look.png", (h, w))
    (src / "SegmentationClass").mkdir(parents=True)
    (src / "labelmap.txt").write_text(SHORT_LABELMAP)
    ids = np.zeros((h, w), np.uint8)
    ids[2:10, 2:10] = 1
    ids[12:20, 12:20] = 2
    ids[22, :] = 255  # void boundary, VOC's usual
    im = Image.fromarray(ids, "P")
    im.putpalette(voc_colormap()[:21].ravel().tolist())  # VOC 2012: its 21 classes, no void entry
    im.save(src / "SegmentationClass" / "look.png")
    summary = import_source(project, src, "voc")
    assert (summary.masks, summary.errors) == (1, []), summary.errors
    (rec,) = project.images()
    task = next(t for t in project.tasks if project.load_mask(rec.id, t) is not None)
    mask = project.load_mask(rec.id, task)
    assert mask[5, 5] != 0 and mask[15, 15] != 0 and mask[5, 5] != mask[15, 15]
    assert not mask[22].any()  # void became background


COLOURLESS_LABELMAP = "# label:color_rgb:parts:actions\nbackground:::\nskin:::\nhair:::\ntop:::\n"


def _colourless_voc(src: Path, write_photo, rgb: np.ndarray) -> Path:
    """A VOC folder as datumaro's default export writes it: colour-less label map, RGB mask."""
    write_photo(src / "JPEGImages" / "look.jpg", (H, W))
    (src / "SegmentationClass").mkdir(parents=True)
    (src / "labelmap.txt").write_text(COLOURLESS_LABELMAP)
    path = src / "SegmentationClass" / "look.png"
    Image.fromarray(rgb, "RGB").save(path)
    return path


def test_an_rgb_mask_with_a_colourless_labelmap_is_read_by_the_voc_colour_map(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """datumaro's default VOC export (label_map "source"): label lines without colours and RGB
    masks in the VOC colour map; every mask was refused ("colour (0, 0, 0) ... not in labelmap")."""
    ids = _ids()
    ids[0, :3] = 3
    _colourless_voc(tmp_path / "voc", write_photo, voc_colormap()[ids])
    summary = import_source(project, tmp_path / "voc", "voc")
    assert (summary.masks, summary.errors) == (1, [])
    names = project.taxonomy("parsing7").names
    expected = np.zeros((H, W), np.uint8)
    for index, name in enumerate(("background", "skin", "hair", "top")):
        expected[ids == index] = names.index(name)
    (record,) = project.images_by_stem("look")
    np.testing.assert_array_equal(project.load_mask(record.id, "parsing7"), expected)


def test_an_rgb_colour_outside_the_voc_colour_map_is_refused_by_name(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """Colour-less label map, RGB mask: a colour that no label index has in the VOC colour map
    (here index 4's, the map listing four labels) refuses the file, naming the colour."""
    rgb = voc_colormap()[_ids()]
    rgb[3, 5:7] = voc_colormap()[4]
    path = _colourless_voc(tmp_path / "voc", write_photo, rgb)
    summary = import_source(project, tmp_path / "voc", "voc")
    ((where, problem),) = summary.errors
    assert where == str(path)
    assert problem == (
        "colour (0, 0, 128) at x=5, y=3 (2 pixels) is not the VOC colour of any of the 4 labels"
        " in labelmap.txt (it lists no colours)"
    )
    (record,) = project.images_by_stem("look")
    assert project.load_mask(record.id, "parsing7") is None
