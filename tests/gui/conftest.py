"""Shared GUI fixtures: settings isolated per test, offscreen Qt (set in ``tests/conftest.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

ORG_NAME = "FashionAnnotatorTests"
APP_NAME = "fashion-annotator-tests"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, qapp) -> Path:
    """Point every QSettings of the test at an INI file under ``tmp_path``.

    Returns the folder holding the settings, so a test can check what was written.
    """
    folder = tmp_path / "settings"
    folder.mkdir()
    QCoreApplication.setOrganizationName(ORG_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(folder))
    return folder


@pytest.fixture(scope="module")
def template(tmp_path_factory, ccp_dir) -> Path:
    """A project of three CCP photos with cached superpixels (copied per test)."""
    from fashion_annotator.ui.testing import make_template

    return make_template(tmp_path_factory.mktemp("ccp_project"), ccp_dir)


@pytest.fixture
def answers():
    """Scripted answers to the window's questions."""
    from fashion_annotator.ui.testing import Answers

    return Answers()


@pytest.fixture
def opened(qtbot, template, tmp_path, answers):
    """A shown main window on a fresh copy of the template, and its project."""
    from fashion_annotator.ui.testing import copy_project, open_window

    root = copy_project(template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    yield window, project
    window.close()
    project.close()
