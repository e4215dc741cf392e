"""PgDn and PgUp at the end of the image list say which photo it ends at and why: with the
name search leaving one photo, PgDn did nothing and said nothing useful. A hand test."""

from __future__ import annotations

from PySide6.QtCore import Qt

from fashion_annotator.ui.testing import press_key


def test_pgdn_with_one_photo_left_by_the_search_says_to_clear_the_filter(qtbot, opened):
    window, project = opened
    queue = window.queue
    first = window.session.image_id
    assert window.display_name(window.open_record) == "0014.jpg"
    qtbot.mouseClick(queue.search, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(queue.search, "0014")
    qtbot.keyClick(queue.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(queue.model.records()) == 1, timeout=10000)
    press_key(qtbot, window, Qt.Key.Key_PageDown)
    assert window.session.image_id == first
    assert window.status.currentMessage() == (
        "0014.jpg is the only photo the filter '0014' shows: clear the filter to go on"
    )
    queue.search.clear()
    queue.apply_search()
    qtbot.waitUntil(lambda: len(queue.model.records()) == len(project.images()), timeout=10000)
    press_key(qtbot, window, Qt.Key.Key_PageUp)
    assert window.session.image_id == first
    assert window.status.currentMessage() == "No more photos: 0014.jpg is the first of the list"
