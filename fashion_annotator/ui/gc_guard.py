"""Python's cyclic garbage collection, run only in the GUI thread.

Python collects reference cycles in whichever thread happens to allocate past the threshold:
in this application often a worker (a proposal, a thumbnail, a file job). A Qt object in such a
cycle is then destroyed in that worker, where Qt cannot stop its timers or touch its widgets,
and a timer later fires on freed memory (a segfault seen in CI). :class:`GuiThreadCollector`
turns automatic collection off and runs the same generational collections from a timer of the
GUI thread, so every cycle dies there. Plain reference counting, which frees almost everything,
is unchanged.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500
"""How often the GUI thread checks the collector's counts (milliseconds)."""


class GuiThreadCollector(QObject):
    """Collect cycles from a GUI-thread timer instead of Python's automatic collector.

    Parameters
    ----------
    parent : QObject, optional
        Owner (the application); :meth:`stop` runs when it is destroyed.
    interval_ms : int
        Milliseconds between checks of ``gc.get_count()`` against ``gc.get_threshold()``.
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.collections = 0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        gc.disable()
        self._timer.start(interval_ms)

    def check(self) -> int:
        """Collect the generations whose counts passed their thresholds, as ``gc`` would.

        Returns
        -------
        int
            The number of unreachable objects found.
        """
        count0, count1, count2 = gc.get_count()
        found = 0
        if count0 > self.threshold[0]:
            generation = 2 if count2 > self.threshold[2] else 1 if count1 > self.threshold[1] else 0
            found = gc.collect(generation)
            self.collections += 1
        return found

    def stop(self) -> None:
        """Stop the timer, collect once more here and give collection back to Python."""
        self._timer.stop()
        gc.collect()
        gc.enable()
