"""A small live line plot painted with QPainter: training loss and a validation metric."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

MARGIN_PX = 34


class LivePlot(QWidget):
    """Two polylines over a shared x axis: a left series (e.g. loss) on its own y range and a
    right series (e.g. validation mIoU) on another, so both stay readable as they converge.

    Points are appended with :meth:`add_left` / :meth:`add_right`; each repaints. While every
    point shares one x the plot says the values in words: ``single_text`` with ``{values}``
    (what one x is: an epoch of a training run, a model version in Model history, which said
    "After the first epoch" of a model's proposals).
    """

    def __init__(
        self,
        left_label: str = "loss",
        right_label: str = "val",
        parent: QWidget | None = None,
        single_text: str = "After the first epoch: {values}. The curves start with the next one.",
    ) -> None:
        super().__init__(parent)
        self.left_label = left_label
        self.right_label = right_label
        self.single_text = single_text
        self.left: list[tuple[float, float]] = []
        self.right: list[tuple[float, float]] = []
        self.left_color = QColor(214, 96, 77)
        self.right_color = QColor(67, 147, 195)
        self.setMinimumSize(260, 140)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(420, 200)

    def add_left(self, x: float, y: float) -> None:
        """Append a point to the left-axis series; non-finite values are dropped."""
        if math.isfinite(x) and math.isfinite(y):
            self.left.append((float(x), float(y)))
            self.update()

    def add_right(self, x: float, y: float) -> None:
        """Append a point to the right-axis series; non-finite values are dropped."""
        if math.isfinite(x) and math.isfinite(y):
            self.right.append((float(x), float(y)))
            self.update()

    def set_right_label(self, label: str) -> None:
        self.right_label = label
        self.update()

    def clear(self) -> None:
        self.left.clear()
        self.right.clear()
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(MARGIN_PX, 8, -MARGIN_PX, -20)
        painter.fillRect(self.rect(), self.palette().base())
        painter.setPen(QPen(self.palette().mid().color(), 1))
        painter.drawRect(area)
        xs = [x for x, _ in self.left + self.right]
        if xs and len(set(xs)) < 2:
            # One epoch gives no curve and no meaningful axes: say the values instead.
            painter.setPen(self.palette().text().color())
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.single_point_text())  # fmt: skip
        elif area.width() > 2 and area.height() > 2 and xs:
            x0, x1 = min(xs), max(xs)
            if x1 <= x0:
                x1 = x0 + 1.0
            self._draw_series(painter, area, self.left, (x0, x1), self.left_color, left=True)
            self._draw_series(painter, area, self.right, (x0, x1), self.right_color, left=False)
        painter.setPen(self.left_color)
        painter.drawText(QPointF(area.left(), self.height() - 5), self.left_label)
        painter.setPen(self.right_color)
        label_w = painter.fontMetrics().horizontalAdvance(self.right_label)
        painter.drawText(QPointF(area.right() - label_w, self.height() - 5), self.right_label)
        painter.end()

    def single_point_text(self) -> str:
        """What the plot says while every point shares one x (the first epoch, the one version)."""
        values = [f"{self.left_label} {self.left[-1][1]:.4g}"] if self.left else []
        values += [f"{self.right_label} {self.right[-1][1]:.4g}"] if self.right else []
        return self.single_text.format(values=", ".join(values))

    def _draw_series(
        self,
        painter: QPainter,
        area: QRectF,
        points: list[tuple[float, float]],
        x_range: tuple[float, float],
        color: QColor,
        *,
        left: bool,
    ) -> None:
        if not points:
            return
        ys = [y for _, y in points]
        y0, y1 = min(ys), max(ys)
        if y1 - y0 < 1e-12:
            y0, y1 = y0 - 0.5, y1 + 0.5
        x0, x1 = x_range

        def to_px(x: float, y: float) -> QPointF:
            px = area.left() + (x - x0) / (x1 - x0) * area.width()
            py = area.bottom() - (y - y0) / (y1 - y0) * area.height()
            return QPointF(px, py)

        painter.setPen(QPen(color, 2))
        line = QPolygonF([to_px(x, y) for x, y in points])
        if len(points) == 1:
            painter.drawEllipse(to_px(*points[0]), 2.5, 2.5)
        else:
            painter.drawPolyline(line)
        # Axis ticks: the series' range, at the side it belongs to.
        painter.setPen(color)
        fm = painter.fontMetrics()
        for value, y in ((y1, area.top() + fm.ascent()), (y0, area.bottom())):
            text = f"{value:.3g}"
            x = 2.0 if left else area.right() + 3
            painter.drawText(QPointF(x, y), text)
        painter.setPen(Qt.PenStyle.NoPen)
