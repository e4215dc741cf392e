"""Queue order "most useful first": the model's uncertainty, with diversity, for to-do images.

:class:`QueueRanker` scores the to-do images (new, in progress, rejected) of a task with the
active model in a pool thread (proposal and mirrored proposal,
:func:`fashion_annotator.segmentation.active.score_photo`), keeps the scores per model file, and
arranges queue rows: to-do images in the order of
:func:`~fashion_annotator.segmentation.active.order_by_uncertainty`, then images still being
scored, then the others, each group in its import order. :attr:`scoresChanged` fires once a
batch is scored, so the list does not reshuffle under the operator while it works.
:meth:`QueueRanker.cancel` stops the scoring at the next photo (leaving the order);
:meth:`QueueRanker.shutdown` (closing the window) does so without waiting: the model's load or
the photo being scored ends on its thread and the pool is let go of
(:func:`.detached_pools.let_go`), so a project switch never waits for it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from shiboken6 import isValid

from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.segmentation.active import PhotoUncertainty, order_by_uncertainty
from fashion_annotator.ui import detached_pools

#: Statuses the tool order ranks; the others keep their place after them.
TODO = ("new", "in_progress", "rejected")
#: ``QueueDock`` order choices: key -> label.
#: Photos of the to-do list "most useful first" picks one by one for diversity; the rest follow
#: by uncertainty and their likeness to those (a queue of thousands ranks in well under 1 s).
DIVERSE_HEAD = 200
ORDERS = {"queue": "Import order", "tool": "Most useful first (model uncertainty)"}
#: Image ids whose uploaded photos one query copies to this desktop for scoring.
COPY_BATCH = 500


class _Relay(QObject):
    scored = Signal(str, object, int)  # model key, {image_id: PhotoUncertainty}, generation
    progress = Signal(int, int)


class _ScoreJob(QRunnable):
    def __init__(self, relay: _Relay, key: str, model_path: Path, photos: list[tuple[int, Path]],
                 cancel: threading.Event, generation: int) -> None:  # fmt: skip
        super().__init__()
        self.relay, self.key, self.model_path, self.photos = relay, key, model_path, photos
        self.cancel, self.generation = cancel, generation

    def run(self) -> None:
        from fashion_annotator.core.images import ImageLoadError, load_image
        from fashion_annotator.segmentation.active import score_photo
        from fashion_annotator.segmentation.proposals import ModelLoadError, load_predictor

        out: dict[int, PhotoUncertainty] = {}
        if self.cancel.is_set():
            return
        try:
            predictor = load_predictor(self.model_path, device="cpu")
        except ModelLoadError:
            self._emit_scored(out)
            return
        for n, (image_id, path) in enumerate(self.photos, start=1):
            if self.cancel.is_set():
                break  # what was scored is kept
            try:
                _, out[image_id] = score_photo(predictor, load_image(path).rgb)
            except (ImageLoadError, ValueError):
                continue
            if isValid(self.relay):
                self.relay.progress.emit(n, len(self.photos))
        self._emit_scored(out)

    def _emit_scored(self, scores: dict[int, PhotoUncertainty]) -> None:
        # A ranker already destroyed gets nothing; a cancelled batch delivers what it scored.
        if isValid(self.relay):
            self.relay.scored.emit(self.key, scores, self.generation)


class QueueRanker(QObject):
    """Scores and orders the queue by model uncertainty.

    Signals
    -------
    scoresChanged()
        New scores arrived; the window re-arranges the queue.
    progress(done: int, total: int)
    """

    scoresChanged = Signal()  # noqa: N815 - Qt signal naming
    progress = Signal(int, int)

    def __init__(self, project: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.scores: dict[str, dict[int, PhotoUncertainty]] = {}
        #: The last order per model key; reused while photos only leave the to-do list.
        self._ranked: dict[str, list[int]] = {}
        self.pending: set[str] = set()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._cancel = threading.Event()
        self._generation = 0  # a cancel starts a new one: older batches only add their scores
        self._shut = False
        # A child made after the pool: destroyed with the ranker, once the pool has waited.
        self._relay = _Relay(self)
        self._relay.scored.connect(self._scored)
        self._relay.progress.connect(self.progress)

    def _model(self, task: str) -> tuple[str, Path] | None:
        from fashion_annotator.segmentation.proposals import model_path

        path = model_path(task, self.project)
        return None if path is None else (f"{task}:{path}", path)

    def arrange(self, records: list, task: str, order: str) -> list:
        """``records`` in ``order`` (``"queue"`` keeps them); starts scoring what is missing."""
        if order != "tool":
            if self.pending:  # the order was left: stop scoring, keep what was scored
                self.cancel(msecs=0)
            return records
        model = self._model(task)
        if model is None:
            return records
        key, path = model
        known = self.scores.setdefault(key, {})
        todo = [r for r in records if r.status in TODO]
        missing = [r for r in todo if r.id not in known]
        if missing and key not in self.pending and not self._shut:
            self.pending.add(key)
            self._copy_photos(missing)
            photos = [(r.id, Path(r.path)) for r in missing]
            self.pool.start(_ScoreJob(self._relay, key, path, photos, self._cancel, self._generation))
        scored = [r for r in todo if r.id in known]
        ranked = self._rank(key, scored, known)
        ids = {r.id for r in ranked}
        return ranked + [r for r in todo if r.id not in ids] + [r for r in records if r.status not in TODO]

    def _copy_photos(self, records: list) -> None:
        """Copy to this desktop, a batch per query, the uploaded photos of ``records`` it lacks
        (one at a time, 12 ms each, froze the window when this order was chosen on a new desktop)."""
        absent = [r.id for r in records if getattr(r, "in_store", False) and not Path(r.path).is_file()]
        for start in range(0, len(absent), COPY_BATCH):
            try:
                self.project.images(ids=absent[start : start + COPY_BATCH])
            except ProjectError:
                return  # the server went away: those photos are passed over, unscored

    def _rank(self, key: str, scored: list, known: dict[int, PhotoUncertainty]) -> list:
        """``scored`` by :func:`order_by_uncertainty` (its first :data:`DIVERSE_HEAD` picked one by
        one, the rest by their value then), or the last order of
        ``key`` with the photos that left the to-do list taken out when no photo joined it:
        saving or stepping does not rank the whole queue again, nor reshuffle it."""
        by_id = {r.id: r for r in scored}
        last = self._ranked.get(key)
        if last is not None and by_id.keys() <= set(last):
            return [by_id[i] for i in last if i in by_id]
        ranked = [scored[i] for i in order_by_uncertainty([known[r.id] for r in scored], head=DIVERSE_HEAD)]
        self._ranked[key] = [r.id for r in ranked]
        return ranked

    def invalidate(self) -> None:
        """Forget every score (a new model was promoted)."""
        self.scores.clear()
        self._ranked.clear()

    def _scored(self, key: str, scores: dict, generation: int) -> None:
        self.scores.setdefault(key, {}).update(scores)  # a cancelled batch's scores are good too
        self._ranked.pop(key, None)  # new scores: rank again
        if generation != self._generation or key not in self.pending:
            return  # delivered after a cancel: kept, nothing re-arranged now
        self.pending.discard(key)
        self.scoresChanged.emit()

    def wait(self, msecs: int = -1) -> bool:
        """Block until the scoring jobs are done (tests; a pool let go of and deleted was idle)."""
        return not isValid(self.pool) or self.pool.waitForDone(msecs)

    def cancel(self, msecs: int = -1) -> bool:
        """Stop scoring (leaving the order): the batches in progress keep the scores they made
        and trigger no re-arrangement.

        Queued jobs are dropped, the running one stops before its next photo, and this waits
        for it (not after :meth:`shutdown`: its pool was let go of). A later :meth:`arrange`
        scores what is still missing.

        Parameters
        ----------
        msecs : int
            Longest wait in milliseconds; -1 waits until the running job has stopped (at most
            the photo it is scoring).

        Returns
        -------
        bool
            True when no job is running any more.
        """
        alive = isValid(self.pool)  # after shutdown the pool is let go of, deleted once idle
        if alive:
            self.pool.clear()
        self._cancel.set()
        stopped = not alive or self.pool.waitForDone(0 if self._shut else msecs)
        self.pending.clear()
        self._cancel = threading.Event()
        self._generation += 1
        return stopped

    def shutdown(self) -> None:
        """The window closes: stop scoring without waiting (the batch in progress ends after its
        model's load or the photo it scores, and nothing rearranges) and start none again; the
        pool and the relay are let go of, so deleting the window never waits for them."""
        if self._shut:
            return
        self.cancel(msecs=0)
        self._shut = True
        detached_pools.let_go([self.pool, self._relay])


def next_in_list(before: Sequence[int], current: int | None, now: Sequence[int]) -> int | None:
    """The image to open once ``current`` is marked done: the first image after it in the list
    as it was (``before``, image ids) that the list still shows (``now``), else None.

    Stepping from ``current``'s place in the reloaded list went wrong where the list re-sorts:
    most useful first puts a done image after every to-do one, and the operator stayed on it.
    """
    if current not in before:
        return None
    shown = set(now)
    return next((i for i in before[before.index(current) + 1 :] if i in shown), None)
