"""Split by line: the next two clicks on the photo draw the line that splits an instance.

:class:`SplitLine` takes the two clicks before the canvas tools see them. Once armed it stays
armed only until the line is drawn or cancelled: Escape, a tool change or another image
(:meth:`SplitLine.reset`) disarm it, so a later brush stroke paints instead of splitting.
The Instances dock (:mod:`.instances_dock`) arms it and applies the line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence, QMouseEvent, QShortcut
from PySide6.QtWidgets import QWidget

Point = tuple[float, float]

#: What the status bar says while the split waits for its clicks.
ARMED_TEXT = "Click two points on the photo: the line splits the instance (Esc or another tool cancels)"
#: What it says once the split is made (the prompt stayed on after it).
DONE_TEXT = "Instance split in two along the line"


class SplitLine(QObject):
    """The two clicks of a split line on ``canvas``.

    Parameters
    ----------
    canvas : Canvas
        The photo: its viewport's clicks, its ``toolChanged`` signal (cancels).
    split : callable
        ``split(p0, p1)``: apply the line (image x, y) once both clicks are in; None when it
        was not applied (it says why).
    message : callable
        ``message(text)``: a line for the status bar.
    owner : QWidget
        The widget whose window the Escape shortcut listens in (the Instances dock).
    """

    def __init__(self, canvas: Any, split: Callable[[Point, Point], object], message: Callable[[str], None], owner: QWidget) -> None:
        super().__init__(owner)
        self.canvas = canvas
        self._split = split
        self._message = message
        self._armed = False
        self._first: Point | None = None
        self._escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), owner, self.cancel,
                                 context=Qt.ShortcutContext.WindowShortcut)  # fmt: skip
        self._escape.setEnabled(False)
        canvas.viewport().installEventFilter(self)
        canvas.toolChanged.connect(lambda _name: self.cancel())

    @property
    def armed(self) -> bool:
        """Whether the next clicks on the photo draw a split line."""
        return self._armed

    def arm(self) -> None:
        """Take the next two clicks on the photo as the split line."""
        self._set(True)
        self._message(ARMED_TEXT)

    def cancel(self) -> None:
        """Disarm (Escape, a tool change), saying so when it was armed."""
        if self._armed:
            self._set(False)
            self._message("Split by line cancelled")

    def reset(self) -> None:
        """Disarm without a word (another image)."""
        self._set(False)

    def _set(self, armed: bool) -> None:
        self._armed, self._first = armed, None
        self._escape.setEnabled(armed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Take the two clicks of a split line before the canvas tools see them."""
        if not self._armed:
            return False
        if isinstance(event, QMouseEvent) and event.type() == QEvent.Type.MouseButtonPress:
            pos = self.canvas.image_pos(event.position())
            if self._first is None:
                self._first = (pos.x(), pos.y())
            else:
                p0 = self._first
                self._set(False)
                if self._split(p0, (pos.x(), pos.y())) is not None:  # else it said why not
                    self._message(DONE_TEXT)
            return True
        return event.type() in (QEvent.Type.MouseButtonRelease, QEvent.Type.MouseMove)
