"""Choosing a project's tasks in the window: shipped tasks and a studio's label set files.

:class:`TaskPicker` is the "Tasks" row of File > New project from folder. It lists the shipped
tasks to tick and the label set files (README "Your own labels") the operator added; :meth:`TaskPicker.specs` checks them as
``fashion-annotator new --tasks`` does (:func:`~fashion_annotator.dataset.label_sets.resolve_tasks`),
so that a file's problem is named in the dialog before anything is made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.core.tasks import TaskSpec, task_title
from fashion_annotator.dataset.label_sets import resolve_tasks

__all__ = ["DEFAULT_TASKS", "LABEL_SET_FILTER", "TaskPicker"]

#: The shipped tasks a new project has unless the operator unticks them (``new``'s default).
DEFAULT_TASKS: tuple[str, ...] = ("garment", "parsing7")
#: What the label set file dialog lists.
LABEL_SET_FILTER = "Label sets (*.json)"
_PATH_ROLE = Qt.ItemDataRole.UserRole


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
        for name in shipped:
            item = QListWidgetItem(f"{task_title(name)} ({name})")
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
        layout.addWidget(QLabel("Your own label sets (.json)"))
        layout.addWidget(self.files)
        layout.addLayout(buttons)
        for box in (self.shipped, self.files):
            box.setMaximumHeight(box.sizeHintForRow(0) * 5 + 2 * box.frameWidth() if box.count() else 90)

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
