"""The Review tab's row of filters and buttons, on two rows where the tab is narrow.

In one row the filters and buttons needed 1106 logical pixels: on a laptop screen at 125 % or
150 % the whole Review tab scrolled sideways, its HTML report and Reject buttons out of sight
until scrolled to. Narrower than one row, the buttons go onto a second row.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget


class WrappingBar(QWidget):
    """``first``, ``second`` and, right-aligned, ``right`` in one row where they fit; else
    ``first`` on one row and ``second`` and ``right`` on the next.

    Parameters
    ----------
    first, second, right : list of QWidget
        The widgets in their order.
    """

    def __init__(self, first: list[QWidget], second: list[QWidget], right: list[QWidget]) -> None:
        super().__init__()
        self._first, self._second, self._right = first, second, right
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        self._rows = (QHBoxLayout(), QHBoxLayout())
        for row in self._rows:
            column.addLayout(row)
        self._wrapped: bool | None = None
        self._arrange(False)

    def _arrange(self, wrapped: bool) -> None:
        if wrapped == self._wrapped:
            return
        self._wrapped = wrapped
        for row in self._rows:
            while row.count():
                row.takeAt(0)
        top, bottom = self._rows
        for w in self._first:
            top.addWidget(w)
        rest = bottom if wrapped else top
        for w in self._second:
            rest.addWidget(w)
        rest.addStretch(1)
        for w in self._right:
            rest.addWidget(w)
        if wrapped:
            top.addStretch(1)
        self.updateGeometry()

    def _row_width(self, widgets: list[QWidget]) -> int:
        """The least width of ``widgets`` side by side (the hidden ones take none)."""
        shown = [w for w in widgets if not w.isHidden()]
        widths = [max(w.minimumWidth(), w.minimumSizeHint().width()) for w in shown]
        return sum(widths) + max(len(shown) - 1, 0) * self._rows[0].spacing()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        least = super().minimumSizeHint()
        narrow = max(self._row_width(self._first), self._row_width(self._second + self._right))
        return QSize(narrow, least.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        one_row = self._row_width(self._first + self._second + self._right)
        self._arrange(event.size().width() < one_row)
        super().resizeEvent(event)
