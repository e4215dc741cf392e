"""A photo folder's project kept in step with its folder at each open: new photos added, a
renamed photo found again by its content with its masks, a missing one named (a hand test: a
renamed photo never appeared and the old name said only "file does not exist")."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.annotate.session import load_document
from fashion_annotator.dataset import photo_folder
from fashion_annotator.dataset.formats.photos import add_photos
from fashion_annotator.dataset.photo_folder import (
    LEFT_OUT_NAME,
    is_photo_folder_project,
    sync_photo_folder,
)
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import Project


def _photo_folder(tmp_path: Path, ccp_dir: Path, stems: tuple[str, ...]) -> tuple[Path, Project]:
    """A folder of photos and its project as the window makes it (photos referenced in place)."""
    photos = tmp_path / "shoot"
    photos.mkdir()
    for stem in stems:
        shutil.copy(ccp_dir / "images" / f"{stem}.jpg", photos / f"{stem}.jpg")
    project = Project.create(photos / "annotations")
    add_photos(project, sorted(photos.glob("*.jpg")), copy=False)
    return photos, project


def _by_file(project: Project) -> dict[str, int]:
    return {Path(r.name).name: r.id for r in project.images()}


def test_reopen_adds_new_photos_relinks_a_renamed_one_and_names_a_missing_one(tmp_path, ccp_dir):
    photos, project = _photo_folder(tmp_path, ccp_dir, ("0001", "0002", "0003"))
    with project:
        ids = _by_file(project)
        record = project.image(ids["0002.jpg"])
        mask = np.zeros((record.height, record.width), np.uint8)
        mask[10:40, 20:60] = 1
        project.save_mask(ids["0002.jpg"], "garment", mask)
        assert is_photo_folder_project(project)
    (photos / "0002.jpg").rename(photos / "renamed.jpg")
    (photos / "0003.jpg").unlink()
    for stem in ("0004", "0005"):
        shutil.copy(ccp_dir / "images" / f"{stem}.jpg", photos / f"{stem}.jpg")

    with Project.open(photos / "annotations") as project:
        result = sync_photo_folder(project)
        assert result.added == ["0004.jpg", "0005.jpg"]
        assert result.relinked == [("0002.jpg", "renamed.jpg")]
        assert result.missing == ["0003.jpg"]
        assert result.lines() == [
            "2 new photos added from the folder: 0004.jpg, 0005.jpg; 1 photo found under a new name; "
            "1 photo not in the folder any more",
            "renamed.jpg: found again under this name (was 0002.jpg); its masks are kept",
            "0003.jpg: not in the folder any more (moved or deleted?); its masks are kept",
        ]
        now = _by_file(project)
        assert now["renamed.jpg"] == ids["0002.jpg"] and "0002.jpg" not in now  # the same image
        assert project.image(now["renamed.jpg"]).path == (photos / "renamed.jpg").resolve()
        saved = project.load_mask(now["renamed.jpg"], "garment")
        assert saved is not None and np.array_equal(saved, mask)
        assert len(project.images()) == 5 and now["0003.jpg"] == ids["0003.jpg"]
        # the missing photo, opened, says where it went and that its masks are kept
        with pytest.raises(ProjectError, match=r"0003.jpg: not in the folder any more \(moved or deleted\?\)"):
            load_document(project, ids["0003.jpg"])
        again = sync_photo_folder(project)  # nothing new: only the missing photo is said again
        assert again.added == [] and again.relinked == []
        assert again.lines() == [
            "1 photo not in the folder any more",
            "0003.jpg: not in the folder any more (moved or deleted?); its masks are kept",
        ]


def test_a_refused_file_is_said_once_and_tried_again_once_changed(tmp_path, ccp_dir):
    photos, project = _photo_folder(tmp_path, ccp_dir, ("0001",))
    with project:
        (photos / "broken.jpg").write_bytes(b"not a jpeg")
        first = sync_photo_folder(project)
        assert first.went_wrong and first.lines()[0] == "1 new file not added"
        assert first.lines()[1].startswith("broken.jpg: ")
        assert (project.root / LEFT_OUT_NAME).is_file()
        assert sync_photo_folder(project).lines() == []  # unchanged: not read, not said again
        shutil.copy(ccp_dir / "images" / "0002.jpg", photos / "broken.jpg")  # fixed by the studio
        fixed = sync_photo_folder(project)
        assert fixed.added == ["broken.jpg"] and not fixed.went_wrong


def test_a_project_of_copied_photos_named_annotations_is_not_a_photo_folder(tmp_path, ccp_dir):
    photos = tmp_path / "shoot"
    photos.mkdir()
    shutil.copy(ccp_dir / "images" / "0001.jpg", photos / "0001.jpg")
    with Project.create(tmp_path / "elsewhere" / "annotations") as project:
        add_photos(project, [photos / "0001.jpg"], copy=True)
        assert not is_photo_folder_project(project)


def test_the_sync_command_does_what_an_open_of_the_window_does(tmp_path, ccp_dir, capsys):
    from fashion_annotator.cli import main

    photos, project = _photo_folder(tmp_path, ccp_dir, ("0001", "0002"))
    project.close()
    (photos / "0002.jpg").rename(photos / "renamed.jpg")
    shutil.copy(ccp_dir / "images" / "0003.jpg", photos / "0003.jpg")
    assert main(["sync", str(photos)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("1 new photo added from the folder: 0003.jpg; 1 photo found under a new name")
    assert "renamed.jpg: found again under this name (was 0002.jpg); its masks are kept" in err
    with Project.open(photos / "annotations") as again:
        assert {Path(r.name).name for r in again.images()} == {"0001.jpg", "renamed.jpg", "0003.jpg"}
    assert main(["sync", str(photos / "annotations")]) == 0
    assert capsys.readouterr().out.startswith("no new, renamed or missing photos")
    with Project.create(tmp_path / "copied") as copied:
        add_photos(copied, [photos / "0001.jpg"], copy=True)
    assert main(["sync", str(tmp_path / "copied")]) == 1
    assert "not the project of a folder of photos" in capsys.readouterr().err


def _png(path: Path, size: tuple[int, int], seed: int) -> Path:
    """A photo of ``size`` (width, height) with random pixels (no two seeds alike)."""
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), np.uint8)).save(path)
    return path


def _referenced(tmp_path: Path, names: tuple[str, ...]) -> tuple[Path, Project]:
    photos = tmp_path / "shoot"
    photos.mkdir()
    files = [_png(photos / name, (64, 48), seed) for seed, name in enumerate(names)]
    project = Project.create(photos / "annotations")
    add_photos(project, files, copy=False)
    return photos, project


def test_a_copy_left_out_as_a_duplicate_takes_the_place_of_its_deleted_original(tmp_path, capsys):
    """A photo copied (b.png: refused as the same photo as a.png, remembered as left out), then
    its original deleted: b.png is a.png found under a new name, masks and all, in the window's
    check and the sync command alike (it used to say "a.png: not in the folder any more" at every
    open, though the missing photo's hint promised it would be found under a new name)."""
    from fashion_annotator.cli import main

    photos, project = _referenced(tmp_path, ("a.png", "c.png"))
    with project:
        a_id = _by_file(project)["a.png"]
        mask = np.zeros((48, 64), np.uint8)
        mask[5:20, 10:30] = 1
        project.save_mask(a_id, "garment", mask)
        shutil.copy2(photos / "a.png", photos / "b.png")
        first = sync_photo_folder(project)
        assert first.lines() == ["1 new file not added", "b.png: the same photo as a.png, not added again"]
        assert "b.png" in json.loads((project.root / LEFT_OUT_NAME).read_text())
    (photos / "a.png").unlink()
    assert main(["sync", str(photos)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("1 photo found under a new name")
    assert "b.png: found again under this name (was a.png); its masks are kept" in err
    with Project.open(photos / "annotations") as project:
        assert _by_file(project) == {"b.png": a_id, "c.png": _by_file(project)["c.png"]}
        saved = project.load_mask(a_id, "garment")
        assert saved is not None and np.array_equal(saved, mask)
        assert "b.png" not in json.loads((project.root / LEFT_OUT_NAME).read_text())
        assert sync_photo_folder(project).lines() == [], "nothing left to say"


class _Stop(Exception):
    """What a job's progress callback raises once its Cancel was pressed."""


def test_the_rename_search_hashes_only_files_of_a_missing_photos_size_and_hears_cancel(tmp_path, monkeypatch):
    """While a photo is missing, each new file used to be read whole and hashed, with no
    progress call between files: closing the window (which cancels and waits) blocked until
    the whole folder was read. Now only a file whose pixel size is a missing photo's is hashed,
    and a cancel stops the search before the next file."""
    photos, project = _referenced(tmp_path, ("gone.png", "kept.png"))
    hashed: list[str] = []
    real = photo_folder._sha256
    monkeypatch.setattr(photo_folder, "_sha256", lambda path: hashed.append(path.name) or real(path))
    with project:
        (photos / "gone.png").rename(photos / "zz-renamed.png")
        for i in range(6):  # new shots of another size: never hashed
            _png(photos / f"other{i}.png", (40, 30), 100 + i)
        same = [_png(photos / f"same{i}.png", (48, 64), 200 + i).name for i in range(3)]  # turned
        result = sync_photo_folder(project)
        assert result.relinked == [("gone.png", "zz-renamed.png")]
        assert sorted(hashed) == sorted([*same, "zz-renamed.png"]), "only files of the missing photo's size"
        assert sorted(result.added) == sorted([*same, *(f"other{i}.png" for i in range(6))])

        (photos / "kept.png").unlink()
        for i in range(10):
            _png(photos / f"more{i}.png", (64, 48), 300 + i)
        hashed.clear()
        calls: list[tuple[int, int]] = []

        def progress(done: int, total: int) -> None:
            calls.append((done, total))
            if done == 3:
                raise _Stop

        with pytest.raises(_Stop):
            sync_photo_folder(project, progress)
        assert calls[-1] == (3, 10) and len(hashed) == 3, "no file is hashed after the cancel"
        assert not any(r.name.endswith("more3.png") for r in project.images())


def _latin1_file(folder: Path, src: Path) -> Path:
    """``folder/lat\\xe91.jpg``, a name that is not UTF-8 (skips where the file system refuses it)."""
    name = folder / os.fsdecode(b"lat\xe91.jpg")
    try:
        shutil.copy(src, name)
    except (OSError, UnicodeEncodeError) as exc:
        pytest.skip(f"this file system takes no name that is not UTF-8: {exc}")
    return name


def test_sync_lists_a_name_that_is_not_utf8_as_refused_only_and_once(tmp_path, ccp_dir, capsys):
    """A hand test: ``sync`` said "1 new photo added from the folder: lat\\ufffd1.jpg" for the
    file it refused in the same breath, and said it again at every sync (rc 3 each time)."""
    from fashion_annotator.cli import main

    photos, project = _photo_folder(tmp_path, ccp_dir, ("0001",))
    _latin1_file(photos, ccp_dir / "images" / "0002.jpg")
    with project:
        result = sync_photo_folder(project)
        assert result.added == [] and result.went_wrong
        lines = result.lines()
        assert lines[0] == "1 new file not added"
        assert lines[1].startswith("lat\\xe91.jpg: the file name is not valid UTF-8")
        assert len(project.images()) == 1
    assert main(["sync", str(photos)]) == 0  # remembered: not tried again until it changes
    assert capsys.readouterr().out.startswith("no new, renamed or missing photos")


def test_the_sync_command_ends_a_stopped_adding(tmp_path, ccp_dir, capsys):
    """A hand test: ``sync`` left a stopped window's ``adding-photos`` marker behind, so the
    next open took the folder for one whose photos were still being added."""
    from fashion_annotator.cli import main

    photos, project = _photo_folder(tmp_path, ccp_dir, ("0001", "0002"))
    (project.root / "adding-photos").touch()  # a window closed while it added the photos
    project.close()
    shutil.copy(ccp_dir / "images" / "0003.jpg", photos / "0003.jpg")
    assert main(["sync", str(photos)]) == 0
    assert capsys.readouterr().out.startswith("1 new photo added from the folder: 0003.jpg")
    assert not (photos / "annotations" / "adding-photos").exists()


def test_the_sync_command_names_a_photo_replaced_in_place(tmp_path, ccp_dir, capsys):
    """A hand test: ``sync`` never said that a photo had been replaced under its name (other
    content), a photo the window then refused to show."""
    from fashion_annotator.cli import main

    photos, project = _photo_folder(tmp_path, ccp_dir, ("0001", "0002"))
    project.close()
    shutil.copy(ccp_dir / "images" / "0004.jpg", photos / "0002.jpg")
    assert main(["sync", str(photos)]) == 3
    out, err = capsys.readouterr()
    assert out.strip() == "1 photo changed in place"
    assert err.startswith("0002.jpg: the file changed since it was added (other content under the same name)")
    assert "put the earlier file back, or give this one another name" in err
    shutil.copy(ccp_dir / "images" / "0002.jpg", photos / "0002.jpg")  # the earlier file put back
    assert main(["sync", str(photos)]) == 0
