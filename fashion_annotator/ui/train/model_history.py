"""Train > Model history: the project's model versions with their figures, and proposal quality.

The table lists every registered version (oldest first) with its val figure and spread, the
number of training masks and whether it is active; a second table and the plot show, per model
version that made proposals, the median Dice (or foreground mIoU) of its proposals against the
masks operators then saved (:func:`fashion_annotator.qa.model_history.proposal_quality`): the
loop's real outcome, proposal quality over time. "Make active" rolls back (or forward) to the
selected version, "Use the shipped model" to the model the app ships; ``activeChanged`` tells
the window, which proposes with it from then on.

The proposal quality is measured in a :class:`QualityThread` on a connection of its own: the
dialog shows its versions at once and the figures when they come (a team project's hundreds
of masks, read from the server in the GUI thread, froze the window); closing the dialog, or the
window, stops the measure between two images.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.qa.model_history import (
    BEFORE_REFIT,
    MODEL_ONLY_TASKS,
    activation_warning,
    model_rows,
    model_tasks,
    model_title,
    proposal_quality,
    row_text,
    version_names,
)
from fashion_annotator.ui import prompts
from fashion_annotator.ui.screen_fit import fit_on_show
from fashion_annotator.ui.train.plot import LivePlot
from fashion_annotator.ui.workers import ProjectThread

#: The heading of the versions table: what its val figures are.
VERSIONS_HEADING = (
    "Registered model versions. Val figure: the retrain's comparison figure on its val masks "
    "(a figure's tooltip says how it was scored: for masks, before the window's refinements); "
    f"\"{BEFORE_REFIT}\": measured before the refit on every mask, so the weights registered "
    "then trained on those val masks too."
)


def figure_tooltip(row: dict[str, Any]) -> str:
    """A versions row's figure, in words: how it was scored and, after a refit, that it
    describes the weights before it."""
    text = f"Scored as: {row['figures_of']}."
    if row.get("before_refit"):
        text += (" Measured before the refit on every mask: the registered weights trained on "
                 "these val masks afterwards, so no val figure describes them.")  # fmt: skip
    return text


#: What the summary says while the proposals are compared with the saved masks.
MEASURING = "Comparing each model version's proposals with the saved masks…"


class QualityThread(ProjectThread):
    """:func:`proposal_quality` of ``task`` on a connection of its own, off the GUI thread (a team
    project's hundreds of masks froze the window while they were read from the server).

    Signals: ``progress(done, total)``, ``measured(thread, rows, problems)``,
    ``failed(message)``; nothing is emitted after :meth:`cancel` (it stops between two images).
    """

    measured = Signal(object, object, object)

    def run(self) -> None:
        problems: list[str] = []
        done, rows = self._on_project(
            lambda project: proposal_quality(project, self.task, problems, self._progress), "comparing the proposals of"
        )
        if done and not self._stop.is_set():
            self.measured.emit(self, rows, problems)


def _cell(value: Any) -> QTableWidgetItem:
    if isinstance(value, float):
        text = f"{value:.4f}" if math.isfinite(value) else "-"
    else:
        text = str(value)
    return QTableWidgetItem(text)


def _fill(table: QTableWidget, rows: list[list[Any]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, _cell(value))
    table.resizeColumnsToContents()


class ModelHistoryDialog(QDialog):
    """The model versions of ``task`` and the quality of their proposals over time."""

    #: ``(task, version)`` made active here (None: the shipped model).
    activeChanged = Signal(str, object)

    def __init__(self, project: Any, task: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.task = task
        self.setWindowTitle(f"Model history: {model_title(task)}")
        # every model the project retrains, the click model and the attribute heads included
        # (a hand test: "make it active by hand (Train > Model history)" led nowhere for them)
        self.task_combo = QComboBox()
        for name in model_tasks(project):
            self.task_combo.addItem(model_title(name), name)
        self.task_combo.setCurrentIndex(max(0, self.task_combo.findData(task)))
        self.task_combo.currentIndexChanged.connect(lambda _: self.set_task(self.task_combo.currentData()))
        self.models = QTableWidget(0, 6)
        self.models.setHorizontalHeaderLabels(
            ["Version", "Created", "Training masks", "Val figure", "Val IQR", "Active"]
        )
        self.quality = QTableWidget(0, 4)
        self.quality.setHorizontalHeaderLabels(["Model", "Images", "Median", "IQR"])
        for table in (self.models, self.quality):
            table.verticalHeader().setVisible(False)
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            table.setTabKeyNavigation(False)  # Tab reaches the buttons
        self.plot = LivePlot("proposals vs saved masks (median)", "images scored", single_text=(
            "One model version so far: {values}. The curves start with the next version."))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.activate_button = QPushButton("Make &active")
        self.activate_button.setToolTip("Propose with the selected version from now on (a rollback)")
        self.activate_button.clicked.connect(self.activate_selected)
        self.shipped_button = QPushButton("Use the &shipped model")
        self.shipped_button.clicked.connect(lambda: self.activate(None))
        for button in (self.activate_button, self.shipped_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.models.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        # one version is made active: a Ctrl- or Shift-click (or a modifier the system still
        # holds) added rows, and Make active took whichever was selected first
        self.models.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        layout = QVBoxLayout(self)
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Model of"))
        chooser.addWidget(self.task_combo)
        chooser.addStretch(1)
        layout.addLayout(chooser)
        heading = QLabel(VERSIONS_HEADING)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(self.models)
        layout.addWidget(QLabel("Proposal quality per model version, in time order"))
        layout.addWidget(self.quality)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self.resize(720, 620)  # every column of the versions table (it opened at 442 px wide)
        fit_on_show(self)
        #: Proposal quality per model version, once measured (:class:`QualityThread`).
        self.quality_rows: list[Any] = []
        #: Recorded proposal stamps -> the models' names, as the status bar gives them (:func:`version_names`).
        self.names: dict[str, str] = {}
        #: The thread measuring the shown task's proposal quality (None: none running).
        self.quality_thread: QualityThread | None = None
        self._threads: list[QualityThread] = []  # every one not yet ended, cancelled ones too
        self.refresh()

    def set_task(self, task: str) -> None:
        """Show the versions of ``task``'s models."""
        self.task = task
        self.setWindowTitle(f"Model history: {model_title(task)}")
        self.refresh()

    def refresh(self) -> None:
        """Re-read the registry and the recorded proposals."""
        rows = self._rows = model_rows(self.project, self.task)
        self.names = version_names(self.project, self.task)
        texts = [row_text(r) for r in rows]
        _fill(self.models, [[t["version"], t["created"], r["trained_on"], t["figure"], t["iqr"], t["active"]]
                            for r, t in zip(rows, texts, strict=True)])  # fmt: skip
        for i, row in enumerate(rows):
            item = self.models.item(i, 3)
            if item is not None:
                item.setToolTip(figure_tooltip(row))
        self._stop_measuring()
        self._show_quality([], [])
        if self.task in MODEL_ONLY_TASKS:  # no proposals to compare: said at once
            return
        self.summary.setText(MEASURING)
        thread = self.quality_thread = QualityThread(self.project.location, self.task, self.project.user, self)
        self._threads.append(thread)
        thread.measured.connect(self._measured)
        thread.failed.connect(self._failed)
        thread.finished.connect(self._ended)
        thread.start()

    def _measured(self, thread: QualityThread, rows: list[Any], problems: list[str]) -> None:
        if thread is self.quality_thread:  # else a thread of a task no longer shown
            self._show_quality(rows, problems)

    def _failed(self, message: str) -> None:
        self.summary.setText(f"The proposals could not be compared with the saved masks: {message}")

    def _ended(self) -> None:
        """Let go of the threads that ended."""
        for thread in [t for t in self._threads if t.isFinished()]:
            self._threads.remove(thread)
            if thread is self.quality_thread:
                self.quality_thread = None
            thread.deleteLater()

    def _stop_measuring(self) -> None:
        """Cancel the running measure; its figures, if any come, are dropped."""
        if self.quality_thread is not None:
            self.quality_thread.failed.disconnect(self._failed)
            self.quality_thread.cancel()
            self.quality_thread = None

    def _show_quality(self, rows: list[Any], problems: list[str]) -> None:
        """Fill the quality table, the plot and the summary with the measured ``rows``."""
        self.quality_rows = rows
        _fill(self.quality, [
            [self.name_of(q.model_version), q.n_images, q.median, f"{q.q25:.3f}-{q.q75:.3f}"]
            for q in self.quality_rows
        ])  # fmt: skip
        for r, q in enumerate(self.quality_rows):
            item = self.quality.item(r, 0)
            if item is not None:
                item.setToolTip(f"Recorded with its proposals as {q.model_version}")
        self.plot.clear()
        for i, q in enumerate(self.quality_rows):
            self.plot.add_left(float(i), q.median)
            self.plot.add_right(float(i), float(q.n_images))
        text = self.summary_text(bool(self._rows), any(r["active"] for r in self._rows))
        if problems:  # said, not fatal: rolling back must stay possible
            text += f" Left out, unreadable: {'; '.join(problems[:3])}" + (" ..." if len(problems) > 3 else "")
        self.summary.setText(text)

    def name_of(self, stamp: str) -> str:
        """A recorded proposal stamp as the window names its model everywhere (``v3
        (20261205-054523)``, ``shipped (20261204-134248)``: :func:`version_names`); a stamp no
        model here carries, as recorded."""
        return self.names.get(stamp, stamp)

    def stop_and_wait(self) -> None:
        """Cancel every measure still running and wait for its thread (it stops between two images)."""
        self._stop_measuring()
        for thread in self._threads:
            thread.cancel()
            thread.wait()

    def done(self, result: int) -> None:
        """Closed (Close, Escape): stop the measure first."""
        self.stop_and_wait()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.stop_and_wait()
        super().closeEvent(event)

    def activate_selected(self) -> None:
        """Make the selected version active; asked first when its recorded figure is worse
        than the active version's (:func:`activation_warning`), No keeping the active one."""
        rows = self.models.selectionModel().selectedRows()
        if not rows:
            self.summary.setText("Select a version in the table first.")
            return
        version = int(self._rows[rows[0].row()]["version"])
        warning = activation_warning(self.project, self.task, version)
        if warning is not None and not prompts.ask_activate_worse(self, warning):
            self.summary.setText(f"Not changed: v{version} was not made active.")
            return
        self.activate(version)

    def activate(self, version: int | None) -> None:
        """Make ``version`` (None: the shipped model) the task's active model and say so."""
        from fashion_annotator.segmentation.proposals import activate_model  # torch: on demand

        try:
            activate_model(self.project, self.task, version)
        except ProjectError as exc:
            self.summary.setText(f"Not changed: {exc}")
            return
        self.refresh()
        self.activeChanged.emit(self.task, version)

    def summary_text(self, registered: bool, active: bool = True) -> str:
        """The sentence under the plot: how proposal quality moved, and what proposes when no
        registered version is active (``active`` False: none is; the shipped model proposes,
        whether nothing was promoted yet or "Use the shipped model" went back to it)."""
        note = "" if registered and active else (
            " No retrained version yet: the shipped model proposes until Train > Retrain "
            "promotes one." if not registered else
            " No registered version is active: the shipped model proposes (Make active chooses one)."
        )  # fmt: skip
        if self.task in MODEL_ONLY_TASKS:  # no mask proposals of their own to score
            if registered and active:
                return ""
            shipped = " The shipped model is used." if self.task != "instance_attributes" else ""
            none = "No registered version is active." if registered else f"No retrained {model_title(self.task)} model yet."
            return none + shipped
        if not self.quality_rows:
            return "No proposal has been compared with a saved mask yet." + note
        first, last = self.quality_rows[0], self.quality_rows[-1]
        if len(self.quality_rows) == 1:
            return (f"One model version ({self.name_of(first.model_version)}) made proposals; their "
                    f"median agreement with the saved masks is {first.median:.3f}." + note)  # fmt: skip
        return (f"{len(self.quality_rows)} model versions made proposals; median agreement with "
                f"the saved masks went from {first.median:.3f} ({self.name_of(first.model_version)}) "
                f"to {last.median:.3f} ({self.name_of(last.model_version)})." + note)  # fmt: skip
