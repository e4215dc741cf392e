"""The box that ends a File job (a folder's photos, Add photos, an export): its icon says
whether something went wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from fashion_annotator.ui import app
from fashion_annotator.ui.preferences import Preferences, settings_file

INFORMATION, WARNING = QMessageBox.Icon.Information, QMessageBox.Icon.Warning


def _summary_box(qtbot, window) -> QMessageBox:
    """The summary box the window shows when its File job ends."""

    def shown() -> list[QMessageBox]:
        return [b for b in window.findChildren(QMessageBox) if b.isVisible()]

    qtbot.waitUntil(lambda: len(shown()) == 1, timeout=30000)
    return shown()[0]


def _open_folder(qtbot, folder: Path, settings: Path):
    """Open ``folder`` as the application does (``fashion-annotator FOLDER``): its photos are
    added in the background once the window shows."""
    project, problems, pending = app._for_window(folder)
    window = app.WindowSwitcher(Preferences(settings_file(settings))).show(project, problems, pending)
    qtbot.addWidget(window)
    return window, project


def _folder(tmp_path: Path, ccp_dir: Path, stems: tuple[str, ...]) -> Path:
    photos = tmp_path / "shoot"
    photos.mkdir()
    for stem in stems:
        shutil.copy(ccp_dir / "images" / f"{stem}.jpg", photos / f"{stem}.jpg")
    return photos


def test_a_folder_whose_photos_all_come_in_ends_in_an_information_box(qtbot, tmp_path, ccp_dir):
    window, project = _open_folder(qtbot, _folder(tmp_path, ccp_dir, ("0001", "0002")), tmp_path / "s.ini")
    try:
        box = _summary_box(qtbot, window)
        assert box.text().startswith("2 photos added, 0 already present, 0 files refused")
        assert box.icon() == INFORMATION, "nothing went wrong: no warning"
    finally:
        window.close()
        project.close()


def test_a_folder_with_a_refused_and_a_duplicate_photo_ends_in_a_warning(qtbot, tmp_path, ccp_dir):
    photos = _folder(tmp_path, ccp_dir, ("0001", "0002"))
    shutil.copy(photos / "0001.jpg", photos / "0001 again.jpg")
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    window, project = _open_folder(qtbot, photos, tmp_path / "s.ini")
    try:
        box = _summary_box(qtbot, window)
        assert "1 file refused" in box.text()
        assert "broken.jpg" in box.detailedText() and "not added again" in box.detailedText()
        assert box.icon() == WARNING
    finally:
        window.close()
        project.close()


def test_added_photos_with_only_a_note_and_a_stopped_job_get_their_icons(qtbot, opened, tmp_path, ccp_dir):
    """A photo with transparency is added (a note to read, not a problem); a job that stopped
    with an error is a problem though its summary is one line."""
    window, _ = opened
    cutout = tmp_path / "cutout.png"
    rgba = np.zeros((64, 48, 4), np.uint8)
    rgba[8:56, 8:40] = (200, 30, 60, 255)
    Image.fromarray(rgba, "RGBA").save(cutout)
    window.files.add_photos([cutout])
    box = _summary_box(qtbot, window)
    assert box.text().startswith("1 photo added") and "with transparency" in box.detailedText()
    assert box.icon() == INFORMATION
    box.close()

    def defect(project, progress) -> list[str]:
        raise KeyError("done")

    window.files.start("Export plain", defect)
    box = _summary_box(qtbot, window)
    assert box.text().startswith("Stopped by an unexpected error")
    assert box.icon() == WARNING
