"""The canvas under a real pointer: positions in whole device pixels, a scaled screen (hand tests).

A window system reports the pointer in whole device pixels; under a 150 % or 200 % screen scale
Qt divides them by the scale, so consecutive mouse moves differ by 0.5 or 0.67 logical pixels.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.ui.annotate.canvas import Canvas

LEFT, MIDDLE, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton, Qt.MouseButton.NoButton
H, W = 240, 320


@pytest.fixture
def canvas(qtbot):
    view = Canvas()
    qtbot.addWidget(view)
    view.resize(480, 400)
    view.show()
    qtbot.waitExposed(view)
    rgb = np.random.default_rng(0).integers(0, 255, (H, W, 3), dtype=np.uint8)
    doc = AnnotationDocument("img", rgb, {"parsing7": np.zeros((H, W), np.uint8)}, {"parsing7": None})
    view.set_document(doc, "parsing7", load_taxonomy("parsing7"))
    return view


def mouse(canvas: Canvas, kind: QEvent.Type, pos: QPointF, button=LEFT, buttons=LEFT) -> None:
    """One mouse event on the viewport at ``pos`` (logical pixels), as the window system sends it."""
    vp = canvas.viewport()
    global_pos = QPointF(vp.mapToGlobal(QPoint(0, 0))) + pos
    QApplication.sendEvent(vp, QMouseEvent(kind, pos, global_pos, button, buttons, Qt.KeyboardModifier.NoModifier))


def wheel(canvas: Canvas, pos: QPointF, notches: int) -> None:
    """``notches`` wheel notches (positive: zoom in) at ``pos``."""
    vp = canvas.viewport()
    global_pos = QPointF(vp.mapToGlobal(QPoint(0, 0))) + pos
    for _ in range(abs(notches)):
        event = QWheelEvent(pos, global_pos, QPoint(), QPoint(0, 120 if notches > 0 else -120), NONE,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
        QApplication.sendEvent(vp, event)


def scene_at(canvas: Canvas, pos: QPointF) -> QPointF:
    """The scene point drawn at viewport position ``pos`` (exact, not rounded to a pixel)."""
    return canvas.viewportTransform().inverted()[0].map(pos)


def test_a_slow_pan_at_200_percent_screen_scale_moves_the_photo_with_the_pointer(canvas):
    """At a 200 % screen scale a slow drag moves the pointer one device pixel (0.5 logical) per
    event: the photo stood still (each half pixel was rounded away) while the hand moved on."""
    canvas.zoom_at(2.0, QPointF(240, 200))
    start = QPointF(200.0, 200.0)
    grabbed = scene_at(canvas, start)
    mouse(canvas, QEvent.Type.MouseButtonPress, start, MIDDLE, MIDDLE)
    pos = start
    for _ in range(60):
        pos = pos + QPointF(0.5, 0.5)
        mouse(canvas, QEvent.Type.MouseMove, pos, NONE, MIDDLE)
    mouse(canvas, QEvent.Type.MouseButtonRelease, pos, MIDDLE, NONE)
    under = scene_at(canvas, pos)
    # the photo point grabbed is still under the hand, within a logical pixel
    assert abs(under.x() - grabbed.x()) * canvas.zoom <= 1.0
    assert abs(under.y() - grabbed.y()) * canvas.zoom <= 1.0


def test_wheel_zooming_in_many_notches_keeps_the_photo_point_under_the_cursor(canvas):
    """Each notch scrolled by whole pixels and re-read the point under the cursor from the
    rounded view, so the half-pixel errors grew by 1.25 per notch: 14 notches moved the point
    the operator aimed at about 13 px away from the cursor."""
    pos = QPointF(301.0, 121.0)
    aimed = scene_at(canvas, pos)
    for notches in (14, -6, 3):
        wheel(canvas, pos, notches)
        now = canvas.viewportTransform().map(aimed)
        assert abs(now.x() - pos.x()) <= 1.0 and abs(now.y() - pos.y()) <= 1.0, (notches, now)
