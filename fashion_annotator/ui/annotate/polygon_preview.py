"""The open polygon on the canvas: its outline to the pointer and its first vertex, drawn
larger and filled while a click there would close the polygon (as labelme and CVAT do)."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsPathItem

from fashion_annotator.annotate.tools import Tool
from fashion_annotator.annotate.tools.polygon import PolygonTool

CLOSE_RADIUS_PX = 8.0
"""How near its first vertex a click closes the polygon, in viewport pixels: the same distance
on screen at any zoom, and (logical pixels grow with the screen's scale) on any screen."""
VERTEX_PX, HOVER_PX = 3.0, 6.0
"""Radius of the first vertex's marker on screen, and while a click there closes the polygon."""


def scene_point(vertex: tuple[float, float]) -> QPointF:
    """The scene point of a vertex in image coordinates (pixel centres at integers)."""
    return QPointF(vertex[0] + 0.5, vertex[1] + 0.5)


class PolygonPreview:
    """Draws a polygon tool's open polygon into ``path_item`` and marks its first vertex.

    Parameters
    ----------
    path_item : QGraphicsPathItem
        The canvas's item for the outline (its pen's width is kept, its colour follows the
        polygon's mode: yellow fills, red subtracts); the marker is its child.
    """

    def __init__(self, path_item: QGraphicsPathItem) -> None:
        self.path_item = path_item
        self.first = QGraphicsEllipseItem(path_item)
        self.first.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.first.setVisible(False)

    def closing(self, tool: Tool, scene_pos: QPointF | None, transform: QTransform) -> PolygonTool | None:
        """``tool`` when a click at ``scene_pos`` closes its polygon, else None.

        It closes when the polygon has three vertices or more and ``scene_pos`` is within
        :data:`CLOSE_RADIUS_PX` of the first vertex on screen (``transform``: the view's scene
        to viewport transform).
        """
        if not isinstance(tool, PolygonTool) or not tool.closable or scene_pos is None:
            return None
        d = transform.map(scene_point(tool.vertices[0])) - transform.map(scene_pos)
        return tool if math.hypot(d.x(), d.y()) <= CLOSE_RADIUS_PX else None

    @property
    def hovered(self) -> bool:
        """Whether the first vertex is shown as the place where a click closes the polygon."""
        return self.first.isVisible() and self.first.rect().width() == 2 * HOVER_PX

    def show(self, tool: Tool, cursor: QPointF | None, transform: QTransform) -> None:
        """Draw ``tool``'s open polygon (nothing for another tool) with the edge from its last
        vertex to ``cursor`` (the pointer's scene point, None: off the view) and back to the
        first vertex; over the first vertex the outline closes there and the marker grows."""
        path = QPainterPath()
        open_polygon = isinstance(tool, PolygonTool) and bool(tool.vertices)
        self.first.setVisible(open_polygon)
        if isinstance(tool, PolygonTool) and tool.vertices:
            hover = self.closing(tool, cursor, transform) is not None
            pts = [scene_point(v) for v in tool.vertices]
            path.moveTo(pts[0])
            for p in pts[1:]:
                path.lineTo(p)
            if cursor is not None and not hover:
                path.lineTo(cursor)
            path.lineTo(pts[0])
            color = QColor(Qt.GlobalColor.red if tool.subtract else Qt.GlobalColor.yellow)
            pen = self.path_item.pen()
            pen.setColor(color)
            self.path_item.setPen(pen)
            r = HOVER_PX if hover else VERTEX_PX
            self.first.setRect(QRectF(-r, -r, 2 * r, 2 * r))
            self.first.setPos(pts[0])
            self.first.setPen(QPen(QColor(Qt.GlobalColor.black) if hover else color, 1.5))
            self.first.setBrush(QBrush(color) if hover else QBrush(Qt.BrushStyle.NoBrush))
        self.path_item.setPath(path)
