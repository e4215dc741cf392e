"""Smart-click markers on the canvas: a dot per click of the session and the box being dragged."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsRectItem

from fashion_annotator.annotate.tools import Tool, ToolContext


class ClickMarkers:
    """Smart-click markers (green: positive, red: negative) and the box being dragged."""

    RADIUS_PX = 5.0  # on screen: markers keep their size at any zoom

    def __init__(self, scene, z: int) -> None:
        self._scene = scene
        self._z = z
        self._items: list[QGraphicsEllipseItem] = []
        self._box = QGraphicsRectItem()
        pen = QPen(QColor(Qt.GlobalColor.cyan), 1, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self._box.setPen(pen)
        self._box.setZValue(z)
        self._box.setVisible(False)
        scene.addItem(self._box)

    @property
    def count(self) -> int:
        """Markers shown."""
        return sum(item.isVisible() for item in self._items)

    def show(self, tool: Tool, ctx: ToolContext | None) -> None:
        """Draw ``tool``'s clicks (a Smart-click tool's session) and its box preview."""
        sync = getattr(tool, "sync", None)
        if sync is not None:
            sync(ctx)
        clicks = list(getattr(tool, "clicks", []))
        while len(self._items) < len(clicks):
            item = QGraphicsEllipseItem(-self.RADIUS_PX, -self.RADIUS_PX, 2 * self.RADIUS_PX,
                                        2 * self.RADIUS_PX)
            item.setFlag(QGraphicsEllipseItem.GraphicsItemFlag.ItemIgnoresTransformations)
            item.setZValue(self._z)
            self._scene.addItem(item)
            self._items.append(item)
        for i, item in enumerate(self._items):
            if i < len(clicks):
                c = clicks[i]
                color = QColor("#2e7d32" if c.positive else "#c62828")
                item.setBrush(QBrush(color))
                item.setPen(QPen(QColor(Qt.GlobalColor.white), 1.5))
                item.setPos(QPointF(c.x + 0.5, c.y + 0.5))
            item.setVisible(i < len(clicks))
        box = getattr(tool, "box", None)
        self._box.setVisible(box is not None)
        if box is not None:
            y0, x0, y1, x1 = box
            self._box.setRect(QRectF(x0 + 0.5, y0 + 0.5, x1 - x0, y1 - y0))
