"""Instance QA panel of the Review tab: per image, categories changed vs proposed, attributes filled.

Double-click (or Enter on) a row to open the image in the Annotate tab.

The figures decode every instance map and parsing mask, about 3 ms of CPU an image: read on
each poll, a 700-image project froze the window for 3 s (a review). The panel reads them all
once (the tab's first visit); then, at each refresh of the tab (F5, a visit, the poll after
another session's commit), only those of the images whose row moved since (any save of their
instances or masks, a status, a rename: :func:`_stamp`). Many images are read in a thread
(:mod:`.instance_figures`; the first visit froze the window 7-9 s at 700 images), the summary
counting them; a refresh meanwhile waits for that read and then reads what moved since.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.core.wording import counted, status_name
from fashion_annotator.dataset.display import display_name
from fashion_annotator.dataset.records import ImageRecord
from fashion_annotator.instances.qa import InstanceQARow, instance_qa_summary
from fashion_annotator.instances.schema import instance_parsing_task
from fashion_annotator.ui.review import instance_figures
from fashion_annotator.ui.review.instance_figures import FiguresThread, read_figures
from fashion_annotator.ui.review.name_column import cap_name_column
from fashion_annotator.ui.review.view import SIZE_SAMPLE_ROWS, ReviewView

#: Qt's QWIDGETSIZE_MAX (PySide6 does not export it): a widget's height left unbounded.
UNBOUNDED = (1 << 24) - 1
#: The panel's line while no image has instances (its table hidden).
NO_INSTANCES = "No instances saved yet: the images with instances are listed here."
COLUMNS = ("Image", "Status", "Instances", "Category changed", "Attributes filled", "Uncategorised", "Inconsistent px")


class _Number(QTableWidgetItem):
    """A table cell that sorts by its number; a blank (``value`` None, shown "-") sorts after
    every number whichever the order, as spreadsheets sort empty cells."""

    def __init__(self, value: float | None, text: str) -> None:
        super().__init__(text)
        self.value = value

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.value, getattr(other, "value", 0)
        if mine is None or theirs is None:
            table = self.tableWidget()
            order = Qt.SortOrder.AscendingOrder if table is None else table.horizontalHeader().sortIndicatorOrder()
            # Qt sorts descending by asking ``other < self``: there the blank must be the lesser
            return (theirs is None if order == Qt.SortOrder.AscendingOrder else mine is None) and (mine is None) != (theirs is None)
        return mine < theirs


class _SummaryLabel(QLabel):
    """The panel's figures, wrapped onto as many lines as the tab's width needs: one line of
    911 px made the Review tab scroll sideways on a laptop screen at 125 %, and cut at the right
    it showed only its start in a 1280 px window (the rest in its tooltip, which stays)."""

    def __init__(self) -> None:
        super().__init__()
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)  # as tall as its lines at the width it gets
        self.setSizePolicy(policy)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self.setToolTip(text)


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
        self.summary = _SummaryLabel()
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.model().setHeaderData(
            COLUMNS.index("Attributes filled"), Qt.Orientation.Horizontal,
            "Share of the attribute slots a person set (a value the model proposed and nobody "
            "changed is not counted: the summary gives it apart)", Qt.ItemDataRole.ToolTipRole)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (it cycled in its rows)
        self.table.setAccessibleName("Images with instances")
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # widths from a sample of rows, as the table above: each refresh measured every cell
        self.table.horizontalHeader().setResizeContentsPrecision(SIZE_SAMPLE_ROWS)
        cap_name_column(self.table)
        self.table.setSortingEnabled(True)
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))
        self.table.activated.connect(lambda index: self._open(index.row()))
        layout.addWidget(self.table)
        self.rows: list[InstanceQARow] = []
        #: ``image_id -> stamp`` of each image row when its figures were read (None: never).
        self._read: dict[int, tuple] | None = None
        #: The read running in a thread (None: none), and how many were started.
        self.reading: FiguresThread | None = None
        self._generation = 0
        self._threads: dict[int, FiguresThread] = {}  # started and not yet done, cancelled ones too
        #: What a refresh asked while a thread read (``image_id -> record``, whether every
        #: image), and whether a decision asked for the statuses: done when that read ends.
        self._queued: tuple[dict[int, ImageRecord], bool] | None = None
        self._restatus = False
        self._pending: tuple[set[int], bool] = (set(), True)  # the current read's gone and first

    def applies(self) -> bool:
        """Whether the project can hold instances: a store that keeps them and a parsing task
        they derive from (a cutout-only project has none; the panel hides, tasks added later
        show it at the next refresh)."""
        return hasattr(self.project, "iter_instances") and instance_parsing_task(self.project.tasks) is not None

    def refresh(self) -> None:
        """Read every image's figures again (a read running is given up)."""
        self._give_up()
        self._read = None
        self.follow(self.project.images(fetch_photos=False), complete=True)

    def follow(self, records: Sequence[ImageRecord], complete: bool) -> None:
        """Read again the figures of the images among ``records`` whose row moved since theirs
        were read (all of them the first time): in a thread when more than
        :data:`~.instance_figures.BACKGROUND_READ`; after the read running, if any.

        Parameters
        ----------
        records : sequence of ImageRecord
            Images just read (the Review tab's refresh).
        complete : bool
            Whether ``records`` are every image: one not among them was deleted. Until a
            complete call filled the panel, a partial one reads nothing.
        """
        self.setVisible(self.applies())
        if not self.applies():
            return
        if self.reading is not None:
            self._queue(records, complete)
            return
        if self._read is None and not complete:
            return
        first = self._read is None
        read = {} if self._read is None else self._read
        stale = [r for r in records if read.get(r.id) != _stamp(r)]
        gone = set(read) - {r.id for r in records} if complete else set()
        if not first and not stale and not gone:
            return
        if len(stale) > instance_figures.BACKGROUND_READ:
            self._start(stale, gone, first)
            return
        fresh = read_figures(self.project, stale)
        assert fresh is not None, "a read that cannot be cancelled"
        self._apply(stale, fresh, gone, first)

    def _apply(self, stale: Sequence[ImageRecord], fresh: Sequence[InstanceQARow | None], gone: set[int],
               first: bool) -> None:  # fmt: skip
        """Show the figures ``fresh`` just read of the images ``stale`` (as they were before
        the read: one changed meanwhile is read again at the next refresh) and drop those of
        the images ``gone``; ``first``: they are every row."""
        read = {} if first or self._read is None else self._read
        read.update((r.id, _stamp(r)) for r in stale)
        for image_id in gone:
            read.pop(image_id, None)
        self._read = read
        dropped = gone | {r.id for r in stale}
        kept = [] if first else [r for r in self.rows if r.image_id not in dropped]
        self.rows = sorted(kept + [r for r in fresh if r is not None], key=lambda r: r.image_id)
        self._show(None if first else dropped)

    # -- reading in a thread -----------------------------------------------------------------

    def _start(self, stale: list[ImageRecord], gone: set[int], first: bool) -> None:
        """Read the figures of ``stale`` in a :class:`FiguresThread`; shown when it ends."""
        self._generation += 1
        thread = FiguresThread(self.project.location, self.project.user, stale, self._generation, self)
        thread.progress.connect(self._progress)
        thread.read.connect(self._figures_read)
        thread.failed.connect(self._read_failed)
        thread.done.connect(self._thread_done)
        self.reading, self._threads[thread.generation] = thread, thread
        self._pending = (gone, first)
        self._progress(thread.generation, 0, len(stale))
        thread.start()

    def _progress(self, generation: int, done: int, total: int) -> None:
        if self.reading is not None and generation == self.reading.generation:
            self.summary.setText(f"Reading instance figures… {done}/{total}")

    def _figures_read(self, generation: int, rows: list[InstanceQARow | None]) -> None:
        thread = self.reading
        if thread is None or generation != thread.generation or thread.was_cancelled:
            return  # a read given up: a newer one shows its figures
        self._apply(thread.records, rows, *self._pending)

    def _read_failed(self, generation: int, message: str) -> None:
        if self.reading is not None and generation == self.reading.generation:
            self.summary.setText(f"The instance figures could not be read: {message}")

    def _thread_done(self, generation: int) -> None:
        """A thread ended: forget it; the current one's end does what was asked meanwhile."""
        thread = self._threads.pop(generation, None)
        if thread is not None:
            thread.wait()
            thread.deleteLater()
        if self.reading is None or generation != self.reading.generation:
            return
        self.reading = None
        queued, self._queued = self._queued, None
        if queued is not None:
            self.follow(list(queued[0].values()), queued[1])
        if self._restatus and self.reading is None:
            self._restatus = False
            self.refresh_statuses()

    def _queue(self, records: Sequence[ImageRecord], complete: bool) -> None:
        """Keep a refresh's ``records`` for when the read running ends: the latest of each
        image, every image's when any call had them all."""
        known, was_complete = ({}, False) if complete or self._queued is None else self._queued
        known = {**known, **{r.id: r for r in records}}
        self._queued = (known, complete or was_complete)

    def _give_up(self) -> None:
        """Cancel the read running (its thread ends on its own) and what was asked meanwhile."""
        if self.reading is not None:
            self.reading.cancel()
        self.reading, self._queued = None, None

    def stop(self) -> None:
        """Cancel every read and wait for its thread (the panel or its Review tab closes)."""
        self._give_up()
        for thread in list(self._threads.values()):
            thread.cancel()
            thread.wait()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.stop()
        super().closeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """The Review tab it is attached to closes (the window closes): stop reading."""
        if event.type() == QEvent.Type.Close:
            self.stop()
        return super().eventFilter(watched, event)

    def _show(self, changed: set[int] | None = None) -> None:
        """Show the summary and the rows: every row (``changed`` None: 0.1 s at 700 images), or
        only those of the ``changed`` images (the others' cells stay). Without a row the panel
        folds to one line (:meth:`_fold`)."""
        if not self.rows:
            self.summary.setText(NO_INSTANCES)
            self.table.setRowCount(0)
            self._fold(True)
            return
        self._fold(False)
        s = instance_qa_summary(self.rows)
        of_proposed = (f"{s['category_changed']} of {s['category_proposed']} proposed "
                       f"({100 * s['category_changed_share']:.0f}%)" if s["category_proposed"] else "none proposed")
        self.summary.setText(
            f"{counted(int(s['instances']), 'instance')} on {counted(int(s['images']), 'image')}; category changed vs proposed: "
            f"{of_proposed}; attributes filled by a person: {_percent(s['attributes_filled'])} (the "
            f"model's values kept: {_percent(s['attributes_kept'])}); uncategorised: {s['uncategorised']}; images "
            f"inconsistent with their parsing mask: {s['inconsistent_images']}"
            + (f" ({s['unchecked_images']} without a parsing mask, not checked)" if s["unchecked_images"] else "")
        )
        self.table.setSortingEnabled(False)
        if changed is None:
            self.table.setRowCount(len(self.rows))
            for r, row in enumerate(self.rows):
                self._fill(r, row)
        else:
            at = {self._image_at(r): r for r in range(self.table.rowCount())}
            for r in sorted((at[i] for i in changed if i in at), reverse=True):
                self.table.removeRow(r)
            for row in self.rows:
                if row.image_id in changed:
                    self.table.insertRow(self.table.rowCount())
                    self._fill(self.table.rowCount() - 1, row)
        self.table.setSortingEnabled(True)

    def _fold(self, empty: bool) -> None:
        """Hide the table and keep the panel as short as its line while no image has instances
        (its empty table took a third of the Review tab's left column at 1280x720, the tables
        above clipped); unfold with the first row."""
        self.table.setVisible(not empty)
        self.setMaximumHeight(self.minimumSizeHint().height() if empty else UNBOUNDED)

    def _image_at(self, r: int) -> int | None:
        """The image of the table's ``r``-th row."""
        item = self.table.item(r, 0)
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def _fill(self, r: int, row: InstanceQARow) -> None:
        """Set the cells of the table's ``r``-th row to ``row``."""
        name = QTableWidgetItem(display_name(row.name, Path(self.project.root)))
        name.setToolTip(row.name)
        name.setData(Qt.ItemDataRole.UserRole, row.image_id)
        cells = [
            name, QTableWidgetItem(status_name(row.status)), _Number(row.instances, str(row.instances)),
            _Number(row.category_changed, str(row.category_changed)) if row.category_proposed
            else _Number(None, "-"),  # nothing proposed: nothing to change
            _attributes_cell(row),
            _Number(row.uncategorised, str(row.uncategorised)),
            _Number(row.inconsistent_pixels, str(row.inconsistent_pixels)) if row.parsing_saved
            else _Number(None, "-"),  # no parsing mask saved: not checked
        ]  # fmt: skip
        for c, item in enumerate(cells):
            self.table.setItem(r, c, item)

    def refresh_statuses(self, statuses: Mapping[int, str] | None = None) -> None:
        """Re-read only the images' statuses (one query): after a decision (once the figures
        are read, while a thread reads them).

        Parameters
        ----------
        statuses : mapping, optional
            ``image_id -> status`` just read by the caller (the Review tab's refresh); else
            read here, unless the table has no rows (nothing to show them on: the image list
            of a 20,000-image project took 2.5 s to read).
        """
        if self.reading is not None:
            self._restatus = True  # read when the figures are: they may show the old ones
            return
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


def _percent(share: float) -> str:
    """``share`` (0..1) as a whole percentage, or "-" when unknown (NaN: no instances)."""
    return f"{100 * share:.0f}%" if math.isfinite(share) else "-"


def _attributes_cell(row: InstanceQARow) -> _Number:
    """The Attributes filled cell: the share a person set; the model's values kept, which it
    leaves out, in its tooltip."""
    cell = _Number(row.attributes_filled if math.isfinite(row.attributes_filled) else None,
                   _percent(row.attributes_filled))  # fmt: skip
    cell.setToolTip(f"Set by a person: {_percent(row.attributes_filled)} of the attribute slots; "
                    f"the model's proposed values kept unchanged: {_percent(row.attributes_kept)}")  # fmt: skip
    return cell


def _stamp(record: ImageRecord) -> tuple:
    """What moves whenever anything an image's figures show changes: a save of its instances
    or masks, its status or its name (each write of the row sets ``updated``)."""
    return record.updated, record.status, record.name


def attach(review: ReviewView, project: Any, open_image) -> InstanceReviewPanel:
    """Add the panel below the table and figures of the Review tab ``review``; return it."""
    panel = InstanceReviewPanel(project, review)
    panel.setVisible(panel.applies())
    review.lists.addWidget(panel)
    review.lists.setStretchFactor(review.lists.indexOf(panel), 2)
    review.refreshed.connect(panel.follow)  # F5, a visit and the poll: what changed
    review.installEventFilter(panel)  # its close stops the panel's reads
    panel.openImageRequested.connect(open_image)
    return panel
