"""Instance QA panel of the Review tab: per image, categories changed vs proposed, attributes filled.

Double-click (or Enter on) a row to open the image in the Annotate tab.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.core.wording import status_name
from fashion_annotator.dataset.display import display_name
from fashion_annotator.instances.qa import InstanceQARow, instance_qa_rows, instance_qa_summary

if TYPE_CHECKING:
    from fashion_annotator.ui.review.view import ReviewView

COLUMNS = ("Image", "Status", "Instances", "Category changed", "Attributes filled", "Uncategorised", "Inconsistent px")


class _Number(QTableWidgetItem):
    """A table cell that sorts by its number."""

    def __init__(self, value: float, text: str) -> None:
        super().__init__(text)
        self.value = value

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.value < getattr(other, "value", 0)


class InstanceReviewPanel(QGroupBox):
    """Table of the project's images with instances.

    Signals
    -------
    openImageRequested(int)
    """

    openImageRequested = Signal(int)

    def __init__(self, project: Any, parent: QWidget | None = None) -> None:
        super().__init__("Instances", parent)
        self.project = project
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (it cycled in its rows)
        self.table.setAccessibleName("Images with instances")
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setSortingEnabled(True)
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))
        self.table.activated.connect(lambda index: self._open(index.row()))
        layout.addWidget(self.table)
        self.rows: list[InstanceQARow] = []

    def refresh(self) -> None:
        """Recompute the rows from the store."""
        self.rows = instance_qa_rows(self.project) if hasattr(self.project, "iter_instances") else []
        s = instance_qa_summary(self.rows)
        self.summary.setText(
            f"{s['instances']} instances on {s['images']} images; category changed vs proposed: "
            f"{s['category_changed']} ({100 * s['category_changed_share']:.0f}%); attributes filled: "
            f"{100 * s['attributes_filled']:.0f}%; uncategorised: {s['uncategorised']}; images "
            f"inconsistent with their parsing mask: {s['inconsistent_images']}"
        )
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            name = QTableWidgetItem(display_name(row.name, Path(self.project.root)))
            name.setToolTip(row.name)
            name.setData(Qt.ItemDataRole.UserRole, row.image_id)
            cells = [
                name, QTableWidgetItem(status_name(row.status)), _Number(row.instances, str(row.instances)),
                _Number(row.category_changed, str(row.category_changed)),
                _Number(row.attributes_filled, f"{100 * row.attributes_filled:.0f}%"),
                _Number(row.uncategorised, str(row.uncategorised)),
                _Number(row.inconsistent_pixels, str(row.inconsistent_pixels)),
            ]  # fmt: skip
            for c, item in enumerate(cells):
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)

    def refresh_statuses(self, statuses: Mapping[int, str] | None = None) -> None:
        """Re-read only the images' statuses (one query): after a decision, F5 and the poll.

        The figures (instances, categories, attributes, consistency) decode every instance map
        and parsing mask, about 4 ms an image: re-read on each of those, a 700-image project
        froze the window for 3 s (a review). They are read again when the tab is shown.

        Parameters
        ----------
        statuses : mapping, optional
            ``image_id -> status`` just read by the caller (the Review tab's refresh); else
            read here, unless the table has no rows (nothing to show them on: the image list
            of a 20,000-image project took 2.5 s to read).
        """
        if not self.rows:
            return
        if statuses is None:
            statuses = {r.id: r.status for r in self.project.images(fetch_photos=False)}
        self.rows = [replace(r, status=statuses.get(r.image_id, r.status)) for r in self.rows]
        for r in range(self.table.rowCount()):
            name, status = self.table.item(r, 0), self.table.item(r, 1)
            if name is not None and status is not None:
                image_id = int(name.data(Qt.ItemDataRole.UserRole))
                if image_id in statuses:
                    status.setText(status_name(statuses[image_id]))

    def _open(self, row: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.openImageRequested.emit(int(item.data(Qt.ItemDataRole.UserRole)))


def attach(review: ReviewView, project: Any, open_image) -> InstanceReviewPanel:
    """Add the panel at the bottom of the Review tab ``review``; return it."""
    layout = review.layout()
    if layout is None:
        raise ValueError("the Review tab has no layout to add the instance panel to")
    panel = InstanceReviewPanel(project, review)
    layout.addWidget(panel)
    review.refreshed.connect(panel.refresh_statuses)  # F5 and the poll: the statuses
    panel.openImageRequested.connect(open_image)
    return panel
