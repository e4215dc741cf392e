"""The Review table's flag on images whose saved cutout and parsing masks disagree
(:mod:`~fashion_annotator.qa.mask_agreement`): a warning on the Image cell, the figures in its
tooltip; the same flag, saying why, on an image whose masks could not be compared (a mask
damaged, the project not read).

The masks are read and compared in a :class:`MaskCheckThread` on its own connection (two masks
per image: the window never waits for them); each image's figures are kept for its two latest
mask versions and the two tasks compared, so a refresh compares only the images saved since.
A comparison that failed (the project's server gone) is tried again at the next refresh, never
at once: it restarted as it ended, some 270 threads a second, and an export waited for it
until cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from fashion_annotator.core.tasks import task_title
from fashion_annotator.qa.mask_agreement import (
    MaskAgreement,
    ReportAgreements,
    cutout_pair,
    image_figures,
    no_mask_saved,
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
    :class:`MaskAgreement`, or why the masks were not compared (a mask missing or damaged:
    :func:`~fashion_annotator.qa.mask_agreement.image_figures`), emitted once at the end
    (nothing after :meth:`cancel`, ``failed`` instead when the project could not be read)."""

    checked = Signal(object)

    def __init__(self, root: Any, pair: tuple[str, str], keys: Sequence[CheckKey], user: str,
                 parent: Any = None) -> None:  # fmt: skip
        super().__init__(root, pair[0], user, parent)
        self.pair = pair
        self.keys = list(keys)

    def run(self) -> None:
        def work(project: Any) -> dict[CheckKey, MaskAgreement | str]:
            found: dict[CheckKey, MaskAgreement | str] = {}
            for done, key in enumerate(self.keys):
                self._progress(done, len(self.keys))  # raises once cancelled
                found[key] = image_figures(project, key[0], self.pair)
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
        self.known: dict[CheckKey, MaskAgreement | str] = {}
        #: The comparisons that failed (the project could not be read), with the failure: not
        #: tried again until the next refresh (:meth:`update` with ``retry``).
        self.failed: dict[CheckKey, str] = {}
        self.worker: MaskCheckThread | None = None

    def update(self, rows: Sequence[ImageScore], retry: bool = True) -> None:
        """Flag ``rows``'s images from the figures known, and compare in a thread the images
        whose latest masks have none yet.

        Parameters
        ----------
        rows : sequence of ImageScore
            The table's rows.
        retry : bool
            Whether the comparisons that failed are tried again (a refresh read the rows); not
            as a comparison ends, nor when only the outlier rule changed.
        """
        if retry:
            self.failed.clear()
        view = self.view
        pair = cutout_pair(view.project, view.task)
        keys = None if pair is None else self._keys(pair, rows)
        if pair is None or keys is None:
            view.model.set_flags({})
            return
        masks = f"{task_title(pair[0])} and {task_title(pair[1])} masks"
        flags = {}
        for image_id, key in keys.items():
            found = self.known.get(key)
            if isinstance(found, MaskAgreement) and found.disagrees:
                flags[image_id] = found.describe()
            elif isinstance(found, str):  # a mask damaged: said only in the log and the export
                flags[image_id] = f"{masks} {found}"
            elif key in self.failed:
                flags[image_id] = f"{masks} not compared: {self.failed[key]}; Refresh (F5) tries again"
        view.model.set_flags(flags)
        missing = [k for k in keys.values() if k not in self.known and k not in self.failed]
        if not missing:
            return
        if self.worker is not None:  # compared when the running one ends
            return
        thread = MaskCheckThread(view.project.location, pair, missing, view.project.user, parent=self)
        thread.checked.connect(self.known.update)
        thread.failed.connect(self._failed)
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

    def failures(self, rows: Sequence[ImageScore]) -> dict[int, str]:
        """Image id -> why the comparison of its latest masks failed (the project could not be
        read: ``"ProjectError: ..."``), for ``rows`` whose comparison failed since the last
        refresh."""
        pair = cutout_pair(self.view.project, self.view.task)
        keys = None if pair is None else self._keys(pair, rows)
        return {image_id: self.failed[key] for image_id, key in (keys or {}).items() if key in self.failed}

    def report_agreements(self, rows: Sequence[ImageScore]) -> ReportAgreements:
        """The QA report's cutout and parsing figures of ``rows``: the table's, for the images
        whose latest masks were compared already (not read again), and why the others were not
        compared when the versions the review read say so without reading a mask (no mask of a
        task saved: both masks were read on the GUI thread to find that out) or the comparison
        failed; the rest are read as the report is written."""
        agreements = ReportAgreements(self.view.project, self.view.task)
        pair = agreements.pair
        keys = None if pair is None else self._keys(pair, rows)
        if pair is None or keys is None:
            return agreements
        saved: Mapping[str, Mapping[int, Sequence[Any]]] = self.view.saved_versions or {}
        found: dict[int, MaskAgreement | str] = {}
        for row in rows:
            key = keys.get(row.image_id)
            if key is None:  # a task without a saved mask, the parsing task named first
                found[row.image_id] = no_mask_saved(next(t for t in pair if not saved[t].get(row.image_id)))
            elif key in self.known:
                found[row.image_id] = self.known[key]
            elif key in self.failed:
                found[row.image_id] = f"the comparison failed ({self.failed[key]})"
        agreements.take(found)
        return agreements

    def wait(self, parent: QWidget, doing: str) -> bool:
        """Wait for the running comparisons (and those a refresh started meanwhile) with the
        window answering: a progress dialog, ``doing`` its text, with Cancel, shown after 0.3
        s; False once cancelled. It ends with a comparison that failed (:meth:`failures`). An
        export waits so as to take their figures: it compared every image on the GUI thread
        while they ran, 12-26 s of a frozen window at 704 masks (a scale test)."""
        if self.worker is None:
            return True
        dialog = QProgressDialog(doing, "Cancel", 0, 0, parent)
        dialog.setWindowTitle("Comparing cutout and parsing masks")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setMaximum(len(self.worker.keys))
        dialog.setValue(0)  # shown after the minimum duration, progress or not (it took Qt's 4 s)
        loop = QEventLoop()
        dialog.canceled.connect(loop.quit)
        ticks = QTimer()
        # the worker ends with a queued signal, and cancel() emits no canceled: look at each tick
        ticks.setInterval(30)
        while self.worker is not None and not dialog.wasCanceled():
            worker = self.worker
            dialog.setMaximum(len(worker.keys))
            worker.progress.connect(dialog.setValue)  # a slot of the dialog: queued to this thread
            ticks.timeout.connect(
                lambda w=worker: loop.quit() if self.worker is not w or dialog.wasCanceled() else None
            )
            ticks.start()
            loop.exec()
            ticks.stop()
            ticks.timeout.disconnect()
        cancelled = dialog.wasCanceled()
        dialog.close()
        dialog.deleteLater()
        return not cancelled

    def _failed(self, message: str) -> None:
        """The running comparison could not read the project (it ends next: :meth:`_finished`)."""
        if self.worker is not None:
            self.failed.update(dict.fromkeys(self.worker.keys, message))

    def _finished(self) -> None:
        thread, self.worker = self.worker, None
        if thread is None:
            return
        thread.deleteLater()
        if not thread.was_cancelled:  # the images saved meanwhile; not those that failed
            self.update(self.view.model.rows(), retry=False)

    def stop(self) -> None:
        """Cancel a running comparison and wait for it (the tab closes)."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()
