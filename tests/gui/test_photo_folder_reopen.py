"""Reopening a folder of photos in the window (``fashion-annotator PHOTOS``): photos dropped in
or renamed since are picked up in the background, a gone one is named with a hint (a hand test:
``renamed.jpg`` never appeared, ``0022.jpg`` said only "file does not exist"); a read-only
folder says where a project can go instead."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from fashion_annotator.ui import app


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
