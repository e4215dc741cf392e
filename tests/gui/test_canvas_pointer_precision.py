"""The canvas under a real pointer: positions in whole device pixels, a scaled screen (hand tests).

A window system reports the pointer in whole device pixels; under a 150 % or 200 % screen scale
Qt divides them by the scale, so consecutive mouse moves differ by 0.5 or 0.67 logical pixels.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.ui.annotate.canvas import Canvas
from fashion_annotator.ui.testing import shown_canvas

LEFT, MIDDLE, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton, Qt.MouseButton.NoButton
H, W = 240, 320


@pytest.fixture
def canvas(qtbot):
    rgb = np.random.default_rng(0).integers(0, 255, (H, W, 3), dtype=np.uint8)
    doc = AnnotationDocument("img", rgb, {"parsing7": np.zeros((H, W), np.uint8)}, {"parsing7": None})
    return shown_canvas(qtbot, doc, "parsing7")


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
    aimed = canvas.image_pos(pos)
    for notches in (14, -6, 3):
        wheel(canvas, pos, notches)
        now = canvas.view_pos(aimed.x(), aimed.y())
        assert abs(now.x() - pos.x()) <= 1.0 and abs(now.y() - pos.y()) <= 1.0, (notches, now)


def test_a_one_pixel_brush_line_at_100_percent_is_one_pixel_thick_on_the_row_under_the_pointer(canvas):
    """A mouse reports whole device pixels, the corner of the pixel under its hotspot; at 100 %
    (and 200 %, 400 %) that corner lies on a photo pixel's edge, and the 1 px brush painted the
    rows on both sides of it: a line two pixels thick, half of it above the pointer."""
    canvas.actual_pixels()
    assert canvas.zoom == pytest.approx(1.0)
    canvas.set_tool("brush")
    canvas.set_label(2)
    canvas.set_brush_radius(0.5)
    y = math.floor(canvas.view_pos(100, 120).y())
    xs = range(math.floor(canvas.view_pos(100, 120).x()), math.floor(canvas.view_pos(140, 120).x()) + 1)
    mouse(canvas, QEvent.Type.MouseButtonPress, QPointF(xs[0], y))
    for x in xs[1:]:
        mouse(canvas, QEvent.Type.MouseMove, QPointF(x, y), NONE, LEFT)
    mouse(canvas, QEvent.Type.MouseButtonRelease, QPointF(xs[-1], y), LEFT, NONE)
    # the photo row shown by the device pixel row ``y`` (its centre, y + 0.5)
    row = math.floor(scene_at(canvas, QPointF(xs[0] + 0.5, y + 0.5)).y())
    cols = [math.floor(scene_at(canvas, QPointF(x + 0.5, y + 0.5)).x()) for x in (xs[0], xs[-1])]
    painted = np.argwhere(canvas.document.masks["parsing7"] == 2)
    assert set(painted[:, 0].tolist()) == {row}, "one row, the one under the pointer"
    assert painted[:, 1].min() == cols[0] and painted[:, 1].max() == cols[1]


def test_a_click_at_400_percent_paints_the_photo_pixel_drawn_under_the_pointer(canvas):
    """Every device pixel of the 4 x 4 block that shows a photo pixel paints that pixel alone."""
    canvas.zoom_at(4.0 / canvas.zoom, QPointF(240, 200))
    canvas.set_tool("brush")
    canvas.set_label(2)
    canvas.set_brush_radius(0.5)
    mask = canvas.document.masks["parsing7"]
    corner = canvas.view_pos(150, 110) - QPointF(2.0, 2.0)  # the top left of pixel (150, 110)
    for dy in range(4):
        for dx in range(4):
            pos = QPointF(math.ceil(corner.x()) + dx, math.ceil(corner.y()) + dy)
            shown = scene_at(canvas, pos + QPointF(0.5, 0.5))
            mouse(canvas, QEvent.Type.MouseButtonPress, pos)
            mouse(canvas, QEvent.Type.MouseButtonRelease, pos, LEFT, NONE)
            painted = np.argwhere(mask == 2)
            assert painted.tolist() == [[math.floor(shown.y()), math.floor(shown.x())]], (dx, dy)
            mask[:] = 0


def test_view_pos_and_image_pos_are_inverse(canvas):
    """Tests, benchmarks and the hand-test driver place the pointer with ``view_pos``."""
    canvas.zoom_at(1.7, QPointF(100, 90))
    for x, y in ((0.0, 0.0), (12.25, 40.5), (W - 1.0, H - 1.0)):
        back = canvas.image_pos(canvas.view_pos(x, y))
        assert back.x() == pytest.approx(x, abs=1e-3) and back.y() == pytest.approx(y, abs=1e-3)
