"""The main window comes back where the operator left it, on whatever screen there is now."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QDockWidget, QMainWindow, QStyle

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.main_window import MainWindow
from fashion_annotator.ui.preferences import Preferences, settings_file
from fashion_annotator.ui.screen_fit import fit_to_area
from fashion_annotator.ui.testing import copy_project, open_window


class _NotFramedYet(QMainWindow):
    """A window made before the window manager framed it (X11: the main window a floating panel
    belongs to): its frame is not known yet."""

    def frameGeometry(self) -> QRect:  # noqa: N802 - Qt override
        return self.geometry()


def test_a_window_made_before_it_is_framed_keeps_room_for_its_title_bar(qtbot):
    """A main window restored with a floating Labels panel is made before it shows: moved to
    the screen's top, its content went there and its title bar above the screen (openbox,
    1280x720; saved there, at every start): it could not be dragged."""
    window = _NotFramedYet()
    qtbot.addWidget(window)
    window.setGeometry(1, 25, 1278, 694)  # where Qt put the window saved on a 1600x1000 screen
    window.winId()
    area = QRect(0, 0, 1280, 720)
    fit_to_area(window, area)
    title_bar = window.style().pixelMetric(QStyle.PixelMetric.PM_TitleBarHeight)
    content = window.geometry()
    assert content.y() >= area.y() + title_bar, "no room above the window for its title bar"
    assert area.contains(content), "the window's content is off the screen"


def _window(qtbot, root: Path, settings: Path) -> MainWindow:
    window = MainWindow(Project.open(root), Preferences(settings_file(settings)))
    qtbot.addWidget(window)
    return window


def test_a_window_saved_at_the_right_of_a_wider_screen_opens_on_this_one(qtbot, template, tmp_path):
    """Saved at x=1500 with the Labels panel floating, reopened on a smaller screen: the window
    and the panel are on it."""
    root = copy_project(template, tmp_path / "project")
    settings = tmp_path / "settings.ini"
    first = _window(qtbot, root, settings)
    first.palette_dock.setFloating(True)
    first.move(1500, 40)
    first.palette_dock.move(1500, 700)
    first.prefs.set_window_state(first.saveGeometry(), first.saveState())
    first.prefs.sync()
    first.project.close()
    again = _window(qtbot, root, settings)
    try:
        area = again.screen().availableGeometry()
        assert again.palette_dock.isFloating()
        assert area.contains(again.frameGeometry()), "the window is off the screen"
        assert area.intersects(again.palette_dock.frameGeometry()), "the Labels panel is off the screen"
    finally:
        again.project.close()


def test_a_panel_left_floating_is_raised_above_the_window_at_start(qtbot, template, tmp_path, answers, monkeypatch):
    """The Labels panel left floating was shown before the main window at the next start, and
    under it (openbox): no Labels panel anywhere, though View > Panels > Labels was checked."""
    root = copy_project(template, tmp_path / "project")
    settings = tmp_path / "settings.ini"
    first = _window(qtbot, root, settings)
    first.palette_dock.setFloating(True)
    first.prefs.set_window_state(first.saveGeometry(), first.saveState())
    first.prefs.sync()
    first.project.close()
    raised: list[str] = []
    monkeypatch.setattr(QDockWidget, "raise_", lambda dock: raised.append(dock.objectName()))
    window, project = open_window(qtbot, root, settings, answers)
    try:
        assert window.palette_dock.isFloating() and window.palette_dock.isVisible()
        assert raised == [window.palette_dock.objectName()]
    finally:
        window.close()
        project.close()
