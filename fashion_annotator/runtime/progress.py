"""A one-line progress bar on stderr, drawn only when stderr is a terminal.

Long commands (``new``, ``import``, ``export``, ``evaluate``, ``qa-report``) pass
:meth:`ProgressBar.update` as their ``progress(done, total)`` callback::

    with ProgressBar("importing") as bar:
        import_source(project, src, fmt, progress=bar.update)

Redirected or piped stderr (CI logs, the GUI's child processes) gets no bar at all.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

WIDTH = 30
MIN_INTERVAL_S = 0.1


class ProgressBar:
    """``LABEL [#####.....] DONE/TOTAL ETA`` redrawn in place; a newline when closed.

    Parameters
    ----------
    label : str
        What is being done, e.g. ``"importing"``.
    stream : TextIO, optional
        Where to draw (default ``sys.stderr``).
    enabled : bool, optional
        Force the bar on or off; by default on only when ``stream`` is a terminal.
    """

    def __init__(
        self, label: str, stream: TextIO | None = None, enabled: bool | None = None
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.start = time.monotonic()
        self.last_draw = 0.0
        self.drawn = False
        self.done = 0
        self.total = 0

    def update(self, done: int, total: int) -> None:
        """Record ``done`` of ``total`` items; redraw at most every 0.1 s and on the last."""
        self.done, self.total = done, total
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self.last_draw < MIN_INTERVAL_S:
            return
        self.last_draw = now
        self.stream.write("\r" + self.render(now - self.start))
        self.stream.flush()
        self.drawn = True

    def render(self, elapsed_s: float) -> str:
        """The bar's text for the recorded counts after ``elapsed_s`` seconds."""
        fraction = self.done / self.total if self.total > 0 else 0.0
        filled = int(WIDTH * min(fraction, 1.0))
        bar = "#" * filled + "." * (WIDTH - filled)
        if 0 < self.done < self.total:
            eta = f"eta {elapsed_s / self.done * (self.total - self.done):.0f} s"
        else:
            eta = f"{elapsed_s:.0f} s"
        return f"{self.label} [{bar}] {self.done}/{self.total} {eta}  "

    def close(self) -> None:
        """End the line the bar was drawn on (nothing when it was never drawn)."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
