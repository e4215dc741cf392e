"""Preferences > Keyboard refuses an Alt+letter that a menu or a panel button already opens:
it took Alt+F (File menu) or Alt+P (the Instances panel's Propose) for a command, and that key
then opened the menu, or did nothing at all, never the command."""

from __future__ import annotations

import string

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from fashion_annotator.ui.preferences import PreferencesDialog
from fashion_annotator.ui.shortcuts import ShortcutEditor, set_keys


def _editor(window, monkeypatch) -> ShortcutEditor:
    """The key table of the Preferences dialog the window opens (File > Preferences)."""
    shown: list[PreferencesDialog] = []

    def exec_(dialog: PreferencesDialog) -> int:
        shown.append(dialog)
        return 0

    monkeypatch.setattr(PreferencesDialog, "exec", exec_)
    window.show_preferences()
    editor = shown[0].findChild(ShortcutEditor)
    assert editor is not None
    return editor


def test_menu_and_button_mnemonics_are_refused(opened, monkeypatch) -> None:
    window, _ = opened
    editor = _editor(window, monkeypatch)
    assert "File" in (editor.assign("next_free", "Alt+F") or "")
    assert "Propose" in (editor.assign("next_free", "Alt+P") or "")
    assert editor.assign("next_free", "Alt+K") is None


def test_every_alt_letter_the_table_takes_does_the_command(opened, qtbot, monkeypatch) -> None:
    window, _ = opened
    editor = _editor(window, monkeypatch)
    action = window.actions_by_name["next_free"]
    action.triggered.disconnect()
    hits: list[str] = []
    action.triggered.connect(lambda *_: hits.append("x"))
    window.activateWindow()
    dead = []
    for letter in string.ascii_uppercase:
        key = f"Alt+{letter}"
        if editor.assign("next_free", key) is not None:
            continue
        set_keys(action, [key])
        hits.clear()
        window.canvas.setFocus()
        qtbot.keyClick(window.canvas, getattr(Qt.Key, f"Key_{letter}"), Qt.KeyboardModifier.AltModifier)
        popup = QApplication.activePopupWidget()
        if popup is not None:
            popup.close()
        if not hits:
            dead.append(key)
    assert not dead, f"Preferences takes these keys, which then do not run the command: {dead}"
