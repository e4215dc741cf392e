"""The status bar's messages on a scaled laptop screen: 1280 px at 150 % leaves the window 853
px, and the fields on the right left a message 20 characters ("The open polygon (3")."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal

from fashion_annotator.ui.testing import click, press_key

CLOSED = "The open polygon (3 vertices) was closed and filled: Esc drops a polygon"


def _message_room(window) -> int:
    """Pixels from the bar's left edge to its first field shown."""
    bar = window.status
    fields = [w for w in bar.findChildren(type(bar.position)) if w.parent() is bar and w.isVisible()]
    return min(w.geometry().left() for w in fields)


def test_a_long_message_gets_the_room_of_the_cursor_fields_in_a_narrow_window(qtbot, opened):
    window, _project = opened
    window.resize(853, 560)
    qtbot.waitUntil(lambda: window.width() <= 860, timeout=2000)
    press_key(qtbot, window, Qt.Key.Key_P)
    for x, y in ((50, 50), (250, 50), (250, 150)):
        click(window, x, y)
    press_key(qtbot, window, Qt.Key.Key_B)  # another tool closes the polygon and says so
    assert window.status.currentMessage() == CLOSED
    need = window.status.fontMetrics().horizontalAdvance(CLOSED)
    qtbot.waitUntil(lambda: _message_room(window) >= need, timeout=2000)
    assert window.status.tool.isVisible() and window.status.saved.isVisible()
    window.status.clearMessage()  # the message gone, the cursor's fields are back
    qtbot.waitUntil(lambda: window.status.position.isVisible() and window.status.label.isVisible(), timeout=2000)


def test_a_short_message_leaves_every_field(qtbot, opened):
    window, _project = opened
    window.resize(853, 560)
    window.status.showMessage("Saved", 5000)
    qtbot.wait(50)
    bar = window.status
    assert all(w.isVisible() for w in (bar.position, bar.label, bar.tool, bar.zoom, bar.device, bar.model, bar.saved))


def test_the_busy_indicator_shown_under_a_long_message_takes_more_cursor_fields(qtbot, opened):
    """PgDn: the save's message, then the busy indicator beside it left "Sa" of it."""
    window, _project = opened
    window.resize(853, 560)
    qtbot.waitUntil(lambda: window.width() <= 860, timeout=2000)
    saved = "Saved 0003.jpg at 20:45:02"
    window.status.showMessage(saved, 5000)
    window.status.set_busy(True, "Computing proposal…")
    need = window.status.fontMetrics().horizontalAdvance(saved)
    qtbot.waitUntil(lambda: _message_room(window) >= need, timeout=2000)


class _Canvas(QObject):
    message = Signal(str)

    def finish_edit(self) -> None:
        self.message.emit(CLOSED)


def test_the_closed_polygon_said_again_leaves_a_refusal_said_after_it(qtbot, opened):
    """Found in review: Ctrl+Enter with a polygon open on an image with no proposal said "No
    proposal for this image yet", and at once the polygon's line said again covered it for 10 s
    (an import refused, "Import not started: the open image is not saved", the same)."""
    window, _project = opened
    canvas = _Canvas()
    window.status.said_again(canvas.message, canvas.finish_edit)
    window.status.showMessage("No proposal for this image yet", 3000)
    qtbot.wait(50)
    assert window.status.currentMessage() == "No proposal for this image yet"
    window.status.said_again(canvas.message, canvas.finish_edit)
    window.status.showMessage("Saved 0001.jpg at 20:45:02", 5000)  # the save's line: covered
    qtbot.waitUntil(lambda: window.status.currentMessage() == CLOSED, timeout=2000)


def test_a_summary_too_long_beside_details_is_cut_after_a_word_and_keeps_zoom_and_model(qtbot, opened):
    """A File job's summary longer than an 853 px window was cut mid-word ("…the folder holds
    the 47 images expor") and hid the zoom, CPU and model fields; its whole text is behind
    Details, so it is now cut after a word with "…" and the zoom and model fields stay."""
    window, _project = opened
    window.resize(853, 560)
    qtbot.waitUntil(lambda: window.width() <= 860, timeout=2000)
    bar = window.status
    long = "Export cancelled after 47 of 120 images: the folder holds the 47 images exported before it " * 2
    bar.showMessage(long.strip(), 20000)
    bar.show_details(lambda: None, "the whole summary", warn=True)
    qtbot.wait(50)
    assert bar.zoom.isVisible() and bar.model.isVisible() and window.width() == 853
    shown = bar.shown_message()
    assert shown.endswith("…") and shown != long
    assert long.startswith(shown[:-1]) and long[len(shown) - 1] in " :,;", f"cut mid-word: {shown!r}"
    assert bar.fontMetrics().horizontalAdvance(shown) <= _message_room(window)
    assert bar.toolTip() == long.strip(), "the whole text in the tooltip"
    bar.show_details(None)
    bar.clearMessage()
    qtbot.waitUntil(lambda: all(w.isVisible() for w in (bar.position, bar.device, bar.zoom, bar.model)), timeout=2000)
