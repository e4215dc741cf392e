"""Histogram of per-image scores over 0..1 with the outlier threshold and the selected image."""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from fashion_annotator.qa.stats import axis_ticks, display_range, histogram, threshold_digits
from fashion_annotator.ui.theme import alert_color

__all__ = ["ScoreHistogram"]



class ScoreHistogram(QWidget):
    """Bars of score counts; a dashed red line at the threshold, a line at the selection.

    Every colour comes from the widget's palette (:meth:`colors`), so the light and the dark
    theme both read.
    """

    BINS = 20

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts = [0] * self.BINS
        self.threshold = math.nan
        self._digits = 3  # of the threshold's label: no score reads as it (threshold_digits)
        self.selected = math.nan
        self.metric_title = "Dice"
        self.lo, self.hi = 0.0, 1.0
        self.setMinimumSize(240, 170)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(420, 160)

    def set_values(self, values: Sequence[float], threshold: float, metric: str) -> None:
        """Show the finite ``values`` (scores 0..1) and the outlier ``threshold``."""
        self.lo, self.hi = display_range(values, threshold)
        counts, _ = histogram(values, self.BINS, self.lo, self.hi)
        self.counts = [int(c) for c in counts]
        self.threshold = float(threshold)
        self._digits = threshold_digits(values, self.threshold)
        self.metric_title = metric
        self.update()

    def set_selected(self, value: float) -> None:
        """Mark one image's score (NaN hides the mark)."""
        self.selected = float(value)
        self.update()

    def plot_rect(self) -> QRectF:
        return QRectF(34, 8, max(self.width() - 56, 10), max(self.height() - 34, 10))

    def x_of(self, value: float) -> float:
        """Widget x of a score (for tests and painting)."""
        r = self.plot_rect()
        t = (value - self.lo) / (self.hi - self.lo)
        return r.left() + min(max(t, 0.0), 1.0) * r.width()

    def ticks(self) -> list[tuple[float, str]]:
        """The x-axis ticks painted: widget x and label, at most one per 44 px of the plot."""
        max_ticks = min(6, int(self.plot_rect().width() // 44))
        return [(self.x_of(v), text) for v, text in axis_ticks(self.lo, self.hi, max_ticks)]

    @property
    def threshold_label(self) -> str:
        """The text beside the threshold's line, with the decimals that tell it from every score."""
        return f"outliers < {self.threshold:.{self._digits}f}"

    def label_rect(self) -> QRectF:
        """Where the threshold's label is painted: beside its line, on whichever side has room
        for it, on a box of the background colour so that no bar runs through the text."""
        r = self.plot_rect()
        x = self.x_of(self.threshold)
        w = self.fontMetrics().horizontalAdvance(self.threshold_label) + 6.0
        left = x + 3 if x + 3 + w <= r.right() else max(r.left() + 1, x - 3 - w)
        return QRectF(left, r.top() + 2, w, self.fontMetrics().height())

    def colors(self) -> dict[str, QColor]:
        """The colours painted: background, frame, bars, text, threshold and selection."""
        palette = self.palette()
        role = palette.ColorRole
        return {
            "background": palette.color(role.Base),
            "frame": palette.color(role.Mid),
            "bars": palette.color(role.Highlight),
            "text": palette.color(role.Text),
            "threshold": alert_color(palette),
            "selection": palette.color(role.Text),
        }

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = self.plot_rect()
        colors = self.colors()
        p.fillRect(self.rect(), colors["background"])
        p.setPen(QPen(colors["frame"]))
        p.drawRect(r)
        peak = max(max(self.counts), 1)
        bar_w = r.width() / self.BINS
        for i, count in enumerate(self.counts):
            h = r.height() * count / peak
            p.fillRect(QRectF(r.left() + i * bar_w + 1, r.bottom() - h, bar_w - 2, h),
                       colors["bars"])  # fmt: skip
        p.setPen(colors["text"])
        for x, text in self.ticks():
            p.drawText(QRectF(x - 20, r.bottom() + 2, 40, 14), Qt.AlignmentFlag.AlignCenter, text)
        p.drawText(QRectF(0, r.top(), r.left() - 4, 14), Qt.AlignmentFlag.AlignRight, str(peak))
        p.drawText(QRectF(r.left(), r.bottom() + 14, r.width(), 14), Qt.AlignmentFlag.AlignCenter,
                   self.metric_title)  # fmt: skip
        if math.isfinite(self.threshold):
            x = self.x_of(self.threshold)
            p.setPen(QPen(colors["threshold"], 2, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
            box = self.label_rect()
            p.fillRect(box, colors["background"])  # readable over the bars
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, self.threshold_label)
        if math.isfinite(self.selected):
            x = self.x_of(self.selected)
            p.setPen(QPen(colors["selection"], 2))
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
        p.end()
