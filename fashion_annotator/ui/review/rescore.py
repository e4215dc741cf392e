"""Score a whole project in a background thread: against the shown proposals (the Review
tab's first visit, :class:`ScoreThread`) or against the current model (:class:`RescoreThread`).

Each thread opens its own connection to the project (an SQLite connection belongs to the
thread that made it), reports progress, and stops between images when cancelled (a model run in hand ends first).
A thread that fails says one line to the reviewer and leaves its traceback in the log.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Signal

from fashion_annotator.core.wording import model_label
from fashion_annotator.qa.scores import (
    ScoreMemo,
    predictor_cache_key,
    rescore_with_model,
    score_project,
)
from fashion_annotator.ui.workers import ProjectThread

__all__ = ["RescoreThread", "ScoreThread"]

log = logging.getLogger(__name__)


class ScoreThread(ProjectThread):
    """Score every saved mask of ``task`` against the proposal shown (no model needed).

    Signals: ``progress(done, total)``, ``scored(task, rows, memo)`` (the memo for the view's
    later refreshes), ``failed(message)``; nothing is emitted after :meth:`cancel`.
    """

    scored = Signal(str, object, object)

    def run(self) -> None:
        memo: ScoreMemo = {}
        done, rows = self._on_project(
            lambda project: score_project(project, self.task, progress=self._progress, memo=memo), "scoring"
        )
        if done and not self._stop.is_set():
            self.scored.emit(self.task, rows, memo)


class RescoreThread(ProjectThread):
    """Signals: ``progress(done, total)``, ``scored(list[ImageScore])``, ``failed(message)``.

    ``scored`` carries the rows scored before a cancel, too. Once the predictor is loaded,
    ``model_name`` describes it and ``cache_key`` names the project cache entries holding its
    predictions.
    """

    scored = Signal(object)

    def __init__(self, root: str | Path, task: str, user: str, batch_size: int = 8,
                 device: str = "auto", parent=None) -> None:  # fmt: skip
        super().__init__(root, task, user, parent)
        self.batch_size = batch_size
        self.device = device
        self.model_name = ""
        self.cache_key = ""

    def run(self) -> None:
        from fashion_annotator.dataset.store import open_project
        from fashion_annotator.segmentation.proposals import load_shown_predictor

        try:
            with open_project(self.root, user=self.user) as project:
                predictor = load_shown_predictor(self.task, project, device=self.device)
                agreeing = getattr(predictor, "cutouts", None)
                agree = f", agreeing with {' and '.join(agreeing)}" if agreeing else ""
                record = project.models.active(self.task)
                label = model_label(predictor.model_version, None if record is None else record.version)
                self.model_name = f"{label} on {predictor.device_name}{agree}"
                self.cache_key = predictor_cache_key(self.task, predictor)

                def keep(image_id: int, mask) -> None:
                    project.cache.save(image_id, self.cache_key, mask)

                rows = rescore_with_model(
                    project, self.task, predictor, batch_size=self.batch_size,
                    progress=self.progress.emit, cancelled=self._stop.is_set, keep=keep,
                    cached=lambda image_id: project.cache.load(image_id, self.cache_key),
                )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - shown to the reviewer, never lost in a thread
            log.exception("scoring the %s masks of %s failed", self.task, self.root)
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.scored.emit(rows)
