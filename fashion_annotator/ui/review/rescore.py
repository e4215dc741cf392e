"""Re-score a whole project with the current model in a background thread.

The thread opens its own connection to the project (an SQLite connection belongs to the
thread that made it) and its own predictor, runs
:func:`~fashion_annotator.qa.scores.rescore_with_model` batch by batch and reports progress;
:meth:`RescoreThread.cancel` stops it between batches.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QThread, Signal

from fashion_annotator.qa.scores import prediction_cache_key, rescore_with_model

__all__ = ["RescoreThread"]


class RescoreThread(QThread):
    """Signals: ``progress(done, total)``, ``scored(list[ImageScore])``, ``failed(message)``.

    ``scored`` carries the rows scored before a cancel, too. Once the predictor is loaded,
    ``model_name`` describes it and ``cache_key`` names the project cache entries holding its
    predictions.
    """

    progress = Signal(int, int)
    scored = Signal(object)
    failed = Signal(str)

    def __init__(self, root: str | Path, task: str, user: str, batch_size: int = 8,
                 device: str = "auto", parent=None) -> None:  # fmt: skip
        super().__init__(parent)
        self.root = root  # a project folder or URL: the thread opens its own connection
        self.task = task
        self.user = user
        self.batch_size = batch_size
        self.device = device
        self.model_name = ""
        self.cache_key = ""
        self._stop = threading.Event()

    def cancel(self) -> None:
        self._stop.set()

    @property
    def was_cancelled(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        from fashion_annotator.dataset.store import open_project
        from fashion_annotator.segmentation.proposals import load_predictor

        try:
            with open_project(self.root, user=self.user) as project:
                predictor = load_predictor(self.task, project, device=self.device)
                self.model_name = f"{predictor.model_version} on {predictor.device_name}"
                self.cache_key = prediction_cache_key(self.task, predictor.model_version)

                def keep(image_id: int, mask) -> None:
                    project.cache.save(image_id, self.cache_key, mask)

                rows = rescore_with_model(
                    project, self.task, predictor, batch_size=self.batch_size,
                    progress=self.progress.emit, cancelled=self._stop.is_set, keep=keep,
                )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - shown to the reviewer, never lost in a thread
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.scored.emit(rows)
