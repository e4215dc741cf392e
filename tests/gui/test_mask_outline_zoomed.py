"""A zoomed-in cutout's outline is drawn where its mask ends, after every edit, undo and redo."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage, QTransform

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.masks import BBox
from fashion_annotator.ui.annotate import mask_outline
from fashion_annotator.ui.annotate.canvas import Canvas
from fashion_annotator.ui.testing import shown_canvas

SIDE = 600
#: The garment: its top edge in sight, its bottom well below the window (zoomed in).
COAT = (slice(250, 590), slice(200, 400))
#: What a Smart click on a sunglasses lens added: a blob above the garment, apart from it.
BLOB = BBox(205, 280, 240, 310)
ZOOM = 1.5


def _lines(view: Canvas) -> np.ndarray:
    """``(n, 2)`` photo points ``(x, y)`` under the near-black screen pixels of the viewport
    (the outline's lower line; the grey photo and its red tint are never that dark)."""
    shot: QImage = view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    h, w = shot.height(), shot.width()
    pixels = np.frombuffer(shot.constBits(), np.uint8, shot.bytesPerLine() * h)
    rgb = pixels.reshape(h, shot.bytesPerLine())[:, : 3 * w].reshape(h, w, 3)
    ys, xs = np.nonzero(rgb.max(axis=2) < 60)
    points = [view.mapToScene(QPoint(int(x), int(y))) for y, x in zip(ys, xs, strict=True)]
    return np.array([[p.x(), p.y()] for p in points]).reshape(-1, 2)


def _off_the_edge(view: Canvas, mask: np.ndarray) -> int:
    """How many outline pixels on screen lie more than 2 photo pixels from an edge pixel of
    ``mask`` (a kept pixel beside a background one, or on the photo's border)."""
    kept = (mask != 0).astype(np.uint8)
    inner = cv2.erode(kept, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    edge = (kept != 0) & (inner == 0)
    far = cv2.distanceTransform((~edge).astype(np.uint8), cv2.DIST_L2, 5)
    points = _lines(view)
    cols = np.clip(np.floor(points[:, 0]).astype(int), 0, mask.shape[1] - 1)
    rows = np.clip(np.floor(points[:, 1]).astype(int), 0, mask.shape[0] - 1)
    return int((far[rows, cols] > 2).sum())


def _outlined(view: Canvas, x: float, y: float) -> bool:
    """Whether an outline pixel lies within 2 photo pixels of the photo point ``(x, y)``."""
    points = _lines(view)
    return bool((np.hypot(points[:, 0] - x, points[:, 1] - y) <= 2).any())


def _add_blob(mask: np.ndarray) -> BBox:
    mask[BLOB.slices] = 1
    return BLOB


def test_the_outline_matches_the_mask_after_a_click_undo_redo_and_the_preview(qtbot):
    """Zoomed in on a model's head, a Smart click on a sunglasses lens added a blob above the
    garment: a black line then ran around the head and shoulders, over pixels the mask does
    not hold (the garment's old edge, drawn shifted up by the blob's height), and came back at
    each redo. The outline's cached drawing was kept whenever its frame grew; it is drawn
    from the new edge now, after the edit, its undo and redo, and the cutout preview."""
    rgb = np.full((SIDE, SIDE, 3), 128, np.uint8)
    mask = np.zeros((SIDE, SIDE), np.uint8)
    mask[COAT] = 1
    doc = AnnotationDocument("img", rgb, {"garment": mask})
    view = shown_canvas(qtbot, doc, "garment", (400, 400))
    view.set_overlay_opacity(0.55)
    view.setTransform(QTransform.fromScale(ZOOM, ZOOM))
    view.centerOn(300, 330)
    qtbot.wait(50)
    garment = doc.masks["garment"]
    assert _outlined(view, 300, 250) and _off_the_edge(view, garment) == 0

    def settled() -> None:
        qtbot.wait(3 * mask_outline.REBUILD_MS)
        path = view._mask_edge.items[0].path()
        x, y, w, h = cv2.boundingRect(garment)
        assert path.boundingRect().getRect() == (x + 0.5, y + 0.5, w - 1.0, h - 1.0)

    doc.apply("garment", _add_blob)
    settled()
    assert _off_the_edge(view, garment) == 0
    assert _outlined(view, 295, BLOB.y0) and _outlined(view, 300, 250)

    view.undo()
    settled()
    assert _off_the_edge(view, garment) == 0
    assert not _outlined(view, 295, BLOB.y0) and _outlined(view, 300, 250)

    view.redo()
    settled()
    assert _off_the_edge(view, garment) == 0
    assert _outlined(view, 295, BLOB.y0)

    view.set_cutout_preview(True)
    assert _lines(view).size == 0
    view.set_cutout_preview(False)
    assert _off_the_edge(view, garment) == 0
    assert _outlined(view, 295, BLOB.y0) and _outlined(view, 300, 250)
