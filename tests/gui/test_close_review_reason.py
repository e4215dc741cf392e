"""Closing the window (Ctrl+Q, the close button, File > Open another project) with a reject
reason typed in the Review tab but not sent asks first.

A hand test: the reason typed for a mask, the window closed before Reject, the reason was gone
without a word at the next start.
"""

from __future__ import annotations

from PySide6.QtTest import QTest

from fashion_annotator.ui.testing import Answers, copy_project, open_window


def _review_open(qtbot, masks_template, tmp_path, rows: int = 1):
    """A window on a copy of the masks project, its Review tab shown with ``rows`` rows read;
    ``(answers, window, project, review)``, the answers saying no to quitting."""
    root = copy_project(masks_template, tmp_path / "project")
    answers = Answers(quit=False)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    window.tabs.setCurrentIndex(1)
    review = window.review
    assert review is not None
    qtbot.waitUntil(lambda: review.proxy.rowCount() >= rows, timeout=30_000)
    return answers, window, project, review


def test_closing_with_a_reject_reason_typed_but_not_sent_asks_first(qtbot, masks_template, tmp_path):
    answers, window, project, review = _review_open(qtbot, masks_template, tmp_path)
    try:
        review.select_proxy_row(0)
        name = review.selected_row().name
        review.reason_text.setText("collar lost in the shadow")
        window.tabs.setCurrentIndex(0)
        assert not window.close(), "the reviewer said no: the window stays"
        kind, message = answers.asked[-1]
        assert kind == "quit" and "collar lost in the shadow" in message and name in message
        assert window.tabs.currentIndex() == 1, "the Review tab shows the reason"
        assert review.reason_text.text() == "collar lost in the shadow"
        assert project.decisions() == []
        answers.quit = True
        assert window.close(), "dropped when the reviewer says so"
    finally:
        window.close()
        project.close()


def test_closing_with_nothing_typed_in_the_review_asks_nothing(qtbot, masks_template, tmp_path):
    root = copy_project(masks_template, tmp_path / "project")
    answers = Answers(quit=False)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    try:
        window.tabs.setCurrentIndex(1)
        assert window.close()
        assert answers.asked == []
    finally:
        project.close()


def test_the_question_names_the_image_the_reason_was_typed_for(qtbot, masks_template, tmp_path):
    """A hand test: a reason typed for the first row, then Approve (the field keeps it and the
    next row is selected): the question named the next row, for which nothing was typed."""
    answers, window, project, review = _review_open(qtbot, masks_template, tmp_path, rows=2)
    try:
        review.select_proxy_row(0)
        typed_for = review.selected_row().name
        QTest.keyClicks(review.reason_text, "collar lost")
        assert review.approve_selected()
        shown = review.selected_row().name
        assert shown != typed_for and review.reason_text.text() == "collar lost"
        assert not window.close()
        _kind, message = answers.asked[-1]
        assert f"for {typed_for}" in message and shown not in message, message
        answers.quit = True
    finally:
        window.close()
        project.close()
