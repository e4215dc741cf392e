"""Photo names a format cannot write as they are: a control character in a CVAT
``annotations.xml`` (XML 1.0 cannot hold it: the file was not well-formed and CVAT read none of
it) and a line break or whitespace at either end of a VOC ``ImageSets`` line (readers split and
strip the lines: the image's mask was never found). Such a photo is written as ``STEM-ID``,
listed in ``export_names.json``, and its mask still comes back on import."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image

from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.store import Project

H, W = 24, 32


def _cvat_rle(counts: str, width: int, height: int) -> np.ndarray:
    """CVAT's documented mask RLE: runs alternate background / foreground, background first,
    row by row over the box."""
    flat = np.zeros(width * height, bool)
    pos, value = 0, False
    for run in (int(c) for c in counts.split(",")):
        flat[pos : pos + run] = value
        pos, value = pos + run, not value
    assert pos == width * height
    return flat.reshape(height, width)


def _project(tmp_path: Path, write_photo, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    masks = {}
    with Project.create(tmp_path / "p", tasks=("garment",)) as project:
        for n, name in enumerate(names, 1):
            record = project.add_image(write_photo(tmp_path / "shoot" / name, (H, W), seed=n))
            mask = np.zeros((H, W), np.uint8)
            mask[n : n + 6, 2 * n : 2 * n + 7] = 1
            project.save_mask(record.id, "garment", mask)
            masks[record.name] = mask
    return masks


def _reimported(tmp_path: Path, out: Path, fmt: str, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    with Project.create(tmp_path / "q", tasks=("garment",)) as copy:
        for name in names:
            copy.add_image(tmp_path / "shoot" / name)
        summary = import_source(copy, out, fmt, "garment")
        assert (summary.masks, summary.errors) == (len(names), [])
        return {r.name: copy.load_mask(r.id, "garment") for r in copy.images()}


def test_a_control_character_in_a_photo_name_keeps_the_cvat_xml_readable(tmp_path: Path, write_photo) -> None:
    names = ("ctl\x01look.png", "tab\tlook.png", "plain.png")
    masks = _project(tmp_path, write_photo, names)
    out = tmp_path / "out"
    with Project.open(tmp_path / "p") as project:
        summary = export_project(project, out, "cvat", "garment", shapes="mask")
    assert summary.count == 3
    root = ET.parse(out / "annotations.xml").getroot()  # well-formed: CVAT can read it
    seen = {}
    for image in root.iter("image"):
        photo = out / "images" / image.get("name", "")
        assert photo.is_file()
        got = np.zeros((H, W), np.uint8)
        for el in image.iter("mask"):
            left, top, width, height = (int(el.get(k, "")) for k in ("left", "top", "width", "height"))
            got[top : top + height, left : left + width][_cvat_rle(el.get("rle", ""), width, height)] = 1
        with Image.open(photo) as im:
            seen[im.tobytes()] = got
    with Project.open(tmp_path / "p") as project:
        for record in project.images():
            with Image.open(record.path) as im:
                assert np.array_equal(seen[im.tobytes()], masks[record.name])
    assert "ctl\x01look.png" in {name for name, _ in summary.renamed}
    assert all(np.array_equal(m, masks[n]) for n, m in _reimported(tmp_path, out, "cvat", names).items())


def test_voc_image_set_lines_name_every_photo_as_readers_strip_them(tmp_path: Path, write_photo) -> None:
    names = (" lead.png", "trail .png", "two\nlines.png", "plain.png")
    masks = _project(tmp_path, write_photo, names)
    out = tmp_path / "out"
    with Project.open(tmp_path / "p") as project:
        assert export_project(project, out, "voc", "garment").count == 4
    with open(out / "ImageSets" / "Segmentation" / "default.txt", encoding="utf-8") as f:
        ids = [line.strip() for line in f if line.strip()]  # as Datumaro and torchvision read it
    assert len(ids) == 4
    seen = {}
    for item in ids:
        with Image.open(out / "SegmentationClass" / f"{item}.png") as seg:
            mask = np.asarray(seg)
        (photo,) = (out / "JPEGImages").glob(f"{item}.*")
        with Image.open(photo) as im:
            seen[im.tobytes()] = mask
    with Project.open(tmp_path / "p") as project:
        for record in project.images():
            with Image.open(record.path) as im:
                assert np.array_equal(seen[im.tobytes()], masks[record.name])
    assert all(np.array_equal(m, masks[n]) for n, m in _reimported(tmp_path, out, "voc", names).items())
