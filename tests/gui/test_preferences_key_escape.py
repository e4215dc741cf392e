"""Preferences driven from the keyboard: Esc backs out of a key field, Enter picks a colour."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QColorDialog

from fashion_annotator.ui.preferences import PreferencesDialog
from fashion_annotator.ui.review.view import REVIEW_KEYS


def test_esc_in_a_key_field_keeps_the_key_and_a_second_esc_closes_the_dialog(qtbot, opened):
    """A keyboard hand test: Enter on a command's row, then Esc to back out, made Esc the
    command's key (About on Esc) and kept the focus in the field: Esc could not close
    Preferences, and OK saved Esc as the key."""
    window, _ = opened
    dialog = PreferencesDialog(window.prefs, [], window, actions=list(window.actions_by_name.values()),
                               reserved={k: w for k, w in REVIEW_KEYS})  # fmt: skip
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitExposed(dialog)
    dialog.pages.setCurrentIndex(1)
    editor = dialog.keys
    assert editor is not None
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus)
    row = editor.currentRow()
    name = next(n for n, field in editor._rows.items() if field is editor.cellWidget(row, 1))
    before = list(editor.keys[name])
    field = editor.cellWidget(row, 1)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(field.hasFocus)
    QTest.keyClick(field, Qt.Key.Key_Escape)
    qtbot.wait(50)
    assert editor.keys[name] == before, "Esc became the command's key"
    assert field.keySequence() == QKeySequence(before[0] if before else "")
    assert QApplication.focusWidget() is editor, "Esc backs out of the field onto the table"
    QTest.keyClick(editor, Qt.Key.Key_Escape)
    assert not dialog.isVisible(), "Esc on the table closes Preferences"
    assert dialog.result() == PreferencesDialog.DialogCode.Rejected


def test_enter_on_a_row_of_the_colour_table_picks_its_colour(qtbot, opened, monkeypatch):
    """A keyboard hand test: no key changed a label colour (only a double-click did), and
    Enter on the colour table pressed OK and closed Preferences."""
    window, project = opened
    asked: list[object] = []
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a: asked.append(a) or QColor(1, 2, 3))
    dialog = PreferencesDialog(window.prefs, [project.taxonomy(t) for t in window.taxonomies], window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitExposed(dialog)
    dialog.table.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(dialog.table.hasFocus)
    QTest.keyClick(dialog.table, Qt.Key.Key_Down)
    row = dialog.table.currentRow()
    QTest.keyClick(dialog.table, Qt.Key.Key_Return)
    assert dialog.isVisible(), "Enter on the colour table closed Preferences"
    assert len(asked) == 1 and dialog.table.item(row, 2).text() == "#010203"
    dialog.reject()


def test_a_key_of_the_instances_panel_is_refused_for_a_command(qtbot, opened, monkeypatch):
    """A keyboard hand test: Preferences > Keyboard took Alt+C (the Instances panel's category
    box) for Brush; then Alt+C did nothing at all (Qt: "Ambiguous shortcut"), and Delete,
    pressed in a key field to clear it, broke the list's Delete the same way."""
    window, _ = opened
    refused: list[str | None] = []

    def answer(dialog: PreferencesDialog) -> int:
        assert dialog.keys is not None
        refused.extend(dialog.keys.assign("tool_brush", key) for key in ("Alt+C", "Del", "Alt+1"))
        return PreferencesDialog.DialogCode.Rejected

    monkeypatch.setattr(PreferencesDialog, "exec", answer)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.canvas.setFocus()
    qtbot.waitUntil(window.canvas.hasFocus)
    QTest.keyClick(window.canvas, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert refused == [
        "Alt+C is already the key of “Instances: the selected instance's category”",
        "Del is already the key of “Instances: delete the selected (in the list)”",
        f"Alt+1 is already the key of “Instances: the selected instance's {window.instances.schema.groups[0].name}”",
    ]
