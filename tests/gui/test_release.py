"""Release plumbing in the GUI: Help > About, the crash dialog, app icon, per-user folders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QApplication, QMessageBox

from fashion_annotator import __version__
from fashion_annotator.runtime import logs
from fashion_annotator.runtime.paths import app_data_dir
from fashion_annotator.ui import app
from fashion_annotator.ui.crash import TITLE, install_crash_dialog
from fashion_annotator.ui.testing import Answers, copy_project, make_template, open_window


@pytest.fixture(scope="module")
def template(tmp_path_factory, ccp_dir) -> Path:
    return make_template(tmp_path_factory.mktemp("release_project"), ccp_dir)


def _boxes(name: str) -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == name and w.isVisible()]  # fmt: skip


def test_help_about_names_version_and_log_file(qtbot, template, tmp_path, monkeypatch):
    monkeypatch.setenv("FA_LOG_DIR", str(tmp_path / "logs"))
    where = logs.setup_logging()
    root = copy_project(template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", Answers())
    try:
        menus = {action.text(): action.menu() for action in window.menuBar().actions()}
        help_menu = menus["&Help"]
        about = window.actions_by_name["about"]
        assert about in help_menu.actions()
        about.trigger()
        qtbot.waitUntil(lambda: bool(_boxes("about_dialog")))
        text = _boxes("about_dialog")[0].text()
        assert f"Fashion Annotator {__version__}" in text and f"Log file: {where}" in text
        _boxes("about_dialog")[0].close()
        # a first-time user's guide (found in a new user's walk-through: nothing said what to do)
        started = window.actions_by_name["getting_started"]
        assert help_menu.actions()[0] is started
        started.trigger()
        qtbot.waitUntil(lambda: bool(_boxes("getting_started_dialog")))
        text = _boxes("getting_started_dialog")[0].text()
        assert "Ctrl+Enter accepts" in text and "sample-project" in text
        _boxes("getting_started_dialog")[0].close()
    finally:
        window.close()
        project.close()
        logs.teardown_logging()


def test_uncaught_exception_is_logged_and_a_dialog_says_where(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    monkeypatch.setenv("FA_LOG_DIR", str(tmp_path / "logs"))
    where = logs.setup_logging()
    try:
        install_crash_dialog()
        try:
            raise RuntimeError("mask store went away")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
        qtbot.waitUntil(lambda: bool(_boxes("crash_dialog")))
        box = _boxes("crash_dialog")[0]
        assert box.windowTitle() == TITLE
        assert "RuntimeError: mask store went away" in box.text() and str(where) in box.text()
        box.close()
        assert "RuntimeError: mask store went away" in where.read_text()
    finally:
        logs.teardown_logging()


def test_app_identity_icon_and_data_folder(qapp):
    application = app._application()
    assert application.desktopFileName() == app.DESKTOP_FILE
    icon = application.windowIcon()
    assert not icon.isNull() and 512 in [s.width() for s in icon.availableSizes()]
    qt_folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    assert Path(qt_folder) == app_data_dir()
