"""The Review tab's HTML report, built in a thread (Review > HTML report...).

The report pictures its worst images: each one's photo, its saved mask and the mask it is
scored against, read and blended for the overlay. Read on the GUI thread, the window froze
while they were read (20 photos and masks, seconds each for a 6000x9000 photo). A
:class:`ReportThread` builds the document on a connection of its own (with the current model,
loaded there, when a row is scored against it); :func:`build_report` waits for it with the
window answering, a busy dialog shown after 0.3 s. Its Cancel stops the report before the next
image is pictured (a big project's report took minutes): nothing is written.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.qa.mask_agreement import ReportAgreements
from fashion_annotator.qa.report import ReportCancelled, build_html
from fashion_annotator.qa.scores import MODEL, ImageScore
from fashion_annotator.ui.workers import ProjectThread

__all__ = ["ReportThread", "build_report"]

log = logging.getLogger(__name__)


class ReportThread(ProjectThread):
    """Build the HTML report of ``rows`` (:func:`~fashion_annotator.qa.report.build_html`) on a
    connection of its own.

    Once it ended, :attr:`document` holds the report, else :attr:`error` says why there is none:
    a photo, mask or model that cannot be read (``str`` of the error, as the export's warning
    says it), or another error (``failed``, logged with its traceback); :attr:`connected` False:
    the thread could not open the project at all; :attr:`was_cancelled` with no document: its
    :meth:`cancel` stopped it before the next image.
    """

    def __init__(self, root: Any, task: str, user: str, rows: Sequence[ImageScore], k: float,
                 agreements: ReportAgreements, parent: Any = None) -> None:  # fmt: skip
        super().__init__(root, task, user, parent)
        self.rows = list(rows)
        self.k = k
        self.agreements = agreements
        self.document: str | None = None
        self.error = ""
        self.connected = False
        self.failed.connect(self._note_failure, Qt.ConnectionType.DirectConnection)

    def _note_failure(self, message: str) -> None:
        self.error = message

    def run(self) -> None:
        done, document = self._on_project(self._build, "writing the report of")
        if done:
            self.document = document

    def _build(self, project: Any) -> str | None:
        """The document, or None with :attr:`error` saying why it could not be built."""
        self.connected = True
        try:
            return _report(project, self.task, self.rows, self.k, self.agreements, self._stop)
        except ReportCancelled:
            return None
        except (OSError, ValueError, ProjectError) as exc:  # ProjectError: unreadable mask
            self.error = str(exc)
            return None


def _report(project: Any, task: str, rows: Sequence[ImageScore], k: float, agreements: ReportAgreements,
            stop: threading.Event | None = None) -> str:  # fmt: skip
    """:func:`~fashion_annotator.qa.report.build_html` on ``project``, with the current model when
    a row is scored against it; the figures the review did not know are read on ``project``.
    ``stop``: set, the report stops before its next image (:class:`~fashion_annotator.qa.report.
    ReportCancelled`)."""
    predictor = None
    if any(r.reference == MODEL for r in rows):
        from fashion_annotator.segmentation.proposals import load_shown_predictor

        predictor = load_shown_predictor(task, project)
    agreements.project = project
    return build_html(project, task, rows, k=k, predictor=predictor, agreements=agreements, stop=stop)


def build_report(parent: QWidget, project: Any, task: str, rows: Sequence[ImageScore], k: float,
                 agreements: ReportAgreements) -> str:  # fmt: skip
    """The HTML report of ``rows``, built in a :class:`ReportThread` while the window answers
    (a busy dialog, "Writing the HTML report...", after 0.3 s, its Cancel stopping the report
    before the next image); built here, on ``project``, only when the thread cannot open the
    project (logged; the export worked so before).

    Raises
    ------
    ReportCancelled
        The reviewer clicked the dialog's Cancel before the report was built.
    OSError, ValueError, ProjectError
        The report could not be built: the photo, mask or model that cannot be read, or the
        error that stopped it (a ValueError).
    """
    thread = ReportThread(project.location, task, str(getattr(project, "user", "")), rows, k, agreements, parent)
    dialog = QProgressDialog(f"Writing the HTML report: picturing the worst of {len(rows)} images...", "", 0, 0,
                             parent)  # fmt: skip
    dialog.setWindowTitle("HTML report")
    dialog.setCancelButtonText("Cancel")
    dialog.canceled.connect(thread.cancel)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setValue(0)
    loop = QEventLoop()
    thread.finished.connect(loop.quit)
    thread.start()
    if not thread.isFinished():
        loop.exec()
    thread.wait()
    cancelled = thread.was_cancelled and thread.document is None  # before close(): it emits canceled
    dialog.canceled.disconnect(thread.cancel)
    dialog.close()
    dialog.deleteLater()
    thread.deleteLater()
    if thread.document is not None:
        return thread.document
    if cancelled:
        raise ReportCancelled
    if not thread.connected:
        log.warning("the report's thread could not open %s (%s): the report is written on the GUI thread",
                    project.location, thread.error)  # fmt: skip
        return _report(project, task, rows, k, agreements)
    raise ValueError(thread.error or "the report could not be written")
