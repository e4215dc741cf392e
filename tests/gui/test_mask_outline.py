"""A cutout's overlay shows where its mask ends over a garment of the tint's own colour."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QGraphicsPathItem

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.ui.annotate import mask_outline
from fashion_annotator.ui.annotate.canvas import Canvas
from fashion_annotator.ui.testing import shown_canvas

#: A red garment: the garment task's tint is this red too (the parsing "top" red).
RED = (230, 25, 75)


def _photo_and_mask(side: int) -> tuple[np.ndarray, np.ndarray]:
    """An all-red photo and a cutout of its middle with an unlabelled hole, a fifth of ``side``
    across, in the middle of the cutout."""
    rgb = np.empty((side, side, 3), np.uint8)
    rgb[:] = RED
    mask = np.zeros((side, side), np.uint8)
    mask[side // 5 : 4 * side // 5, side // 5 : 4 * side // 5] = 1
    mask[2 * side // 5 : 3 * side // 5, 2 * side // 5 : 3 * side // 5] = 0
    return rgb, mask


def _canvas(qtbot, side: int, task: str = "garment") -> tuple[Canvas, AnnotationDocument]:
    rgb, mask = _photo_and_mask(side)
    doc = AnnotationDocument("img", rgb, {task: mask})
    view = shown_canvas(qtbot, doc, task, (400, 400))
    view.set_overlay_opacity(0.55)
    return view, doc


def _near(view: Canvas, x: float, y: float, reach: int = 3) -> tuple[bool, bool]:
    """Whether a near-white and a near-black screen pixel lie within ``reach`` pixels of the
    photo point ``(x, y)`` (neither is red, the photo's colour, nor a red tint over it)."""
    shot: QImage = view.viewport().grab().toImage()
    at = view.view_pos(x, y)
    white = black = False
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            c = shot.pixelColor(round(at.x()) + dx, round(at.y()) + dy)
            rgb = (c.red(), c.green(), c.blue())
            white |= min(rgb) > 200
            black |= max(rgb) < 60
    return white, black


@pytest.mark.parametrize("side", [200, 4000])
def test_cutout_edges_show_over_a_garment_of_the_tint_colour(qtbot, side):
    """The garment tint over a red garment is red on red: an unlabelled hole in the cutout was
    as red as the rest. Its edges, and the cutout's outer edges, are now outlined in white
    over black, fitted to the window whether the photo is small or 16 megapixels."""
    view, _ = _canvas(qtbot, side)
    hole_left, middle = 2 * side / 5, side / 2
    assert _near(view, hole_left, middle) == (True, True)
    assert _near(view, side / 5, middle) == (True, True)
    assert _near(view, 0.3 * side, 0.3 * side) == (False, False)  # inside the cutout: no line


def test_outline_follows_edits_and_leaves_the_cutout_preview_alone(qtbot):
    """Filling the hole takes its outline away once the edit settles; the cutout preview (V)
    shows the mask's pixels alone, without the line over their edge."""
    side = 200
    view, doc = _canvas(qtbot, side)
    filled = doc.masks["garment"].copy()
    filled[side // 5 : 4 * side // 5, side // 5 : 4 * side // 5] = 1
    doc.start_from("garment", filled)
    qtbot.waitUntil(lambda: _near(view, 2 * side / 5, side / 2) == (False, False), timeout=3000)
    view.set_cutout_preview(True)
    assert _near(view, side / 5, side / 2)[0] is False
    view.set_cutout_preview(False)
    assert _near(view, side / 5, side / 2) == (True, True)


def test_parsing_tasks_keep_their_plain_colours(qtbot):
    """Only two-class (cutout) tasks are outlined: a parsing mask's classes meet everywhere."""
    view, _ = _canvas(qtbot, 200, task="parsing7")
    assert _near(view, 200 / 5, 100) == (False, False)


@pytest.mark.parametrize(
    ("at", "changes"),
    [((100.0, 100.0), True), ((50.0, 50.0), False)],
    ids=["fills the hole", "changes nothing"],
)
def test_a_stroke_hides_the_outline_and_it_is_traced_once_after(qtbot, monkeypatch, at, changes):
    """A 24 MP mask with a pixel-jagged edge has some 55,000 outline elements: it was traced
    again at every pause of a brush stroke (165 ms on the GUI thread) and repainted under every
    dab (2 x 18 ms). A stroke that paints now hides the stale outline, which is traced once
    after the stroke ends; one that changes no pixel leaves it as it is."""
    traced: list[int] = []
    trace = mask_outline.mask_path
    monkeypatch.setattr(mask_outline, "mask_path", lambda mask: traced.append(1) or trace(mask))
    side = 200
    view, doc = _canvas(qtbot, side)
    traced.clear()
    doc.begin_stroke("garment", 1, 4.0)
    doc.extend_stroke("garment", np.array([at]))
    shown = (False, False) if changes else (True, True)
    assert _near(view, side / 5, side / 2) == shown  # hidden while the stroke paints
    qtbot.wait(3 * mask_outline.REBUILD_MS)  # the operator pauses mid-stroke
    assert traced == []
    assert _near(view, side / 5, side / 2) == shown
    doc.end_stroke("garment")
    qtbot.waitUntil(lambda: _near(view, side / 5, side / 2) == (True, True), timeout=3000)
    qtbot.wait(2 * mask_outline.REBUILD_MS)
    assert traced == ([1] if changes else [])


def test_a_lone_pixel_of_the_cutout_is_outlined(qtbot):
    """A stray pixel of the cutout (it would be delivered in the cutout PNG) had an outline of
    a single point, which draws nothing: over a red garment it did not show at all."""
    side = 200
    view, doc = _canvas(qtbot, side)
    mask = doc.masks["garment"].copy()
    mask[20, 20] = 1
    doc.start_from("garment", mask)
    qtbot.waitUntil(lambda: _near(view, 20.5, 20.5, reach=1) == (True, True), timeout=3000)


def test_moving_the_pointer_does_not_draw_the_outline_again(qtbot, monkeypatch):
    """Each move of the brush circle repaints the photo under it, and the outline's lines were
    stroked again whole: over a 24 MP cutout with a pixel-jagged edge (60,000 elements) 50 ms
    per mouse move at fit, 170 ms zoomed in. They are drawn once for the view now, and a
    repaint under the pointer copies them."""
    painted: list[int] = []

    class CountingPathItem(QGraphicsPathItem):
        def paint(self, painter, option, widget=None):
            painted.append(1)
            super().paint(painter, option, widget)

    monkeypatch.setattr(mask_outline, "QGraphicsPathItem", CountingPathItem)
    view, _ = _canvas(qtbot, 200)
    view.set_tool("brush")
    qtbot.waitUntil(lambda: bool(painted), timeout=3000)  # the first drawing of the view
    qtbot.wait(50)
    painted.clear()
    for step in range(6):  # along the cutout's left edge, where the lines are
        at = view.view_pos(40, 60 + 15 * step)
        qtbot.mouseMove(view.viewport(), QPoint(round(at.x()), round(at.y())))
        qtbot.wait(20)
    assert painted == []


def test_the_opacity_slider_at_zero_leaves_the_bare_photo(qtbot):
    """An operator drags the overlay opacity to 0 to see the bare photo: the outline, drawn at
    full strength whatever the opacity, stayed over it. It hides at 0 and comes back above."""
    side = 200
    view, _ = _canvas(qtbot, side)
    view.set_overlay_opacity(0.0)
    assert _near(view, side / 5, side / 2) == (False, False)
    view.set_overlay_opacity(0.3)
    assert _near(view, side / 5, side / 2) == (True, True)
