"""Optional background retrain: every N newly corrected masks of a task, at low priority.

Off by default (``every = 0``). When on, each save asks :meth:`BackgroundRetrainer.check`; once
the project holds ``every`` more corrected masks of one of its mask tasks (see
:mod:`fashion_annotator.dataset.training_set`) than at that task's last run, it starts the same
child process as the Retrain dialog for that task (fine-tune recipe, ``--promote-if-better``:
the new model becomes active only when it beats the current one on the same val images), with
the lowest CPU priority and one torch thread, so editing never waits for it. Each task counts
its own masks: correcting the parsing masks retrains the parsing model whichever task the
window showed at its start. One run at a time: a task that reached its count meanwhile is
checked when the run ends. Progress shows in the status bar; the result is announced there,
and :attr:`modelPromoted` lets the window re-run its proposals. One training at a time with the
Retrain dialog too: its Start asks to stop a background run first (:meth:`give_way`), and no
background run starts while the dialog's goes on (:meth:`hold`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, QProcess, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from fashion_annotator.dataset.training_set import (
    Memo,
    TrainingSelection,
    select_training_masks,
    val_count,
)
from fashion_annotator.qa.model_history import model_title
from fashion_annotator.runtime.child import cli_command
from fashion_annotator.ui.train.child_process import (
    NICENESS,
    low_priority,
    stop_child,
    training_process,
)
from fashion_annotator.ui.train.selection_text import worse_reason
from training.finetune import PROMOTE_MARGIN, retrain_command

__all__ = ["NICENESS", "BackgroundRetrainer", "low_priority"]

#: The longest a closing window waits for a child that does not say it stopped (one
#: registering the model it finished) before it kills it.
STOP_WAIT_MS = 20_000


class BackgroundRetrainer(QObject):
    """Retrain each task's model in the background every ``every`` newly corrected masks of it.

    Parameters
    ----------
    project : Project
    tasks : str or sequence of str, optional
        The mask task, or tasks, whose models it retrains; None (the window's): every mask task
        of the project, those added while it is open included.
    status_bar : QStatusBar
        Receives a permanent progress field and the messages.
    every : int
        Newly corrected masks between runs; 0 disables.
    extra_args : sequence of str
        Appended to the ``train`` command (tests pass a tiny model).

    Attributes
    ----------
    task : str
        The task of the run in progress, or of the last one (at first the first task).
    baseline : dict of str to int
        Per task, its corrected masks at its last finished run (or when retraining was switched
        on); a new run starts at ``baseline[task] + every``. Always replaced, never changed in
        place: a copy kept by the caller stays as it was.

    Signals
    -------
    modelPromoted(task: str, version: object)
    finished(outcome: str)
        ``"promoted"``, ``"kept"`` (not better), ``"stopped"`` (:meth:`stop`) or ``"failed"``.
    """

    modelPromoted = Signal(str, object)  # noqa: N815 - Qt signal naming
    finished = Signal(str)

    def __init__(
        self,
        project: Any,
        tasks: str | Sequence[str] | None,
        status_bar: QStatusBar,
        every: int = 0,
        extra_args: tuple[str, ...] | list[str] = (),
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.project = project
        if isinstance(tasks, str):
            tasks = (tasks,)
        self._tasks = None if tasks is None else tuple(tasks)
        self.task = self.tasks[0]
        self.status_bar = status_bar
        self.extra_args = list(extra_args)
        self.every = 0
        self.process: QProcess | None = None
        self.result: dict[str, Any] | None = None
        self._buffer = b""
        self._start_error: str | None = None
        self._cancelled = False  # the child said it stopped (after stop's SIGTERM)
        self._started_with = 0
        self._epochs = 0
        self._memos: dict[str, Memo] = {}  # per task: masks compared with their proposals once
        self.baseline: dict[str, int] = {}  # counted when retraining is switched on (set_every)
        self._tried: set[str] = set()  # tasks run since the last save: not run again before it
        self._quiet = False  # stopped: no waiting task starts as the run ends (until a save)
        self._holders: set[int] = set()  # ids of the Retrain dialogs whose run is going
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

    def _selection(self, task: str) -> TrainingSelection:
        return select_training_masks(self.project, task, self._memos.setdefault(task, {}))

    def _corrected(self, task: str) -> int:
        return len(self._selection(task).corrected)

    @property
    def tasks(self) -> tuple[str, ...]:
        """The tasks whose models it retrains (a task added to the project starts its count at
        the first save after it)."""
        return tuple(self.project.tasks) if self._tasks is None else self._tasks

    @property
    def running(self) -> bool:
        """Whether a background run is in progress."""
        return self.process is not None

    @property
    def percent(self) -> int:
        """How far the run in progress is, in percent of its steps (0 before its first)."""
        top = self.bar.maximum()
        return round(100 * self.bar.value() / top) if top > 0 else 0

    def give_way(self, ask: Callable[[str], bool]) -> bool:
        """Whether a Retrain dialog may start its run: none runs here, or ``ask`` (its question)
        had this one stopped (Cancel keeps it: the dialog starts nothing)."""
        if not self.running:
            return True
        if not ask(f"A background retrain of {model_title(self.task)} is running ({self.percent} %). "
                   "Stop it and start this one?"):  # fmt: skip
            return False
        self.stop()  # none waiting starts as this one ends (the dialog's hold follows)
        return True

    def hold(self, owner: object) -> None:
        """Start nothing while ``owner`` (a Retrain dialog's run) goes on: two trainings shared
        the cores, and both could register a model of one task."""
        self._holders.add(id(owner))

    def release(self, owner: object, trained: str | None = None) -> None:
        """End :meth:`hold` of ``owner``; ``trained``: the task whose model it trained, counted
        from now as after a background run of it (the next save checks the counts)."""
        self._holders.discard(id(owner))
        if trained is not None and trained in self.tasks and self.every > 0:
            self.baseline = {**self.baseline, trained: self._corrected(trained)}

    def set_every(self, every: int) -> None:
        """Retrain every ``every`` newly corrected masks of a task (0: off); switching it on
        counts each task's corrected masks there are now (nothing is counted while it is off)."""
        was = self.every
        self.every = max(0, int(every))
        if self.every > 0 and was == 0 and not self.running:
            self.baseline = {task: self._corrected(task) for task in self.tasks}

    def check(self) -> bool:
        """Start a run for the first task with enough new corrected masks (after a save); True
        when one started."""
        self._tried = set()
        self._quiet = False
        return self._check(self.tasks)

    def _check(self, tasks: Sequence[str]) -> bool:
        """Start a run for the first of ``tasks`` whose count is reached; True when one started."""
        if self.every <= 0 or self.running or self._holders:
            return False
        for task in tasks:
            selection = self._selection(task)
            n = len(selection.corrected)
            if task not in self.baseline:  # a new task, or on since a run: it counts from now
                self.baseline = {**self.baseline, task: n}
            n_all = len(selection.items())
            if n - self.baseline[task] < self.every or val_count(n_all) == 0:
                continue
            self.task = task
            self._tried.add(task)
            self._start(n, n_all)
            return True
        return False

    def _start(self, corrected: int, n_masks: int) -> None:
        """Start the child retraining :attr:`task` on ``n_masks`` masks, ``corrected`` of them
        corrected."""
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
        self._cancelled = False
        self._started_with = corrected
        self._epochs = int(args[args.index("--epochs") + 1])
        self.bar.setRange(0, 0)
        title = model_title(self.task)
        self.text.setText(f"Retraining {title}…")
        self.bar.setToolTip(f"Background retrain of the {title} model (low priority)")
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
            self.text.setText(f"Retraining {model_title(self.task)}: epoch {epoch}")
        elif kind == "refit_step":
            self.text.setText(
                f"Retraining {model_title(self.task)}: refit on every mask, "
                f"epoch {event.get('epoch')}"
            )
        elif kind == "done":
            self.result = event
        elif kind == "cancelled":
            self._cancelled = True

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
        """Announce the run's outcome, then check the tasks not run since the last save (one
        that reached its count during this run starts now)."""
        if self.process is None:
            return
        self._read()
        self.process.deleteLater()
        self.process = None
        self._show(False)
        self.finished.emit(self._announce(exit_code))
        if not self._quiet:
            self._check([task for task in self.tasks if task not in self._tried])

    def _announce(self, exit_code: int) -> str:
        """Say in the status bar how the run ended; return the outcome of :attr:`finished`."""
        title = model_title(self.task)
        done = self.result
        if done is None and self._cancelled:
            self.status_bar.showMessage(f"Background retrain of the {title} model stopped; no model "
                                        "was registered", 10000)  # fmt: skip
            return "stopped"
        if done is None:
            reason = (f"could not start: {self._start_error}" if self._start_error is not None
                      else f"failed (exit code {exit_code})")  # fmt: skip
            self.status_bar.showMessage(f"Background retrain of the {title} model {reason}", 10000)
            return "failed"
        self.baseline = {**self.baseline, self.task: self._started_with}
        comparison = done.get("comparison") or {}
        key = "median_dice" if "median_dice" in (comparison.get("new") or {}) else "miou"
        new = (comparison.get("new") or {}).get(key)
        old = (comparison.get("current") or {}).get(key)
        figures = f"{key} {new:.3f} vs {old:.3f}" if new is not None and old is not None else ""
        if done.get("promoted"):
            self.status_bar.showMessage(
                f"Background retrain: {title} model v{done['version']} is now active ({figures})",
                15000,
            )
            self.modelPromoted.emit(self.task, done["version"])
            return "promoted"
        if done.get("not_promoted"):  # a first model no better than predicting background
            self.status_bar.showMessage(f"Background retrain: {title} model v{done['version']} not "
                                        f"promoted: {done['not_promoted']}", 15000)  # fmt: skip
            return "kept"
        # the reason as the Retrain dialog words it: "not better" for a model better on all
        reason = worse_reason(comparison) or (f"{figures}; a promotion needs {PROMOTE_MARGIN:g} "
                                              "more and more images better than worse")  # fmt: skip
        self.status_bar.showMessage(
            f"Background retrain: {title} model v{done['version']} not promoted on the same val "
            f"images: {reason}; the current model stays", 15000)  # fmt: skip
        return "kept"

    def stop(self) -> None:
        """End a running child (the window closes, a Retrain dialog's run starts), in a fraction
        of a second where it can (:func:`~fashion_annotator.ui.train.child_process.stop_child`):
        it registers nothing,
        and no task waiting for it starts as it ends (the next save's :meth:`check` may start
        one). It reads nothing of the project (which may be closed)."""
        self._quiet = True
        if self.process is None:
            return
        stop_child(self.process, lambda: self._cancelled, STOP_WAIT_MS)
