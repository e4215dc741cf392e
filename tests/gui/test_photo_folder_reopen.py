"""Reopening a folder of photos in the window (``fashion-annotator PHOTOS``): photos dropped in
or renamed since are picked up in the background, a gone one is named with a hint (a hand test:
``renamed.jpg`` never appeared, ``0022.jpg`` said only "file does not exist"); a read-only
folder says where a project can go instead."""

from __future__ import annotations

import errno
import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from fashion_annotator.dataset import photo_folder
from fashion_annotator.dataset.store import Project
from fashion_annotator.ui import app
from fashion_annotator.ui.file_jobs import FileJob
from fashion_annotator.ui.preferences import Preferences, settings_file


def test_reopened_folder_adds_new_photos_and_finds_a_renamed_one_with_its_masks(qtbot, tmp_path, ccp_dir):
    photos = tmp_path / "photos3"
    photos.mkdir()
    for stem in ("0001", "0002", "0003"):
        shutil.copy(ccp_dir / "images" / f"{stem}.jpg", photos / f"{stem}.jpg")
    project, problems = app.open_or_create(photos)
    with project:
        ids = {Path(r.name).name: r.id for r in project.images()}
        record = project.image(ids["0002.jpg"])
        mask = np.zeros((record.height, record.width), np.uint8)
        mask[5:30, 5:30] = 1
        project.save_mask(ids["0002.jpg"], "garment", mask)
    (photos / "0002.jpg").rename(photos / "renamed.jpg")
    (photos / "0003.jpg").unlink()
    shutil.copy(ccp_dir / "images" / "0004.jpg", photos / "0004.jpg")

    project, problems, pending = app._for_window(photos)
    window = app.WindowSwitcher(Preferences(settings_file(tmp_path / "s.ini"))).show(project, problems, pending)
    qtbot.addWidget(window)
    try:
        qtbot.waitUntil(lambda: bool(window.files.summaries), timeout=30000)
        title, lines = window.files.summaries[-1]
        assert title == "Photo folder"
        assert lines[0].startswith("1 new photo added from the folder: 0004.jpg")
        assert "renamed.jpg: found again under this name (was 0002.jpg); its masks are kept" in lines
        assert "0003.jpg: not in the folder any more (moved or deleted?); its masks are kept" in lines
        assert window.status.currentMessage().startswith("Photo folder: 1 new photo added from the folder")
        assert not [b for b in window.findChildren(QMessageBox) if b.isVisible()], "said in the status bar"
        names = {window.display_name(r) for r in window.queue.model.records()}
        assert names == {"0001.jpg", "renamed.jpg", "0003.jpg", "0004.jpg"}
        saved = project.load_mask(ids["0002.jpg"], "garment")
        assert saved is not None and np.array_equal(saved, mask)
        assert not window.open_image(ids["0003.jpg"])
        assert "0003.jpg: not in the folder any more (moved or deleted?)" in window.status.currentMessage()
    finally:
        window.close()
        project.close()


def test_a_read_only_photo_folder_says_where_a_project_can_go(tmp_path, ccp_dir, monkeypatch, qtbot):
    """A mounted card or a share without write permission: the project cannot be made in it.
    (The folder is made read-only by refusing the project folder's creation as a read-only
    file system does: tests may run as root, whom permissions do not stop.)"""
    photos = tmp_path / "card"
    photos.mkdir()
    shutil.copy(ccp_dir / "images" / "0001.jpg", photos / "0001.jpg")
    real_mkdir = Path.mkdir

    def read_only(self: Path, *args, **kwargs) -> None:
        if self.is_relative_to(photos):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    said = []
    monkeypatch.setattr(app.QMessageBox, "critical", lambda *a: said.append(a[2]))
    assert app.run_gui(str(photos)) == 1
    assert len(said) == 1 and "cannot create the project: Read-only file system" in said[0]
    assert "Use File > New project from folder to make a project elsewhere that copies these photos" in said[0]
    assert f"fashion-annotator new PROJECT --images {photos}" in said[0]
    assert not (photos / "annotations").exists()


def test_a_project_of_copied_photos_is_not_checked_against_a_folder(tmp_path, ccp_dir):
    photos = tmp_path / "shoot"
    photos.mkdir()
    shutil.copy(ccp_dir / "images" / "0001.jpg", photos / "0001.jpg")
    made = app.new_project(photos, tmp_path / "copied")
    app.add_photos(made, [photos / "0001.jpg"])
    made.close()
    shutil.copy(ccp_dir / "images" / "0002.jpg", photos / "0002.jpg")
    project, pending = app.open_or_start(tmp_path / "copied")
    with project:
        assert pending is None and len(project.images()) == 1
    assert isinstance(project, Project)


def test_closing_the_window_while_the_check_looks_for_a_missing_photo_stops_it_at_once(
    qtbot, tmp_path, monkeypatch
):
    """While a photo was missing, the folder check read and hashed every new file with no
    progress call between them: closing the window (which cancels the job and waits for it)
    waited until the whole folder was read. Now it stops before the next file."""
    photos = tmp_path / "shoot"
    photos.mkdir()
    rng = np.random.default_rng(0)

    def photo(name: str) -> None:
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), np.uint8)).save(photos / name)

    photo("gone.png")
    photo("kept.png")
    project, _ = app.open_or_create(photos)
    project.close()
    (photos / "gone.png").unlink()
    for i in range(12):  # new shots of the missing photo's size: each one a candidate
        photo(f"new{i:02d}.png")
    hashed: list[str] = []
    cancelled = threading.Event()
    real_sha, real_cancel = photo_folder._sha256, FileJob.cancel

    def cancel(job: FileJob) -> None:
        real_cancel(job)
        cancelled.set()

    def sha_until_cancelled(path: Path) -> str | None:
        hashed.append(path.name)
        cancelled.wait(30)  # the first file is in hand when the window closes
        return real_sha(path)

    monkeypatch.setattr(FileJob, "cancel", cancel)
    monkeypatch.setattr(photo_folder, "_sha256", sha_until_cancelled)
    project, problems, pending = app._for_window(photos)
    window = app.WindowSwitcher(Preferences(settings_file(tmp_path / "s.ini"))).show(project, problems, pending)
    qtbot.addWidget(window)
    try:
        qtbot.waitUntil(lambda: bool(hashed), timeout=30000)
        started = time.monotonic()
        window.close()  # cancels the job and waits for it
        assert time.monotonic() - started < 20
        assert cancelled.is_set() and hashed == ["new00.png"], "no file is read after the cancel"
    finally:
        window.close()
        project.close()
    with Project.open(photos / "annotations") as again:
        assert {Path(r.name).name for r in again.images()} == {"gone.png", "kept.png"}
