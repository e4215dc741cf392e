"""The image list's drop-down boxes driven from the keyboard: letters choose, never a tool."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest


def test_letters_and_digits_typed_into_the_queue_filter_choose_it_not_a_tool_or_label(qtbot, opened):
    """A keyboard hand test: "i" typed into the image list's status filter (for In progress)
    chose the Pick label tool and left the filter at All images; a digit chose a label."""
    window, _ = opened
    window.canvas.set_tool("brush")
    label = window.canvas.label
    box = window.queue.status_filter
    box.setFocus(Qt.FocusReason.TabFocusReason)
    QTest.keyClick(box, Qt.Key.Key_I)
    assert window.canvas.tool == "brush", "a letter typed into the filter chose a tool"
    assert box.currentData() == "in_progress"
    QTest.keyClick(box, Qt.Key.Key_2)
    assert window.canvas.label == label, "a digit typed into the filter chose a label"
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert window.canvas.hasFocus(), "Return gives the photo the keyboard back"
