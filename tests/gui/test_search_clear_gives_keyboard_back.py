"""The image list's search box: its clear button gives the keyboard back to the photo. The
keyboard stayed in the emptied box, and the operator's Ctrl+Z brought the search back instead of
undoing her stroke. A hand test."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QToolButton

from fashion_annotator.ui.testing import CTRL, drag, press_key, shown_mask


def _clear_button(search) -> QToolButton:
    clear = search.findChild(QAction, "_q_qlineeditclearaction")
    return next(b for b in search.findChildren(QToolButton) if b.defaultAction() is clear)


def test_clearing_the_search_with_its_button_gives_ctrl_z_back_to_the_mask(qtbot, opened):
    window, project = opened
    queue = window.queue
    press_key(qtbot, window, Qt.Key.Key_B)
    before = shown_mask(window).copy()
    drag(window, [(100, 200), (200, 200)])
    assert (shown_mask(window) != before).any()
    qtbot.mouseClick(queue.search, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(queue.search, "0014")
    qtbot.keyClick(queue.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(queue.model.records()) == 1, timeout=10000)
    button = _clear_button(queue.search)
    qtbot.waitUntil(button.isVisible, timeout=5000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert queue.search.text() == ""
    qtbot.waitUntil(lambda: len(queue.model.records()) == len(project.images()), timeout=10000)
    assert QApplication.focusWidget() is window.canvas
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Z, CTRL)
    assert queue.search.text() == "", "the search stays cleared"
    assert (shown_mask(window) == before).all(), "Ctrl+Z undid the stroke"
