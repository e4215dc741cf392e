"""A photo viewer: wheel zoom at the cursor, pan by middle button or Space-drag, fit to window.

Scene coordinates are image pixels: pixel ``(x, y)`` covers the scene square
``[x, x + 1) x [y, y + 1)``, so image coordinates (pixel centres at integers, as in
``core.masks``) are the scene position minus one half. :class:`~.canvas.Canvas` adds the
overlays and the editing tools through the ``_press`` / ``_move`` / ``_release`` hooks.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QEnterEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QLineEdit,
    QPlainTextEdit,
    QStyleOptionGraphicsItem,
    QTextEdit,
    QWidget,
)

from fashion_annotator.core.images import ImageData, load_image
from fashion_annotator.core.line_maps import line_pyramid
from fashion_annotator.core.masks import BBox
from fashion_annotator.ui.annotate.overlay import (
    BOUNDARY_RGBA,
    boundary_image,
    photo_image,
    selection_rgba,
)
from fashion_annotator.ui.annotate.type_to_pick import typing_into

MIN_SCALE, MAX_SCALE = 0.02, 64.0
POINTER_INSET = 0.375
"""How far (device pixels, right and down) into the device pixel under the pointer its point
is taken. A window system reports the pointer in whole device pixels, the top left corner of
the pixel under the hotspot: at 100 %, 200 % or 400 % that corner lies on a photo pixel's edge,
where a one-pixel brush painted the pixels on both sides. Qt draws a photo pixel from the device
pixel its edge rounds to (a half rounds up), so on screens scaled by halves, thirds or quarters
(100 %, 125 %, 150 %, 200 %) 3/8 lands in the photo pixel drawn under the pointer."""


def _takes_text(widget: QWidget) -> bool:
    """Whether ``widget`` is a text entry (where Space and letters are typed, not shortcuts)."""
    if isinstance(widget, QComboBox):  # a type-to-pick box takes letters while typed into
        return widget.isEditable() or typing_into(widget)
    return isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox))
#: Wheel zoom per notch (120 eighths of a degree).
ZOOM_STEP = 1.25


def bbox_rect(bbox: BBox) -> QRectF:
    """The scene rectangle covered by ``bbox``."""
    return QRectF(bbox.x0, bbox.y0, bbox.x1 - bbox.x0, bbox.y1 - bbox.y0)


PYRAMID_MIN_PIXELS = 8_000_000
"""Photos above this many pixels are shown through a pyramid (:func:`photo_pyramid`)."""
PYRAMID_TOP = 1600
"""The pyramid's smallest level is at most this many pixels on its longer side."""


def photo_pyramid(rgb: np.ndarray) -> tuple[QImage, list[QImage]]:
    """The photo as a QImage and, above :data:`PYRAMID_MIN_PIXELS`, its halvings.

    A large photo's full-resolution QImage views ``rgb`` without a copy (drawn only where it
    is zoomed in, a small area); each level is an area-averaged halving of the one before,
    down to :data:`PYRAMID_TOP` pixels, converted to the raster engine's fast format.
    """
    h, w = rgb.shape[:2]
    if h * w <= PYRAMID_MIN_PIXELS:
        return photo_image(rgb), []
    rgb = np.ascontiguousarray(rgb)
    full = QImage(rgb.data, w, h, rgb.strides[0], QImage.Format.Format_RGB888)
    levels = []
    level = rgb
    while max(level.shape[:2]) > PYRAMID_TOP:
        level = cv2.resize(level, (max(1, level.shape[1] // 2), max(1, level.shape[0] // 2)),
                           interpolation=cv2.INTER_AREA)  # fmt: skip
        levels.append(photo_image(level))
    return full, levels


Pyramid = tuple[QImage, list[QImage]]
"""A photo's full-resolution QImage and its halvings, as :func:`photo_pyramid` builds them."""


def load_photo_pyramid(path: str | Path) -> tuple[ImageData, Pyramid]:
    """Decode a photo and build its display pyramid, off the GUI thread.

    The window's photo worker runs this (QImage, unlike QPixmap, may be built in any
    thread), so the full pixels of a large photo arrive ready to draw and the GUI thread
    only swaps them in.

    Returns
    -------
    image : ImageData
        The decoded photo (``rgb`` (H, W, 3) uint8).
    pyramid : tuple of (QImage, list of QImage)
        :func:`photo_pyramid` of ``image.rgb``; the full level views ``image.rgb``.
    """
    image = load_image(path)
    return image, photo_pyramid(image.rgb)


def draw_pixels(painter: QPainter, image: QImage, rect: QRect, zoom: float) -> None:
    """Draw the pixels ``rect`` of ``image`` at the same rectangle in the painter's (scene)
    coordinates, one unit per pixel.

    A colour-table (``Format_Indexed8``) overlay seen at ``zoom >= 1`` is coloured first,
    its exposed pixels only (a viewport's at most): about twice as fast as the painter
    colouring every span. Zoomed out the exposed pixels can be the whole image, drawn as is.

    Parameters
    ----------
    painter : QPainter
        Painter whose transform maps scene units to the device.
    image : QImage
        The picture, one pixel per scene unit.
    rect : QRect
        Its pixels to draw, within ``image``.
    zoom : float
        Device pixels per scene unit.
    """
    if image.format() == QImage.Format.Format_Indexed8 and zoom >= 1.0:
        part = image.copy(rect).convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
        painter.drawImage(QRectF(rect), part)
    else:
        painter.drawImage(rect, image, rect)


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
        self._levels: list[QImage] = []

    def set_image(
        self, image: QImage | None, keep: object = None, levels: list[QImage] | None = None
    ) -> None:
        """Show ``image``; ``keep`` holds the numpy buffer the image views, if any.

        ``levels`` are the same picture at 1/2, 1/4, ... of its size (a pyramid): zoomed out,
        the item draws from the smallest level that still has a pixel per screen pixel, so
        a 50-megapixel photo is never filtered whole to fill a window.
        """
        self.prepareGeometryChange()
        self._image, self._keep = image, keep
        self._levels = list(levels or [])
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        if self._image is None:
            return QRectF()
        return QRectF(0, 0, self._image.width(), self._image.height())

    def _exposed(self, option: QStyleOptionGraphicsItem, margin: int) -> tuple[QImage, QRect] | None:
        """The image and its pixels to paint: the exposed area grown by ``margin`` px, within
        the image; None when there is nothing to paint."""
        image = self._image
        if image is None:
            return None
        rect = option.exposedRect.toAlignedRect().adjusted(-margin, -margin, margin, margin)
        rect = rect.intersected(image.rect())
        return None if rect.isEmpty() else (image, rect)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        # A 2 px margin keeps the smooth filter from clamping at the dirty rectangle's edge
        # (visible seams); the painter's clip still limits the work to the exposed area.
        exposed = self._exposed(option, 2)
        if exposed is None:
            return
        image, rect = exposed
        zoom = painter.worldTransform().m11()
        if self._smooth and zoom < 1.0:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        step = 0
        while step < len(self._levels) and zoom * (2 ** (step + 1)) <= 1.0:
            step += 1
        if step == 0:
            draw_pixels(painter, image, rect, zoom)
            return
        level = self._levels[step - 1]
        fx = level.width() / image.width()
        fy = level.height() / image.height()
        source = QRectF(rect.x() * fx, rect.y() * fy, rect.width() * fx, rect.height() * fy)
        painter.drawImage(QRectF(rect), level, source)


class LineMapItem(ImageItem):
    """Draws a thin-line map (region boundaries) whose lines stay lines at any zoom.

    Shrunk by the view, a one-pixel line map keeps only the pixels the sampling hits (a 24 MP
    photo fitted to a window: scattered dots). This item draws, without filtering, the level
    of :func:`~fashion_annotator.core.line_maps.line_pyramid` whose pixels cover at least one
    device pixel: every line is drawn connected, one to three device pixels wide, and from
    the full map (one photo pixel wide) from 100 % up.
    """

    def show_lines(self, lines: np.ndarray | None, rgba: tuple[int, int, int, int] = BOUNDARY_RGBA) -> None:
        """Draw ``lines`` ((H, W) bool, True on a line) in ``rgba``; None: nothing."""
        if lines is None:
            self.set_image(None)
            return
        buffers, images = zip(*(boundary_image(level, rgba) for level in line_pyramid(lines)), strict=True)
        self.set_image(images[0], buffers, list(images[1:]))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        exposed = self._exposed(option, 0)
        if exposed is None:
            return
        image, rect = exposed
        device = painter.device()
        scale = painter.worldTransform().m11() * (1.0 if device is None else device.devicePixelRatioF())
        step = 0
        while step < len(self._levels) and scale * 2**step < 1.0:
            step += 1
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        if step == 0:
            painter.drawImage(rect, image, rect)
            return
        # level ``step`` has one pixel per 2**step x 2**step block of the map, from (0, 0)
        f = 0.5**step
        source = QRectF(rect.x() * f, rect.y() * f, rect.width() * f, rect.height() * f)
        painter.drawImage(QRectF(rect), self._levels[step - 1], source)


class SelectionHighlight(ImageItem):
    """Rings and a light fill over selected pixels (the Instances panel's selection)."""

    def show_selection(self, selected: np.ndarray | None) -> None:
        """Highlight ``selected`` (``(H, W) bool`` over the whole photo; None or none: hide)."""
        box = None if selected is None else BBox.of(selected)
        if selected is None or box is None:
            self.set_image(None)
            return
        ring = max(2, round(max(selected.shape) / 600))  # about 1-2 screen pixels when fitted
        rgba = np.ascontiguousarray(selection_rgba(selected[box.slices], ring))
        image = QImage(rgba.data, rgba.shape[1], rgba.shape[0], rgba.strides[0], QImage.Format.Format_RGBA8888)
        self.setPos(box.x0, box.y0)
        self.set_image(image, keep=rgba)

class ImageView(QGraphicsView):
    """Shows one photo with zoom and pan; subclasses add items and pointer tools.

    Signals
    -------
    cursorMoved(int, int)
        Image pixel under the cursor, ``(-1, -1)`` outside the image.
    zoomChanged(float)
        Screen pixels per image pixel, after every zoom or fit.
    """

    cursorMoved = Signal(int, int)
    zoomChanged = Signal(float)

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
        self.scene().addItem(self._photo)
        self._image_shape: tuple[int, int] | None = None
        self._pan_from: QPointF | None = None
        self._space = False
        self._cursor_scene: QPointF | None = None
        #: The last zoom's viewport position and the scene point kept under it.
        self._zoom_anchor: tuple[QPointF, QPointF] | None = None
        # True until the user zooms or pans: resizing the window then keeps the photo fitted.
        self._fitted = True
        #: Number of finished viewport paints (the benchmark waits on it).
        self.paint_count = 0

    def set_photo(
        self,
        rgb: np.ndarray | None,
        shape: tuple[int, int] | None = None,
        pyramid: Pyramid | None = None,
    ) -> None:
        """Show ``rgb`` ((h, w, 3) uint8) or nothing; fit the window when the size changes.

        ``shape`` is the photo's ``(H, W)`` when ``rgb`` is a reduced preview of it: the
        preview is stretched over the full photo's scene area, so image coordinates, masks and
        the view stay those of the full photo and the full pixels replace it in place.
        ``pyramid`` is ``rgb``'s :func:`photo_pyramid` when already built (in a worker).
        """
        if rgb is None:
            self._photo.set_image(None)
            self._image_shape = None
            return
        image, levels = photo_pyramid(rgb) if pyramid is None else pyramid
        self._photo.set_image(image, rgb, levels)
        h, w = shape if shape is not None else rgb.shape[:2]
        self._photo.setTransform(QTransform.fromScale(w / rgb.shape[1], h / rgb.shape[0]))
        # Room around the photo so zooming at a point near its edge can keep that point
        # under the cursor, and the photo can be panned partly out of view.
        margin = 2.0 * max(h, w)
        self.setSceneRect(QRectF(-margin, -margin, w + 2 * margin, h + 2 * margin))
        if self._image_shape != (h, w):
            self._image_shape = (h, w)
            self.fit_to_window()

    # ---- view -----------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        return self.transform().m11()

    def fit_to_window(self) -> None:
        """Zoom and centre so the whole photo is visible."""
        rect = self._photo.sceneBoundingRect()
        if not rect.isEmpty():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._fitted = True
        self.zoomChanged.emit(self.zoom)

    def zoom_step(self, steps: int) -> None:
        """Zoom in (``steps`` > 0) or out by :data:`ZOOM_STEP` per step about the view's centre
        (the keyboard's Ctrl++ / Ctrl+-; the wheel zooms at the cursor)."""
        self.zoom_at(ZOOM_STEP**steps, QPointF(self.viewport().rect().center()))

    def actual_pixels(self) -> None:
        """One photo pixel per device pixel (on a 2x display the logical zoom is 50 %), about
        the view's centre."""
        self.zoom_at(1.0 / (self.devicePixelRatioF() * self.zoom), QPointF(self.viewport().rect().center()))

    def zoom_at(self, factor: float, view_pos: QPointF) -> None:
        """Zoom by ``factor`` keeping the scene point under ``view_pos`` (viewport pixels) fixed."""
        factor = min(max(self.zoom * factor, MIN_SCALE), MAX_SCALE) / self.zoom
        self._fitted = False
        view_pos = QPointF(view_pos)
        anchor = self._to_scene(view_pos)
        last = self._zoom_anchor
        if last is not None and last[0] == view_pos:
            # The view scrolls by whole pixels, so the point under the cursor after a zoom is
            # up to half a pixel off; read again at each notch, that error grew by the zoom
            # step every notch. The point of the notch before is kept while still that close.
            off = self.viewportTransform().map(last[1]) - view_pos
            if abs(off.x()) <= 1.0 and abs(off.y()) <= 1.0:
                anchor = last[1]
        self.scale(factor, factor)
        delta = self.viewportTransform().map(anchor) - view_pos
        self._scroll_by(delta.x(), delta.y())
        self._zoom_anchor = (view_pos, anchor)
        self.zoomChanged.emit(self.zoom)

    def _scroll_by(self, dx: float, dy: float) -> None:
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + round(dx))
        v.setValue(v.value() + round(dy))

    def image_pos(self, view_pos: QPointF) -> QPointF:
        """Image coordinates (pixel centres at integers) of the pointer at a viewport position."""
        scene = self._pointer_scene(view_pos)
        # Inverting the view transform leaves ~1e-14 noise that would flip pixels lying
        # exactly on the brush edge; 1/1024 px is far finer than any pointer.
        return QPointF(round(scene.x() * 1024) / 1024 - 0.5, round(scene.y() * 1024) / 1024 - 0.5)

    def _to_scene(self, view_pos: QPointF) -> QPointF:
        # mapToScene(QPoint) would round to whole viewport pixels, too coarse at high zoom.
        return self.viewportTransform().inverted()[0].map(QPointF(view_pos))

    def _pointer_offset(self) -> QPointF:
        """:data:`POINTER_INSET` device pixels, in viewport (logical) pixels, on each axis."""
        inset = POINTER_INSET / self.devicePixelRatioF()
        return QPointF(inset, inset)

    def _pointer_scene(self, view_pos: QPointF) -> QPointF:
        """The scene point the pointer at ``view_pos`` designates: inside the device pixel under
        it (:data:`POINTER_INSET`), never on the edge of the photo pixel that pixel shows."""
        return self._to_scene(QPointF(view_pos) + self._pointer_offset())

    def view_pos(self, x: float, y: float) -> QPointF:
        """Viewport position of the pointer over image coordinates ``(x, y)`` (the inverse of
        :meth:`image_pos`)."""
        return self.viewportTransform().map(QPointF(x + 0.5, y + 0.5)) - self._pointer_offset()

    # ---- hooks for subclasses ---------------------------------------------------------
    def _press(self, event: QMouseEvent) -> None:
        """A left press that is not a pan."""

    def _move(self, event: QMouseEvent) -> None:
        """A mouse move while not panning."""

    def _release(self, event: QMouseEvent) -> None:
        """A left release that ends no pan."""

    def _cursor_changed(self) -> None:
        """``_cursor_scene`` changed (None when the cursor left the view)."""

    # ---- events ---------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        self.paint_count += 1

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fitted:
            self.fit_to_window()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        notches = event.angleDelta().y() / 120.0
        if notches:
            # about the point the pointer designates (_pointer_scene)
            self.zoom_at(ZOOM_STEP**notches, event.position() + self._pointer_offset())
            self._move_cursor(event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space
        ):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        elif button in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self._press(event)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            # The view scrolls by whole logical pixels; the rest of the move waits for the next
            # one (under a 150 % or 200 % screen scale a move is often half a logical pixel,
            # and rounding each one away left the photo behind the hand, or still).
            delta = event.position() - self._pan_from
            dx, dy = round(delta.x()), round(delta.y())
            self._pan_from = self._pan_from + QPointF(dx, dy)
            self._fitted = False
            self._scroll_by(-dx, -dy)
        else:
            self._move(event)
        self._move_cursor(event.position())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pan_buttons = (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton)
        if self._pan_from is not None and event.button() in pan_buttons:
            self._pan_from = None
            self.viewport().setCursor(
                Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor
            )
        elif event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self._release(event)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._space = True
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

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

    def enterEvent(self, event: QEnterEvent) -> None:  # noqa: N802
        """The pointer over the photo gives it the keyboard (Space+drag pans, the tool keys
        apply, as in a photo editor), unless a text field has it or the operator is typing into
        a closed drop-down box (``type_to_pick.typing_into``): typing there goes on."""
        focus = QApplication.focusWidget()
        if focus is not None and focus is not self and not _takes_text(focus) and self.isActiveWindow():
            self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        self._cursor_scene = None
        self._cursor_changed()
        self.cursorMoved.emit(-1, -1)
        super().leaveEvent(event)

    def _move_cursor(self, view_pos: QPointF) -> None:
        scene = self._pointer_scene(view_pos)
        self._cursor_scene = scene
        self._cursor_changed()
        if self._image_shape is not None:
            h, w = self._image_shape
            x, y = math.floor(scene.x()), math.floor(scene.y())
            if 0 <= x < w and 0 <= y < h:
                self.cursorMoved.emit(x, y)
                return
        self.cursorMoved.emit(-1, -1)
