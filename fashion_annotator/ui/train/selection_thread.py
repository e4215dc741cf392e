"""Count the masks a retrain would learn from, in a background thread.

:func:`~fashion_annotator.dataset.training_set.select_training_masks` reads every saved mask
(and its proposal) of a task, and on a team project copies them from the server first: on the
GUI thread the Retrain dialog froze for seconds at a few thousand masks. A team project's first
retrain on a desktop copies every mask and photo from the server before sorting them (18 s at
704 CCP masks): it says so, counting, and a cancel stops that copying too. The thread opens its
own connection to the project (an SQLite connection belongs to the thread that made it), stops
at its next mask (a team project: its next image copied from the server) when cancelled, and
says one line when it fails (its traceback in the log).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from fashion_annotator.core.tasks import task_title
from fashion_annotator.dataset.training_set import TrainingSelection, select_training_masks
from fashion_annotator.ui.workers import ProjectThread, Stopped

__all__ = ["MaskCount", "SelectionThread"]


class SelectionThread(ProjectThread):
    """Sort the saved masks of ``task`` in the project at ``root`` (a folder or URL).

    Signals: ``copying(done, total)`` (a team project's masks copied from the server first),
    ``progress(done, total)``, ``selected(TrainingSelection)``, ``failed(message)``; nothing is
    emitted after :meth:`cancel`.
    """

    copying = Signal(int, int)
    selected = Signal(object)

    def _copying(self, done: int, total: int) -> None:
        if self._stop.is_set():
            raise Stopped
        self.copying.emit(done, total)

    def run(self) -> None:
        done, selection = self._on_project(
            lambda project: select_training_masks(project, self.task, progress=self._progress, copying=self._copying),
            "counting",
        )
        if done and not self._stop.is_set():
            self.selected.emit(selection)


class MaskCount(QObject):
    """The Retrain dialog's count of its masks: runs :class:`SelectionThread`, keeps its answer.

    Signals: ``changed()`` when :attr:`text` or :attr:`selection` changed, ``ended()`` after
    the last ``changed()`` (counted, or the count failed).
    """

    changed = Signal()
    ended = Signal()

    def __init__(self, location: str | Path, task: str, user: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.location, self.task, self.user = location, task, user
        self.selection: TrainingSelection | None = None
        #: What the dialog says until the selection is there: the count so far, or why it failed.
        self.text = f"Counting the saved {task_title(task)} masks…"
        self.worker: SelectionThread | None = None

    def start(self) -> None:
        """Count in a new thread (once)."""
        if self.worker is not None:
            return
        thread = SelectionThread(self.location, self.task, self.user, parent=self)
        thread.copying.connect(self._copying)
        thread.progress.connect(self._progress)
        thread.selected.connect(self._selected)
        thread.failed.connect(self._failed)
        self.worker = thread
        thread.start()

    def stop(self) -> None:
        """Cancel the count (it stops at its next mask or batch of masks copied) and wait for its thread to end."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()

    def _copying(self, done: int, total: int) -> None:
        self.text = f"Copying the saved {task_title(self.task)} masks from the server… {done} / {total}"
        self.changed.emit()

    def _progress(self, done: int, total: int) -> None:
        self.text = f"Counting the saved {task_title(self.task)} masks… {done} / {total}"
        self.changed.emit()

    def _selected(self, selection: TrainingSelection) -> None:
        self.selection = selection
        self.changed.emit()
        self.ended.emit()

    def _failed(self, message: str) -> None:
        self.text = f"The saved {task_title(self.task)} masks could not be counted: {message}"
        self.changed.emit()
        self.ended.emit()
