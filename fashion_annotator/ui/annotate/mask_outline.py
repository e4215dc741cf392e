"""The outline of a cutout mask: where a two-class task's mask ends, over any garment colour.

A cutout's tint can be the colour of the garment under it (the shipped garment red is the
parsing "top" red, and red garments are common): over a red garment the tint alone did not
show which pixels the mask holds. The outline is a white line over a black one along the
mask's edges, holes included, drawn with cosmetic pens like the brush outline, so it reads
over red, white and black garments and stays a continuous line at every zoom. It keeps its
full opacity whatever the overlay's opacity, and hides with the overlay.

Cost notes: the contours of a 24-megapixel garment mask take about 20 ms and their path
about 15 ms, but a pixel-jagged edge at that size (a full-resolution model's mask) gives some
55,000 path elements: 165 ms to trace and 18 ms per line each time a brush dab repaints under
it. So a brush or superpixel stroke hides the outline (stale while it paints) and it is traced
again once, :data:`REBUILD_MS` after the stroke ends; other edits rebuild it once they pause
for that long, not per change. Its lines are cached as drawn on screen (the visible part, no
more memory at any zoom): every move of the brush circle repainted them whole under it, 50 ms
at fit and 170 ms zoomed in for that edge, and copies them now. That cache is dropped at
each rebuild: Qt kept its old drawing when the new path's frame differed from the old one on a
zoomed-in view, and an edit that grew the mask upwards (a Smart click above a garment) showed
the garment's old edge shifted up, around pixels the mask does not hold.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QBrush, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.masks import BBox

__all__ = ["REBUILD_MS", "MaskOutline", "mask_path"]

#: Quiet time after a mask change before the outline is rebuilt, in milliseconds.
REBUILD_MS = 120
#: ``(colour, width in screen pixels)`` of the outline's lines, the lower first.
PENS = ((Qt.GlobalColor.black, 3), (Qt.GlobalColor.white, 1))


def mask_path(mask: np.ndarray) -> QPainterPath:
    """The edges of ``mask``'s nonzero pixels as closed polygons, in scene coordinates.

    Parameters
    ----------
    mask : (H, W) uint8
        The mask; every nonzero id counts as kept.

    Returns
    -------
    QPainterPath
        One closed polygon per outer edge and per hole, through the centres of the mask's
        edge pixels (pixel ``(x, y)`` covers the scene square ``[x, x + 1) x [y, y + 1)``), and
        the square of each lone pixel (a stray one would show no line otherwise); empty for an
        empty mask.
    """
    if mask.ndim != 2:
        raise ValueError(f"expected an (H, W) mask, got shape {mask.shape}")
    path = QPainterPath()
    x, y, w, h = cv2.boundingRect(mask)
    if not w or not h:
        return path
    kept = (mask[y : y + h, x : x + w] != 0).astype(np.uint8)
    contours, _ = cv2.findContours(kept, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE, offset=(x, y))
    for contour in contours:
        points = (contour[:, 0, :] + 0.5).tolist()
        if len(points) == 1:  # a lone pixel: a polygon through its centre would draw nothing
            path.addRect(QRectF(points[0][0] - 0.5, points[0][1] - 0.5, 1.0, 1.0))
            continue
        path.addPolygon(QPolygonF([QPointF(px, py) for px, py in points]))
        path.closeSubpath()
    return path


class MaskOutline(QObject):
    """Draws the outline of one task's mask of a document, following its changes.

    Parameters
    ----------
    overlay : QGraphicsItem
        The label overlay's item: the outline's lines are its children, so they hide with it
        (they ignore its opacity).
    parent : QObject, optional
    """

    def __init__(self, overlay: QGraphicsItem, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.items: list[QGraphicsPathItem] = []
        for colour, width in PENS:
            item = QGraphicsPathItem(overlay)
            pen = QPen(colour, width)
            pen.setCosmetic(True)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            item.setPen(pen)
            item.setBrush(QBrush(Qt.BrushStyle.NoBrush))
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresParentOpacity)
            # drawn once per zoom (the visible part): a repaint under the brush circle copies it
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.items.append(item)
        self._doc: AnnotationDocument | None = None
        self._task = ""
        self._shown = True
        self._unsubscribe: Callable[[], None] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REBUILD_MS)
        self._timer.timeout.connect(self.rebuild)

    def follow(self, doc: AnnotationDocument | None, task: str = "", outlined: bool = False) -> None:
        """Outline ``doc``'s mask of ``task`` when ``outlined`` (a two-class task), else nothing."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._timer.stop()
        self._doc, self._task = (doc, task) if outlined else (None, "")
        if self._doc is not None:
            self._unsubscribe = self._doc.subscribe(self._changed)
        self.rebuild()

    def set_shown(self, shown: bool) -> None:
        """Show the outline (it hides anyway while the overlay is hidden) or hide it."""
        self._shown = bool(shown)
        self._set_visible(self._shown)

    def _set_visible(self, visible: bool) -> None:
        for item in self.items:
            item.setVisible(visible)

    def _changed(self, task: str, bbox: BBox, committed: bool) -> None:
        if task != self._task:
            return
        if self._doc is not None and self._doc.in_stroke(task):
            self._set_visible(False)  # stale while the stroke paints, and costly to repaint
        self._timer.start()

    def rebuild(self) -> None:
        """Trace the followed mask's edges again (at once; while a stroke of its task is open,
        once it has ended)."""
        self._timer.stop()
        doc = self._doc
        if doc is not None and doc.in_stroke(self._task):
            self._timer.start()  # look again: a stroke that changed nothing says nothing at its end
            return
        mask = None if doc is None else doc.masks.get(self._task)
        path = QPainterPath() if mask is None else mask_path(mask)
        for item in self.items:
            # Qt keeps the cached drawing when the path's frame grows or shrinks while the
            # lines reach beyond the window (zoomed in): it redraws only the strip the new frame
            # adds and leaves the old lines, shifted, in the rest. Dropping the cache makes the
            # next paint draw the new path whole.
            item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
            item.setPath(path)
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._set_visible(self._shown)
