"""How a File job (a folder's photos, Add photos, an export) ends: its totals in the status
bar, refused files and notes behind the status bar's Details button (its box's icon says whether
something went wrong), a box at once only for a job that stopped. A box for every job stood in
front of the photo at a folder's first opening ("22 photos added": one more click, a hand test).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from fashion_annotator.ui import app
from fashion_annotator.ui.preferences import Preferences, settings_file

INFORMATION, WARNING = QMessageBox.Icon.Information, QMessageBox.Icon.Warning


def _boxes(window) -> list[QMessageBox]:
    return [b for b in window.findChildren(QMessageBox) if b.isVisible()]


def _summary_box(qtbot, window) -> QMessageBox:
    """The summary box the window shows (at once, or from the Details button)."""
    qtbot.waitUntil(lambda: len(_boxes(window)) == 1, timeout=30000)
    (box,) = _boxes(window)
    assert not box.isModal(), "a summary waits for no answer"
    return box


def _said(qtbot, window, start: str) -> str:
    """The status bar's line once the File job's summary says ``start``."""
    qtbot.waitUntil(lambda: window.status.currentMessage().startswith(start), timeout=30000)
    return window.status.currentMessage()


def _details(qtbot, window) -> QMessageBox:
    """Click the status bar's Details button: the job's whole summary in a box."""
    button = window.status.details_button
    assert button.isVisible() and not _boxes(window)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not button.isVisible(), "the summary is shown: the button goes"
    return _summary_box(qtbot, window)


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


def test_a_folder_whose_photos_all_come_in_says_so_in_the_status_bar_only(qtbot, tmp_path, ccp_dir):
    window, project = _open_folder(qtbot, _folder(tmp_path, ccp_dir, ("0001", "0002")), tmp_path / "s.ini")
    try:
        _said(qtbot, window, "Add photos: 2 photos added, 0 already present, 0 files refused")
        assert window.files.wait(30000)
        qtbot.waitUntil(lambda: window.session.current is not None, timeout=30000)
        assert not _boxes(window), "nothing to answer or read: no box"
        assert not window.status.details_button.isVisible(), "nothing more to read"
    finally:
        window.close()
        project.close()


def test_a_folder_with_a_refused_and_a_duplicate_photo_keeps_them_behind_details(qtbot, tmp_path, ccp_dir):
    photos = _folder(tmp_path, ccp_dir, ("0001", "0002"))
    shutil.copy(photos / "0001.jpg", photos / "0001 again.jpg")
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    window, project = _open_folder(qtbot, photos, tmp_path / "s.ini")
    try:
        assert "1 file refused" in _said(qtbot, window, "Add photos: ")
        assert not _boxes(window)
        box = _details(qtbot, window)
        assert "1 file refused" in box.text()
        assert "broken.jpg" in box.detailedText() and "not added again" in box.detailedText()
        assert box.icon() == WARNING
    finally:
        window.close()
        project.close()


def test_added_photos_with_only_a_note_and_a_stopped_job_get_their_icons(qtbot, opened, tmp_path, ccp_dir):
    """A photo with transparency is added (a note to read, not a problem); a job that stopped
    with an error is a problem though its summary is one line: shown in a box at once."""
    window, _ = opened
    cutout = tmp_path / "cutout.png"
    rgba = np.zeros((64, 48, 4), np.uint8)
    rgba[8:56, 8:40] = (200, 30, 60, 255)
    Image.fromarray(rgba, "RGBA").save(cutout)
    window.files.add_photos([cutout])
    _said(qtbot, window, "Add photos: 1 photo added")
    box = _details(qtbot, window)
    assert box.text().startswith("1 photo added") and "with transparency" in box.detailedText()
    assert box.icon() == INFORMATION
    box.close()

    def defect(project, progress) -> list[str]:
        raise KeyError("done")

    window.files.start("Export plain", defect)
    box = _summary_box(qtbot, window)
    assert box.text().startswith("Stopped by an unexpected error")
    assert box.icon() == WARNING
    assert not window.status.details_button.isVisible()


def test_the_details_button_fits_a_window_as_narrow_as_a_150_percent_1280x720_screen(qtbot, opened, tmp_path):
    window, _ = opened
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    window.files.add_photos([broken])
    assert "1 file refused" in _said(qtbot, window, "Add photos: ")
    assert window.status.details_button.isVisible()
    window.tabs.setCurrentIndex(1)  # Review: no panels beside it, the status bar is the widest
    window.resize(853, 480)
    qtbot.waitUntil(lambda: window.width() == 853)
    qtbot.wait(50)
    assert window.width() == 853 and window.minimumSizeHint().width() <= 853


def test_a_job_started_as_the_last_ones_summary_arrives_is_not_refused_as_still_busy(qtbot, opened):
    """A job's summary reaches the window while its thread is still ending; a job started then
    (the next File action, or a test's next step) was refused as "Still busy" with the job that
    had just told its end (a test of the File menu timed out on it under load)."""
    window, _ = opened
    files = window.files
    first = files.start("Export plain", lambda project, progress: [])
    assert first is not None
    qtbot.waitUntil(lambda: not window.status.is_busy, timeout=30000)
    first.wait(30000)
    first.isRunning = lambda: True  # the thread still ending, as the summary arrives
    second = files.start("Export yolo", lambda project, progress: [])
    assert second is not None and second is not first, window.status.currentMessage()
    assert second.wait(30000)
    qtbot.waitUntil(lambda: not window.status.is_busy, timeout=30000)
