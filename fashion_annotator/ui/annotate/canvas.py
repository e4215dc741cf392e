"""The annotation canvas: photo, label overlay, superpixel boundaries and the editing tools.

Coordinates and navigation come from :class:`~.image_view.ImageView`. Edits repaint only their
bounding box: the overlay shows the mask through a colour table, and the scene is told that
only that rectangle changed. The edit logic itself lives in :mod:`.tools`, Qt-free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QKeyEvent, QMouseEvent, QPen
from PySide6.QtWidgets import QApplication, QGraphicsEllipseItem, QGraphicsPathItem, QWidget

from fashion_annotator.annotate.tools import (
    TOOL_NAMES,
    Pointer,
    Tool,
    ToolContext,
    ToolResult,
    make_tool,
)
from fashion_annotator.annotate.tools.click_model import ClickWarmup
from fashion_annotator.annotate.tools.polygon import PolygonTool
from fashion_annotator.annotate.tools.smartclick import SmartClickTool
from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.core.masks import BBox
from fashion_annotator.ui.annotate.click_markers import ClickMarkers
from fashion_annotator.ui.annotate.image_view import (
    ZOOM_STEP,
    ImageItem,
    ImageView,
    LineMapItem,
    Pyramid,
    bbox_rect,
)
from fashion_annotator.ui.annotate.mask_outline import MaskOutline
from fashion_annotator.ui.annotate.overlay import LabelOverlay, cutout_lut, label_lut
from fashion_annotator.ui.annotate.polygon_preview import PolygonPreview

__all__ = ["Canvas", "bbox_rect"]

MIN_RADIUS, MAX_RADIUS = 0.5, 1000.0
DEFAULT_OPACITY = 0.5


#: Keys that step through the images (window shortcuts), never page the view.
_IMAGE_KEYS = (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)

class Canvas(ImageView):
    """Shows a document's photo and one task's mask, and edits the mask with the tools.

    Signals
    -------
    edited(BBox)
        After each committed edit step, and after :meth:`undo` / :meth:`redo`.
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
    stepsChanged()
        What :meth:`undo` or :meth:`redo` can take may have changed (:meth:`can_step`).
    """

    edited = Signal(object)
    strokeProgress = Signal(object)
    labelPicked = Signal(int)
    toolChanged = Signal(str)
    brushRadiusChanged = Signal(float)
    message = Signal(str)
    stepsChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._overlay_item = ImageItem()
        self._overlay_item.setOpacity(DEFAULT_OPACITY)
        self._boundary_item = LineMapItem()
        self._boundary_item.setVisible(False)
        self._polygon_item = QGraphicsPathItem()
        self._outline = QGraphicsEllipseItem()
        self._outline_dark = QGraphicsEllipseItem()
        items = (
            self._overlay_item,
            self._boundary_item,
            self._polygon_item,
            self._outline_dark,
            self._outline,
        )
        pens = {
            self._polygon_item: (Qt.GlobalColor.yellow, 1),
            self._outline_dark: (Qt.GlobalColor.black, 2),
            self._outline: (Qt.GlobalColor.white, 1),
        }
        for z, item in enumerate(items, start=1):
            if item in pens:
                color, width = pens[item]
                pen = QPen(color, width)
                pen.setCosmetic(True)
                item.setPen(pen)
                item.setBrush(QBrush(Qt.BrushStyle.NoBrush))
            item.setZValue(z)
            self.scene().addItem(item)
        self._outline.setVisible(False)
        self._outline_dark.setVisible(False)
        self._markers = ClickMarkers(self.scene(), z=len(items) + 1)
        self._mask_edge = MaskOutline(self._overlay_item, self)  # a cutout's edge over any colour
        self._polygon = PolygonPreview(self._polygon_item)

        self._doc: AnnotationDocument | None = None
        self._task = ""
        self._taxonomy: Taxonomy | None = None
        self._overlay: LabelOverlay | None = None
        self._regions: np.ndarray | None = None
        self._boundaries_stale = True
        self._label = 1
        self._radius = 8.0
        self._unsubscribe: Callable[[], None] | None = None
        self._tool: Tool = make_tool("brush")
        self._click_model: str | None = None
        self._opacity, self._cutout_preview = 1.0, False
        #: Smart click's model loaded and run in the background once the tool meets a photo.
        self.click_warmup = ClickWarmup()

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
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._doc = doc
        self._regions = None
        self._boundary_item.set_image(None)
        if doc is None:
            self.set_photo(None)
            self._overlay_item.set_image(None)
            self._mask_edge.follow(None)
            self._overlay = None
            self._update_polygon_preview()
            return
        if taxonomy is None:
            raise ValueError("set_document needs the task's taxonomy")
        self._unsubscribe = doc.subscribe(self._document_changed)
        self.set_task(task, taxonomy)
        self.show_photo()

    def show_photo(self, pyramid: Pyramid | None = None) -> None:
        """Show the document's photo: its preview until the full pixels are in, then those.

        Called again when the full pixels arrive, with their :func:`.image_view.photo_pyramid`
        when a worker built it; the view (zoom, scroll) and the overlays stay.
        """
        doc = self._doc
        if doc is None:
            return
        if doc.preview is not None:
            self.set_photo(doc.preview, doc.shape)
        else:
            self.set_photo(doc.rgb, doc.shape, pyramid)

    def _document_changed(self, task: str, bbox: BBox, committed: bool) -> None:
        """Every change of the shown mask, whoever made it, repaints; a recorded step of the
        shown task is announced as ``edited``."""
        if task != self._task:
            return
        self.refresh_overlay(bbox)
        if committed:
            self.edited.emit(bbox)

    def set_task(self, task: str, taxonomy: Taxonomy) -> None:
        """Show and edit ``task``'s mask, coloured by ``taxonomy``; the tool overlay (Smart-click
        markers) is redrawn for it at once."""
        self._finish_tool()
        self._task, self._taxonomy = task, taxonomy
        self._configure_tool()
        if self._doc is None:
            return
        if task not in self._doc.masks:
            raise KeyError(f"document {self._doc.image_id!r} has no mask for task {task!r}")
        self._overlay = LabelOverlay(self._doc.masks[task], taxonomy.colors)  # no recolouring
        if self._cutout_preview:
            self._overlay.set_lut(cutout_lut(), self._doc.masks[task])
        self._overlay_item.set_image(self._overlay.image, self._overlay)
        self._mask_edge.follow(self._doc, task, taxonomy.is_binary)
        self._update_polygon_preview()

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
        self._boundary_item.show_lines(region_boundaries(self._regions))
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

    def can_step(self, which: str) -> bool:
        """Whether :meth:`undo` (``which="undo"``) or :meth:`redo` has something to take: a
        gesture in progress or a polygon vertex taken back, else a step of the shown mask."""
        tool, doc = self._tool, self._doc
        if doc is None or self._task not in doc.masks:
            return False
        if which == "undo":
            return tool.active or doc.can_undo(self._task)
        return (isinstance(tool, PolygonTool) and bool(tool.undone)) or (not tool.active and doc.can_redo(self._task))

    def _history_step(self, which: str) -> BBox | None:
        if self._doc is None:
            return None
        tool = self._tool
        if isinstance(tool, PolygonTool) and (tool.active or (which == "redo" and tool.undone)):
            # an open polygon is not a step yet: Ctrl+Z takes its last vertex back, as Backspace
            # does, and Ctrl+Shift+Z puts it back (they dropped the polygon and undid or redid
            # the edit before it too)
            if which == "undo":
                tool.undo_vertex()
            else:
                tool.redo_vertex()
            self._update_polygon_preview()
            return None
        self._finish_tool()
        if isinstance(tool, PolygonTool):
            tool.undone.clear()  # a history step is newer than the vertices taken back
        bbox = getattr(self._doc, which)(self._task)  # repainted through the document's event
        self._update_polygon_preview()  # an undone Smart click loses its marker
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
        """Switch tool; an open polygon is closed (:meth:`finish_edit`), a stroke in progress
        is committed."""
        if name not in TOOL_NAMES:
            raise ValueError(f"unknown tool {name!r}; expected one of {', '.join(TOOL_NAMES)}")
        if name == self._tool.name:
            return
        self._finish_tool()
        self._tool = make_tool(name)
        self._configure_tool()
        self._update_outline()
        self._update_polygon_preview()
        self.toolChanged.emit(name)

    @property
    def label(self) -> int:
        """The label the tools paint."""
        return self._label

    def set_label(self, label: int) -> None:
        """Paint ``label`` (a class id of the current task's taxonomy) from now on."""
        n = 256 if self._taxonomy is None else self._taxonomy.num_classes
        if not 0 <= int(label) < n:
            raise ValueError(f"label {label} outside 0..{n - 1}")
        self._label = int(label)
        self._update_polygon_preview()  # Smart click: the new label's click session

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
        """Opacity of the label overlay, 0..1 (the setting: the cutout preview draws opaque)."""
        return self._opacity

    def set_overlay_opacity(self, opacity: float) -> None:
        """Set the label overlay's opacity (0 transparent .. 1 opaque; the cutout preview is
        opaque whatever it is; at 0 the cutout's outline hides too, leaving the bare photo)."""
        self._opacity = min(max(float(opacity), 0.0), 1.0)
        self._overlay_item.setOpacity(1.0 if self._cutout_preview else self._opacity)
        self._mask_edge.set_shown(not self._cutout_preview and self._opacity > 0.0)

    @property
    def cutout_preview(self) -> bool:
        """Whether the view shows the cutout: the photo where the mask keeps it, an opaque
        neutral backdrop elsewhere (instead of the label colours)."""
        return self._cutout_preview

    def set_cutout_preview(self, on: bool) -> None:
        """Show the cutout alone (:attr:`cutout_preview`) or the label colours again."""
        self._cutout_preview = bool(on)
        self.set_overlay_opacity(self._opacity)  # the preview shows the cutout's own edge
        if self._overlay is not None and self._doc is not None and self._taxonomy is not None:
            lut = cutout_lut() if on else label_lut(self._taxonomy.colors)
            self._overlay.set_lut(lut, self._doc.masks[self._task])
            self._overlay_item.update()

    def zoom_to_mask(self) -> bool:
        """Zoom and centre on the shown mask's labelled pixels with a margin of a tenth of their
        size (a small garment on a mannequin, at once); False when the mask is empty."""
        if self._doc is None or not self._task:
            return False
        x, y, w, h = cv2.boundingRect(self._doc.masks[self._task])
        if not w or not h:
            self.message.emit("The mask is empty: nothing to zoom to")
            return False
        margin = 0.1 * max(w, h)
        rect = QRectF(x - margin, y - margin, w + 2 * margin, h + 2 * margin)
        self.fitInView(rect.intersected(self._photo.sceneBoundingRect()), Qt.AspectRatioMode.KeepAspectRatio)
        self._fitted = False
        self.zoomChanged.emit(self.zoom)
        return True

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

    # ---- events ---------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        # Keys the canvas needs while editing win over window shortcuts bound to them.
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and self._wants_key(event.key())
        ):
            event.accept()
            return True
        return super().event(event)

    def _wants_key(self, key: int) -> bool:
        if key == Qt.Key.Key_Space:
            return True
        polygon = isinstance(self._tool, PolygonTool) and self._tool.active
        editing_keys = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Backspace)
        return (key == Qt.Key.Key_Escape and self._tool.active) or (polygon and key in editing_keys)

    def _context(self) -> ToolContext | None:
        if self._doc is None or self._task not in self._doc.masks:
            return None
        return ToolContext(self._doc, self._task, self._label, self._radius, self._regions)

    def _pointer(self, event: QMouseEvent) -> Pointer:
        pos = self.image_pos(event.position())
        mods = event.modifiers()
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        secondary = event.button() == Qt.MouseButton.RightButton
        return Pointer(pos.x(), pos.y(), shift, ctrl, secondary, bool(mods & Qt.KeyboardModifier.AltModifier))

    def _takes(self, event: QMouseEvent) -> bool:
        """Right-button events go only to tools that use them."""
        return event.button() != Qt.MouseButton.RightButton or self._tool.accepts_secondary

    def _press(self, event: QMouseEvent) -> None:
        if self._takes(event) and (ctx := self._context()) is not None:
            p, scene = self._pointer(event), self._pointer_scene(event.position())
            # a click on an open polygon's first vertex closes it (labelme, CVAT)
            polygon = self._polygon.closing(self._tool, scene, self.viewportTransform())
            self._handle(self._tool.press(ctx, p) if polygon is None else polygon.close(ctx, p.shift))
            self._update_polygon_preview()

    def _move(self, event: QMouseEvent) -> None:
        if self._tool.active and event.buttons() & Qt.MouseButton.LeftButton:
            if (ctx := self._context()) is not None:
                self._handle(self._tool.move(ctx, self._pointer(event)))
                self._markers.show(self._tool, ctx)

    def _release(self, event: QMouseEvent) -> None:
        if self._takes(event) and (ctx := self._context()) is not None:
            try:
                self._handle(self._tool.release(ctx, self._pointer(event)))
            finally:  # a click whose model failed loses its marker
                self._update_polygon_preview()

    def _cursor_changed(self) -> None:
        self._update_outline()
        self._update_polygon_preview()

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
        tool = self._tool
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and isinstance(tool, PolygonTool):
            if (ctx := self._context()) is not None:
                shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                self._handle(tool.close(ctx, shift))
            self._update_polygon_preview()
        elif key == Qt.Key.Key_Escape and tool.active:
            self._handle(tool.discard() if isinstance(tool, PolygonTool) else tool.cancel(self._context()))
            self._update_polygon_preview()
        elif key == Qt.Key.Key_Backspace and isinstance(tool, PolygonTool):
            tool.undo_vertex()
            self._update_polygon_preview()
        elif key in _IMAGE_KEYS:
            # the window's next / previous image (its shortcuts); when they did not fire (the
            # window not active), the view must not scroll the photo out of sight instead
            event.ignore()
            return
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # ---- helpers --------------------------------------------------------------------
    def _handle(self, result: ToolResult) -> None:
        if result.message is not None:
            self.message.emit(result.message)
        if result.picked is not None:
            taxonomy = self._taxonomy
            if taxonomy is not None and not 0 <= result.picked < taxonomy.num_classes:
                # an id the taxonomy lacks (an imported mask's stray value): not a brush label
                self.message.emit(f"Label {result.picked} is not a class of {taxonomy.name}; kept the current label")
            else:
                self._label = result.picked
                self.labelPicked.emit(result.picked)
        if result.bbox is not None:
            self._overlay.update(self._doc.masks[self._task], result.bbox)  # type: ignore[union-attr]
            self._overlay_item.update(bbox_rect(result.bbox))
        if not result.committed and result.bbox is not None:
            self.strokeProgress.emit(result.bbox)

    def finish_edit(self) -> None:
        """End the tool's edit in progress: a stroke or region drag becomes its undo step, an
        open polygon of three vertices or more is closed as Enter closes it (the status bar
        says so; fewer are dropped), work never vanishes unsaid. The window calls it before
        anything else reads or changes the mask (save, done, accept, a refinement, another
        image, closing)."""
        self._finish_tool()

    def _finish_tool(self) -> None:
        """Commit a stroke in progress or an open polygon (:meth:`finish_edit`)."""
        if self._tool.active:
            self._handle(self._tool.cancel(self._context()))
            self._update_polygon_preview()

    @property
    def tool_busy(self) -> bool:
        """Whether the tool is mid-gesture (a stroke, an open polygon, a box being dragged)."""
        return self._tool.active

    @property
    def click_model(self) -> str | None:
        """The click model file Smart click uses in this view (None: the shipped one)."""
        return self._click_model

    def set_click_model(self, path: str | None) -> None:
        """Smart click in this view uses the click model ``path`` (None: the shipped one)."""
        self._click_model = path
        self._configure_tool()

    def _configure_tool(self) -> None:
        """Tell Smart click the shown task's class count and its click model (each window its project's)."""
        if isinstance(self._tool, SmartClickTool):
            self._tool.set_taxonomy(self._taxonomy)
            self._tool.model_path = self._click_model
            self._tool.busy = self._model_running
            self._tool.zoom = lambda: self.zoom
            if self._doc is not None:  # the tool chosen, a photo opened, another click model
                self.click_warmup.request(self._click_model, self._tool.loader())

    @contextmanager
    def _model_running(self) -> Iterator[None]:
        """While Smart click's model runs (seconds on a loaded machine): a busy cursor, and the
        new click's marker or box painted before it starts; the cursor is restored after."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self._markers.show(self._tool, self._context())
            self.viewport().repaint()
            yield
        finally:
            QApplication.restoreOverrideCursor()

    def _update_outline(self) -> None:
        show = self._cursor_scene is not None and self._tool.name in ("brush", "eraser")
        for item in (self._outline, self._outline_dark):
            item.setVisible(show)
            if show:
                r = self._radius
                c = self._cursor_scene
                if c is None:
                    continue
                item.setRect(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r))

    def refresh_markers(self) -> None:
        """Redraw the Smart-click markers from the tool's click session (after a change made
        outside the canvas that ends or changes a session)."""
        self._markers.show(self._tool, self._context())

    def _update_polygon_preview(self) -> None:
        self.stepsChanged.emit()  # every change of the tool's gesture and of the shown mask
        self._markers.show(self._tool, self._context())
        self._polygon.show(self._tool, self._cursor_scene, self.viewportTransform())
