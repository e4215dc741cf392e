"""A Smart-click box dragged over plain backdrop, with nothing in it (a hand test on studio
photos): it is refused and says why, instead of filling a block of backdrop as the object.

The click model is the hand-set disk network of ``disk_click_model``; GrabCut is the real one.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from fashion_annotator.annotate.tools import smartclick as click_tool
from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.segmentation.clicks import ClickPredictor
from fashion_annotator.ui.annotate.canvas import Canvas
from fashion_annotator.ui.testing import shown_canvas

LEFT, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
NOMOD = Qt.KeyboardModifier.NoModifier
H, W = 600, 400


def send(canvas: Canvas, kind, x: float, y: float, button, buttons) -> None:
    pos = canvas.view_pos(x, y)
    vp = canvas.viewport()
    QApplication.sendEvent(vp, QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos.toPoint())), button, buttons, NOMOD))


def drag_box(canvas: Canvas, x0: float, y0: float, x1: float, y1: float) -> None:
    send(canvas, QEvent.Type.MouseButtonPress, x0, y0, LEFT, LEFT)
    for t in np.linspace(0, 1, 6)[1:]:
        send(canvas, QEvent.Type.MouseMove, x0 + t * (x1 - x0), y0 + t * (y1 - y0), NONE, LEFT)
    send(canvas, QEvent.Type.MouseButtonRelease, x1, y1, LEFT, NONE)


def studio_photo() -> np.ndarray:
    """A light green backdrop shading from top to bottom, JPEG-like noise, a dark red coat."""
    rng = np.random.default_rng(0)
    shade = np.linspace(0, 18, H, dtype=np.float32)[:, None, None]
    rgb = np.array([178, 238, 196], np.float32) - shade + rng.normal(0, 1.0, (H, W, 3))
    rgb[200:500, 120:280] = (140, 30, 60)
    return np.clip(rgb, 0, 255).astype(np.uint8)


@pytest.fixture
def canvas(qtbot, disk_click_model, monkeypatch) -> Canvas:
    predictor = ClickPredictor(disk_click_model(-5.0))
    monkeypatch.setattr(click_tool, "shared_click_predictor", lambda path=None: predictor)
    doc = AnnotationDocument("studio", studio_photo(), {"garment": np.zeros((H, W), np.uint8)})
    view = shown_canvas(qtbot, doc, "garment", size=(500, 700))
    view.set_tool("smartclick")
    return view


def test_a_box_on_plain_backdrop_changes_nothing_and_says_why(canvas: Canvas) -> None:
    """Found in a hand test: a box dragged over the empty backdrop beside a mannequin added a
    block of backdrop (21,749 px at 1152x1728) to the garment, as a box around it would."""
    doc = canvas.document
    messages: list[str] = []
    canvas.message.connect(messages.append)
    drag_box(canvas, 10, 10, 100, 150)
    assert not doc.masks["garment"].any(), "no backdrop is filled in"
    assert not doc.history["garment"].can_undo and not doc.click_log.get("garment")
    assert canvas._markers.count == 0
    assert messages and messages[-1] == click_tool.BOX_EMPTY


def test_a_box_around_the_coat_still_fills_it(canvas: Canvas) -> None:
    drag_box(canvas, 100, 180, 300, 520)
    m = canvas.document.masks["garment"]
    assert m[350, 200] == 1 and canvas._markers.count == 1
    assert canvas.document.click_log["garment"][0]["kind"] == "box"
