"""Label palette dock: the task's classes with colour, name and shortcut."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractButton,
    QBoxLayout,
    QButtonGroup,
    QDockWidget,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.ui.icons import swatch

ID_ROLE = Qt.ItemDataRole.UserRole


#: Classes the Labels list shows without scrolling (parsing18's others scroll).
VISIBLE_ROWS = 10

class PaletteDock(QDockWidget):
    """Lists the classes of the current task; the current label is the selected row.

    Signals
    -------
    labelChosen(int)
        The operator clicked a class.
    taskChosen(str)
        The operator switched task with the task buttons.
    """

    labelChosen = Signal(int)
    taskChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Labels", parent)
        self.setObjectName("paletteDock")
        body = QWidget()
        layout = QVBoxLayout(body)
        self._body, self._body_layout = body, layout
        layout.setContentsMargins(4, 4, 4, 4)
        self._task_row = QHBoxLayout()
        self._task_group = QButtonGroup(self)
        self._task_group.buttonClicked.connect(lambda b: self.taskChosen.emit(b.property("task")))
        layout.addLayout(self._task_row)
        self.list = QListWidget()
        self.list.setAccessibleName("Labels")
        self.list.setIconSize(QSize(18, 18))
        self.list.setSpacing(1)
        self.list.setAlternatingRowColors(False)
        self.list.itemClicked.connect(lambda item: self.labelChosen.emit(item.data(ID_ROLE)))
        layout.addWidget(self.list)
        self.setWidget(body)
        body.installEventFilter(self)
        self._taxonomy: Taxonomy | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self._body and event.type() == QEvent.Type.Resize:
            self._fit_task_row()
        return False

    def _task_row_width(self) -> int:
        """The width the task buttons need side by side, margins included."""
        buttons = self._task_group.buttons()
        margins = self._body_layout.contentsMargins()
        spacing = max(len(buttons) - 1, 0) * max(self._task_row.spacing(), 0)
        return sum(b.minimumSizeHint().width() for b in buttons) + spacing + margins.left() + margins.right()

    def _fit_task_row(self) -> None:
        """The task buttons side by side where the panel is wide enough, else one below the
        other: three tasks, or parsing18's long name, made the panel (and so the window) too
        wide for a laptop screen at 150 %."""
        wide = self._body.width() >= self._task_row_width()
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self._task_row.direction() != direction:
            self._task_row.setDirection(direction)
            self._fit_height()

    def _fit_height(self) -> None:
        """The panel as tall as its content, no taller (the Instances panel below gets the rest)."""
        self._body_layout.invalidate()
        self._body.setMaximumHeight(self._body_layout.sizeHint().height())

    def set_tasks(self, tasks: list[tuple[str, str]], current: str) -> None:
        """Show one button per ``(task, display name)``; ``current`` is checked."""
        for button in self._task_group.buttons():
            self._task_group.removeButton(button)
            button.deleteLater()
        for task, title in tasks:
            button = QRadioButton(title.replace("&", "&&"))  # a label set's "Tops & bottoms": no mnemonic
            button.setProperty("task", task)
            button.setChecked(task == current)
            button.setToolTip(f"Edit the {title.lower()} mask")  # its key: ui/key_hints
            self._task_group.addButton(button)
            self._task_row.addWidget(button)
        margins = self._body_layout.contentsMargins()
        widest = max((b.minimumSizeHint().width() for b in self._task_group.buttons()), default=0)
        self._body.setMinimumWidth(widest + margins.left() + margins.right())  # they can go one below the other
        self._fit_task_row()

    def task_buttons(self) -> list[QAbstractButton]:
        """The task buttons, in the order of the tasks."""
        return self._task_group.buttons()

    def set_current_task(self, task: str) -> None:
        """Check the button of ``task``."""
        for button in self._task_group.buttons():
            button.setChecked(button.property("task") == task)

    def set_taxonomy(self, taxonomy: Taxonomy, current: int = 1) -> None:
        """Show the classes of ``taxonomy`` and select ``current``."""
        self._taxonomy = taxonomy
        self.list.clear()
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        for cls in taxonomy.classes:
            key = f"  [{cls.shortcut}]" if cls.shortcut else ""
            item = QListWidgetItem(swatch(cls.color), f"{cls.name}{key}")
            item.setData(ID_ROLE, cls.id)
            item.setToolTip(
                f"{cls.name} (class {cls.id})" + (f", shortcut {cls.shortcut}" if key else "")
            )
            self.list.addItem(item)
        # every class in sight without scrolling (up to VISIBLE_ROWS): the Instances panel
        # below gives way, not the operator's palette (parsing7's "dress" was cut off at 720 px)
        # and never more than all of them: the space left goes to the panels below it
        row = self.list.sizeHintForRow(0) + 2 * self.list.spacing() if self.list.count() else 0
        frame = 2 * self.list.frameWidth()
        self.list.setMinimumHeight(min(self.list.count(), VISIBLE_ROWS) * row + frame)
        self.list.setMaximumHeight(max(1, self.list.count()) * row + frame)
        self._fit_height()
        self.set_current(current)

    def set_current(self, label: int) -> None:
        """Highlight class ``label`` (no signal)."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            selected = item.data(ID_ROLE) == label
            item.setSelected(selected)
            font = item.font()
            font.setBold(selected)
            item.setFont(font)
            if selected:
                self.list.setCurrentItem(item)

    @property
    def current(self) -> int | None:
        """The highlighted class id."""
        item = self.list.currentItem()
        return None if item is None else int(item.data(ID_ROLE))
