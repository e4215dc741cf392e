"""An open Help dialog (F1) follows keys changed in Preferences: its rows named the old keys
until it was closed and opened again."""

from __future__ import annotations

import pytest

from fashion_annotator.ui.shortcuts import set_keys

pytestmark = pytest.mark.usefixtures("default_keys_after")


def _row(dialog, command: str) -> str:
    table = dialog.table
    found = [table.item(r, 1).text() for r in range(table.rowCount()) if table.item(r, 0).text() == command]
    assert len(found) == 1, command
    return found[0]


def test_an_open_help_dialog_shows_the_new_keys(qtbot, opened) -> None:
    window, _ = opened
    dialog = window.show_help()
    qtbot.addWidget(dialog)
    assert _row(dialog, "Mark done and next") == "Ctrl+D"
    rows = dialog.table.rowCount()
    set_keys(window.actions_by_name["done"], ["Ctrl+Alt+D"])  # as Preferences > Keyboard applies it
    qtbot.waitUntil(lambda: _row(dialog, "Mark done and next") == "Ctrl+Alt+D")
    set_keys(window.actions_by_name["smaller"], ["Ctrl+Alt+8"])  # named in a mouse row too
    qtbot.waitUntil(lambda: any("Ctrl+Alt+8" in dialog.table.item(r, 0).text()
                                for r in range(dialog.table.rowCount())))
    set_keys(window.actions_by_name["save"], [])  # no key: its row goes
    qtbot.waitUntil(lambda: dialog.table.rowCount() == rows - 1)
    assert "Save" not in [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    dialog.close()


def test_an_open_help_dialog_names_the_autosave_interval_set_in_preferences(qtbot, opened, monkeypatch) -> None:
    """Its first line kept the interval it opened with after Preferences changed it."""
    from fashion_annotator.ui.preferences import PreferencesDialog

    window, _ = opened
    dialog = window.show_help()
    qtbot.addWidget(dialog)
    assert f"after {window.prefs.autosave_interval_s} s of unsaved edits" in dialog.intro.text()

    def accept_with(interval: int):
        def exec_(preferences: PreferencesDialog) -> int:
            window.prefs.autosave_interval_s = interval  # as the dialog's OK stores it
            return 1
        return exec_

    monkeypatch.setattr(PreferencesDialog, "exec", accept_with(120))
    window.show_preferences()
    assert "after 120 s of unsaved edits" in dialog.intro.text()
    monkeypatch.setattr(PreferencesDialog, "exec", accept_with(0))
    window.show_preferences()
    assert "(autosave is off)" in dialog.intro.text()
    dialog.close()
