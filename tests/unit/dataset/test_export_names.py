"""A renamed stem an export wrote (``look-1``) is read back only through the export's own
list of renamed photos (``export_names.json``: the photo's name and sha256), never as an image
id of whichever project imports it: a mask never lands on another photo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.formats.names import EXPORT_NAMES
from fashion_annotator.dataset.store import Project

H, W = 24, 32

#: Where each format's export keeps its photos (removed: a vendor sends annotations only).
PHOTO_DIRS = {"plain": "images", "coco": "images", "cvat": "images", "voc": "JPEGImages",
              "labelstudio": "images", "yolo": "images", "labelme": ""}  # fmt: skip


def _mask(seed: int) -> np.ndarray:
    """A mask that tells photo ``seed``'s apart from the others'."""
    mask = np.zeros((H, W), np.uint8)
    mask[seed : seed + 4, 2 * seed : 2 * seed + 5] = 1
    return mask


def _shoot(tmp_path: Path, write_photo, names: tuple[str, ...]) -> dict[str, Path]:
    """One distinct photo per name, by name."""
    return {name: write_photo(tmp_path / "shoot" / name, (H, W), seed=n) for n, name in enumerate(names, 1)}


def _project(root: Path, photos: list[Path]) -> Project:
    """A project holding ``photos``, added in this order (their ids follow it)."""
    project = Project.create(root, tasks=("garment",))
    for path in photos:
        project.add_image(path)
    return project


def _drop_photos(out: Path, fmt: str) -> None:
    """What a vendor sends back: the annotations only."""
    if PHOTO_DIRS[fmt]:
        shutil.rmtree(out / PHOTO_DIRS[fmt])
        return
    for path in out.iterdir():
        if path.suffix.lower() in {".jpg", ".png"}:
            path.unlink()


def _export(tmp_path: Path, photos: dict[str, Path], fmt: str) -> Path:
    """Export a project holding ``photos`` (in this order), each with the mask of its seed;
    the photos are left out of the export."""
    with _project(tmp_path / "a", list(photos.values())) as a:
        for record in a.images():
            a.save_mask(record.id, "garment", _mask(list(photos).index(record.name) + 1), status="done")
        summary = export_project(a, tmp_path / "out", fmt, "garment")
        assert summary.renamed, "the test needs an export that renamed photos"
    _drop_photos(tmp_path / "out", fmt)
    return tmp_path / "out"


@pytest.mark.parametrize("fmt", list(PHOTO_DIRS))
def test_an_export_read_by_a_project_whose_ids_differ_puts_each_mask_on_its_own_photo(
    tmp_path: Path, write_photo, fmt: str
) -> None:
    """Project A exports look.png (id 1) and look.jpg (id 2) as ``look-1`` and ``look-2``;
    project B added them the other way round: each mask landed on the other photo, "2 masks
    saved"."""
    photos = _shoot(tmp_path, write_photo, ("look.png", "look.jpg"))
    out = _export(tmp_path, photos, fmt)
    assert (out / EXPORT_NAMES).is_file()
    with _project(tmp_path / "b", [photos["look.jpg"], photos["look.png"]]) as b:
        summary = import_source(b, out, fmt, "garment")
        assert summary.errors == [] and summary.masks == 2
        for record in b.images():
            assert np.array_equal(b.load_mask(record.id, "garment"), _mask(list(photos).index(record.name) + 1))


@pytest.mark.parametrize("fmt", list(PHOTO_DIRS))
def test_a_renamed_stem_without_the_exports_list_is_refused_never_read_as_an_id(
    tmp_path: Path, write_photo, fmt: str
) -> None:
    """A vendor that drops ``export_names.json``: ``look-1`` is only ever the photo named
    ``look-1``; there is none, so both masks are refused, naming their files."""
    photos = _shoot(tmp_path, write_photo, ("look.png", "look.jpg"))
    out = _export(tmp_path, photos, fmt)
    (out / EXPORT_NAMES).unlink()
    with _project(tmp_path / "b", list(photos.values())) as b:
        summary = import_source(b, out, fmt, "garment")
        assert summary.masks == 0 and len(summary.errors) == 2
        assert all("no photo named 'look-" in problem for _, problem in summary.errors), summary.errors
        assert all(b.load_mask(r.id, "garment") is None for r in b.images())


def test_a_renamed_photo_missing_from_the_project_is_refused_naming_the_file(
    tmp_path: Path, write_photo
) -> None:
    """The export's list names a photo the importing project lacks: its mask is refused, even
    though the project has an image of that id named ``look``."""
    photos = _shoot(tmp_path, write_photo, ("look.png", "look.jpg"))
    out = _export(tmp_path, photos, "plain")
    other = write_photo(tmp_path / "elsewhere" / "look.png", (H, W), seed=9)
    with _project(tmp_path / "b", [other, photos["look.jpg"]]) as b:
        summary = import_source(b, out, "plain", "garment")
        assert summary.masks == 1
        ((where, problem),) = summary.errors
        assert where.endswith("look-1.png") and "look.png" in problem and "not in the project" in problem
        (wrong,) = [r for r in b.images() if r.sha256 != b.images()[1].sha256]
        assert b.load_mask(wrong.id, "garment") is None


def test_a_photos_own_name_and_a_renamed_stem_that_mean_two_photos_are_refused(
    tmp_path: Path, write_photo
) -> None:
    """The importing project has a photo named ``look-1.png`` of its own while the export's
    list says ``look-1`` is the photo ``look.png``: never guessed between, refused."""
    photos = _shoot(tmp_path, write_photo, ("look.png", "look.jpg"))
    out = _export(tmp_path, photos, "plain")
    own = write_photo(tmp_path / "mine" / "look-1.png", (H, W), seed=7)
    with _project(tmp_path / "b", [*photos.values(), own]) as b:
        summary = import_source(b, out, "plain", "garment")
        assert summary.masks == 1
        ((where, problem),) = summary.errors
        assert where.endswith("look-1.png") and "look-1.png" in problem and "look.png" in problem
        assert all(b.load_mask(r.id, "garment") is None for r in b.images() if r.name != "look.jpg")


def test_the_exports_list_names_each_renamed_photo_by_name_and_content(tmp_path: Path, write_photo) -> None:
    """``export_names.json`` lists each renamed stem with the photo's name and sha256, and an
    export that renamed nothing writes none."""
    photos = _shoot(tmp_path, write_photo, ("look.png", "look.jpg"))
    out = _export(tmp_path, photos, "plain")
    with Project.open(tmp_path / "a") as a:
        want = {f"look-{r.id}": {"name": r.name, "sha256": r.sha256} for r in a.images()}
        assert json.loads((out / EXPORT_NAMES).read_text(encoding="utf-8"))["renamed"] == want
        a.set_status(a.images()[0].id, "new")
        export_project(a, tmp_path / "one", "plain", "garment", statuses=("done",))
    assert not (tmp_path / "one" / EXPORT_NAMES).exists()


def test_renamed_cutouts_go_back_onto_their_photos_not_in_as_new_ones(tmp_path: Path, write_photo) -> None:
    """Cutouts ``look-1.png`` and ``look-2.png`` of an export were added as new photos of that
    name; the export's list gives each its own photo."""
    photos = _shoot(tmp_path, write_photo, ("look.png", "look.jpg"))
    with _project(tmp_path / "a", list(photos.values())) as a:
        for record in a.images():
            a.save_mask(record.id, "garment", _mask(list(photos).index(record.name) + 1), status="done")
        export_project(a, tmp_path / "out", "cutout", "garment")
    with _project(tmp_path / "b", [photos["look.jpg"], photos["look.png"]]) as b:
        summary = import_source(b, tmp_path / "out", "alpha", "garment")
        assert summary.errors == [] and summary.skipped == [] and summary.added == 0 and summary.masks == 2
        for record in b.images():
            assert np.array_equal(b.load_mask(record.id, "garment"), _mask(list(photos).index(record.name) + 1))
