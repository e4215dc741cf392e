"""A short highlight of the rectangle a command changed (a refinement), drawn over a view."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsView
from shiboken6 import isValid

from fashion_annotator.core.masks import BBox
from fashion_annotator.ui.annotate.image_view import bbox_rect

__all__ = ["flash"]


def flash(view: QGraphicsView, bbox: BBox, ms: int = 900) -> QGraphicsRectItem:
    """Outline ``bbox`` (image pixels) on ``view`` in the highlight colour for ``ms``
    milliseconds, to show where a command (a refinement) changed the mask."""
    item = QGraphicsRectItem(bbox_rect(bbox))
    pen = QPen(view.palette().highlight().color(), 3)
    pen.setCosmetic(True)
    item.setPen(pen)
    item.setZValue(1000)
    view.scene().addItem(item)
    timer = QTimer(view)  # dies with the view, so it never fires on a deleted item
    timer.setSingleShot(True)
    timer.timeout.connect(lambda: _end_flash(item, timer))
    timer.start(ms)
    return item


def _end_flash(item: QGraphicsRectItem, timer: QTimer) -> None:
    if isValid(item) and item.scene() is not None:
        item.scene().removeItem(item)
    timer.deleteLater()
