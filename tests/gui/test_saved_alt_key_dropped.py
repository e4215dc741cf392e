"""A key saved in Preferences before a menu or panel button took its Alt+letter was still
applied at every start (Alt+F: the File menu opened, the command never ran); at the start it is
now dropped, the command gets its default key back, and the status bar and the log say so."""

from __future__ import annotations

import logging

import pytest

from fashion_annotator.ui.preferences import Preferences, settings_file
from fashion_annotator.ui.shortcuts import key_text
from fashion_annotator.ui.testing import copy_project, open_window


@pytest.fixture
def restore_keys():
    """The default keys given back after the test (later messages name the keys)."""
    windows = []
    yield windows
    from fashion_annotator.ui.shortcuts import default_keys, set_keys

    for window in windows:
        for action in window.actions_by_name.values():
            set_keys(action, default_keys(action))


def test_a_saved_key_a_menu_owns_goes_back_to_the_default(qtbot, template, tmp_path, answers, caplog, restore_keys):
    ini = tmp_path / "settings.ini"
    prefs = Preferences(settings_file(ini))
    prefs.set_shortcut("next_free", ["Alt+F"])  # the File menu's letter
    prefs.set_shortcut("done", ["Alt+K"])  # nobody's: kept
    prefs.sync()
    root = copy_project(template, tmp_path / "project")
    with caplog.at_level(logging.WARNING):
        window, project = open_window(qtbot, root, ini, answers)
    restore_keys.append(window)
    try:
        assert key_text(window.actions_by_name["next_free"].shortcuts()) == ["Ctrl+Shift+N"]
        assert key_text(window.actions_by_name["done"].shortcuts()) == ["Alt+K"]
        assert window.prefs.shortcut("next_free") is None and window.prefs.shortcut("done") == ["Alt+K"]
        said = window.status.currentMessage()
        assert "Alt+F" in said and "Next free to-do" in said and "File menu" in said
        assert any("Alt+F" in r.getMessage() and "default key" in r.getMessage() for r in caplog.records)
    finally:
        window.close()
        project.close()
