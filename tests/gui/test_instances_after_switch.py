"""The Instances panel after another image is opened: nothing of the new image is selected."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from fashion_annotator.ui.testing import press_key, wait_ready


@pytest.fixture
def template(masks_template: Path) -> Path:
    """The photos with their ground-truth masks saved: the conftest's ``opened`` opens a copy."""
    return masks_template


def test_a_row_chosen_on_one_image_is_not_chosen_on_the_next_and_delete_deletes_nothing(opened, qtbot):
    """A keyboard hand test: the second instance chosen in the list, PgDn, then Delete deleted
    the next image's second instance, which the operator never chose (the list kept the row
    chosen by its number, and instance numbers are the image's own)."""
    window, _ = opened
    dock = window.instances
    press_key(qtbot, window, Qt.Key.Key_PageDown)  # the next image's instances saved
    wait_ready(qtbot, window)
    qtbot.waitUntil(lambda: dock.doc is not None and 2 in dock.doc.instances)
    assert dock.propose(save=True)
    press_key(qtbot, window, Qt.Key.Key_PageUp)
    wait_ready(qtbot, window)
    qtbot.waitUntil(lambda: dock.doc is not None and 2 in dock.doc.instances)
    first = window.session.image_id
    assert dock.doc is not None and 2 in dock.doc.instances
    dock.select([2])
    dock.list.setFocus()
    qtbot.waitUntil(dock.list.hasFocus)
    press_key(qtbot, window, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: window.session.image_id != first)
    wait_ready(qtbot, window)
    assert dock.doc is not None and 2 in dock.doc.instances
    assert dock.selected_ids() == [], "the row chosen on the image before is chosen here"
    before = set(dock.doc.instances)
    dock.list.setFocus()
    qtbot.waitUntil(dock.list.hasFocus)
    QTest.keyClick(dock.list, Qt.Key.Key_Delete)
    assert set(dock.doc.instances) == before
