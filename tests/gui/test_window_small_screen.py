"""The main window on a small screen: 1280x720 with a task bar, or 125 % of 1600x900."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea

#: The free area of a 1280x720 screen under a task bar (logical pixels).
FREE_W, FREE_H = 1280, 680
#: What a window frame adds: borders on each side, a title bar on top (Windows 10 and 11).
FRAME_W, FRAME_H = 16, 40


@pytest.fixture
def template(masks_template: Path) -> Path:
    """Photos with parsing masks, so the Instances panel lists instances (``opened`` copies it)."""
    return masks_template


def test_the_window_with_every_panel_shown_fits_a_1280x680_free_area_on_both_tabs(opened, qtbot):
    window, _ = opened
    docks = (window.queue, window.palette_dock, window.instances)
    for dock in docks:
        dock.show()
    qtbot.waitUntil(lambda: window.instances.list.topLevelItemCount() > 0)
    for tab in (0, 1):
        window.tabs.setCurrentIndex(tab)
        qtbot.wait(50)
        for size in (window.minimumSizeHint(), window.minimumSize()):
            assert size.width() + FRAME_W <= FREE_W and size.height() + FRAME_H <= FREE_H, f"tab {tab}: {size}"
    window.tabs.setCurrentIndex(0)
    window.resize(FREE_W - FRAME_W, FREE_H - FRAME_H)
    qtbot.wait(50)
    assert (window.width(), window.height()) == (FREE_W - FRAME_W, FREE_H - FRAME_H), "the window grew"
    assert all(dock.isVisible() for dock in docks)


def test_a_short_instances_panel_scrolls_and_a_key_brings_its_box_into_sight(opened, qtbot):
    window, _ = opened
    dock = window.instances
    qtbot.waitUntil(lambda: dock.list.topLevelItemCount() > 0)
    dock.list.topLevelItem(0).setSelected(True)
    body = dock.widget()
    assert isinstance(body, QScrollArea), "the Instances panel scrolls where it is short"
    assert body.focusPolicy() == Qt.FocusPolicy.NoFocus, "no invisible tab stop"
    window.resize(FREE_W - FRAME_W, 420)  # the panel is shorter than its boxes and buttons
    qtbot.waitUntil(lambda: body.verticalScrollBar().maximum() > 0)
    colour = dock.attribute_boxes["colour"]
    assert colour.isEnabled() and colour.visibleRegion().isEmpty(), "below the fold before the key"
    qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.AltModifier)
    assert colour.hasFocus()
    assert colour.visibleRegion().boundingRect().size() == colour.size(), "scrolled into sight"
