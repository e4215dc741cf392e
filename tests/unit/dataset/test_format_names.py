"""Masks attach to the right photo whatever the photos are named: untidy names, names our own
exports changed, names as another system writes them (NFD, not UTF-8, a backslash)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.formats.common import ImportSummary, safe_join
from fashion_annotator.dataset.store import Project

H, W = 24, 32

#: Names that clash once exported (case, a shared stem, the same name once made UTF-8).
UNTIDY = ("A.jpg", "a.jpg", "look.jpg", "look.png", b"\xff.jpg", b"\xfe.jpg", "a:b.jpg", "UPPER.JPG")

#: Where each format's export keeps its photos (removed: a vendor sends annotations only).
PHOTO_DIRS = {"plain": "images", "coco": "images", "cvat": "images", "voc": "JPEGImages",
              "labelstudio": "images", "yolo": "images", "labelme": ""}  # fmt: skip


def _photos(folder: Path, write_photo, names: tuple[str | bytes, ...]) -> Path:
    """Write one distinct photo per name (bytes: a name that is not UTF-8) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for seed, name in enumerate(names):
        raw = name if isinstance(name, bytes) else os.fsencode(name)
        write_photo(Path(os.fsdecode(os.path.join(os.fsencode(folder), raw))), (H, W), seed=seed)
    return folder


def _mask(image_id: int) -> np.ndarray:
    """A mask that tells image ``image_id``'s apart from the others'."""
    mask = np.zeros((H, W), np.uint8)
    mask[image_id : image_id + 4, 2 * image_id : 2 * image_id + 5] = 1
    return mask


def _project(root: Path, photos: Path) -> Project:
    project = Project.create(root, tasks=("garment",))
    import_source(project, photos, "photos")
    return project


def test_a_label_studio_export_goes_back_onto_photos_from_another_folder(
    tmp_path: Path, write_photo
) -> None:
    """The export writes ``?d=images/look.jpg``: its own ``images/`` was taken for the folder the
    photo came from, and the mask refused for a photo imported from ``shoot/``."""
    photos = _photos(tmp_path / "shoot", write_photo, ("look.jpg",))
    with _project(tmp_path / "src", photos) as src:
        (record,) = src.images()
        src.save_mask(record.id, "garment", _mask(1), status="done")
        export_project(src, tmp_path / "out", "labelstudio", "garment")
    shutil.rmtree(tmp_path / "out" / "images")
    with _project(tmp_path / "dst", photos) as dst:
        summary = import_source(dst, tmp_path / "out", "labelstudio", "garment")
        assert summary.errors == [] and summary.masks == 1


def test_a_colon_in_a_file_name_is_no_drive(tmp_path: Path) -> None:
    """``a:b.jpg`` (a COCO export's own file name) was refused as an absolute path."""
    assert safe_join(tmp_path, "a:b.jpg") == tmp_path / "a:b.jpg"
    assert safe_join(tmp_path, "shoot/look:2.jpg") == tmp_path / "shoot" / "look:2.jpg"
    for absolute in ("C:\\photos\\a.jpg", "c:/photos/a.jpg", "\\\\server\\share\\a.jpg"):
        with pytest.raises(ValueError, match="absolute path refused"):
            safe_join(tmp_path, absolute)


def test_a_photo_stored_under_a_shortened_name_is_noted(project: Project, tmp_path: Path, write_photo) -> None:
    """A name over 200 bytes is shortened when stored: the summary said nothing."""
    long = "L" * 210 + ".jpg"
    summary = import_source(project, _photos(tmp_path / "shoot", write_photo, (long,)), "photos")
    (record,) = project.images()
    assert record.name == "L" * 196 + ".jpg"
    assert summary.stored_as == [(str(tmp_path / "shoot" / long), record.name)]
    assert summary.notable and not summary.went_wrong
    assert any(record.name in line for line in summary.lines())


def test_a_refused_file_whose_name_is_not_utf8_is_named_once_and_printably() -> None:
    """``…/caf\\udce9.jpg: …/caf\\xe9.jpg: the file name is not valid UTF-8``: twice, once with
    a raw surrogate that cannot be printed."""
    path = Path(os.fsdecode(b"/photos/caf\xe9.jpg"))
    summary = ImportSummary()
    summary.fail(path, "/photos/caf\\xe9.jpg: the file name is not valid UTF-8")
    summary.fail(path, f"{path}: unreadable")
    assert summary.errors == [
        ("/photos/caf\\xe9.jpg", "the file name is not valid UTF-8"),
        ("/photos/caf\\xe9.jpg", "unreadable"),
    ]
    "\n".join(summary.lines()).encode("utf-8")


@pytest.mark.parametrize("fmt", ["plain", "coco", "cvat", "labelme", "voc", "labelstudio", "yolo"])
def test_an_export_keeps_the_photos_own_suffix(project: Project, tmp_path: Path, write_photo, fmt: str) -> None:
    """``UPPER.JPG`` was exported as ``UPPER.jpg``: renamed, for no reason."""
    import_source(project, _photos(tmp_path / "shoot", write_photo, ("UPPER.JPG",)), "photos")
    (record,) = project.images()
    project.save_mask(record.id, "garment", _mask(1))
    export_project(project, tmp_path / "out", fmt, "garment")
    written = sorted(p.name for p in (tmp_path / "out" / PHOTO_DIRS[fmt]).iterdir() if p.stem == "UPPER")
    assert "UPPER.JPG" in written and "UPPER.jpg" not in written
