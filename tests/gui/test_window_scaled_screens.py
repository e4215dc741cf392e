"""The main window on a laptop screen at 125 % or 150 %: 1280x720 at 125 % leaves 1024x576
logical pixels, 1600x1000 at 150 % 1067x667. With every panel shown the window needed 1148
pixels and its right-hand panels were cut off at the screen's edge."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QScrollArea

from fashion_annotator.ui.search_field import SearchField

#: The largest minimum size the window may have, in either tab (logical pixels).
MOST_W, MOST_H = 1000, 560


@pytest.fixture
def template(masks_template: Path) -> Path:
    """Photos with parsing masks, so the Instances panel lists instances (``opened`` copies it)."""
    return masks_template


def _every_panel_shown(window, qtbot) -> None:
    for dock in (window.queue, window.palette_dock, window.instances):
        dock.show()
    qtbot.waitUntil(lambda: window.instances.list.topLevelItemCount() > 0)


def test_the_window_needs_at_most_1000x560_in_both_tabs_with_every_panel_shown(opened, qtbot):
    window, _ = opened
    _every_panel_shown(window, qtbot)
    for tab in (0, 1):
        window.tabs.setCurrentIndex(tab)
        for busy in (False, True):  # the busy indicator beside the fields takes no more room
            window.status.set_busy(busy, "Computing proposal…")
            qtbot.wait(50)
            for size in (window.minimumSizeHint(), window.minimumSize()):
                assert size.width() <= MOST_W and size.height() <= MOST_H, f"tab {tab}, busy {busy}: {size}"


def test_a_window_as_wide_as_a_scaled_screen_keeps_every_panel_and_button_reachable(opened, qtbot):
    window, _ = opened
    _every_panel_shown(window, qtbot)
    window.resize(MOST_W, MOST_H)
    window.status.set_busy(True, "Computing proposal…")
    qtbot.wait(50)
    assert (window.width(), window.height()) == (MOST_W, MOST_H), "the window grew past the screen"
    right = window.instances.geometry().right()
    assert right < window.width() and window.palette_dock.geometry().right() < window.width()
    body = window.instances.widget()
    assert isinstance(body, QScrollArea)
    merge = window.instances.buttons["merge"]
    body.ensureWidgetVisible(merge, 0, 0)  # a panel narrower than its buttons scrolls sideways
    assert merge.visibleRegion().boundingRect().size() == merge.size()


def test_widened_to_1280x720_the_panels_get_their_whole_width_back(opened, qtbot):
    window, _ = opened  # it opened on the 800x600 offscreen screen: its panels at their narrowest
    _every_panel_shown(window, qtbot)
    window.resize(1280, 720)
    qtbot.wait(50)
    body = window.instances.widget()
    assert isinstance(body, QScrollArea)
    assert body.horizontalScrollBar().maximum() == 0, "the Instances panel is cut at the side"
    assert window.queue.width() >= 250, "the Images panel as wide as before"


def test_the_busy_indicator_leaves_a_window_as_narrow_as_a_150_percent_1280x720_screen(opened, qtbot):
    window, _ = opened
    window.tabs.setCurrentIndex(1)  # Review: no panels beside it, the status bar is the widest
    window.resize(853, 480)
    qtbot.wait(50)
    assert window.width() == 853
    window.status.set_busy(True, "Computing proposal…")
    qtbot.wait(50)
    assert window.width() == 853, "the busy text widened the window (it never shrinks back)"
    assert window.status.busy_text.toolTip() == "Computing proposal…", "its whole text where it is cut"


@pytest.mark.parametrize("width", [1000, 853])
def test_the_review_tab_fits_a_scaled_screen_side_to_side(opened, qtbot, width):
    window, _ = opened
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.review is not None and window.review.proxy.rowCount() > 0)
    window.resize(width, MOST_H)
    qtbot.waitUntil(lambda: window.width() == width)
    page = window.tabs.currentWidget()
    assert isinstance(page, QScrollArea)
    qtbot.wait(50)
    assert page.horizontalScrollBar().maximum() == 0, "the Review tab scrolls sideways: buttons out of sight"
    summary = window.instance_review.summary
    assert summary.toolTip() == summary.text(), "the instance figures in full where their line is cut"


def test_the_labels_panels_task_buttons_go_one_below_the_other_where_it_is_narrow(qtbot):
    from fashion_annotator.core.labels import load_taxonomy
    from fashion_annotator.ui.annotate.palette_dock import PaletteDock

    dock = PaletteDock()
    qtbot.addWidget(dock)
    dock.set_tasks([("garment", "Garment cutout"), ("person", "Person cutout"),
                    ("parsing18", "Parsing (18 classes)")], "garment")  # fmt: skip
    dock.set_taxonomy(load_taxonomy("parsing18"))
    dock.resize(400, 400)
    dock.show()
    qtbot.waitExposed(dock)
    buttons = dock._task_group.buttons()
    row = sum(b.sizeHint().width() for b in buttons)
    assert dock.minimumSizeHint().width() < row - 100, "the buttons' row sets the panel's least width"
    dock.resize(dock.minimumSizeHint().width(), 400)
    qtbot.waitUntil(lambda: len({b.y() for b in buttons}) == len(buttons))  # one below the other
    for button in buttons:
        assert button.visibleRegion().boundingRect().size() == button.size(), button.text()
    assert dock.list.height() >= dock.list.minimumHeight()
    dock.resize(row + 100, 400)
    qtbot.waitUntil(lambda: len({b.y() for b in buttons}) == 1)  # side by side again


def test_panels_saved_narrow_on_a_small_screen_get_their_width_back_in_a_wider_window(
    qtbot, template, tmp_path, answers, monkeypatch
):
    from PySide6.QtCore import QRect

    from fashion_annotator.ui.main_window import MainWindow
    from fashion_annotator.ui.testing import copy_project, open_window

    root, settings = copy_project(template, tmp_path / "project"), tmp_path / "settings.ini"
    window, project = open_window(qtbot, root, settings, answers)
    window.resize(853, 480)  # a laptop at 150 %: the panels at their narrowest
    qtbot.waitUntil(lambda: window.queue.width() < 250)
    window.close()
    project.close()
    monkeypatch.setattr(MainWindow, "_screen_area", lambda self: QRect(0, 0, 1600, 1000))
    window, project = open_window(qtbot, root, settings, answers)  # the saved state: narrow panels
    try:
        _every_panel_shown(window, qtbot)
        window.resize(1600, 960)  # maximised on a larger screen
        qtbot.waitUntil(lambda: window.queue.width() >= 250, timeout=3000)
        body = window.instances.widget()
        assert isinstance(body, QScrollArea)
        qtbot.waitUntil(lambda: body.horizontalScrollBar().maximum() == 0, timeout=3000)
    finally:
        window.close()
        project.close()


@pytest.mark.parametrize("which", ["images", "review"])
def test_a_name_typed_into_a_search_box_leaves_the_window_as_narrow(opened, qtbot, which):
    """Typing into the Images panel's search box at 1280x720 and 150 % widened the window by
    26 px past the screen (the right-hand panels' close buttons and scroll bar cut off), and
    clearing the box never gave the room back: the box's clear button asked for its room."""
    window, _ = opened
    if which == "review":
        window.tabs.setCurrentIndex(1)
    _every_panel_shown(window, qtbot)
    window.resize(853, 480)
    qtbot.wait(50)
    width, least = window.width(), window.minimumSizeHint().width()
    search = window.queue.search if which == "images" else window.tabs.widget(1).findChild(SearchField)
    search.setFocus()
    qtbot.keyClicks(search, "0005")
    qtbot.wait(50)
    assert window.minimumSizeHint().width() <= least
    assert window.width() == width, "the window grew past the screen"


def test_a_task_title_with_an_ampersand_shows_it_and_takes_no_alt_key(qtbot):
    """A review: a label set titled "Tops & bottoms" showed "Tops _bottoms" on its Labels-panel
    button (Qt reads & as a mnemonic) and gave it Alt+Space."""
    from PySide6.QtGui import QKeySequence

    from fashion_annotator.ui.annotate.palette_dock import PaletteDock

    dock = PaletteDock()
    qtbot.addWidget(dock)
    dock.set_tasks([("garment", "Garment cutout"), ("tops", "Tops & bottoms")], "tops")
    button = dock.task_buttons()[1]
    assert button.text() == "Tops && bottoms"  # Qt shows "&&" as one "&"
    assert QKeySequence.mnemonic(button.text()).isEmpty()
    assert button.toolTip() == "Edit the tops & bottoms mask"
