"""The Review tab's background work: the first scoring of a large project and re-scoring
against the current model, each in a thread (:mod:`.rescore`), with the progress bar.

:class:`BackgroundScoring` is a mixin of :class:`~fashion_annotator.ui.review.view.ReviewView`,
which owns the widgets and the score state it reads.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from fashion_annotator.core.tasks import task_title
from fashion_annotator.qa.scores import MODEL, ImageScore, ScoreMemo
from fashion_annotator.ui.review.rescore import RescoreThread, ScoreThread


class BackgroundScoring:
    """Scoring threads of the Review tab (a mixin of ``ReviewView``)."""

    if TYPE_CHECKING:
        project: Any
        task: str
        score_thread: ScoreThread | None
        rescore_thread: RescoreThread | None
        summary: Any
        progress: Any
        rescore_button: Any
        reference: Any
        _scores: ScoreMemo
        _scored_tasks: set[str]
        _model_rows: dict[str, tuple[list[ImageScore], str, str]]

        def refresh_shown(self) -> bool: ...

    # -- first scoring of a large project ------------------------------------------------------

    def _score_in_background(self) -> None:
        if self.score_thread is not None:  # asked again meanwhile: shown when it ends
            return
        thread = ScoreThread(self.project.location, self.task, self.project.user, parent=self)
        self.score_thread = thread
        self.summary.setText(f"Scoring the saved masks ({html.escape(task_title(self.task))}) against the "
                             "proposals shown (first visit)…")  # fmt: skip
        self._run(thread, self._first_scored, self._first_scoring_failed, self._score_finished)

    def _run(self, thread: ScoreThread | RescoreThread, scored, failed, finished) -> None:
        """Connect a scoring thread to the progress bar and its slots, and start it."""
        thread.progress.connect(self._rescore_progress)
        thread.scored.connect(scored)
        thread.failed.connect(failed)
        thread.finished.connect(finished)
        # a new run starts at 0 (the last run's "704/704" showed until the model had loaded)
        self.progress.setMaximum(1)
        self.progress.setValue(0)
        self.progress.setFormat("0/…")
        self.progress.setVisible(True)
        thread.start()

    def _first_scored(self, task: str, rows: list[ImageScore], memo: ScoreMemo) -> None:
        self._scores.update(memo)
        self._scored_tasks.add(task)

    def _first_scoring_failed(self, message: str) -> None:
        assert self.score_thread is not None, "a failure without its thread"
        self._scored_tasks.add(self.score_thread.task)  # scored here from now on, as before
        self.summary.setText(f"Scoring failed: {html.escape(message)}")

    def _score_finished(self) -> None:
        thread = self.score_thread
        self.score_thread = None
        if thread is None:
            return
        thread.deleteLater()
        if self.rescore_thread is None:
            self.progress.setVisible(False)
        if not thread.was_cancelled and thread.task in self._scored_tasks:
            self.refresh_shown()  # statuses and decisions made meanwhile; the scores from the memo

    # -- re-scoring --------------------------------------------------------------------------

    def start_rescore(self) -> None:
        """Score every saved mask against the current model in the background."""
        if self.rescore_thread is not None:
            # heard at once (it took up to a batch of model runs with no sign): the thread
            # stops once the image in hand is scored
            self.rescore_thread.cancel()
            self.rescore_button.setText("Cancelling…")
            self.rescore_button.setEnabled(False)
            return
        thread = RescoreThread(self.project.location, self.task, self.project.user, parent=self)
        self.rescore_thread = thread
        self.rescore_button.setText("Cancel re-score")
        self._run(thread, self._rescored, self._rescore_failed, self._rescore_finished)

    def model_changed(self, task: str) -> None:
        """Another model proposes for ``task`` now (a promotion, a rollback): the scores against
        the previous one are not "vs current model" any more (they stayed, under that label),
        nor are those of a parsing task whose proposals agree with ``task``'s cutouts."""
        from fashion_annotator.segmentation.pipeline import agreeing_cutouts

        stale = [t for t in self._model_rows if t == task or task in agreeing_cutouts(self.project, t)]
        for t in stale:
            del self._model_rows[t]
        if self.task in stale:
            self.refresh_shown()

    def _rescore_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done}/{total}")

    def _rescored(self, rows: list[ImageScore]) -> None:
        thread = self.rescore_thread
        assert thread is not None, "a re-score result without its thread"
        self._model_rows[thread.task] = (rows, thread.cache_key, thread.model_name)
        # the name is long (version, device, the cutouts it agrees with): a tooltip, so the
        # closed combo still reads whole
        described = f"Scores against the current model: {thread.model_name}"
        self.reference.setItemData(1, described, Qt.ItemDataRole.ToolTipRole)
        self.reference.setToolTip(described)
        if self.reference.currentData() == MODEL:
            self.refresh_shown()
        else:
            self.reference.setCurrentIndex(1)

    def _rescore_failed(self, message: str) -> None:
        QMessageBox.warning(cast(QWidget, self), "Re-score failed", message)

    def _rescore_finished(self) -> None:
        if self.rescore_thread is not None:
            self.rescore_thread.deleteLater()
        self.rescore_thread = None
        self.rescore_button.setText("Re-score with current model")
        self.rescore_button.setEnabled(True)
        self.progress.setVisible(False)
