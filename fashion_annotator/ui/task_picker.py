"""Choosing a project's tasks in the window: shipped tasks and a studio's label set files.

:class:`TaskPicker` is the "Tasks" row of File > New project from folder and the body of File >
Add tasks (:class:`AddTasksDialog`, :func:`add_tasks`). It lists the shipped tasks to tick and
the label set files (README "Your own labels") the operator added; :meth:`TaskPicker.specs`
checks them as ``fashion-annotator new --tasks`` does (:func:`~fashion_annotator.dataset.label_sets.resolve_tasks`),
so that a file's problem is named in the dialog before anything is made.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.core.tasks import TaskSpec, available_tasks, task_title
from fashion_annotator.dataset.label_sets import resolve_tasks
from fashion_annotator.dataset.postgres.url import describe_location, is_postgres_url
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.resources import resource_path
from fashion_annotator.ui.screen_fit import fit_on_show
from fashion_annotator.ui.whole_label import WholeLabel

if TYPE_CHECKING:
    from fashion_annotator.ui.main_window import MainWindow

__all__ = ["DEFAULT_TASKS", "LABEL_SET_FILTER", "NO_MODEL", "AddTasksDialog", "TaskPicker", "add_tasks",
           "has_shipped_model"]

#: The shipped tasks a new project has unless the operator unticks them (``new``'s default).
DEFAULT_TASKS: tuple[str, ...] = ("garment", "parsing7")
#: What the label set file dialog lists.
LABEL_SET_FILTER = "Label sets (*.json)"
_PATH_ROLE = Qt.ItemDataRole.UserRole
#: Beside a shipped task no model ships for: its proposals stay empty until a retrain
#: (:attr:`TaskPicker.model_note` says how to get one).
NO_MODEL = "no model yet"


def has_shipped_model(task: str) -> bool:
    """Whether a model for the shipped task ``task`` ships with the application
    (``resources/models/TASK.safetensors``): its proposals start the masks of a new project."""
    return resource_path("models", f"{task}.safetensors").is_file()


class TaskPicker(QWidget):
    """Shipped tasks to tick and label set files to add, in the order a project lists them.

    Parameters
    ----------
    shipped : sequence of str
        The shipped tasks offered (ticked: those in ``checked``).
    checked : iterable of str
        The shipped tasks ticked at first.
    """

    def __init__(self, shipped: Sequence[str], checked: Iterable[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ticked = set(checked)
        self.shipped = QListWidget()
        untrained = [name for name in shipped if not has_shipped_model(name)]
        for name in shipped:
            item = QListWidgetItem(f"{task_title(name)} ({name})" + (f" — {NO_MODEL}" if name in untrained else ""))
            if name in untrained:
                item.setToolTip(f"No model ships for {task_title(name)}: its proposals stay empty; "
                                "after some masks, Train > Retrain model makes one")  # fmt: skip
            item.setData(_PATH_ROLE, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in ticked else Qt.CheckState.Unchecked)
            self.shipped.addItem(item)
        self.files = QListWidget()
        self.files.setToolTip("Your own label sets: taxonomy files of README 'Your own labels'")
        self.add_button = QPushButton("Add label set file…")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(self._browse)
        self.remove_button.clicked.connect(self._remove)
        self.start_dir = ""
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Shipped tasks"))
        layout.addWidget(self.shipped)
        #: Which ticked tasks start without proposals (shown only when a task listed has no model).
        self.model_note = WholeLabel("No model yet: masks start empty; train one from them.")
        self.model_note.setToolTip("After some saved masks, Train > Retrain model trains the task's model")
        self.model_note.setVisible(bool(untrained))
        layout.addWidget(self.model_note)
        layout.addWidget(QLabel("Your own label sets (.json)"))
        layout.addWidget(self.files)
        layout.addLayout(buttons)
        self._fit_lists()

    def _fit_lists(self) -> None:
        """Show every shipped task without scrolling (the list cut the last one and scrolled
        sideways) and room for three label set files."""
        row = max(self.shipped.sizeHintForRow(0), self.fontMetrics().height() + 4)
        frame = 2 * self.shipped.frameWidth()
        self.shipped.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.shipped.setFixedHeight(row * max(self.shipped.count(), 1) + frame + 2)
        self.shipped.setMinimumWidth(self.shipped.sizeHintForColumn(0) + frame + 8)
        self.files.setFixedHeight(row * 3 + frame + 2)

    def add_files(self, paths: Iterable[str | Path]) -> None:
        """List label set files (a file listed already is not listed twice)."""
        listed = {str(p) for p in self.label_set_files()}
        for path in paths:
            if str(path) not in listed:
                item = QListWidgetItem(Path(path).name)
                item.setData(_PATH_ROLE, str(path))
                item.setToolTip(str(path))
                self.files.addItem(item)
                listed.add(str(path))

    def label_set_files(self) -> list[Path]:
        """The label set files listed, in order."""
        return [Path(self.files.item(r).data(_PATH_ROLE)) for r in range(self.files.count())]

    def entries(self) -> list[str | Path]:
        """The ticked shipped tasks, then the label set files: what ``new --tasks`` takes."""
        ticked = [self.shipped.item(r) for r in range(self.shipped.count())]
        names: list[str | Path] = [i.data(_PATH_ROLE) for i in ticked if i.checkState() == Qt.CheckState.Checked]
        return names + list(self.label_set_files())

    def specs(self, where: str | Path) -> list[TaskSpec]:
        """The chosen tasks, each label set file read and checked.

        Raises
        ------
        ProjectError
            No task chosen, or a file's problem (naming the file), as ``new --tasks`` says it.
        """
        return resolve_tasks(self.entries(), where)

    def _browse(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Label set files", self.start_dir, LABEL_SET_FILTER)
        self.add_files(paths)

    def _remove(self) -> None:
        for item in self.files.selectedItems() or [self.files.currentItem()]:
            if item is not None:
                self.files.takeItem(self.files.row(item))


class AddTasksDialog(QDialog):
    """File > Add tasks: shipped tasks the project lacks and label set files, checked before OK
    closes it (a file's problem, or a clash with a task of the project, shown in the dialog).

    Parameters
    ----------
    check : callable
        Takes the chosen task specs and raises :class:`ProjectError` for one the project cannot
        take (:meth:`~fashion_annotator.dataset.label_sets.ProjectLabelSets.check_new`).
    tasks : sequence of str
        The project's tasks (not offered again).
    where : str
        The project, named in errors.
    """

    def __init__(
        self, check: Callable[[list[TaskSpec]], None], tasks: Sequence[str], where: str,
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("Add tasks")
        self._check = check
        self._where = where
        self.chosen: list[TaskSpec] = []
        self.picker = TaskPicker([t for t in available_tasks() if t not in tasks])
        self.note = QLabel(
            f"The project has {', '.join(task_title(t) for t in tasks)}. Photos annotated so far "
            "get no mask of a new task until it is painted; the window opens the project again "
            "to show its button."
        )
        self.note.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picker)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        fit_on_show(self)

    def accept(self) -> None:
        """Close once the chosen tasks check out; else name the problem and stay open."""
        if not self.picker.entries():
            self.note.setText("No task chosen: tick a shipped task or add a label set file")
            return
        try:
            specs = self.picker.specs(self._where)
            self._check(specs)
        except ProjectError as exc:
            self.note.setText(str(exc))
            return
        self.chosen = specs
        super().accept()


def add_tasks(w: MainWindow) -> bool:
    """File > Add tasks on ``w``: ask, add the chosen tasks to its project, and open the project
    again (the window's task buttons, labels and Review are built for its tasks at opening), so
    that the new tasks' buttons show at once, the first of them chosen. Returns whether tasks
    were added."""
    from fashion_annotator.ui.window_dialogs import open_server_project

    project = w.project
    where = describe_location(str(project.location))
    dialog = AddTasksDialog(lambda specs: project.label_sets.check_new(specs, project.tasks), project.tasks, where, w)
    dialog.picker.start_dir = str(Path(str(project.location)).parent) if not is_postgres_url(where) else ""
    if not dialog.exec():
        return False
    try:
        project.add_task(*dialog.chosen)  # all or none: a task refused meanwhile leaves none added
    except (ProjectError, OSError, sqlite3.Error) as exc:
        QMessageBox.warning(w, "Tasks not added", str(exc))
        return False
    opened = open_server_project(w, str(project.location))
    if opened is not None:  # the operator goes on with the task just added
        opened.set_task(dialog.chosen[0].name)
        opened.status.showMessage(f"Added {', '.join(s.title for s in dialog.chosen)}", 8000)
    return True
