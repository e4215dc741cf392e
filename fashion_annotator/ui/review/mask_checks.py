"""The Review table's flag on images whose saved cutout and parsing masks disagree
(:mod:`~fashion_annotator.qa.mask_agreement`): a warning on the Image cell, the figures in its
tooltip.

The masks are read and compared in a :class:`MaskCheckThread` on its own connection (two masks
per image: the window never waits for them); each image's figures are kept for its two latest
mask versions and the two tasks compared, so a refresh compares only the images saved since.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.qa.mask_agreement import (
    MaskAgreement,
    ReportAgreements,
    check_image,
    cutout_pair,
)
from fashion_annotator.qa.scores import ImageScore
from fashion_annotator.ui.workers import ProjectThread

__all__ = ["MaskCheckThread", "MaskChecks"]

#: ``(image_id, parsing version, cutout version, parsing task, cutout task)``: the masks a check
#: compared. Both tasks are part of it: a parsing task is compared with each cutout it agrees
#: with (parsing7 with the garment and the person cutout), a cutout with each parsing task that
#: agrees with it, and their versions may coincide.
CheckKey = tuple[int, int, int, str, str]


class MaskCheckThread(ProjectThread):
    """Compare the saved masks of ``pair`` for each of ``keys``; ``checked(dict)``: key ->
    :class:`MaskAgreement` or None (a mask missing), emitted once at the end (nothing after
    :meth:`cancel`)."""

    checked = Signal(object)

    def __init__(self, root: Any, pair: tuple[str, str], keys: Sequence[CheckKey], user: str,
                 parent: Any = None) -> None:  # fmt: skip
        super().__init__(root, pair[0], user, parent)
        self.pair = pair
        self.keys = list(keys)

    def run(self) -> None:
        def work(project: Any) -> dict[CheckKey, MaskAgreement | None]:
            found: dict[CheckKey, MaskAgreement | None] = {}
            for done, key in enumerate(self.keys):
                self._progress(done, len(self.keys))  # raises once cancelled
                try:
                    found[key] = check_image(project, key[0], self.pair)
                except (ValueError, OSError, ProjectError):  # a damaged file: its score row says so
                    found[key] = None
            return found

        done, found = self._on_project(work, "comparing the cutout and parsing")
        if done and not self._stop.is_set():
            self.checked.emit(found)


class MaskChecks(QObject):
    """Keeps the figures of a review's images and gives the table those that disagree.

    Parameters
    ----------
    view : ReviewView
        Its ``project``, ``task``, ``saved_versions`` (task -> image id -> versions) and
        ``model`` (the table's :class:`~.table.ScoreTableModel`, ``set_flags``).
    """

    def __init__(self, view: Any) -> None:
        super().__init__(view)
        self.view = view
        self.known: dict[CheckKey, MaskAgreement | None] = {}
        self.worker: MaskCheckThread | None = None

    def update(self, rows: Sequence[ImageScore]) -> None:
        """Flag ``rows``'s images from the figures known, and compare in a thread the images
        whose latest masks have none yet."""
        view = self.view
        pair = cutout_pair(view.project, view.task)
        keys = None if pair is None else self._keys(pair, rows)
        if pair is None or keys is None:
            view.model.set_flags({})
            return
        flags = {}
        for image_id, key in keys.items():
            found = self.known.get(key)
            if found is not None and found.disagrees:
                flags[image_id] = found.describe()
        view.model.set_flags(flags)
        missing = [k for k in keys.values() if k not in self.known]
        if not missing:
            return
        if self.worker is not None:  # compared when the running one ends
            return
        thread = MaskCheckThread(view.project.location, pair, missing, view.project.user, parent=self)
        thread.checked.connect(self.known.update)
        thread.finished.connect(self._finished)
        self.worker = thread
        thread.start()

    def _keys(self, pair: tuple[str, str], rows: Sequence[ImageScore]) -> dict[int, CheckKey] | None:
        """Image id -> the :data:`CheckKey` of its latest masks of ``pair``, for ``rows`` with
        both; None when the review has not read the versions of both tasks."""
        saved: Mapping[str, Mapping[int, Sequence[Any]]] = self.view.saved_versions or {}
        if any(task not in saved for task in pair):
            return None
        keys = {}
        for row in rows:
            parsing, cutout = saved[pair[0]].get(row.image_id), saved[pair[1]].get(row.image_id)
            if parsing and cutout:
                keys[row.image_id] = (row.image_id, parsing[-1].version, cutout[-1].version, *pair)
        return keys

    def report_agreements(self, rows: Sequence[ImageScore]) -> ReportAgreements:
        """The QA report's cutout and parsing figures of ``rows``: the table's, for the images
        whose latest masks were compared already (not read again); the others' read as the
        report is written."""
        agreements = ReportAgreements(self.view.project, self.view.task)
        keys = None if agreements.pair is None else self._keys(agreements.pair, rows)
        found = {image_id: self.known.get(key) for image_id, key in (keys or {}).items()}
        agreements.take({image_id: figures for image_id, figures in found.items() if figures is not None})
        return agreements

    def wait(self, parent: QWidget, doing: str) -> bool:
        """Wait for the running comparisons (and those a refresh started meanwhile) with the
        window answering: a progress dialog, ``doing`` its text, with Cancel; False once
        cancelled. An export waits so as to take their figures: it compared every image on the
        GUI thread while they ran, 12-26 s of a frozen window at 704 masks (a scale test)."""
        if self.worker is None:
            return True
        dialog = QProgressDialog(doing, "Cancel", 0, 0, parent)
        dialog.setWindowTitle("Comparing cutout and parsing masks")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        loop = QEventLoop()
        dialog.canceled.connect(loop.quit)
        ticks = QTimer()
        ticks.setInterval(30)  # the worker ends with a queued signal: look again at each tick
        while self.worker is not None and not dialog.wasCanceled():
            worker = self.worker
            dialog.setMaximum(len(worker.keys))
            worker.progress.connect(dialog.setValue)  # a slot of the dialog: queued to this thread
            ticks.timeout.connect(lambda w=worker: loop.quit() if self.worker is not w else None)
            ticks.start()
            loop.exec()
            ticks.stop()
            ticks.timeout.disconnect()
        cancelled = dialog.wasCanceled()
        dialog.close()
        dialog.deleteLater()
        return not cancelled

    def _finished(self) -> None:
        thread, self.worker = self.worker, None
        if thread is None:
            return
        thread.deleteLater()
        if not thread.was_cancelled:
            self.update(self.view.model.rows())

    def stop(self) -> None:
        """Cancel a running comparison and wait for it (the tab closes)."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()
