"""A word-wrapped label that keeps every line of its text in a squeezed layout."""

from __future__ import annotations

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

__all__ = ["WholeLabel"]


class WholeLabel(QLabel):
    """A word-wrapped :class:`QLabel` whose minimum height follows its text and width.

    Qt lays out a wrapped label at the height its layout last asked for: when the text grows
    (a result of two lines replacing an empty one) or the dialog is short (1280x720), the label
    is squeezed and its lines run over the widgets below. Keeping the minimum height at
    ``heightForWidth(width)`` makes the layout give way elsewhere (a plot, a table) or grow its
    window instead.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self._keep_whole()

    def clear(self) -> None:
        """Empty the label and give back its lines' height (a new retrain in the same dialog
        kept the old comparison's blank space)."""
        super().clear()
        self._keep_whole()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._keep_whole()

    def _keep_whole(self) -> None:
        width = self.width()
        if width > 0:
            self.setMinimumHeight(self.heightForWidth(width) if self.text() else 0)
