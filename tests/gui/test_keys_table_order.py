"""Preferences > Keyboard lists the commands in alphabetical order of what they are called.

The table sorted the menu texts with their mnemonic marks: every "&Name" came before every
other name (About ... Keyboard shortcuts, then Label 0 ... Zoom out, "Clean islands and holes"
among them), and a command was not where the operator looked for it.
"""

from __future__ import annotations

from fashion_annotator.ui.preferences import Preferences
from fashion_annotator.ui.shortcuts import ShortcutEditor


def test_the_keyboard_table_is_in_alphabetical_order(opened, tmp_path) -> None:
    window, _ = opened
    editor = ShortcutEditor(window.actions_by_name.values(), Preferences(), {})
    names = [editor.item(row, 0).text() for row in range(editor.rowCount())]
    assert len(names) == len(window.actions_by_name)
    assert names == sorted(names, key=str.lower)
    editor.deleteLater()
