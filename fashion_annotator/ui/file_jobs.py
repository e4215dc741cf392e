"""The File menu's background jobs: a :class:`FileJob` thread per import or export, and how a
cancelled one (its Cancel button, or the window closing) says what it kept.

A job runs ``work(project, progress)`` on a connection of its own (SQLite connections stay in
the thread that made them). :meth:`FileJob.cancel` makes the next ``progress`` call, made after
each file, raise :class:`JobCancelled`: the job stops between files, an import keeps the
photos and masks it saved, an export keeps the images it wrote, with the format's files
(COCO's ``annotations.json``...) listing those alone, leaves its folder marked partial (its
unfinished-export note names them) and the summary says so (:func:`cancelled_import`,
:func:`cancelled_export`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QThread, Signal

from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.formats.common import FILE_ERRORS, UNFINISHED_EXPORT
from fashion_annotator.dataset.formats.export_stop import CancelRequested
from fashion_annotator.dataset.formats.photos import add_photos
from fashion_annotator.dataset.store import Project

log = logging.getLogger(__name__)


class Report(Protocol):
    """A job's summary (an :class:`~fashion_annotator.dataset.formats.common.ImportSummary`)."""

    @property
    def went_wrong(self) -> bool:
        """Whether something did not come in (the summary then warns)."""

    def lines(self) -> list[str]:
        """The totals, then what a person should read."""


Work = Callable[[Project, Callable[[int, int], None]], "list[str] | Report"]
"""``work(project, progress) -> summary`` run in the job's thread: a :class:`Report`, or its
lines (then something went wrong when there is more than the totals, or it stopped)."""

Cancelled = Callable[["JobCancelled"], "tuple[list[str], bool]"]
"""``cancelled(stop) -> (summary lines, went_wrong)`` of a job cancelled after ``stop.done``
of its ``stop.total`` files."""


def summary_lines(result: list[str] | Report) -> tuple[list[str], bool]:
    """A job's ``result`` as ``(lines, went_wrong)``."""
    if isinstance(result, list):
        return result, len(result) > 1 or (bool(result) and result[0].startswith("Stopped"))
    return result.lines(), result.went_wrong


def cancelled_import(stop: CancelRequested) -> tuple[list[str], bool]:
    """The summary of an import or Add photos cancelled by ``stop``: what it saved stays
    (nothing went wrong)."""
    return [
        f"Cancelled after {stop.done:,} of {stop.total:,} files: what those brought in is saved",
        "Run it again to bring in the rest: what is already in the project is not added twice.",
    ], False


def cancelled_export(stop: CancelRequested, out: Path | None = None) -> tuple[list[str], bool]:
    """The summary of an export into ``out`` cancelled by ``stop``: its folder holds the images
    exported before it, with the format's files listing only those (``stop.export``), and stays
    marked partial (a warning).

    The first line is short, for the status bar: "Export cancelled (unfinished): 47 images
    written to exp2" (at 853 px "…the folder holds the 47 images expor" was cut mid-word)."""
    summary = stop.export
    folder = summary.out if summary is not None else out
    where = f" to {folder.name}" if folder is not None else ""
    head = f"Export cancelled after {stop.done:,} of {stop.total:,} images"
    advice = (
        f"The folder is a partial export: its {UNFINISHED_EXPORT} names the images in it; export "
        "again into a new or empty folder for every image."
    )
    if summary is None:
        name = f" {folder.name}" if folder is not None else ""
        return [f"Export cancelled (unfinished): the folder{name} is partial", f"{head}: the folder is partial",
                advice], True  # fmt: skip
    written = counted(summary.count, "image") if summary.count else "no image"
    short = f"Export cancelled (unfinished): {written} written{where}"  # the folder's name may be cut
    if summary.count:
        head += f": the folder holds the {counted(summary.count, 'image')} exported before it"
    else:
        head += ": no image was exported before it"
    skipped = [f"{counted(len(summary.skipped), 'image')} without {summary.missing} left out"] if summary.skipped else []
    return [short, head, *skipped, *summary.lines()[1:], advice], True


def status_line(title: str, first: str) -> str:
    """A job's summary line as the status bar says it: ``title: first``, without the title where
    the line starts with its first word ("Export cutout: Export cancelled…" said it twice)."""
    if first.split(" ", 1)[0].rstrip(":") == title.split(" ", 1)[0]:
        return first
    return f"{title}: {first}"


class JobCancelled(CancelRequested):
    """Raised from a job's progress callback once :meth:`FileJob.cancel` was called; an export
    it stops sets its :attr:`~.export_stop.CancelRequested.export`.

    Attributes
    ----------
    by_operator : bool
        The operator stopped it (the status bar's Cancel); False: the window closed (closing it,
        quitting, a logout, File > Open of another project).
    """

    def __init__(self, done: int, total: int, by_operator: bool = False) -> None:
        super().__init__(done, total)
        self.by_operator = by_operator


class FileJob(QThread):
    """Runs ``work`` on a fresh connection to the project at ``root``; ``cancelled`` words
    the summary of a cancelled run (:func:`cancelled_import` by default).

    Signals
    -------
    progressed(int, int)
        ``(done, total)`` after each file.
    summarized(str, list, bool)
        ``(title, summary lines, went_wrong)`` when the work ended (an error is one line).
    """

    progressed = Signal(int, int)
    summarized = Signal(str, list, bool)

    def __init__(
        self, root: Path, user: str, title: str, work: Work, parent: QObject,
        cancelled: Cancelled = cancelled_import,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.root, self.user, self.title, self.work = root, user, title, work
        self.cancelled = cancelled
        self._cancel = threading.Event()
        self._by_operator = False

    def cancel(self, by_operator: bool = False) -> None:
        """Stop after the file in hand (safe from any thread): an import keeps what it saved
        and a re-run goes on from there, an export is left partial and says so; ``by_operator``:
        the operator asked (:attr:`JobCancelled.by_operator`), not the window closing."""
        self._by_operator = self._by_operator or by_operator
        self._cancel.set()

    @property
    def is_cancelling(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancel.is_set()

    def _progress(self, done: int, total: int) -> None:
        self.progressed.emit(done, total)
        if self._cancel.is_set() and done < total:
            raise JobCancelled(done, total, self._by_operator)

    def run(self) -> None:
        try:
            with Project.open(self.root, user=self.user) as project:
                lines, went_wrong = summary_lines(self.work(project, self._progress))
        except JobCancelled as exc:
            lines, went_wrong = self.cancelled(exc)
            log.info("%s in %s: %s", self.title, self.root, "; ".join(lines))
        except (*FILE_ERRORS, RuntimeError) as exc:
            lines, went_wrong = [f"Stopped: {exc}"], True
        except Exception as exc:  # a defect: the window must not stay busy with a dead job
            log.exception("%s in %s failed", self.title, self.root)
            lines = [f"Stopped by an unexpected error ({type(exc).__name__}: {exc}); the log has the details"]
            went_wrong = True
        if lines and lines[0].startswith("Stopped"):
            log.warning("%s in %s: %s", self.title, self.root, "; ".join(lines))
        self.summarized.emit(self.title, lines, went_wrong)


def add_photo_files(project: Project, files: list[Path], progress, copy: bool = True) -> Report:
    """Add ``files`` to ``project`` (copied, or left in place); the summary."""
    return add_photos(project, files, copy, progress)
