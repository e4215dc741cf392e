"""The Review tab on a short screen: a box given the keyboard below the fold scrolls into
sight. A hand test at 1280x720: Alt+J gave the reject reason box the keyboard, but the decision
panel stayed below the tab's fold; the reviewer chose a reason and typed the why unseen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from fashion_annotator.ui.testing import Answers, copy_project, open_window


def _in_sight(widget: QWidget, area: QScrollArea) -> bool:
    """Whether all of ``widget`` lies in the part of ``area`` shown."""
    top = widget.mapTo(area.viewport(), widget.rect().topLeft()).y()
    return top >= 0 and top + widget.height() <= area.viewport().height()


def _short_review(qtbot, window) -> QScrollArea:
    """Show the Review tab with its rows in a window shorter than the tab; its scroll area."""
    window.tabs.setCurrentIndex(1)
    review = window.review
    assert review is not None
    qtbot.waitUntil(lambda: review.proxy.rowCount() >= 1, timeout=30_000)
    window.resize(window.width(), 400)  # shorter than the tab: it scrolls
    scroller = window.tabs.currentWidget()
    assert isinstance(scroller, QScrollArea)
    qtbot.waitUntil(lambda: scroller.verticalScrollBar().maximum() > 0)
    qtbot.wait(300)  # the tab's layout settles at its new height
    return scroller


def test_alt_j_scrolls_the_reason_box_into_sight(qtbot, masks_template, tmp_path):
    root = copy_project(masks_template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        scroller = _short_review(qtbot, window)
        review = window.review
        review.select_proxy_row(0)
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        review.table.setFocus()
        qtbot.waitUntil(review.table.hasFocus)
        scroller.verticalScrollBar().setValue(0)
        assert not _in_sight(review.reason, scroller), "below the fold, as on the short screen"
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_J, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(review.reason.hasFocus)
        qtbot.wait(200)
        assert _in_sight(review.reason, scroller), "the reason box was chosen unseen"
        assert scroller.verticalScrollBar().value() > 0
    finally:
        window.close()
        project.close()


def test_the_table_given_the_keyboard_comes_into_sight_whole(qtbot, masks_template, tmp_path):
    """Back from the reason box to the table (Enter sent the reject), the tab scrolled only as far
    as the table's current row: its header and the filter bar above stayed out of sight."""
    root = copy_project(masks_template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        scroller = _short_review(qtbot, window)
        review = window.review
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        review.select_proxy_row(review.proxy.rowCount() - 1)  # the hand test's: the last row
        review.reason.setFocus()
        qtbot.waitUntil(review.reason.hasFocus)
        scroller.verticalScrollBar().setValue(scroller.verticalScrollBar().maximum())
        assert review.table.height() <= scroller.viewport().height()
        assert not _in_sight(review.table, scroller)
        review.table.setFocus()
        qtbot.waitUntil(review.table.hasFocus)
        qtbot.wait(200)
        assert _in_sight(review.table, scroller), "the table's header stayed above the fold"
    finally:
        window.close()
        project.close()
