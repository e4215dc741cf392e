"""Smart click with background selected on a cutout: a left click adds, as every left click does
(README: left adds, right removes), but a newcomer took background for "remove", saw the mask
grow, and no status line said why. The click now says so, whole, beside the fields of a
1280 px window, and moving the cursor over the photo keeps it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt

from fashion_annotator.annotate.tools import smartclick as click_tool
from fashion_annotator.segmentation.clicks import ClickPredictor
from fashion_annotator.ui import testing


def _message_room(window) -> int:
    """Pixels left of the status bar's leftmost shown field: where its message is drawn."""
    bar = window.status
    shown = [w.geometry().x() for w in bar.findChildren(type(bar.position)) if w.parent() is bar and w.isVisible()]
    return min(shown, default=bar.width())


def test_left_click_with_background_selected_says_it_adds(
    qtbot, tmp_path, ccp_dir, isolated_settings, disk_click_model, monkeypatch
) -> None:
    predictor = ClickPredictor(disk_click_model(-5.0))
    monkeypatch.setattr(click_tool, "shared_click_predictor", lambda path=None: predictor)
    root = testing.copy_project(testing.make_template(tmp_path, ccp_dir), tmp_path / "p")
    window, _ = testing.open_window(qtbot, root, isolated_settings, testing.Answers())
    window.resize(1280, 720)
    assert window.status.width() <= 1280
    window.set_task("garment")
    window.set_label(0)
    testing.press_key(qtbot, window, Qt.Key.Key_C)
    testing.click(window, 200, 300)
    assert testing.shown_mask(window)[300, 200] == 1, "the left click added, as documented"
    message = window.status.currentMessage()
    assert message == "With background selected, a left click still adds to the cutout; right-click removes"
    window._cursor_moved(210, 310)  # the cursor fields change; the message stays, whole
    qtbot.wait(50)
    assert window.status.currentMessage() == message
    assert window.status.fontMetrics().horizontalAdvance(message) < _message_room(window)
    right = Qt.MouseButton.RightButton
    testing.mouse(window, QEvent.Type.MouseButtonPress, 200, 300, right, right)
    testing.mouse(window, QEvent.Type.MouseButtonRelease, 200, 300, right, Qt.MouseButton.NoButton)
    assert testing.shown_mask(window)[300, 200] == 0, "right-click removes"
