"""Who has the keyboard after a pick in the Instances panel's drop-down boxes (a hand test: a
category picked with the mouse kept the keyboard, and S over the photo made the garment
sandals), driven by real mouse and key events."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QApplication, QComboBox

from fashion_annotator.ui.testing import instance_of


@pytest.fixture
def template(masks_template: Path) -> Path:
    return masks_template


def _dress_selected(window, qtbot) -> tuple:
    """The window active with the dress selected in the Instances panel: ``(dock, dress id)``."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    dress = instance_of(window, "dress")
    window.instances.select([dress])
    return window.instances, dress


def _key(qtbot, key) -> None:
    """Type ``key`` where the keyboard is (shortcuts included)."""
    focus = QApplication.focusWidget()
    assert focus is not None
    qtbot.keyClick(focus, key)


def _pointer_onto_photo(window) -> None:
    pos = QPointF(50, 50)
    QApplication.sendEvent(window.canvas, QEnterEvent(pos, pos, window.canvas.mapToGlobal(pos)))


def _pick_with_the_mouse(qtbot, box: QComboBox, text: str) -> None:
    """Open ``box`` with a click and click ``text`` in its popup."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    view = box.view()
    qtbot.waitUntil(view.isVisible, timeout=3000)
    rect = view.visualRect(view.model().index(box.findText(text), 0))
    qtbot.mouseMove(view.viewport(), rect.center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=3000)


def test_a_pick_made_with_the_mouse_gives_the_keyboard_back_to_the_photo(opened, qtbot):
    """S after a category picked with the mouse is the superpixel tool, not "sandals"."""
    window, _project = opened
    dock, dress = _dress_selected(window, qtbot)
    _pick_with_the_mouse(qtbot, dock.category, "skirt")
    assert dock.doc.instances[dress].category == "skirt"
    assert window.canvas.hasFocus()
    _key(qtbot, Qt.Key.Key_S)
    assert window.canvas.tool == "superpixel"
    assert dock.doc.instances[dress].category == "skirt" and not dock.picker.pending


def test_the_photo_takes_the_keyboard_from_a_box_clicked_but_not_typed_into(opened, qtbot):
    """A box opened with a click and closed without a pick keeps no keyboard from the photo."""
    window, _project = opened
    dock, dress = _dress_selected(window, qtbot)
    qtbot.mouseClick(dock.category, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dock.category.view().isVisible, timeout=3000)
    dock.category.hidePopup()
    assert dock.category.hasFocus()
    _pointer_onto_photo(window)
    assert window.canvas.hasFocus()
    _key(qtbot, Qt.Key.Key_P)
    assert window.canvas.tool == "polygon" and dock.doc.instances[dress].category == "dress"


def test_the_photo_takes_the_keyboard_back_once_the_typing_is_over(opened, qtbot):
    """Alt+C then the pointer over the photo at once: letters go on to the box (the instances
    test ``test_the_photo_leaves_the_keyboard_to_a_type_to_pick_box``); once the operator has
    given the box no key for a while, the pointer coming onto the photo takes the keyboard."""
    window, _project = opened
    dock, dress = _dress_selected(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert dock.category.hasFocus()
    qtbot.wait(dock.picker.hold_ms + 100)
    _pointer_onto_photo(window)
    assert window.canvas.hasFocus()
    _key(qtbot, Qt.Key.Key_E)
    assert window.canvas.tool == "eraser" and dock.doc.instances[dress].category == "dress"


def test_esc_in_a_closed_box_drops_a_typed_pick_and_gives_the_keyboard_back(opened, qtbot):
    window, _project = opened
    dock, dress = _dress_selected(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClicks(dock.category, "sk")
    assert dock.picker.pending
    qtbot.keyClick(dock.category, Qt.Key.Key_Escape)
    assert not dock.picker.pending and window.canvas.hasFocus()
    assert dock.category.currentText() == "dress"
    qtbot.wait(dock.picker.settle_ms + 100)
    assert dock.doc.instances[dress].category == "dress"
    _key(qtbot, Qt.Key.Key_S)
    assert window.canvas.tool == "superpixel" and dock.doc.instances[dress].category == "dress"


def test_return_in_a_closed_box_applies_the_pick_and_gives_the_keyboard_back(opened, qtbot):
    window, _project = opened
    dock, dress = _dress_selected(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)  # fabric
    box = dock.attribute_boxes["fabric"]
    qtbot.keyClick(box, Qt.Key.Key_Down)
    qtbot.keyClick(box, Qt.Key.Key_Down)  # arrow keys step through the values: the box keeps them
    assert box.hasFocus()
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.canvas.hasFocus()
    assert dock.doc.instances[dress].attributes["fabric"] == box.itemText(2)


def test_pan_typed_into_the_category_box_picks_pants_not_panties(opened, qtbot):
    """The box's own search took the first listed item starting with the letters: "panties"
    (listed before "pants"); the picker picks the item fewer letters away."""
    window, _project = opened
    dock, dress = _dress_selected(window, qtbot)
    assert {"pants", "panties"} <= {dock.category.itemText(i) for i in range(dock.category.count())}
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClicks(dock.category, "pan")
    assert dock.category.currentText() == "pants" and dock.picker.pending
    qtbot.waitUntil(lambda: not dock.picker.pending, timeout=dock.picker.settle_ms + 2000)
    assert dock.doc.instances[dress].category == "pants"
    qtbot.wait(QApplication.keyboardInputInterval() + 100)  # a new burst of typing
    qtbot.keyClicks(dock.category, "panti")
    qtbot.keyClick(dock.category, Qt.Key.Key_Return)
    assert dock.doc.instances[dress].category == "panties" and window.canvas.hasFocus()


def test_pan_typed_into_the_open_list_highlights_pants_not_panties(opened, qtbot):
    """The open popup list answered letters with its own search (list order): "pan" highlighted
    "panties". It follows the closed box's rule now, and Return picks the item highlighted."""
    window, _project = opened
    dock, dress = _dress_selected(window, qtbot)
    box = dock.category
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    view = box.view()
    qtbot.waitUntil(view.isVisible, timeout=3000)
    qtbot.keyClicks(view, "pan")
    assert view.currentIndex().data() == "pants"
    assert dock.doc.instances[dress].category == "dress"  # highlighted, not yet picked
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=3000)
    assert dock.doc.instances[dress].category == "pants" and box.currentText() == "pants"
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(view.isVisible, timeout=3000)
    qtbot.wait(QApplication.keyboardInputInterval() + 100)  # a new burst of typing
    qtbot.keyClicks(view, "panti")
    assert view.currentIndex().data() == "panties"
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=3000)
    assert dock.doc.instances[dress].category == "pants"


def test_t_space_s_typed_into_the_category_box_picks_t_shirt(opened, qtbot):
    """A space typed was dropped (the closed box opened its list on it): "t s" searched "ts" and
    the box stayed on "tie". A space while typing matches the item's hyphen; Space with nothing
    typed still opens the list."""
    window, _project = opened
    dock, dress = _dress_selected(window, qtbot)
    box, view = dock.category, dock.category.view()
    assert box.findText("t-shirt") > 0
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClicks(box, "t s")
    assert box.currentText() == "t-shirt" and not view.isVisible()
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert dock.doc.instances[dress].category == "t-shirt" and window.canvas.hasFocus()
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    qtbot.wait(QApplication.keyboardInputInterval() + 100)  # nothing typed: Space opens the list
    qtbot.keyClick(box, Qt.Key.Key_Space)
    qtbot.waitUntil(view.isVisible, timeout=3000)
    qtbot.keyClicks(view, "pa s")  # no item: the highlight stays on "pants" ("pa")
    assert view.currentIndex().data() == "pants"
    qtbot.wait(QApplication.keyboardInputInterval() + 100)
    qtbot.keyClicks(view, "t s")
    assert view.currentIndex().data() == "t-shirt"
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=3000)
    assert dock.doc.instances[dress].category == "t-shirt"
