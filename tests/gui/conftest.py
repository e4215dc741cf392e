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
