"""Refilling the image queue from the store: on the window's own changes and, every
:data:`QUEUE_POLL_S`, when a colleague's work changed what the list shows."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer

from fashion_annotator.dataset.records import ProjectError

QUEUE_POLL_S = 15.0
"""Seconds between checks of the image list for a colleague's changes (statuses, new images)."""


class QueueRefresher(QObject):
    """Fills ``window.queue`` from ``window.project`` with the dock's filter, search and order.

    Parameters
    ----------
    window : MainWindow
        Gives ``project``, ``queue`` (the dock), ``ranker``, ``task``, ``session`` and
        ``status``; read at each refresh.
    poll_s : float
        Seconds between polls; 0 polls never.
    """

    def __init__(self, window: Any, poll_s: float = QUEUE_POLL_S) -> None:
        super().__init__(window)
        self.window = window
        self._signature: tuple = ()
        self._token: tuple[int, int] | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(int(poll_s * 1000))
        self.timer.timeout.connect(lambda: self.reload(only_if_changed=True))
        if poll_s > 0:
            self.timer.start()

    def reload(self, only_if_changed: bool = False) -> bool:
        """Refill the list; False when it was left as it was.

        ``only_if_changed``: leave the list (its selection and scroll) alone unless an image's
        status, the images or the counts changed. When the store cannot be read (a server that
        went away), the list keeps its rows and the status bar says why; the next refresh tries
        again.
        """
        w = self.window
        try:
            token = w.project.change_token()
            if only_if_changed and token is not None and token == self._token:
                return False  # nothing committed since the last read (39 ms at 5,000 images saved)
            records = w.project.images(status=w.queue.status, search=w.queue.search_text)
            counts = w.project.counts()
        except ProjectError as exc:
            w.status.showMessage(f"The image list was not refreshed: {exc}", 8000)
            return False
        if only_if_changed and token is not None and self._token is not None and token[0] != self._token[0]:
            _refresh_review(w)  # a colleague committed: Review shows it without F5
        self._token = token
        signature = ([(r.id, r.status) for r in records], sorted(counts.items()))
        if only_if_changed and signature == self._signature:
            return False
        self._signature = signature
        w.queue.set_records(w.ranker.arrange(records, w.task, w.queue.order), w.session.image_id)
        w.queue.set_counts(counts)
        return True

    def stop(self) -> None:
        """Poll no more (the window closes)."""
        self.timer.stop()


def _refresh_review(window: Any) -> None:
    """Refresh the Review tab when it shows (its scores are memoised: only masks saved since
    are scored again)."""
    review = getattr(window, "review", None)
    if review is not None and review.isVisible():
        review.refresh()
