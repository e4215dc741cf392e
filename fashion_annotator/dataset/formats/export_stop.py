"""How an export stops before its end: a closing file it cannot write (:class:`ExportStopped`),
its progress callback cancelling it (:class:`CancelRequested`, the window's Cancel), or a
damaged page of the project index (:func:`stop_if_damaged`, :func:`stopped_by_damage`).

A cancelled export stops between images: the images done are written whole, the format's
closing files (COCO's ``annotations.json``, Label Studio's ``tasks.json``, CVAT's
``annotations.xml``...) are written for them alone, and the folder's unfinished-export note
names them (:func:`partial_note`), so the folder really holds what the summary says.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from fashion_annotator.core.atomic import WRITE_ERRNOS, atomic_write_text
from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.index_damage import IndexDamaged, is_damage

if TYPE_CHECKING:
    from fashion_annotator.dataset.formats.common import ExportSummary


class CancelRequested(Exception):
    """Raised by a job's progress callback to stop the job between files (the window's Cancel
    raises :class:`~fashion_annotator.ui.file_jobs.JobCancelled`, a subclass).

    Attributes
    ----------
    done, total : int
        The ``progress(done, total)`` call that raised it.
    export : ExportSummary or None
        What an export it stopped wrote (set by the export before raising it again); None for
        any other job.
    """

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"cancelled after {done} of {total} files")
        self.done, self.total = done, total
        self.export: ExportSummary | None = None


def progressed(progress: Callable[[int, int], None], done: int, total: int, summary: ExportSummary) -> bool:
    """Call ``progress(done, total)`` for an export; False, with the cancel kept in
    ``summary.cancelled``, when it asks the export to stop (the caller ends its loop and
    writes its closing files for the images done)."""
    try:
        progress(done, total)
    except CancelRequested as exc:
        summary.cancelled = exc
        return False
    return True


def partial_note(summary: ExportSummary, listed: str | None) -> str:
    """The unfinished-export note of a cancelled export: where it stopped and the images it holds
    (``listed``: the format's file that lists them, e.g. ``annotations.json``)."""
    stop = summary.cancelled
    where = f" after {stop.done:,} of {stop.total:,} images" if stop is not None else ""
    lines = [f"This export was cancelled{where}: it is partial. Export again into a new or empty folder for every image."]
    if summary.exported:
        lines.append(f"It holds the {counted(len(summary.exported), 'image')} exported before the cancel"
                     + (f" ({lists(listed)} only those):" if listed else ":"))  # fmt: skip
        lines.extend(f"  {name}" for name in summary.exported)
    else:
        lines.append("No image was exported before the cancel" + (f" ({lists(listed)} none)." if listed else "."))
    return "\n".join(lines) + "\n"


def lists(listed: str) -> str:
    """``listed`` (a file, or ``A and B``) with the verb: ``annotations.json lists``."""
    return f"{listed} {'list' if ' and ' in listed else 'lists'}"


class ExportStopped(OSError):
    """An export stopped on a closing file it could not write (its index, its label list: the
    export is useless without it); the folder keeps its unfinished-export mark.

    ``str()`` is the file's error; :meth:`lines` the problems of single images listed before
    (a full disk fails their photos first), which the error alone would hide.
    """

    def __init__(self, summary: ExportSummary, cause: OSError) -> None:
        super().__init__(cause.errno, file_error_text(cause))
        self.summary = summary

    def __str__(self) -> str:
        return str(self.strerror)

    def lines(self) -> list[str]:
        """One line per image not exported before the export stopped (and the notes)."""
        return self.summary.lines()[1:]


@contextlib.contextmanager
def closing_files(summary: ExportSummary) -> Iterator[None]:
    """Write an export's closing files: an :class:`OSError` becomes :class:`ExportStopped`."""
    try:
        yield
    except ExportStopped:
        raise
    except OSError as exc:
        raise ExportStopped(summary, exc) from exc


def file_error_text(exc: BaseException) -> str:
    """What a failed file says: an OS error's file and reason, else the message. A copy that
    could not be written names its destination (``shutil`` puts the source first)."""
    if not isinstance(exc, OSError):
        return str(exc)
    if exc.filename2 and exc.errno in WRITE_ERRNOS:
        return f"{exc.filename2}: {exc.strerror or exc}"
    if exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return str(exc.strerror or exc)


def stop_if_damaged(exc: BaseException, index: Path) -> None:
    """Raise ``exc`` again when it is a damaged page of the project index (``index``): one
    image's error caught is the whole export's (every image after it would say the damage
    again, and the folder would look finished without them). A plain
    :class:`sqlite3.DatabaseError` saying damage becomes :class:`IndexDamaged`. Returns for
    any other error (the caller lists it for its image and goes on)."""
    if isinstance(exc, IndexDamaged):
        raise exc
    if is_damage(exc):
        raise IndexDamaged(index, str(exc)) from exc


def stopped_by_damage(exc: IndexDamaged, out: Path, marker: str, marked_before: bool) -> IndexDamaged:
    """``exc``, met by an export into ``out``, saying the export stopped; the folder's
    unfinished-export note (``marker``, written when the export made the folder) says why.

    Parameters
    ----------
    exc : IndexDamaged
        The damage the export met.
    out : Path
        The export folder.
    marker : str
        The unfinished-export note's file name in ``out``.
    marked_before : bool
        ``out`` held the note before this export began: another export's, left alone.
    """
    note = out / marker
    if marked_before or not note.is_file():  # the export made no folder: nothing was exported
        return IndexDamaged(exc.index, exc.detail, "nothing was exported")
    with contextlib.suppress(OSError):  # the note written at the start stays: still marked
        atomic_write_text(note, (
            f"This export stopped before its end: {exc.index} is damaged (SQLite: {exc.detail}). "
            "It is not whole. Restore the project index from a backup, then export again into a "
            "new or empty folder.\n"
        ))  # fmt: skip
    return IndexDamaged(exc.index, exc.detail, f"the export stopped: {out} is not whole (see its {marker})")
