"""Train > Retrain: run ``fashion-annotator train`` in a separate process and follow it live.

The training runs in a child process (``QProcess``) so the window stays responsive and a crash
in torch cannot take the annotations down. The child writes one JSON object per line on stdout
(``--json-progress``, see docs/architecture.md); this dialog turns them into a progress bar, an
ETA, a live loss / validation plot and, at the end, an old-vs-new comparison table. Cancel sends
SIGTERM: the trainer stops cleanly and registers nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QProcess, QSize, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.core.tasks import task_title
from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.training_set import (
    ATTRIBUTE_EPOCHS,
    MIN_TRAIN,
    MIN_VAL,
    TrainingSelection,
    val_count,
)
from fashion_annotator.instances.classifier import ATTRIBUTE_TASK
from fashion_annotator.qa.model_history import model_title
from fashion_annotator.runtime.child import cli_command
from fashion_annotator.ui.preferences import Preferences
from fashion_annotator.ui.prompts import ask_stop_background, ask_stop_running
from fashion_annotator.ui.screen_fit import fit_on_show, grow_on_screen, scrolled
from fashion_annotator.ui.train.child_process import (
    device_choices,
    device_text,
    low_priority,
    stop_child,
    training_process,
)
from fashion_annotator.ui.train.plot import LivePlot
from fashion_annotator.ui.train.progress_events import (
    keep_eta_width,
    show_epoch,
    show_refit_step,
    show_stage,
    show_start,
    show_step,
    show_val,
)
from fashion_annotator.ui.train.selection_text import (
    attribute_training_possible,
    column_titles,
    describe_attribute_selection,
    describe_comparison,
    describe_figures,
    describe_refinements,
    describe_selection,
    describe_settings,
    describe_skipped_refit,
    figure_rows,
    format_eta,
    format_figure,
    worse_reason,
)
from fashion_annotator.ui.train.selection_thread import MaskCount
from fashion_annotator.ui.whole_label import WholeLabel
from training.click_retrain import CLICK_TASK, source_task
from training.finetune import retrain_command
from training.recipe import MAX_MINUTES as FINETUNE_MINUTES
from training.recipe import REFIT, epochs_for

if TYPE_CHECKING:
    from fashion_annotator.ui.train.background_retrain import BackgroundRetrainer

#: After SIGTERM, how long the trainer gets to finish its step and exit before it is killed.
KILL_AFTER_MS = 20_000


#: The status line before a run, Start enabled; greyed, :data:`NOT_READY` and why.
READY = "Ready"
NOT_READY = "Not ready: "

class RetrainDialog(QDialog):
    """Retrain a task's model from the project's corrected masks.

    Parameters
    ----------
    project : Project
        The open project; the child process opens it too, by its ``root``.
    task : str
        The task to retrain (``"garment"``, ``"parsing7"``...).
    parent : QWidget, optional
    extra_args : sequence of str
        Appended to the ``train`` command line (tests pass ``--model-size tiny``).
    prefs : Preferences, optional
        Where the last retrain's Epochs, Time and Device are kept (the window's; default: the
        user's settings).

    Signals
    -------
    modelPromoted(task: str, version: object)
        After "Use this model" made the new model the project's active one.
    """

    modelPromoted = Signal(str, object)  # noqa: N815 - Qt signal naming
    #: Emitted when the child process ends: ``"done"``, ``"cancelled"`` or ``"failed"``.
    trainingFinished = Signal(str)  # noqa: N815 - Qt signal naming

    def __init__(
        self,
        project: ProjectStore,
        task: str,
        parent: QWidget | None = None,
        extra_args: Sequence[str] = (),
        prefs: Preferences | None = None,
    ) -> None:
        super().__init__(parent)
        self.project = project
        self.prefs = prefs if prefs is not None else Preferences()
        self.task = task
        self.extra_args = list(extra_args)
        self.process: QProcess | None = None
        #: Asked before Esc, Close or the title bar's close cancel a running retrain (a
        #: stray Esc threw away half an hour of training); True: close and cancel.
        self.ask_stop: Callable[[str], bool] = lambda message: ask_stop_running(self, message)
        #: The window's background retrainer (None: none): Start asks to stop its run, and it
        #: starts none while this dialog's run goes on.
        self.background: BackgroundRetrainer | None = None
        #: Asked by Start while the background retrainer runs; True: stop it and start.
        self.ask_stop_background: Callable[[str], bool] = lambda m: ask_stop_background(self, m)
        self.events: list[dict[str, Any]] = []
        self.outcome: dict[str, Any] | None = None
        self.state = "idle"
        self._stdout_buffer = b""
        self.epochs_total = 0  # of the held-out run (its steps' share of the bar)
        self.refit_epochs = 0  # of the refit on every mask, once announced
        #: The val figure the plot's right axis follows (None: not chosen yet).
        self.plot_metric: str | None = None
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.timeout.connect(self._kill)
        self.setWindowTitle(f"Retrain {model_title(task)}")
        self._build()

    def _build(self) -> None:
        # The click model learns from a cutout task's corrections (training.click_retrain).
        self.source_task = self.task
        if self.task == CLICK_TASK:
            try:
                self.source_task = source_task(self.project)
            except ValueError:
                self.source_task = self.project.tasks[0]
        #: Sorts the saved masks for training in a thread (every mask is read, and a team
        #: project's copied from the server first); ``selection`` is None until it is done.
        self.count = MaskCount(self.project.location, self.source_task, self.project.user, parent=self)
        self.count.changed.connect(self._selection_changed)
        #: Attribute heads learn from labelled instances, not masks: ``(images, instances)``.
        self.attribute_counts = self._attribute_counts() if self.task == ATTRIBUTE_TASK else None
        self.masks_label = WholeLabel()
        self.exclude_check = QCheckBox()
        self.exclude_check.setVisible(False)
        self.exclude_check.toggled.connect(self._selection_changed)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 1000)
        self.minutes_spin = QSpinBox()
        self.minutes_spin.setRange(1, 600)
        self.minutes_spin.setSuffix(" min at most")
        self.device_combo = QComboBox()
        self.device_combo.addItems(device_choices())
        self.device_label = QLabel(device_text("auto"))
        self.device_combo.currentTextChanged.connect(
            lambda d: self.device_label.setText(device_text(d))
        )
        #: The settings of this project's last retrain of the task (:meth:`.Preferences.last_retrain`).
        self.remembered = self.prefs.last_retrain(self.project.root, self.task)
        self.minutes_spin.setValue(self.remembered["minutes"] or int(FINETUNE_MINUTES))
        if self.remembered["device"] in device_choices():
            self.device_combo.setCurrentText(self.remembered["device"])
        form = QFormLayout()
        form.addRow(self.masks_label)
        form.addRow(self.exclude_check)
        form.addRow("Epochs", self.epochs_spin)
        form.addRow("Time", self.minutes_spin)
        form.addRow("Device", self.device_combo)
        form.addRow("", self.device_label)
        # The click trainer runs for its time budget; epochs mean nothing to it.
        form.setRowVisible(self.epochs_spin, self.task != CLICK_TASK)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.eta_label = QLabel(format_eta(None))
        keep_eta_width(self.eta_label)
        self.status_label = WholeLabel(READY)
        self.plot = LivePlot("loss", "val")
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(column_titles({}))
        # Every column shares the width, so "New" is never pushed off to the right.
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab moves on to the buttons
        self.comparison_label = WholeLabel()
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(500)
        self.log.setMaximumHeight(80)

        self.start_button = QPushButton("Start")
        self.cancel_button = QPushButton("Cancel")
        self.use_button = QPushButton("Use this model")
        self.close_button = QPushButton("Close")
        self.cancel_button.setEnabled(False)
        self.use_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button.clicked.connect(self.use_model)
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.cancel_button, self.use_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        self._selection_changed()
        if self.attribute_counts is None:
            self.count.start()

        bar = QHBoxLayout()
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.eta_label)
        # everything but the buttons scrolls where the screen is short (1280x720 at 125 %: the
        # form, plot, figures and log, 536 px at the least, pushed the buttons off it)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addLayout(bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.table)
        layout.addWidget(self.comparison_label)
        layout.addWidget(self.log)
        outer = QVBoxLayout(self)
        outer.addWidget(scrolled(body), 1)
        outer.addLayout(buttons)
        margins = outer.contentsMargins()
        extra = QSize(margins.left() + margins.right(),
                      margins.top() + margins.bottom() + outer.spacing() + buttons.sizeHint().height())  # fmt: skip
        self._body, self._extra = body, extra
        self.resize(self.content_size())  # all of it where the screen allows (fit_on_show)
        fit_on_show(self)
        self.count.ended.connect(lambda: grow_on_screen(self, self.content_size()))

    def content_size(self) -> QSize:
        """The size showing all of the dialog; the counted masks' sentence (three lines where
        the count took one, and the check box) grows it again (:func:`grow_on_screen`)."""
        layout = self._body.layout()
        if layout is not None:
            layout.activate()  # the label's new lines and a shown check box count now
        return self._body.sizeHint() + self._extra

    def _attribute_counts(self) -> tuple[int, int]:
        from fashion_annotator.instances.schema import load_attribute_schema
        from training.instance_attributes import count_labelled

        return count_labelled(self.project, load_attribute_schema())

    @property
    def selection(self) -> TrainingSelection | None:
        """The saved masks sorted for training, None while they are being counted."""
        return self.count.selection

    def _n_masks(self) -> int:
        if self.attribute_counts is not None:
            return self.attribute_counts[1]
        if self.selection is None:
            return 0
        return len(self.selection.items(not self.exclude_check.isChecked()))

    def _selection_changed(self) -> None:
        if self.attribute_counts is not None:
            images, instances = self.attribute_counts
            self.masks_label.setText(describe_attribute_selection(images, instances))
            self.exclude_check.setVisible(False)
            self.epochs_spin.setValue(self.remembered["epochs"] or ATTRIBUTE_EPOCHS)  # not the mask retrain's 1
            self._enable_start(self._running() or ("" if attribute_training_possible(images, instances) else
                               f"Too few labelled instances ({instances} on {counted(images, 'image')}) "
                               "to train the attribute heads"))  # fmt: skip
            return
        if self.selection is None:  # Epochs follows the count: not set by hand before it
            self.masks_label.setText(self.count.text)
            self._enable_start("The saved masks are still being counted")
            self.epochs_spin.setEnabled(False)
            return
        self.epochs_spin.setEnabled(self.process is None)
        unchanged = len(self.selection.unchanged)
        self.exclude_check.setText(f"Leave out the {counted(unchanged, 'accepted proposal')} saved unchanged")
        self.exclude_check.setVisible(bool(unchanged))
        include = not self.exclude_check.isChecked()
        refit = REFIT and self.task == self.source_task  # the click trainer does not refit
        text = describe_selection(self.selection, self.source_task, include, refit)
        if self.task != self.source_task:
            text = f"The click model learns from {text[0].lower()}{text[1:]}"
        self.masks_label.setText(text)
        n = self._n_masks()
        self.epochs_spin.setValue(self.remembered["epochs"] or epochs_for(max(1, n - val_count(n))))
        self._enable_start(self._running() or ("" if val_count(n) > 0 else
                           f"Too few masks ({n}) to hold some out for comparing the models; a "
                           f"retrain needs {MIN_VAL + MIN_TRAIN} at least"))  # fmt: skip

    def _running(self) -> str:
        """Why Start is greyed while this dialog's trainer runs ("" when it does not)."""
        return "" if self.process is None else "A retrain is running; Cancel stops it"

    def _enable_start(self, why_not: str) -> None:
        """Enable Start (``why_not`` empty), else grey it with ``why_not`` as its tooltip; before
        any run the status line says the same ("Ready" stood under a greyed Start)."""
        self.start_button.setEnabled(not why_not)
        self.start_button.setToolTip(why_not)
        said = self.status_label.text()
        if self.process is None and (said == READY or said.startswith(NOT_READY)):
            self.status_label.setText(f"{NOT_READY}{why_not}" if why_not else READY)

    def command(self) -> list[str]:
        """The child's command line: the frozen-aware CLI (:func:`cli_command`), then ``train``."""
        return [*cli_command(), *retrain_command(
            self.project.location, self.task, self._n_masks(),
            device=self.device_combo.currentText(), minutes=self.minutes_spin.value(),
            epochs=self.epochs_spin.value(), exclude_unchanged=self.exclude_check.isChecked(),
            extra=self.extra_args,
        )]  # fmt: skip

    def start(self) -> None:
        """Start the training process (once the masks are counted)."""
        if self.process is not None or (self.selection is None and self.attribute_counts is None):
            return
        if self.background is not None and not self.background.give_way(self.ask_stop_background):
            return
        self.remembered["epochs"] = self.epochs_spin.value()  # this project's next retrain starts so
        self.prefs.set_last_retrain(self.project.root, self.task, self.epochs_spin.value(),
                                    self.minutes_spin.value(), self.device_combo.currentText())  # fmt: skip
        self.events.clear()
        self.outcome = None
        self._stdout_buffer = b""
        self.epochs_total = self.epochs_spin.value()
        self.plot_metric = None
        self.plot.clear()
        self.table.setRowCount(0)
        self.table.setHorizontalHeaderLabels(column_titles({}))
        self.comparison_label.clear()
        self.log.clear()
        self.progress.setRange(0, 0)  # busy until the first step reports its count
        self.eta_label.setText(format_eta(None))
        program, *arguments = self.command()
        # the lowest CPU priority (POSIX): the operator's clicks in the window go first
        process = training_process(self, *low_priority(program, arguments))
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        self.process = process
        self.state = "running"
        self.status_label.setText("Starting...")
        self._enable_start(self._running())
        if self.background is not None:
            self.background.hold(self)
        self.cancel_button.setEnabled(True)
        self.use_button.setEnabled(False)
        self.use_button.setText("Use this model")
        self.use_button.setToolTip("")
        for widget in (self.epochs_spin, self.device_combo, self.minutes_spin, self.exclude_check):
            widget.setEnabled(False)
        process.start()

    def cancel(self) -> None:
        """Ask the trainer to stop (SIGTERM); it is killed if it has not exited in time."""
        if self.process is None or self.state != "running":
            return
        self.state = "cancelling"
        self.status_label.setText("Cancelling...")
        self.cancel_button.setEnabled(False)
        self.process.terminate()
        self._kill_timer.start(KILL_AFTER_MS)

    def _kill(self) -> None:
        if self.process is not None:
            self.process.kill()

    def use_model(self) -> None:
        """Make the new model the project's active one and announce it."""
        if self.outcome is None:
            return
        from fashion_annotator.segmentation.proposals import activate_model  # torch: on demand

        version = self.outcome.get("version")
        try:  # its file is loaded first: a damaged one is refused, as in Model history
            activate_model(self.project, self.task, version)
        except ProjectError as exc:  # the file, or the index (locked, read-only, full disk)
            self.status_label.setText(f"Not changed: {exc}")
            return
        self.use_button.setEnabled(False)
        self.status_label.setText(f"Model v{version} is now the active {model_title(self.task)} model")
        self.modelPromoted.emit(self.task, version)

    def _read_stdout(self) -> None:
        if self.process is None:
            return
        self._stdout_buffer += bytes(self.process.readAllStandardOutput().data())
        *lines, self._stdout_buffer = self._stdout_buffer.split(b"\n")
        for raw in lines:
            self._handle_line(raw.decode("utf-8", errors="replace").strip())

    def _read_stderr(self) -> None:
        if self.process is None:
            return
        text = bytes(self.process.readAllStandardError().data()).decode("utf-8", errors="replace")
        for line in text.splitlines():
            if line.strip():
                self.log.appendPlainText(line)

    def _handle_line(self, line: str) -> None:
        if not line:
            return
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            self.log.appendPlainText(line)
            return
        if not isinstance(event, dict) or "event" not in event:
            self.log.appendPlainText(line)
            return
        self.handle_event(event)

    def handle_event(self, event: dict[str, Any]) -> None:
        """Update the dialog from one ``--json-progress`` event."""
        self.events.append(event)
        kind = event["event"]
        if kind == "start":
            show_start(self, event)
        elif kind == "step":
            show_step(self, event)
        elif kind == "stage":
            show_stage(self, str(event.get("message", "")))
        elif kind == "epoch":
            show_epoch(self, event)
        elif kind == "val":
            show_val(self, event)
        elif kind == "refit_step":
            show_refit_step(self, event)
        elif kind == "done":
            self.outcome = event
            self._fill_table(event.get("comparison") or {})
            self.table.setHorizontalHeaderLabels(column_titles(event))
            lines = (describe_comparison(event.get("comparison") or {}), describe_figures(event),
                     describe_skipped_refit(self.events))  # fmt: skip
            self.comparison_label.setText("\n".join(line for line in lines if line))
            # the log scrolls; the dialog keeps its height on a short screen
            for line in (describe_settings(event.get("comparison") or {}), describe_refinements(event),
                         describe_refinements(event, every=True)):  # fmt: skip
                if line:
                    self.log.appendPlainText(line)
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
            self.eta_label.setText(format_eta(0))
            self.status_label.setText(f"Done: model v{event.get('version')} trained")
        elif kind == "cancelled":
            self.status_label.setText("Cancelled; no model was registered")
        elif kind in ("error", "info"):
            if isinstance(event.get("refit"), dict):
                self.refit_epochs = int(event["refit"].get("epochs") or 0)
                show_stage(self, "Refit on every mask: reading the masks")
            self.log.appendPlainText(f"{kind}: {event.get('message', event)}")

    def task_figures(self, figures: Any) -> dict[str, Any]:
        """The figures of this dialog's task: trainers of several heads nest them by task."""
        if not isinstance(figures, dict):
            return {}
        nested = figures.get(self.task)
        return nested if isinstance(nested, dict) else figures

    def _fill_table(self, comparison: dict[str, Any]) -> None:
        new = self.task_figures(comparison.get("new"))
        current = self.task_figures(comparison.get("current"))
        rows = figure_rows(new, current)
        self.table.setRowCount(len(rows))
        for r, key in enumerate(rows):
            for c, text in enumerate((key, format_figure(current.get(key)), format_figure(new.get(key)))):
                self.table.setItem(r, c, QTableWidgetItem(text))

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.log.appendPlainText(
                f"could not start "
                f"{self.process.program() if self.process is not None else 'the training process'}: "
                f"{self.process.errorString() if self.process is not None else error}"
            )
            self._finished(-1, QProcess.ExitStatus.CrashExit)

    def _finished(self, exit_code: int, exit_status: QProcess.ExitStatus) -> None:
        if self.process is None:
            return
        self._read_stdout()
        self._read_stderr()
        self._kill_timer.stop()
        crashed = self.process.error() == QProcess.ProcessError.Crashed  # killed by a signal
        self.process.deleteLater()
        self.process = None
        cancelled = any(e["event"] == "cancelled" for e in self.events) or (
            self.state == "cancelling" and self.outcome is None)  # fmt: skip
        if self.outcome is not None and not cancelled:
            outcome = "done"
            self.use_button.setEnabled(self.outcome.get("version") is not None)
            if self.state == "cancelling":  # a done event: registered, however late Cancel came
                self.status_label.setText(f"Done: model v{self.outcome.get('version')} was "
                                          "registered before Cancel could stop the training")  # fmt: skip
            worse = worse_reason(self.outcome.get("comparison") or {})
            if worse:  # still the operator's choice, but never a silent one
                self.use_button.setText("Use this model anyway")
                self.use_button.setToolTip(f"The new model is not shown to be better: {worse}")
                self.status_label.setText(f"Done: model v{self.outcome.get('version')} trained, but {worse}")
        elif cancelled:
            outcome = "cancelled"
            self.status_label.setText("Cancelled; no model was registered")
        else:
            outcome = "failed"
            error = next((e.get("message") for e in reversed(self.events) if e["event"] == "error"), None)
            if error is None and crashed:  # "exit code 9" was the signal, with an empty log
                error = ("the training process was killed (by the system when memory ran out, or by "
                         "another program) or crashed before it finished")
            head = "Training failed" if crashed else f"Training failed (exit code {exit_code})"
            self.status_label.setText(head + (f": {error}" if error else "; see the log below"))
        if outcome != "done":
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.eta_label.setText(format_eta(None))
        self.state = outcome
        self._enable_start("")
        if self.background is not None:
            self.background.release(self, self.source_task if outcome == "done" else None)
        self.cancel_button.setEnabled(False)
        for widget in (self.epochs_spin, self.device_combo, self.minutes_spin, self.exclude_check):
            widget.setEnabled(True)
        self.trainingFinished.emit(outcome)

    def stop_and_wait(self, msecs: int = KILL_AFTER_MS) -> None:
        """Cancel the count and a running trainer and block until they have ended (used when closing)."""
        self.count.stop()
        if self.process is None:
            return
        if self.state == "running":
            self.state = "cancelling"
            self.status_label.setText("Cancelling...")
        stop_child(self.process, lambda: any(e["event"] == "cancelled" for e in self.events), msecs)

    def _may_close(self) -> bool:
        """Whether closing may go on: nothing runs, or the person chose to cancel it."""
        return self.process is None or self.ask_stop(
            f"The {task_title(self.task)} retrain is running. Closing this dialog cancels it; "
            "no model is registered."
        )

    def reject(self) -> None:
        if not self._may_close():
            return
        self.stop_and_wait()
        super().reject()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self._may_close():
            event.ignore()
            return
        self.stop_and_wait()
        super().closeEvent(event)
