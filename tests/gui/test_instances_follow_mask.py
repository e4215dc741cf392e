"""The Instances panel follows the parsing mask both ways, and its merge, split and category
choices do what they say: found by a cataloguing operator's hand test, driven by real events on
CCP photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from fashion_annotator.instances.model import inconsistent_pixels
from fashion_annotator.ui.testing import CTRL, drag, instance_of, press_key


@pytest.fixture
def template(masks_template: Path) -> Path:
    """The photos with their ground-truth masks saved: the conftest's ``opened`` opens a copy."""
    return masks_template


def test_undoing_a_saved_stroke_gives_the_instance_its_pixels_back(opened, qtbot):
    """A skin stroke across the dress, a save, Ctrl+Z of the stroke, a save: the save had
    taken the painted pixels out of the dress, and the undo never gave them back (a silent
    hole of dress pixels in no instance, exported so). Now the second save returns them."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    assert window.save()
    before = project.load_instances(image_id)
    ys, xs = np.nonzero(before.map == dress)
    cy, cx = float(np.median(ys)), float(np.median(xs))
    window.set_task("parsing7")
    window.set_label(1)
    window.canvas.set_tool("brush")
    drag(window, [(cx - 30, cy), (cx + 30, cy)])
    parsing = window.session.current.doc.masks["parsing7"]
    taken = (before.map == dress) & (parsing == 1)
    assert taken.sum() > 100
    press_key(qtbot, window, Qt.Key.Key_S, CTRL)
    saved = project.load_instances(image_id)
    assert not (saved.map[taken] == dress).any(), "the save took the painted pixels out of the dress"
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert np.all(parsing[taken] == 6)
    press_key(qtbot, window, Qt.Key.Key_S, CTRL)
    after = project.load_instances(image_id)
    np.testing.assert_array_equal(after.map, before.map)
    assert after.instances == before.instances
    assert inconsistent_pixels(after, project.load_mask(image_id, "parsing7")) == {}
    assert dock.doc.instances[dress] == before.instances[dress]
