"""Reading the Instances panel's figures: in the GUI thread for a few images, in a thread of
its own for many.

Each image's figures decode its instance map and its parsing mask (about 3 ms of CPU an image):
the Review tab's first visit of a 700-image project read them all in the GUI thread and froze
the window for 7-9 s. More than :data:`BACKGROUND_READ` images are read by a
:class:`FiguresThread` on its own connection to the project (an SQLite connection belongs to
the thread that made it), as Review's first scoring is (:class:`~.rescore.ScoreThread`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal

from fashion_annotator.dataset.records import ImageRecord
from fashion_annotator.instances.qa import InstanceQARow, instance_qa_row
from fashion_annotator.ui.workers import CancellableThread

log = logging.getLogger(__name__)

BACKGROUND_READ = 50
"""Most images whose figures are read in the GUI thread (about 0.15-0.5 s); more are read in a
:class:`FiguresThread` while the window stays responsive."""


def read_figures(
    project: Any,
    records: Sequence[ImageRecord],
    cancelled: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int], None] | None = None,
) -> list[InstanceQARow | None] | None:
    """The figures of each image of ``records`` (None for one without instances or with only
    the model's proposals: :func:`~fashion_annotator.instances.qa.instance_qa_row`).

    Parameters
    ----------
    project : ProjectStore
        The project, on a connection of the calling thread.
    records : sequence of ImageRecord
        The images, as read before their figures.
    cancelled : callable, optional
        Asked before each image: True stops the read, which returns None.
    progress : callable, optional
        ``progress(done, total)`` after each image.

    Returns
    -------
    list or None
        One entry per record, in their order; None when cancelled.
    """
    have = set(project.images_with_instances()) if records else set()
    rows: list[InstanceQARow | None] = []
    for record in records:
        if cancelled():
            return None
        rows.append(instance_qa_row(project, record, project.load_instances(record.id) if record.id in have else None))
        if progress is not None:
            progress(len(rows), len(records))
    return rows


class FiguresThread(CancellableThread):
    """Read the figures of ``records`` on a connection of its own to the project ``location``.

    Every signal carries the thread's ``generation`` (the panel's count of reads it started),
    so that a result of a read the panel gave up is told from the current one; after
    :meth:`cancel` nothing but ``done`` is emitted.

    Signals
    -------
    progress(int, int, int)
        ``generation, done, total``, at most about a hundred times a read.
    read(int, list)
        ``generation, rows``: :func:`read_figures`' rows; not emitted once cancelled.
    failed(int, str)
        ``generation, message``: the read raised.
    done(int)
        ``generation``: the last signal of the thread, whatever happened.
    """

    progress = Signal(int, int, int)
    read = Signal(int, object)
    failed = Signal(int, str)
    done = Signal(int)

    def __init__(self, location: str | Path, user: str, records: Sequence[ImageRecord], generation: int,
                 parent=None) -> None:  # fmt: skip
        super().__init__(parent)
        self.location = location
        self.user = user
        self.records = list(records)
        self.generation = generation

    def _progress(self, done: int, total: int) -> None:
        if done == total or done % max(1, total // 100) == 0:
            self.progress.emit(self.generation, done, total)

    def run(self) -> None:
        from fashion_annotator.dataset.store import open_project

        try:
            try:
                with open_project(self.location, user=self.user) as project:
                    rows = read_figures(project, self.records, self._stop.is_set, self._progress)
            except Exception as exc:  # noqa: BLE001 - shown in the panel, never lost in a thread
                log.exception("reading the instance figures of %s failed", self.location)
                if not self._stop.is_set():
                    self.failed.emit(self.generation, f"{type(exc).__name__}: {exc}")
                return
            if rows is not None and not self._stop.is_set():
                self.read.emit(self.generation, rows)
        finally:
            self.done.emit(self.generation)
