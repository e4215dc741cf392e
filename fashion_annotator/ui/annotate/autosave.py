"""Autosave timing and the effort clock of the open image.

:class:`AutosaveTimer` fires :attr:`AutosaveTimer.due` once the document has held unsaved
edits for ``interval_s`` seconds; saving (or discarding) stops it. :class:`EffortClock` counts
the seconds an operator actually works on an image: time while the window is active, with
pauses longer than ``idle_s`` between two inputs not counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

DEFAULT_INTERVAL_S = 30


class AutosaveTimer(QObject):
    """Emits :attr:`due` ``interval_s`` seconds after the first unsaved edit.

    Parameters
    ----------
    interval_s : float
        Seconds of unsaved edits before an autosave; 0 disables the timer.
    """

    due = Signal()

    def __init__(self, interval_s: float = DEFAULT_INTERVAL_S, parent: QObject | None = None):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.due)
        self.set_interval(interval_s)

    @property
    def interval_s(self) -> float:
        """Seconds of unsaved edits before :attr:`due` fires (0: never)."""
        return self._interval_s

    @property
    def pending(self) -> bool:
        """Whether an autosave is scheduled."""
        return self._timer.isActive()

    def set_interval(self, interval_s: float) -> None:
        """Change the interval; a scheduled autosave keeps its start time."""
        if interval_s < 0:
            raise ValueError(f"autosave interval must be >= 0 seconds, got {interval_s}")
        self._interval_s = float(interval_s)
        if self._interval_s == 0:
            self._timer.stop()
        else:
            self._timer.setInterval(round(self._interval_s * 1000))

    def edited(self) -> None:
        """Note an edit: schedules an autosave unless one is already scheduled."""
        if self._interval_s > 0 and not self._timer.isActive():
            self._timer.start()

    def saved(self) -> None:
        """Note that nothing is unsaved any more."""
        self._timer.stop()


class EffortClock:
    """Seconds of active work on the open image.

    Parameters
    ----------
    idle_s : float
        A gap longer than this between two :meth:`tick` calls counts as ``idle_s`` only.
    now : callable, optional
        Monotonic time source in seconds (tests pass a fake one).
    """

    def __init__(self, idle_s: float = 60.0, now: Callable[[], float] = time.monotonic) -> None:
        self.idle_s = float(idle_s)
        self._now = now
        self._seconds = 0.0
        self._last: float | None = None

    @property
    def seconds(self) -> float:
        """Active seconds counted since the last :meth:`reset`."""
        return self._seconds

    def reset(self, seconds: float = 0.0) -> None:
        """Start counting again from ``seconds`` (e.g. restored from the journal)."""
        self._seconds = float(seconds)
        self._last = self._now()

    def tick(self) -> float:
        """Count the time since the previous tick (capped) and return the total."""
        now = self._now()
        if self._last is not None:
            self._seconds += min(max(0.0, now - self._last), self.idle_s)
        self._last = now
        return self._seconds

    def pause(self) -> None:
        """Stop counting until the next :meth:`tick` (window deactivated)."""
        self.tick()
        self._last = None
