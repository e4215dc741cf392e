"""The annotation canvas: photo, label overlay, superpixel boundaries and the editing tools.

Scene coordinates are image pixels: pixel ``(x, y)`` covers the scene square
``[x, x + 1) x [y, y + 1)``, so image coordinates (pixel centres at integers) are the scene
position minus one half. Edits repaint only their bounding box: the overlay buffer is
recoloured there and the scene is told that only that rectangle changed.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.core.masks import BBox
from fashion_annotator.ui import pyside_fix  # noqa: F401  (cursorMoved emits per mouse move)
from fashion_annotator.ui.overlay import LabelOverlay, boundary_image, photo_image
from fashion_annotator.ui.tools import (
    TOOL_NAMES,
    Pointer,
    PolygonTool,
    Tool,
    ToolContext,
    ToolResult,
    make_tool,
)

MIN_SCALE, MAX_SCALE = 0.02, 64.0
MIN_RADIUS, MAX_RADIUS = 0.5, 1000.0
DEFAULT_OPACITY = 0.5
#: Wheel zoom per notch (120 eighths of a degree).
ZOOM_STEP = 1.25


def bbox_rect(bbox: BBox) -> QRectF:
    """The scene rectangle covered by ``bbox``."""
    return QRectF(bbox.x0, bbox.y0, bbox.x1 - bbox.x0, bbox.y1 - bbox.y0)


class ImageItem(QGraphicsItem):
    """Draws a QImage at scene (0, 0), one scene unit per pixel, repainting only what is exposed.

    Parameters
    ----------
    smooth : bool
        Filter when zoomed out (the photo); overlays stay nearest-neighbour so labels keep
        hard edges.
    """

    def __init__(self, smooth: bool = False, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self._image: QImage | None = None
        self._keep: object = None
        self._smooth = smooth

    def set_image(self, image: QImage | None, keep: object = None) -> None:
        """Show ``image``; ``keep`` holds the numpy buffer the image views, if any."""
        self.prepareGeometryChange()
        self._image, self._keep = image, keep
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        if self._image is None:
            return QRectF()
        return QRectF(0, 0, self._image.width(), self._image.height())

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        if self._image is None:
            return
        # A 2 px margin keeps the smooth filter from clamping at the dirty rectangle's edge
        # (visible seams); the painter's clip still limits the work to the exposed area.
        exposed = option.exposedRect.toAlignedRect().adjusted(-2, -2, 2, 2)
        rect = exposed.intersected(self._image.rect())
        if rect.isEmpty():
            return
        if self._smooth and painter.worldTransform().m11() < 1.0:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(rect, self._image, rect)


class Canvas(QGraphicsView):
    """Shows a document's photo and one task's mask, and edits the mask with the tools.

    Signals
    -------
    edited(BBox)
        After each committed edit step, undo or redo.
    strokeProgress(BBox)
        While painting, the pixels changed by the last mouse move.
    cursorMoved(int, int)
        Image pixel under the cursor, ``(-1, -1)`` outside the image.
    labelPicked(int)
        The pick tool's label.
    toolChanged(str)
        The new tool's name.
    brushRadiusChanged(float)
        The new brush radius in image pixels.
    """

    edited = Signal(object)
    strokeProgress = Signal(object)
    cursorMoved = Signal(int, int)
    labelPicked = Signal(int)
    toolChanged = Signal(str)
    brushRadiusChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setBackgroundBrush(QColor(48, 48, 48))
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)

        self._photo = ImageItem(smooth=True)
        self._overlay_item = ImageItem()
        self._boundary_item = ImageItem()
        self._boundary_item.setVisible(False)
        self._polygon_item = QGraphicsPathItem()
        self._outline = QGraphicsEllipseItem()
        self._outline_dark = QGraphicsEllipseItem()
        for item, color in (
            (self._polygon_item, Qt.GlobalColor.yellow),
            (self._outline_dark, Qt.GlobalColor.black),
            (self._outline, Qt.GlobalColor.white),
        ):
            pen = QPen(color, 2 if item is self._outline_dark else 1)
            pen.setCosmetic(True)
            item.setPen(pen)
            item.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        for z, item in enumerate(
            (
                self._photo,
                self._overlay_item,
                self._boundary_item,
                self._polygon_item,
                self._outline_dark,
                self._outline,
            )
        ):
            item.setZValue(z)
            self.scene().addItem(item)
        self._outline.setVisible(False)
        self._outline_dark.setVisible(False)
        self._overlay_item.setOpacity(DEFAULT_OPACITY)

        self._doc: AnnotationDocument | None = None
        self._task = ""
        self._taxonomy: Taxonomy | None = None
        self._overlay: LabelOverlay | None = None
        self._regions: np.ndarray | None = None
        self._boundaries_stale = True
        self._label = 1
        self._radius = 8.0
        self._tool: Tool = make_tool("brush")
        self._pan_from: QPointF | None = None
        self._space = False
        self._cursor_scene: QPointF | None = None
        # True until the user zooms or pans: resizing the window then keeps the photo fitted.
        self._fitted = True
        #: Number of finished viewport paints (the benchmark waits on it).
        self.paint_count = 0

    # ---- document -------------------------------------------------------------------
    @property
    def document(self) -> AnnotationDocument | None:
        """The document shown, or None."""
        return self._doc

    @property
    def task(self) -> str:
        """The task whose mask is shown and edited."""
        return self._task

    def set_document(
        self, doc: AnnotationDocument | None, task: str = "", taxonomy: Taxonomy | None = None
    ) -> None:
        """Show ``doc.rgb`` with ``doc.masks[task]`` as the overlay (None clears the canvas).

        The view fits the window when the image size changes, and keeps the zoom otherwise.
        """
        self._finish_tool()
        old_shape = None if self._doc is None else self._doc.rgb.shape[:2]
        self._doc = doc
        self._regions = None
        self._boundary_item.set_image(None)
        if doc is None:
            self._photo.set_image(None)
            self._overlay_item.set_image(None)
            self._overlay = None
            self._update_polygon_preview()
            return
        if taxonomy is None:
            raise ValueError("set_document needs the task's taxonomy")
        self._photo.set_image(photo_image(doc.rgb))
        self.set_task(task, taxonomy)
        h, w = doc.rgb.shape[:2]
        margin = 2.0 * max(h, w)
        self.setSceneRect(QRectF(-margin, -margin, w + 2 * margin, h + 2 * margin))
        if old_shape != (h, w):
            self.fit_to_window()

    def set_task(self, task: str, taxonomy: Taxonomy) -> None:
        """Show and edit ``task``'s mask, coloured by ``taxonomy``."""
        self._finish_tool()
        self._task, self._taxonomy = task, taxonomy
        if self._doc is None:
            return
        if task not in self._doc.masks:
            raise KeyError(f"document {self._doc.image_id!r} has no mask for task {task!r}")
        self._overlay = LabelOverlay(self._doc.masks[task], taxonomy.colors)
        self._overlay_item.set_image(self._overlay.image, self._overlay)

    def set_regions(self, regions: np.ndarray | None) -> None:
        """Use ``regions`` ((H, W) int32 superpixel ids) for the superpixel tool and boundaries."""
        if regions is not None and self._doc is not None:
            if regions.shape != self._doc.rgb.shape[:2]:
                raise ValueError(
                    f"regions shape {regions.shape} != image shape {self._doc.rgb.shape[:2]}"
                )
        self._regions = regions
        self._boundaries_stale = True
        self._boundary_item.set_image(None)
        if self._boundary_item.isVisible():
            self._render_boundaries()

    @property
    def regions(self) -> np.ndarray | None:
        """The current superpixel level, or None."""
        return self._regions

    def _render_boundaries(self) -> None:
        from fashion_annotator.segmentation.superpixels import region_boundaries

        if self._regions is None or not self._boundaries_stale:
            return
        buffer, image = boundary_image(region_boundaries(self._regions))
        self._boundary_item.set_image(image, buffer)
        self._boundaries_stale = False

    def refresh_overlay(self, bbox: BBox | None = None) -> None:
        """Redraw the overlay from the mask inside ``bbox`` (all when None), after a change
        made outside the canvas (undo, accepted proposal, refinement)."""
        if self._overlay is None or self._doc is None:
            return
        mask = self._doc.masks[self._task]
        if self._overlay.shape != mask.shape:
            self._overlay = None
            self.set_task(self._task, self._taxonomy)  # type: ignore[arg-type]
            return
        self._overlay.update(mask, bbox)
        self._overlay_item.update(QRectF() if bbox is None else bbox_rect(bbox))

    def undo(self) -> BBox | None:
        """Undo the document's last step on this task, repaint it and emit ``edited``."""
        return self._history_step("undo")

    def redo(self) -> BBox | None:
        """Redo the document's next step on this task, repaint it and emit ``edited``."""
        return self._history_step("redo")

    def _history_step(self, which: str) -> BBox | None:
        if self._doc is None:
            return None
        self._finish_tool()
        bbox = getattr(self._doc, which)(self._task)
        if bbox is not None:
            self.refresh_overlay(bbox)
            self.edited.emit(bbox)
        return bbox

    def label_at(self, x: int, y: int) -> int | None:
        """The label of pixel ``(x, y)`` in the shown mask, None outside the image."""
        if self._doc is None:
            return None
        mask = self._doc.masks[self._task]
        if 0 <= y < mask.shape[0] and 0 <= x < mask.shape[1]:
            return int(mask[y, x])
        return None

    # ---- settings -------------------------------------------------------------------
    @property
    def tool(self) -> str:
        """The current tool's name (one of ``tools.TOOL_NAMES``)."""
        return self._tool.name

    def set_tool(self, name: str) -> None:
        """Switch tool; an open polygon is dropped, a stroke in progress is committed."""
        if name not in TOOL_NAMES:
            raise ValueError(f"unknown tool {name!r}; expected one of {', '.join(TOOL_NAMES)}")
        if name == self._tool.name:
            return
        self._finish_tool()
        self._tool = make_tool(name)
        self._update_outline()
        self._update_polygon_preview()
        self.toolChanged.emit(name)

    @property
    def label(self) -> int:
        """The label the tools paint."""
        return self._label

    def set_label(self, label: int) -> None:
        """Paint ``label`` (a class id of the current task's taxonomy) from now on."""
        if not 0 <= int(label) <= 255:
            raise ValueError(f"label {label} outside 0..255")
        self._label = int(label)

    @property
    def brush_radius(self) -> float:
        """Brush and eraser radius in image pixels."""
        return self._radius

    def set_brush_radius(self, radius: float) -> None:
        """Set the brush radius in image pixels (clamped to 0.5..1000)."""
        radius = float(min(max(radius, MIN_RADIUS), MAX_RADIUS))
        if radius != self._radius:
            self._radius = radius
            self._update_outline()
            self.brushRadiusChanged.emit(radius)

    def adjust_brush_radius(self, steps: int) -> None:
        """Grow (``steps > 0``) or shrink the brush by 25 % per step (the ``]`` / ``[`` keys)."""
        self.set_brush_radius(self._radius * ZOOM_STEP**steps)

    @property
    def overlay_opacity(self) -> float:
        """Opacity of the label overlay, 0..1."""
        return self._overlay_item.opacity()

    def set_overlay_opacity(self, opacity: float) -> None:
        """Set the label overlay's opacity (0 transparent .. 1 opaque)."""
        self._overlay_item.setOpacity(min(max(float(opacity), 0.0), 1.0))

    @property
    def overlay_visible(self) -> bool:
        """Whether the label overlay is shown."""
        return self._overlay_item.isVisible()

    def set_overlay_visible(self, visible: bool) -> None:
        """Show or hide the label overlay."""
        self._overlay_item.setVisible(bool(visible))

    @property
    def boundaries_visible(self) -> bool:
        """Whether the superpixel boundaries are shown."""
        return self._boundary_item.isVisible()

    def set_boundaries_visible(self, visible: bool) -> None:
        """Show or hide the boundaries of the current superpixel regions."""
        self._boundary_item.setVisible(bool(visible))
        if visible:
            self._render_boundaries()

    # ---- view -----------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        return self.transform().m11()

    def fit_to_window(self) -> None:
        """Zoom and centre so the whole photo is visible."""
        rect = self._photo.boundingRect()
        if not rect.isEmpty():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._fitted = True

    def zoom_at(self, factor: float, view_pos: QPointF) -> None:
        """Zoom by ``factor`` keeping the scene point under ``view_pos`` (viewport pixels) fixed."""
        factor = min(max(self.zoom * factor, MIN_SCALE), MAX_SCALE) / self.zoom
        self._fitted = False
        before = self.mapToScene(view_pos.toPoint())
        anchor = QPointF(before)
        self.scale(factor, factor)
        after = self.mapFromScene(anchor)
        delta = after - view_pos.toPoint()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + delta.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + delta.y())

    def image_pos(self, view_pos: QPointF) -> QPointF:
        """Image coordinates (pixel centres at integers) of a viewport position."""
        scene = self._to_scene(view_pos)
        # Inverting the view transform leaves ~1e-14 noise that would flip pixels lying
        # exactly on the brush edge; 1/1024 px is far finer than any pointer.
        return QPointF(round(scene.x() * 1024) / 1024 - 0.5, round(scene.y() * 1024) / 1024 - 0.5)

    def _to_scene(self, view_pos: QPointF) -> QPointF:
        # mapToScene(QPointF) keeps sub-pixel precision, needed at high zoom.
        return self.viewportTransform().inverted()[0].map(QPointF(view_pos))

    def view_pos(self, x: float, y: float) -> QPointF:
        """Viewport position of image coordinates ``(x, y)``."""
        return self.viewportTransform().map(QPointF(x + 0.5, y + 0.5))

    # ---- events ---------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        self.paint_count += 1

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fitted:
            self.fit_to_window()

    def event(self, event: QEvent) -> bool:
        # Keys the canvas needs while editing win over window shortcuts bound to them.
        if event.type() == QEvent.Type.ShortcutOverride and self._wants_key(event.key()):
            event.accept()
            return True
        return super().event(event)

    def _wants_key(self, key: int) -> bool:
        if key == Qt.Key.Key_Space:
            return True
        polygon = isinstance(self._tool, PolygonTool) and self._tool.active
        editing_keys = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Backspace)
        return (key == Qt.Key.Key_Escape and self._tool.active) or (polygon and key in editing_keys)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        notches = event.angleDelta().y() / 120.0
        if notches:
            self.zoom_at(ZOOM_STEP**notches, event.position())
            self._move_cursor(event.position())
        event.accept()

    def _context(self) -> ToolContext | None:
        if self._doc is None or self._task not in self._doc.masks:
            return None
        return ToolContext(self._doc, self._task, self._label, self._radius, self._regions)

    def _pointer(self, event: QMouseEvent) -> Pointer:
        pos = self.image_pos(event.position())
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        return Pointer(pos.x(), pos.y(), shift)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space
        ):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        elif button == Qt.MouseButton.LeftButton and (ctx := self._context()) is not None:
            self._handle(self._tool.press(ctx, self._pointer(event)))
            self._update_polygon_preview()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self._fitted = False
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
        elif self._tool.active and event.buttons() & Qt.MouseButton.LeftButton:
            if (ctx := self._context()) is not None:
                self._handle(self._tool.move(ctx, self._pointer(event)))
        self._move_cursor(event.position())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.LeftButton,
        ):
            self._pan_from = None
            self.viewport().setCursor(
                Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor
            )
        elif event.button() == Qt.MouseButton.LeftButton and (ctx := self._context()):
            self._handle(self._tool.release(ctx, self._pointer(event)))
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        # The first click of the pair already placed the last polygon vertex; the double
        # click closes the polygon. For the other tools it is a second press.
        if event.button() == Qt.MouseButton.LeftButton and isinstance(self._tool, PolygonTool):
            if (ctx := self._context()) is not None and not self._space:
                shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                self._handle(self._tool.close(ctx, shift))
                self._update_polygon_preview()
            event.accept()
            return
        self.mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._space = True
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and isinstance(self._tool, PolygonTool):
            if (ctx := self._context()) is not None:
                shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                self._handle(self._tool.close(ctx, shift))
            self._update_polygon_preview()
        elif key == Qt.Key.Key_Escape and self._tool.active:
            self._finish_tool()
        elif key == Qt.Key.Key_Backspace and isinstance(self._tool, PolygonTool):
            self._tool.undo_vertex()
            self._update_polygon_preview()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            if self._pan_from is None:
                self.viewport().setCursor(Qt.CursorShape.CrossCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        self._space = False
        super().focusOutEvent(event)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        self._cursor_scene = None
        self._update_outline()
        self.cursorMoved.emit(-1, -1)
        super().leaveEvent(event)

    # ---- helpers --------------------------------------------------------------------
    def _handle(self, result: ToolResult) -> None:
        if result.picked is not None:
            self._label = result.picked
            self.labelPicked.emit(result.picked)
        if result.bbox is not None:
            self._overlay.update(self._doc.masks[self._task], result.bbox)  # type: ignore[union-attr]
            self._overlay_item.update(bbox_rect(result.bbox))
        if result.committed:
            if result.bbox is not None:
                self.edited.emit(result.bbox)
        elif result.bbox is not None:
            self.strokeProgress.emit(result.bbox)

    def _finish_tool(self) -> None:
        """Commit a stroke in progress or drop an open polygon."""
        if self._tool.active:
            self._handle(self._tool.cancel(self._context()))
            self._update_polygon_preview()

    def _move_cursor(self, view_pos: QPointF) -> None:
        scene = self._to_scene(view_pos)
        self._cursor_scene = scene
        self._update_outline()
        self._update_polygon_preview()
        if self._doc is not None:
            h, w = self._doc.rgb.shape[:2]
            x, y = math.floor(scene.x()), math.floor(scene.y())
            if 0 <= x < w and 0 <= y < h:
                self.cursorMoved.emit(x, y)
                return
        self.cursorMoved.emit(-1, -1)

    def _update_outline(self) -> None:
        show = self._cursor_scene is not None and self._tool.name in ("brush", "eraser")
        for item in (self._outline, self._outline_dark):
            item.setVisible(show)
            if show:
                r = self._radius
                c = self._cursor_scene
                item.setRect(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r))

    def _update_polygon_preview(self) -> None:
        tool = self._tool
        path = QPainterPath()
        if isinstance(tool, PolygonTool) and tool.vertices:
            pts = [QPointF(x + 0.5, y + 0.5) for x, y in tool.vertices]
            path.moveTo(pts[0])
            for p in pts[1:]:
                path.lineTo(p)
            if self._cursor_scene is not None:
                path.lineTo(self._cursor_scene)
            path.lineTo(pts[0])
            pen = self._polygon_item.pen()
            pen.setColor(QColor(Qt.GlobalColor.red if tool.subtract else Qt.GlobalColor.yellow))
            self._polygon_item.setPen(pen)
        self._polygon_item.setPath(path)
