"""The photo has the keyboard as soon as the window opens."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication


def test_the_photo_has_the_keyboard_when_the_window_opens_and_tab_switches_the_task(qtbot, opened):
    """A keyboard hand test: the window opened with the keyboard on the Annotate / Review tab
    bar, so the first Tab moved the focus instead of switching the task (Space did not pan,
    and the Right arrow showed the Review tab)."""
    window, _ = opened
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    assert QApplication.focusWidget() is window.canvas
    task = window.task
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert window.task != task
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
    assert window.tabs.currentIndex() == 0
