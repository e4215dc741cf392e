"""Refilling the image queue from the store: on the window's own changes and, every
:data:`QUEUE_POLL_S`, when a colleague's work changed what the list shows."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer

from fashion_annotator.core.tasks import task_title
from fashion_annotator.dataset.index_damage import IndexDamaged
from fashion_annotator.dataset.records import ProjectError

QUEUE_POLL_S = 15.0
"""Seconds between checks of the image list for a colleague's changes (statuses, new images)."""
PATCH_MAX = 200
"""Most images this window may have changed since the last read for only their rows to be read
again (an import reads every row)."""


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
        window.queue.model.fetch_photos = lambda ids: window.project.images(ids=ids)  # copies them
        window.queue.set_unmasked_tasks({t: task_title(t) for t in window.project.tasks})
        self._signature: tuple = ()
        self._token: tuple[int, int] | None = None
        self._records: list = []  # the rows of the last read, in import order
        self._query: tuple = ()  # the status filter, search text and unmasked task of the last read
        self._unmasked: dict[str, list[int]] | None = None  # per task, done images without its mask
        self.timer = QTimer(self)
        self.timer.setInterval(int(poll_s * 1000))
        self.timer.timeout.connect(lambda: self.reload(only_if_changed=True))
        if poll_s > 0:
            self.timer.start()

    def reload(self, only_if_changed: bool = False) -> bool:
        """Refill the list; False when it was left as it was.

        ``only_if_changed``: leave the list (its selection and scroll) alone unless an image's
        status, the images or the counts changed; when only this window changed images since
        the last read (a save), only their rows are read again. Each read that finds another
        session's commit since the last one refreshes the Review tab, whatever
        ``only_if_changed``: the next poll compares with this read. When the store cannot be read
        (a server that went away), the list keeps its rows and the status bar says why; the
        next refresh tries again. A damaged index met by the first read (the window opening)
        raises :class:`~fashion_annotator.dataset.index_damage.IndexDamaged`.
        """
        w = self.window
        query = (w.queue.status, w.queue.search_text, w.queue.unmasked_task)
        last = self._token
        try:
            token = w.project.change_token()
            if only_if_changed and token is not None and token == last:
                return False  # nothing committed since the last read (39 ms at 5,000 images saved)
            others = token is not None and last is not None and token[0] != last[0]
            known = (only_if_changed or others) and token is not None and last is not None
            changed = w.project.changed_images(last) if known else None
            unmasked = self._unmasked_now(changed if only_if_changed else None)
            records = self._patched(changed, query, unmasked) if only_if_changed else None
            if records is None:
                records = self._read(query, None, unmasked)
            counts = w.project.counts()
            approved = w.project.decisions.approved_counts() if len(w.project.tasks) > 1 else {}
        except ProjectError as exc:
            if isinstance(exc, IndexDamaged) and last is None:
                raise  # the window's first read: nothing of the project can be shown (ui.app says why)
            w.status.showMessage(f"The image list was not refreshed: {exc}", 8000)
            return False
        if others:  # a full reload too (a scoring batch, an import): no later poll would see it
            _refresh_review(w, changed, token)  # another session committed: Review shows it without F5
            _look_again(w, changed)
        self._token, self._records, self._query = token, records, query
        missing = {t: len(ids) for t, ids in unmasked.items()}
        signature = ([(r.id, r.status) for r in records], sorted(counts.items()), sorted(missing.items()),
                     sorted(approved.items()))  # fmt: skip
        if only_if_changed and signature == self._signature:
            return False
        self._signature = signature
        w.queue.set_records(w.ranker.arrange(records, w.task, w.queue.order), w.session.image_id)
        w.queue.set_counts(counts, missing, approved)
        return True

    def _unmasked_now(self, changed: list[int] | None) -> dict[str, list[int]]:
        """Per task, the done images without a mask of it (:meth:`.ProjectLabelSets.without_mask`):
        the last answer with the images ``changed`` since asked again, or every image when
        ``changed`` is None or long."""
        label_sets = self.window.project.label_sets
        if changed is None or self._unmasked is None or len(changed) > PATCH_MAX:
            self._unmasked = label_sets.without_mask()
        elif changed:
            gone, fresh = set(changed), label_sets.without_mask(changed)
            merged = {t: sorted({i for i in self._unmasked.get(t, ()) if i not in gone} | set(fresh.get(t, ())))
                      for t in {*self._unmasked, *fresh}}  # fmt: skip
            self._unmasked = {t: ids for t, ids in merged.items() if ids}
        return self._unmasked

    def _read(self, query: tuple, ids: list[int] | None, unmasked: dict[str, list[int]]) -> list:
        """The rows of the images ``query`` shows (among ``ids`` when given): status, name and,
        with the filter "Done, no mask of ...", only ``unmasked``'s images of its task."""
        records = self.window.project.images(status=query[0], search=query[1], ids=ids, fetch_photos=False)
        if query[2] is None:
            return records
        keep = set(unmasked.get(query[2], ()))
        return [r for r in records if r.id in keep]

    def _patched(self, changed: list[int] | None, query: tuple, unmasked: dict[str, list[int]]) -> list | None:
        """The last rows read with the rows of the images ``changed`` since read again (a save
        of the open image: 0.65 s to read every row at 20,000 images), or None when every row
        must be read: the store cannot tell which changed (``changed`` None: another
        connection's commit to a project folder), the filter changed, or too many changed."""
        if changed is None or query != self._query or len(changed) > PATCH_MAX:
            return None
        fresh = self._read(query, changed, unmasked) if changed else []
        gone = set(changed)
        return sorted([r for r in self._records if r.id not in gone] + fresh, key=lambda r: r.id)

    def stop(self) -> None:
        """Poll no more (the window closes)."""
        self.timer.stop()


def _refresh_review(window: Any, changed: list[int] | None, token: tuple[int, int] | None) -> None:
    """Refresh the Review tab when it shows: the rows of the images ``changed`` since the last
    read only (``token``: the change token read before listing them), or every row when the
    store cannot tell which changed (None; its scores are memoised: only masks saved since are
    scored again). Hidden, it reads everything when it is next shown."""
    review = getattr(window, "review", None)
    if review is not None and review.isVisible():
        review.refresh_images(changed, token)


def _look_again(window: Any, changed: list[int] | None) -> None:
    """Look again at the image open read-only (:meth:`.LeaseWatch.look_again`: a colleague's
    save shown, their lease gone) when a colleague's commit changed it, or the store cannot tell
    which images changed (None): the canvas follows the list at the same poll."""
    session = window.session
    cur = session.current
    if cur is not None and cur.read_only and (changed is None or session.image_id in changed):
        session.look_again()
