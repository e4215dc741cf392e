"""Ctrl+click on a Smart-click marker on the parsing mask (a hand test): the click's pixels go
back to the class around them, as a negative click's do, not to background.

The click model is the hand-set disk network of ``disk_click_model``: a positive click makes its
disk the chosen class.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from fashion_annotator.annotate.tools import smartclick as click_tool
from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.masks import BBox
from fashion_annotator.segmentation.clicks import ClickPredictor
from fashion_annotator.ui.annotate.canvas import Canvas
from fashion_annotator.ui.testing import click_viewport, shown_canvas

LEFT, RIGHT_BUTTON, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton, Qt.MouseButton.NoButton
NOMOD, CTRL = Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier
H, W = 600, 400
SKIN, HAIR, TOP = 1, 2, 3  # parsing7


def click(canvas: Canvas, x: float, y: float, mods_or_button=NOMOD) -> None:
    """Left click with modifiers ``mods_or_button``, or a click of that button."""
    button, mods = LEFT, mods_or_button
    if isinstance(mods_or_button, Qt.MouseButton):
        button, mods = mods_or_button, NOMOD
    click_viewport(canvas, canvas.view_pos(x, y), button, mods)


@pytest.fixture
def canvas(qtbot, disk_click_model, monkeypatch) -> Canvas:
    """A parsing mask with a "top" over most of the photo; Smart click with "skin" chosen."""
    predictor = ClickPredictor(disk_click_model(-5.0))
    monkeypatch.setattr(click_tool, "shared_click_predictor", lambda path=None: predictor)
    rgb = np.random.default_rng(0).integers(0, 255, (H, W, 3), dtype=np.uint8)
    mask = np.zeros((H, W), np.uint8)
    mask[100:500, 80:320] = TOP
    doc = AnnotationDocument("p", rgb, {"parsing7": mask})
    view = shown_canvas(qtbot, doc, "parsing7", size=(500, 700))
    view.set_tool("smartclick")
    view.set_label(SKIN)
    return view


def test_removing_a_class_click_gives_its_pixels_back_to_the_class_around(canvas: Canvas) -> None:
    """Found in a hand test: a "skin" click on a top, taken back with Ctrl+click on its marker,
    left a hole of background (about 4,000 px) in the middle of the top."""
    doc = canvas.document
    before = doc.masks["parsing7"].copy()
    click(canvas, 200, 300)
    assert doc.masks["parsing7"][300, 200] == SKIN
    click(canvas, 201, 301, CTRL)
    assert canvas._markers.count == 0
    m = doc.masks["parsing7"]
    assert m[300, 200] == TOP, "the click's pixels are the top's again"
    assert np.array_equal(m, before)
    canvas.undo()  # the removal is one step
    assert doc.masks["parsing7"][300, 200] == SKIN and canvas._markers.count == 1


def test_removing_a_not_here_click_gives_its_pixels_back_unless_painted_since(canvas: Canvas) -> None:
    """A negative "skin" click's pixels went to the "top" around them; taking it back made them
    skin again only where they were background, so the top kept them. A stroke painted over
    them since (hair) stays."""
    doc = canvas.document
    doc.masks["parsing7"][250:350, 150:250] = SKIN  # a patch of skin on the top
    before = doc.masks["parsing7"].copy()
    click(canvas, 158, 300, RIGHT_BUTTON)
    taken = (before == SKIN) & (doc.masks["parsing7"] != SKIN)
    assert taken.sum() > 300 and (doc.masks["parsing7"][taken] == TOP).all()

    def paint(m: np.ndarray) -> BBox:
        m[295:305, 150:160] = HAIR
        return BBox(295, 150, 305, 160)

    doc.apply("parsing7", paint)
    click(canvas, 158, 300, CTRL)
    m = doc.masks["parsing7"]
    assert canvas._markers.count == 0
    assert (m[295:305, 150:160] == HAIR).all(), "the hair painted since stays"
    rest = np.ones(m.shape, bool)
    rest[295:305, 150:160] = False
    assert np.array_equal(m[rest], before[rest]), "the rest is skin again"
