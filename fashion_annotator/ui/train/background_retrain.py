"""Optional background retrain: every N newly corrected masks, at low priority.

Off by default (``every = 0``). When on, each save asks :meth:`BackgroundRetrainer.check`; once
the project holds ``every`` more corrected masks (see
:mod:`fashion_annotator.dataset.training_set`) than at the last run, it starts the same child
process as the Retrain dialog (fine-tune recipe, ``--promote-if-better``: the new model becomes
active only when it beats the current one on the same val images), with the lowest CPU priority
and one torch thread, so editing never waits for it. Progress shows in the status bar; the result
is announced there, and :attr:`modelPromoted` lets the window re-run its proposals.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QObject, QProcess, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from fashion_annotator.dataset.training_set import (
    Memo,
    TrainingSelection,
    select_training_masks,
    val_count,
)
from fashion_annotator.runtime.child import cli_command
from fashion_annotator.ui.train.child_process import NICENESS, low_priority, training_process
from fashion_annotator.ui.train.selection_text import worse_reason
from training.finetune import PROMOTE_MARGIN, retrain_command

__all__ = ["NICENESS", "BackgroundRetrainer", "low_priority"]


class BackgroundRetrainer(QObject):
    """Retrain a task's model in the background every ``every`` newly corrected masks.

    Parameters
    ----------
    project : Project
    task : str
    status_bar : QStatusBar
        Receives a permanent progress field and the messages.
    every : int
        Newly corrected masks between runs; 0 disables.
    extra_args : sequence of str
        Appended to the ``train`` command (tests pass a tiny model).

    Signals
    -------
    modelPromoted(task: str, version: object)
    finished(outcome: str)
        ``"promoted"``, ``"kept"`` (not better) or ``"failed"``.
    """

    modelPromoted = Signal(str, object)  # noqa: N815 - Qt signal naming
    finished = Signal(str)

    def __init__(self, project: Any, task: str, status_bar: QStatusBar, every: int = 0,
                 extra_args: tuple[str, ...] | list[str] = (), parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.project = project
        self.task = task
        self.status_bar = status_bar
        self.extra_args = list(extra_args)
        self.every = 0
        self.process: QProcess | None = None
        self.result: dict[str, Any] | None = None
        self._buffer = b""
        self._start_error: str | None = None
        self._started_with = 0
        self._epochs = 0
        self._memo: Memo = {}  # masks compared with their proposals once, not at every save
        self.baseline = 0  # counted when retraining is switched on (set_every)
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(110)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.text = QLabel()
        self.bar.setToolTip("Background retrain of the proposal model (low priority)")
        status_bar.addPermanentWidget(self.text)
        status_bar.addPermanentWidget(self.bar)
        self._show(False)
        self.set_every(every)

    def _show(self, visible: bool) -> None:
        self.bar.setVisible(visible)
        self.text.setVisible(visible)

    def _selection(self) -> TrainingSelection:
        return select_training_masks(self.project, self.task, self._memo)

    def _corrected(self) -> int:
        return len(self._selection().corrected)

    @property
    def running(self) -> bool:
        """Whether a background run is in progress."""
        return self.process is not None

    def set_every(self, every: int) -> None:
        """Retrain every ``every`` newly corrected masks (0: off); switching it on counts the
        corrected masks there are now (nothing is counted while it is off)."""
        was = self.every
        self.every = max(0, int(every))
        if self.every > 0 and was == 0 and not self.running:
            self.baseline = self._corrected()

    def set_task(self, task: str) -> None:
        """Follow another task; the count of new masks starts again from now."""
        if task != self.task and not self.running:
            self.task = task
            self._memo = {}
            self.baseline = self._corrected() if self.every > 0 else 0

    def check(self) -> bool:
        """Start a run when enough new corrected masks were saved; True when one started."""
        if self.every <= 0 or self.running:
            return False
        selection = self._selection()
        n = len(selection.corrected)
        if n - self.baseline < self.every:
            return False
        n_all = len(selection.items())
        if val_count(n_all) == 0:
            return False
        self._start(n, n_all)
        return True

    def _start(self, corrected: int, n_masks: int) -> None:
        args = retrain_command(self.project.location, self.task, n_masks, promote_if_better=True,
                               threads=1, extra=self.extra_args)  # fmt: skip
        program, *rest = cli_command()
        program, full = low_priority(program, [*rest, *args])
        process = training_process(self, program, full)
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        self.process = process
        self.result = None
        self._buffer = b""
        self._start_error = None
        self._started_with = corrected
        self._epochs = int(args[args.index("--epochs") + 1])
        self.bar.setRange(0, 0)
        self.text.setText(f"Retraining {self.task}…")
        self._show(True)
        process.start()

    def _read(self) -> None:
        if self.process is None:
            return
        self._buffer += bytes(self.process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for raw in lines:
            try:
                event = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if isinstance(event, dict):
                self._event(event)

    def _event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "step":
            steps, epoch, step = int(event["steps"]), int(event["epoch"]), int(event["step"])
            total = max(1, steps * max(self._epochs, epoch))
            self.bar.setRange(0, total)
            self.bar.setValue(min(total, (epoch - 1) * steps + step))
            self.text.setText(f"Retraining {self.task}: epoch {epoch}")
        elif kind == "refit_step":
            self.text.setText(f"Retraining {self.task}: refit on every mask, epoch {event.get('epoch')}")
        elif kind == "done":
            self.result = event

    def _error(self, error: QProcess.ProcessError) -> None:
        """End the run when the child could not start (it never emits ``finished`` then).

        Parameters
        ----------
        error : QProcess.ProcessError
            Only ``FailedToStart`` ends the run here; after the other errors (a crash, a
            timeout, a failed read or write) ``finished`` still follows and ends it.
        """
        if error != QProcess.ProcessError.FailedToStart or self.process is None:
            return
        self._start_error = self.process.errorString()
        self._finished(-1, QProcess.ExitStatus.CrashExit)

    def _finished(self, exit_code: int, _status: QProcess.ExitStatus) -> None:
        if self.process is None:
            return
        self._read()
        self.process.deleteLater()
        self.process = None
        self._show(False)
        done = self.result
        if done is None:
            reason = (f"could not start: {self._start_error}" if self._start_error is not None
                      else f"failed (exit code {exit_code})")  # fmt: skip
            self.status_bar.showMessage(f"Background retrain of {self.task} {reason}", 10000)
            self.finished.emit("failed")
            return
        self.baseline = self._started_with
        comparison = done.get("comparison") or {}
        key = "median_dice" if "median_dice" in (comparison.get("new") or {}) else "miou"
        new = (comparison.get("new") or {}).get(key)
        old = (comparison.get("current") or {}).get(key)
        figures = f"{key} {new:.3f} vs {old:.3f}" if new is not None and old is not None else ""
        if done.get("promoted"):
            self.status_bar.showMessage(
                f"Background retrain: {self.task} model v{done['version']} is now active ({figures})", 15000)
            self.modelPromoted.emit(self.task, done["version"])
            self.finished.emit("promoted")
        elif done.get("not_promoted"):  # a first model no better than predicting background
            self.status_bar.showMessage(f"Background retrain: {self.task} model v{done['version']} not "
                                        f"promoted: {done['not_promoted']}", 15000)  # fmt: skip
            self.finished.emit("kept")
        else:  # the reason as the Retrain dialog words it: "not better" for a model better on all
            reason = worse_reason(comparison) or (f"{figures}; a promotion needs {PROMOTE_MARGIN:g} "
                                                  "more and more images better than worse")  # fmt: skip
            self.status_bar.showMessage(
                f"Background retrain: v{done['version']} not promoted on the same val images: {reason}; "
                "the current model stays", 15000)  # fmt: skip
            self.finished.emit("kept")

    def stop(self) -> None:
        """End a running child (when the window closes); it registers nothing."""
        if self.process is None:
            return
        process = self.process
        process.terminate()
        if not process.waitForFinished(20000):
            process.kill()
            process.waitForFinished(2000)
