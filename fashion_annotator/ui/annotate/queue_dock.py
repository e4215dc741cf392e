"""Image queue dock: thumbnails, status, filter by status, counts and search by name.

Thumbnails are decoded lazily: the model asks for one only when a row is painted, a pool
thread decodes it (JPEG draft mode, so a full decode is rarely needed) and the row repaints
when it arrives. The decoded thumbnails are kept as QImages (free to destroy in any thread) and
are dropped with the model, so none is left to the cyclic garbage collector.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListView,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.core.colour_profiles import to_srgb
from fashion_annotator.core.images import load_image
from fashion_annotator.core.wording import status_name, unmasked_filter_text
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.ui.annotate.queue_order import ORDERS as QUEUE_ORDERS
from fashion_annotator.ui.annotate.type_to_pick import TypePicker
from fashion_annotator.ui.icons import STATUS_STYLE, status_icon
from fashion_annotator.ui.search_field import SearchField, name_clear_button

THUMB = QSize(72, 96)
THUMB_CACHE = 1000
#: Milliseconds the list's current row must rest before it opens (keyboard moves).
FOLLOW_MS = 250
#: Milliseconds after the last key typed in the search box before the list is filtered (each
#: filtering reads the image list: 350 ms at 20,000 images); Enter filters at once.
SEARCH_MS = 250
"""Thumbnails kept decoded (about 28 kB each); the least recently shown go first."""
WIDE_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I", "F"})
ID_ROLE = Qt.ItemDataRole.UserRole
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1
#: The status filter's data of "Done, no mask of TITLE" is this followed by the task name.
UNMASKED = "unmasked:"


class _ThumbRelay(QObject):
    ready = Signal(int, QImage)


class _ThumbJob(QRunnable):
    def __init__(self, relay: _ThumbRelay, image_id: int, path: Path) -> None:
        super().__init__()
        self._relay, self._id, self._path = relay, image_id, path

    def run(self) -> None:
        try:
            with Image.open(self._path) as img:
                if img.mode in WIDE_MODES:
                    # 16-bit and float greys would clip to white: scale as the canvas does.
                    img = Image.fromarray(load_image(self._path).rgb)
                img.draft("RGB", (THUMB.width() * 2, THUMB.height() * 2))
                img = to_srgb(ImageOps.exif_transpose(img), self._path).convert("RGB")
                img.thumbnail((THUMB.width(), THUMB.height()), Image.Resampling.BILINEAR)
                data = img.tobytes()
                qimg = QImage(
                    data, img.width, img.height, 3 * img.width, QImage.Format.Format_RGB888
                )
                self._relay.ready.emit(self._id, qimg.copy())
        except (OSError, ValueError, Image.DecompressionBombError):
            # An unreadable photo keeps its placeholder; opening it reports the error.
            self._relay.ready.emit(self._id, QImage())


def _filled(color: QColor) -> QImage:
    """A thumbnail-sized placeholder of one colour."""
    image = QImage(THUMB, QImage.Format.Format_RGB32)
    image.fill(color)
    return image


class QueueModel(QAbstractListModel):
    """Rows are the project's :class:`ImageRecord` objects."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._records: list = []
        self._rows: dict[int, int] = {}
        self.name_of: Callable[[Any], str] = lambda rec: rec.name
        #: Why QA sent an image back (its tooltip's last line), or None; set by the window.
        self.note_of: Callable[[int], str | None] = lambda image_id: None
        #: Copies the photos of these image ids to this desktop in one batch (a shared
        #: project's uploads, :attr:`ImageRecord.in_store`), or None; set by the window.
        self.fetch_photos: Callable[[list[int]], object] | None = None
        self._to_fetch: list[tuple[int, Path]] = []
        self._thumbs: OrderedDict[int, QImage] = OrderedDict()
        self._requested: set[int] = set()
        self.destroyed.connect(self._thumbs.clear)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relay = _ThumbRelay(self)
        self._relay.ready.connect(self._thumb_ready)

    def set_records(self, records: list) -> None:
        """Replace the rows."""
        self.beginResetModel()
        self._records = list(records)
        self._rows = {rec.id: row for row, rec in enumerate(self._records)}
        self.endResetModel()

    def records(self) -> list:
        """The shown records, in order."""
        return list(self._records)

    def row_of(self, image_id: int) -> int:
        """Row of ``image_id``, or -1."""
        return self._rows.get(image_id, -1)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._records)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid():
            return None
        rec = self._records[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{self.name_of(rec)}\n{status_name(rec.status)}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(rec)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{rec.path}\n{rec.width}×{rec.height} — {status_name(rec.status)}"
            note = self.note_of(rec.id) if rec.status == "rejected" else None
            return f"{tip}\n{note}" if note else tip
        if role == Qt.ItemDataRole.ForegroundRole and rec.status == "rejected":
            return QColor(STATUS_STYLE["rejected"][1])
        if role == ID_ROLE:
            return rec.id
        if role == STATUS_ROLE:
            return rec.status
        return None

    def _decoration(self, rec) -> QIcon:
        thumb = self._thumbs.get(rec.id)
        if thumb is not None:
            self._thumbs.move_to_end(rec.id)
        else:
            if rec.id not in self._requested:
                self._requested.add(rec.id)
                self._decode(rec)
            thumb = _filled(QColor("#e0e0e0"))
        canvas = QPixmap(THUMB)
        canvas.fill(Qt.GlobalColor.transparent)
        painter = QPainter(canvas)
        painter.drawImage(
            (THUMB.width() - thumb.width()) // 2, (THUMB.height() - thumb.height()) // 2, thumb
        )
        painter.drawPixmap(
            THUMB.width() - 18, THUMB.height() - 18, status_icon(rec.status).pixmap(16, 16)
        )
        painter.end()
        return QIcon(canvas)

    def _decode(self, rec) -> None:
        """Start decoding ``rec``'s thumbnail; an uploaded photo not yet on this desktop is
        copied first, with those of the other rows the same paint shows (one query)."""
        path = Path(rec.path)
        if getattr(rec, "in_store", False) and self.fetch_photos is not None and not path.is_file():
            if not self._to_fetch:
                QTimer.singleShot(0, self, self._fetch_and_decode)
            self._to_fetch.append((rec.id, path))
            return
        self._pool.start(_ThumbJob(self._relay, rec.id, path))

    def _fetch_and_decode(self) -> None:
        batch, self._to_fetch = self._to_fetch, []
        if self.fetch_photos is not None:
            try:
                self.fetch_photos([image_id for image_id, _ in batch])
            except ProjectError:
                pass  # the server went away: those thumbnails read as unreadable
        for image_id, path in batch:
            self._pool.start(_ThumbJob(self._relay, image_id, path))

    def _thumb_ready(self, image_id: int, image: QImage) -> None:
        self._thumbs[image_id] = image if not image.isNull() else _filled(QColor("#ffcdd2"))
        self._thumbs.move_to_end(image_id)
        while len(self._thumbs) > THUMB_CACHE:  # scrolled far away: decoded again when shown
            gone, _ = self._thumbs.popitem(last=False)
            self._requested.discard(gone)
        row = self.row_of(image_id)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def wait_thumbnails(self, msecs: int = -1) -> bool:
        """Block until queued thumbnails are decoded (tests, shutdown)."""
        return self._pool.waitForDone(msecs)


#: The Approved count's name in a project of several tasks.
ALL_TASKS_APPROVED = "All tasks approved"
#: What the counts count (their tooltip), in a project of one task and of several.
COUNTS_TIP = ("Images per status: Approved once QA approved the saved mask, Rejected while QA "
              "sends it back")
COUNTS_TIP_TASKS = (
    "Images per status. An image counts as All tasks approved only once QA approved the saved "
    "mask of every task; with one task approved and another not yet reviewed it stays Done. "
    "QA approved: per task, the images whose latest saved mask of it QA approved."
)


class QueueDock(QDockWidget):
    """The image queue: filter, search, counts and the list of images.

    Signals
    -------
    imageActivated(int)
        The operator chose an image (click or Enter).
    filterChanged()
        The status filter or the order changed, or the search text (once typing pauses for
        :data:`SEARCH_MS`, or Enter); the window reloads the rows.

    Parameters
    ----------
    parent : QWidget or None
    home : QWidget or None
        Where Esc in the search field gives the keyboard back (the photo).
    """

    imageActivated = Signal(int)
    filterChanged = Signal()

    def __init__(self, parent: QWidget | None = None, home: QWidget | None = None) -> None:
        super().__init__("Images", parent)
        self.setObjectName("queueDock")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.status_filter = QComboBox()
        self.status_filter.addItem("All images", None)
        for status in STATUS_STYLE:
            self.status_filter.addItem(status_icon(status), status_name(status), status)
        # as wide as a status: a task's "Done, no mask of ..." shows in full in the open list
        self.status_filter.setMinimumContentsLength(max(len(self.status_filter.itemText(i))
                                                        for i in range(self.status_filter.count())))  # fmt: skip
        self.status_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.status_filter.setToolTip("Show only images with this status, or those marked done "
                                      "without a mask of a task (added after they were done)")  # fmt: skip
        self._titles: dict[str, str] = {}
        self.status_filter.setAccessibleName("Show the images of status")
        self.search = SearchField(home)
        self.search.setPlaceholderText("Search by name")
        self.search.setAccessibleName("Search the images by name")
        name_clear_button(self.search, "Show every name again (clear the search)")
        row.addWidget(self.status_filter)
        row.addWidget(self.search, 1)
        layout.addLayout(row)
        self.order_combo = QComboBox()
        for key, text in QUEUE_ORDERS.items():
            self.order_combo.addItem(text, key)
        self.order_combo.setToolTip("Order of the list: import order, or the photos whose "
                                    "correction should teach the model most first")  # fmt: skip
        self.order_combo.setAccessibleName("Order of the images")
        layout.addWidget(self.order_combo)
        # letters typed into the boxes choose a filter or an order ("i": In progress), never
        # a tool or a label (I: Pick label, 2: the second label); Return or Esc: the photo
        self.picker = TypePicker(self, home=home)
        for box in (self.status_filter, self.order_combo):
            self.picker.add(box, lambda: lambda: None)  # the box's change applies itself
        self.counts = QLabel()
        self.counts.setWordWrap(True)
        self.counts.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.counts)
        self.model = QueueModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Images")
        self.view.setIconSize(THUMB)
        self.view.setUniformItemSizes(True)
        self.view.setSpacing(2)
        self.view.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.view.activated.connect(self._activated)
        self.view.clicked.connect(self._activated)
        # Arrow keys, Home, End, PgUp/PgDn in the list open the row they land on, once the
        # keys rest (holding a key does not open every image it passes)
        self._quiet = False
        self._follow = QTimer(self)
        self._follow.setSingleShot(True)
        self._follow.setInterval(FOLLOW_MS)
        self._follow.timeout.connect(lambda: self._activated(self.view.currentIndex()))
        self.view.selectionModel().currentChanged.connect(self._current_moved)
        layout.addWidget(self.view, 1)
        self.setWidget(body)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(SEARCH_MS)
        self._typing.timeout.connect(self.filterChanged.emit)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.apply_search())
        self.search.textChanged.connect(lambda _t: self._typing.start())
        self.search.returnPressed.connect(self.apply_search)
        self.order_combo.currentIndexChanged.connect(lambda _i: self.apply_search())

    def apply_search(self) -> None:
        """Filter the list now (Enter in the search box, another filter or order chosen): the
        text typed is not waited on any more."""
        self._typing.stop()
        self.filterChanged.emit()

    @property
    def search_pending(self) -> bool:
        """Whether text typed in the search box waits to filter the list (:data:`SEARCH_MS`)."""
        return self._typing.isActive()

    def set_unmasked_tasks(self, titles: dict[str, str]) -> None:
        """Offer, after the statuses, a filter per task of the images marked done (or approved)
        without a mask of it ("Done, no mask of TITLE": a task added after they were done).

        Parameters
        ----------
        titles : dict
            Task name -> title, in the project's task order.
        """
        self._titles = dict(titles)
        box = self.status_filter
        for i in reversed(range(box.count())):
            if str(box.itemData(i) or "").startswith(UNMASKED):
                box.removeItem(i)
        for task, title in titles.items():
            box.addItem(status_icon("done"), unmasked_filter_text(title), UNMASKED + task)

    @property
    def status(self) -> str | None:
        """The status filter (None: all, or a task's "Done, no mask of": :attr:`unmasked_task`)."""
        data = self.status_filter.currentData()
        return None if data is None or data.startswith(UNMASKED) else data

    @property
    def unmasked_task(self) -> str | None:
        """The task whose "Done, no mask of" filter is chosen, else None."""
        data = self.status_filter.currentData()
        return data[len(UNMASKED) :] if data is not None and data.startswith(UNMASKED) else None

    @property
    def order(self) -> str:
        """The list order: ``"queue"`` (import order) or ``"tool"`` (most useful first)."""
        return self.order_combo.currentData()

    @property
    def search_text(self) -> str | None:
        """The search text (None: empty)."""
        return self.search.text().strip() or None

    def end_text(self, delta: int, image_id: int | None) -> str:
        """What PgDn (``delta`` 1) or PgUp (-1) says at the end of the list, ``image_id`` open:
        which photo the list ends at, and the filters that make it end there (PgDn with one
        photo left by the search did nothing and said nothing in a hand test)."""
        row = self.model.row_of(image_id) if image_id is not None else -1
        photo = self.model.name_of(self.model.records()[row]) if row >= 0 else "The open photo"
        filters = [f"'{self.status_filter.currentText()}'"] if self.status_filter.currentIndex() > 0 else []
        if self.search_text:
            filters.append(f"'{self.search_text}'")
        if not filters:
            return f"No more photos: {photo} is the {'last' if delta > 0 else 'first'} of the list"
        which = "filter " if len(filters) == 1 else "filters "
        where = "only" if self.model.rowCount() == 1 else "last" if delta > 0 else "first"
        return (f"{photo} is the {where} photo the {which}{' and '.join(filters)} show"
                f"{'s' if len(filters) == 1 else ''}: clear the {which.strip()} to go on")  # fmt: skip

    def set_records(self, records: list, current: int | None = None) -> None:
        """Show ``records`` and select ``current``."""
        self._quiet = True
        try:
            self.model.set_records(records)
        finally:
            self._quiet = False
        if current is not None:
            self.select(current)

    def set_counts(
        self, counts: dict[str, int], unmasked: dict[str, int] | None = None,
        approved: dict[str, int] | None = None,
    ) -> None:  # fmt: skip
        """Show how many images have each status, per task in ``unmasked`` how many images
        marked done have no mask of it (a task added after they were done) and, in a project of
        several tasks, per task how many masks QA ``approved`` (an image is Approved only once
        every task's mask is: "Approved 0" beside four approved garment masks, a QA hand test).
        """
        several = len(self._titles) > 1
        parts = []
        for status, (name, color) in STATUS_STYLE.items():
            name = ALL_TASKS_APPROVED if several and status == "approved" else name
            parts.append(
                f"<span style='color:{color}'>●</span>&nbsp;{name}&nbsp;<b>{counts.get(status, 0)}</b>"
            )
        text = " &nbsp; ".join(parts)
        if several:
            per_task = ", ".join(f"{escape(title)}&nbsp;<b>{(approved or {}).get(task, 0)}</b>"
                                 for task, title in self._titles.items())  # fmt: skip
            text += f"<br>QA approved: {per_task}"
        self.counts.setToolTip(COUNTS_TIP_TASKS if several else COUNTS_TIP)
        for task, title in self._titles.items():
            n = (unmasked or {}).get(task, 0)
            if n:
                title = escape(unmasked_filter_text(title))
                text += f"<br>{title.replace(' ', '&nbsp;')}&nbsp;<b>{n}</b>"
        self.counts.setText(text)

    def select(self, image_id: int) -> None:
        """Select and scroll to ``image_id`` without emitting :attr:`imageActivated`."""
        row = self.model.row_of(image_id)
        if row >= 0:
            index = self.model.index(row)
            self._quiet = True
            try:
                self.view.setCurrentIndex(index)
            finally:
                self._quiet = False
            self._follow.stop()
            self.view.scrollTo(index)

    def _current_moved(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._quiet and current.isValid():
            self._follow.start()

    def _activated(self, index: QModelIndex) -> None:
        self._follow.stop()
        if index.isValid():
            self.imageActivated.emit(int(index.data(ID_ROLE)))
