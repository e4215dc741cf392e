"""The bar above the canvas: overlay opacity, region boundaries and the superpixel level."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QWidget

#: The narrowest a slider of the bar gets on a small screen (it is wider where there is room).
SLIDER_MIN_WIDTH = 60


def _shrinkable(slider: QSlider, width: int) -> None:
    """``slider`` is ``width`` wide where the bar has room, down to :data:`SLIDER_MIN_WIDTH`
    where it has not (a small screen with every panel shown)."""
    slider.setMinimumWidth(SLIDER_MIN_WIDTH)
    slider.setMaximumWidth(width)


class ViewBar(QWidget):
    """Overlay opacity slider, boundaries toggle and superpixel level slider.

    Signals
    -------
    opacityChanged(float)
        0..1.
    boundariesToggled(bool)
    levelChanged(int)
        The superpixel level, 0 (fine) upwards.
    """

    opacityChanged = Signal(float)
    boundariesToggled = Signal(bool)
    levelChanged = Signal(int)

    def __init__(self, opacity: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 8, 3)
        layout.setSpacing(8)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(round(opacity * 100))
        _shrinkable(self.opacity, 140)
        self.opacity.setToolTip("Opacity of the label overlay")
        self.boundaries = QCheckBox("Region boundaries")
        self.boundaries.setToolTip("Show superpixel boundaries")  # its key: ui/key_hints
        self.level = QSlider(Qt.Orientation.Horizontal)
        self.level.setRange(0, 0)
        _shrinkable(self.level, 120)
        self.level.setToolTip("Superpixel level: fine (left) to coarse (right)")
        self.level_text = QLabel("—")
        self.level_text.setMinimumWidth(80)
        layout.addWidget(QLabel("Overlay"))
        layout.addWidget(self.opacity, 1)
        layout.addSpacing(12)
        layout.addWidget(self.boundaries)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Regions"))
        layout.addWidget(self.level, 1)
        layout.addWidget(self.level_text)
        layout.addStretch(1)
        self.opacity.valueChanged.connect(lambda v: self.opacityChanged.emit(v / 100))
        self.boundaries.toggled.connect(self.boundariesToggled)
        self.level.valueChanged.connect(self.levelChanged)

    def set_opacity(self, opacity: float) -> None:
        """Move the opacity slider (emits :attr:`opacityChanged`)."""
        self.opacity.setValue(round(opacity * 100))

    def set_levels(self, count: int, current: int) -> None:
        """Offer ``count`` levels (0 while computing) and select ``current`` without a signal."""
        self.level.blockSignals(True)
        self.level.setRange(0, max(0, count - 1))
        self.level.setValue(min(current, max(0, count - 1)))
        self.level.blockSignals(False)
        if count == 0:
            self.level_text.setText("computing…")

    def set_level_text(self, text: str) -> None:
        """Describe the current level, e.g. ``"380 regions"``."""
        self.level_text.setText(text)
