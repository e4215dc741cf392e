"""Masks attach to the right photo whatever the photos are named: untidy names, names our own
exports changed, names as another system writes them (NFD, not UTF-8, a backslash)."""

from __future__ import annotations

import os
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

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


@pytest.mark.parametrize("fmt", list(PHOTO_DIRS))
def test_an_export_without_its_photos_brings_every_mask_back_onto_the_same_photos(
    tmp_path: Path, write_photo, fmt: str
) -> None:
    """A vendor returns annotations only: 5 of 34 masks were refused in every format (``a.jpg``
    exported as ``a-ID`` beside ``A.jpg``, ``look.png`` as ``look-ID``, a second name that is
    not UTF-8, ``look.jpg`` taken for ambiguous although the file gave its full name)."""
    photos = _photos(tmp_path / "shoot", write_photo, UNTIDY)
    with _project(tmp_path / "src", photos) as src:
        for record in src.images():
            src.save_mask(record.id, "garment", _mask(record.id), status="done")
        export_project(src, tmp_path / "out", fmt, "garment")
        truth = {r.name: _mask(r.id) for r in src.images()}
    if PHOTO_DIRS[fmt]:
        shutil.rmtree(tmp_path / "out" / PHOTO_DIRS[fmt])
    else:
        for path in (tmp_path / "out").iterdir():
            if path.suffix.lower() in {".jpg", ".png"}:
                path.unlink()
    with _project(tmp_path / "dst", photos) as dst:
        summary = import_source(dst, tmp_path / "out", fmt, "garment")
        assert summary.errors == [] and summary.masks == len(UNTIDY)
        for record in dst.images():
            assert np.array_equal(dst.load_mask(record.id, "garment"), truth[record.name]), record.name


def test_a_users_own_photo_named_like_a_renamed_stem_wins_by_its_exact_name(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """``a-2.jpg`` is a photo of its own: a mask of that name is its, not image 2's ``a.jpg``."""
    photos = _photos(tmp_path / "shoot", write_photo, ("A.jpg", "a.jpg", "a-2.jpg"))
    import_source(project, photos, "photos")
    (own,) = [r for r in project.images() if r.name == "a-2.jpg"]
    src = tmp_path / "vendor"
    (src / "masks").mkdir(parents=True)
    Image.fromarray(_mask(1)).save(src / "masks" / "a-2.png")
    summary = import_source(project, src, "plain", "garment")
    assert summary.errors == [] and summary.masks == 1
    assert project.load_mask(own.id, "garment") is not None


def test_photos_sharing_a_name_are_never_guessed_between(project: Project, tmp_path: Path, write_photo) -> None:
    """``look.jpg`` and ``look.png``: a mask named ``look`` is refused, naming both."""
    import_source(project, _photos(tmp_path / "shoot", write_photo, ("look.jpg", "look.png")), "photos")
    src = tmp_path / "vendor"
    (src / "masks").mkdir(parents=True)
    Image.fromarray(_mask(1)).save(src / "masks" / "look.png")
    summary = import_source(project, src, "plain", "garment")
    ((_, problem),) = summary.errors
    assert "several project photos are named 'look' (look.jpg, look.png)" in problem


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


def test_masks_named_as_another_system_writes_the_names_attach(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """Masks named after the photos' original names: one not UTF-8 failed with a raw codec
    error, ``café`` written in NFD (macOS), ``back\\slash`` (stored as ``back_slash``) and a name
    of 210 bytes (stored shortened, with its suffix) found no photo."""
    names = (b"caf\xe9 latin1.jpg", "café résumé.jpg", "back\\slash.jpg", "plain.jpg", "L" * 210 + ".jpg")
    import_source(project, _photos(tmp_path / "shoot", write_photo, names), "photos")
    masks = tmp_path / "vendor" / "masks"
    masks.mkdir(parents=True)
    nfd = unicodedata.normalize("NFD", "café résumé")
    for stem in (b"caf\xe9 latin1", nfd.encode(), b"back\\slash", b"plain", b"L" * 210):
        Image.fromarray(_mask(1)).save(os.fsdecode(os.path.join(os.fsencode(masks), stem + b".png")))
    summary = import_source(project, tmp_path / "vendor", "plain", "garment")
    assert summary.errors == [] and summary.masks == len(names)


def test_two_photos_equal_only_in_nfc_are_told_apart(project: Project, tmp_path: Path, write_photo) -> None:
    """Two distinct photos ``café`` (NFC) and ``café`` (NFD): each mask attaches to its own."""
    nfc, nfd = "café.jpg", unicodedata.normalize("NFD", "café.jpg")
    import_source(project, _photos(tmp_path / "shoot", write_photo, (nfc, nfd)), "photos")
    masks = tmp_path / "vendor" / "masks"
    masks.mkdir(parents=True)
    for n, name in enumerate((nfc, nfd), 1):
        Image.fromarray(_mask(n)).save(masks / f"{Path(name).stem}.png")
    summary = import_source(project, tmp_path / "vendor", "plain", "garment")
    assert summary.errors == [] and summary.masks == 2
    for n, name in enumerate((nfc, nfd), 1):
        (record,) = [r for r in project.images() if r.stem == Path(name).stem]
        assert np.array_equal(project.load_mask(record.id, "garment"), _mask(n))


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


def test_a_mask_whose_photo_was_refused_says_so_for_a_name_not_utf8(project: Project, tmp_path: Path) -> None:
    """The mask of a refused photo named ``caf\\xe9`` failed with a raw codec error ("surrogates
    not allowed") instead of naming its photo."""
    src = tmp_path / "vendor"
    for folder, suffix in (("images", b".jpg"), ("masks", b".png")):
        (src / folder).mkdir(parents=True)
        Path(os.fsdecode(os.path.join(os.fsencode(src / folder), b"caf\xe9" + suffix))).write_bytes(b"not a photo")
    summary = import_source(project, src, "plain", "garment")
    problems = [problem for _, problem in summary.errors]
    assert len(problems) == 2 and "could not be added" in problems[1], problems
