"""The photo of the selected review row: agreement overlay, or side by side with linked views.

Overlay mode paints the agreement categories of :mod:`fashion_annotator.qa.overlay` (with a
legend); side-by-side mode shows the saved mask and the model's mask over the photo in two
views whose zoom and pan follow each other.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.qa import overlay
from fashion_annotator.ui.annotate.image_view import ZOOM_STEP

__all__ = ["OVERLAY", "SIDE_BY_SIDE", "AgreementViewer", "ZoomView", "rgb_pixmap", "tint"]

OVERLAY = "overlay"
SIDE_BY_SIDE = "side"


def rgb_pixmap(rgb: np.ndarray) -> QPixmap:
    """A QPixmap copy of an ``(H, W, 3) uint8`` image."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())


def tint(rgb: np.ndarray, mask: np.ndarray, colors: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The photo with the label colours of ``mask`` blended in (background left as is).

    Parameters
    ----------
    rgb : (H, W, 3) uint8
    mask : (H, W) uint8 label ids
    colors : (K, 3) uint8 taxonomy colours; ids past ``K`` are drawn white.
    """
    lut = np.full((256, 3), 255, dtype=np.float32)
    lut[: len(colors)] = colors
    fg = (mask != 0)[..., None]
    photo = rgb.astype(np.float32)
    out = np.where(fg, (1 - alpha) * photo + alpha * lut[mask], photo)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


class ZoomView(QGraphicsView):
    """A pixmap view: wheel zooms at the cursor, dragging pans; ``viewChanged`` after either."""

    viewChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setMinimumSize(160, 160)
        # Until the reviewer zooms or pans, the picture keeps fitting the view as it resizes.
        self.auto_fit = True
        for bar in (self.horizontalScrollBar(), self.verticalScrollBar()):
            bar.valueChanged.connect(self.viewChanged)

    def set_pixmap(self, pixmap: QPixmap, keep_view: bool = False) -> None:
        self.item.setPixmap(pixmap)
        self.scene().setSceneRect(self.item.boundingRect())
        if not keep_view:
            self.fit()

    def fit(self) -> None:
        self.auto_fit = True
        self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)
        self.viewChanged.emit()

    @property
    def zoom(self) -> float:
        return float(self.transform().m11())

    def zoom_by(self, factor: float) -> None:
        self.auto_fit = False
        self.scale(factor, factor)
        self.viewChanged.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(ZOOM_STEP**steps)
        event.accept()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.auto_fit = False
        super().mousePressEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.auto_fit and not self.item.pixmap().isNull():
            self.fit()

    def center(self):
        """The scene point (image pixel) at the middle of the viewport."""
        return self.mapToScene(self.viewport().rect().center())

    def follow(self, other: ZoomView) -> None:
        """Take ``other``'s zoom and look at the same image point (views may differ in size).

        The scroll bars must keep signalling (the view scrolls through them), so the caller
        guards against the echo instead of blocking signals.
        """
        self.auto_fit = other.auto_fit
        self.setTransform(other.transform())
        self.centerOn(other.center())


def _legend_row() -> QWidget:
    """The overlay's colour legend, two entries per row so the view stays narrow."""
    box = QWidget()
    grid = QGridLayout(box)
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setHorizontalSpacing(6)
    for i, (_, text, (r, g, b)) in enumerate(overlay.CATEGORIES.values()):
        swatch = QLabel()
        swatch.setFixedSize(14, 14)
        swatch.setStyleSheet(f"background: rgb({r}, {g}, {b}); border: 1px solid #555;")
        grid.addWidget(swatch, i // 2, 2 * (i % 2))
        grid.addWidget(QLabel(text), i // 2, 2 * (i % 2) + 1)
    grid.setColumnStretch(4, 1)
    return box


class AgreementViewer(QWidget):
    """Shows one image: agreement overlay (default) or saved vs model side by side."""

    modeChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.overlay_view = ZoomView()
        self.saved_view = ZoomView()
        self.model_view = ZoomView()
        self._syncing = False
        self.saved_view.viewChanged.connect(lambda: self._sync(self.saved_view, self.model_view))
        self.model_view.viewChanged.connect(lambda: self._sync(self.model_view, self.saved_view))
        self.overlay_button = QRadioButton("Agreement overlay")
        self.side_button = QRadioButton("Side by side")
        self.overlay_button.setChecked(True)
        group = QButtonGroup(self)
        for button in (self.overlay_button, self.side_button):
            group.addButton(button)
        self.overlay_button.toggled.connect(self._mode_toggled)
        self.legend = _legend_row()
        self.counts = QLabel()
        self.counts.setWordWrap(True)  # its own line: the pane keeps the window's width
        self.message = QLabel("Select an image in the table.")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)  # a long file path must not widen the pane
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.overlay_view)
        side = QWidget()
        grid = QGridLayout(side)
        grid.setContentsMargins(0, 0, 0, 0)
        self.saved_caption = QLabel("Saved mask")
        self.model_caption = QLabel("Model")
        grid.addWidget(self.saved_caption, 0, 0)
        grid.addWidget(self.model_caption, 0, 1)
        grid.addWidget(self.saved_view, 1, 0)
        grid.addWidget(self.model_view, 1, 1)
        self.stack.addWidget(side)
        top = QHBoxLayout()
        top.addWidget(self.overlay_button)
        top.addWidget(self.side_button)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.counts)
        layout.addWidget(self.legend)
        layout.addWidget(self.stack, 1)
        self.has_image = False

    def _sync(self, source: ZoomView, target: ZoomView) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            target.follow(source)
        finally:
            self._syncing = False

    @property
    def mode(self) -> str:
        return OVERLAY if self.overlay_button.isChecked() else SIDE_BY_SIDE

    def set_mode(self, mode: str) -> None:
        if mode not in (OVERLAY, SIDE_BY_SIDE):
            raise ValueError(
                f"unknown view mode {mode!r}; expected {OVERLAY!r} or {SIDE_BY_SIDE!r}"
            )
        (self.overlay_button if mode == OVERLAY else self.side_button).setChecked(True)

    def _mode_toggled(self) -> None:
        if self.has_image:
            self.stack.setCurrentIndex(1 if self.mode == OVERLAY else 2)
            if self.mode == SIDE_BY_SIDE:
                self._sync(self.saved_view, self.model_view)
        self.legend.setVisible(self.mode == OVERLAY)
        self.modeChanged.emit(self.mode)

    def show_image(self, rgb: np.ndarray, saved: np.ndarray, reference: np.ndarray,
                   colors: np.ndarray, reference_name: str = "Model") -> np.ndarray:  # fmt: skip
        """Display a photo with its saved and reference masks; returns the agreement labels."""
        labels = overlay.agreement_labels(saved, reference)
        self.overlay_view.set_pixmap(rgb_pixmap(overlay.blend(rgb, labels)))
        self.saved_view.set_pixmap(rgb_pixmap(tint(rgb, saved, colors)))
        self.model_view.set_pixmap(rgb_pixmap(tint(rgb, reference, colors)))
        self._sync(self.saved_view, self.model_view)
        self.model_caption.setText(reference_name)
        counts = overlay.category_counts(labels)
        total = counts["agree"] + counts["missed"] + counts["extra"] + counts["confused"]
        # named as the legend names them ("missed / extra" read as the saved mask's faults); none
        # when both masks are empty (a photo without a garment)
        self.counts.setText(
            f"saved mask only {100 * counts['missed'] / total:.1f}%  {reference_name.lower()} only "
            f"{100 * counts['extra'] / total:.1f}%  of {total} foreground pixels" if total
            else "no foreground pixels in either mask"
        )
        self.has_image = True
        self.stack.setCurrentIndex(1 if self.mode == OVERLAY else 2)
        return labels

    def show_message(self, text: str) -> None:
        """Replace the picture by a message (nothing selected, no proposal...)."""
        self.has_image = False
        self.counts.setText("")
        self.message.setText(text)
        self.stack.setCurrentIndex(0)
