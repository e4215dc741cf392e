"""The review table: one row per image with a saved mask, sortable and filterable.

:class:`ScoreTableModel` holds :class:`~fashion_annotator.qa.scores.ImageScore` rows;
:class:`ScoreFilter` filters them by name, status and the outlier rule. Sorting uses
:data:`SORT_ROLE` (numbers for numeric columns), in the model, once per sort; a blank (an unscored row's "-") sorts last
whichever the order, as spreadsheets sort empty cells (best first listed them above 1.000).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from fashion_annotator.core.wording import status_name
from fashion_annotator.dataset import name_search
from fashion_annotator.qa.decisions import CATEGORIES, REASONS, reason_category, reason_label
from fashion_annotator.qa.scores import ImageScore
from fashion_annotator.qa.stats import score_digits
from fashion_annotator.ui.theme import alert_color, blend

__all__ = ["COLUMNS", "DECISION_COLUMN", "ROW_ROLE", "SHORT_ROLE", "SORT_ROLE", "DecisionDelegate",
           "ScoreFilter", "ScoreTableModel", "show_decisions_whole"]

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
#: A cell's shorter text, shown when its whole text does not fit (the Decision's reason label).
SHORT_ROLE = Qt.ItemDataRole.UserRole + 3
COLUMNS = ("Image", "Score", "Pixel acc.", "Operator", "Time (s)", "Actions", "Status", "Decision")
SCORE_COLUMN = 1
DECISION_COLUMN = 7
#: How far an outlier row's background moves from the palette's Base towards the alert red.
OUTLIER_TINT = 0.3
_Index = QModelIndex | QPersistentModelIndex


#: What the figures of the columns other than the score are (their headers' tooltips).
COLUMN_TIPS = {
    2: ("Share of the pixels whose class is the same in the saved mask and the one it is "
        "compared with (background included)"),
    4: ("Seconds spent on the image until this task's latest save: the running total of the work "
        "on every task of the image, so each task's row of an image counts it (the Throughput "
        "figures below count only this task's own share)"),
    5: ("Edits made on the image until this task's latest save: the running total over every task "
        "of the image, as Time (s)"),
}  # fmt: skip


def header_tip(section: int, metric: str) -> str | None:
    """The tooltip of the table's ``section`` header: what its figure is (the score's
    ``metric``: Dice or the foreground mIoU, :func:`~fashion_annotator.qa.scores.score_masks`)."""
    if section != SCORE_COLUMN:
        return COLUMN_TIPS.get(section)
    if metric == "Dice":
        what = "Dice of the foreground pixels (2 x shared / (saved + compared))"
    else:
        what = (f"{metric}: the mean IoU over the foreground classes present in either mask "
                "(background left out)")  # fmt: skip
    return (
        f"{what}, of the saved mask against the proposal shown (or the current model, or the "
        "version QA rejected: the cell's tooltip names the versions); 1 when "
        "both masks are empty; - when there is nothing to compare with (no proposal recorded)"
    )


def _num(value: float) -> float:
    return value if math.isfinite(value) else math.inf


def _blank(value: object) -> bool:
    """Whether a :data:`SORT_ROLE` value is a blank cell (:func:`_num` of NaN)."""
    return isinstance(value, float) and math.isinf(value)


def _decision_text(r: ImageScore) -> str:
    """The Decision cell's text."""
    if r.decision == "reject":
        return f"rejected: {reason_label(r.reason)}"
    return "approved" if r.decision == "approve" else ""


def _sort_key(r: ImageScore, column: int) -> str | float | int:
    """``r``'s :data:`SORT_ROLE` value in ``column``: numbers for the numeric columns, infinite
    for a blank cell."""
    logged = r.effort_logged  # an import's: unknown, blank (not 0 s of a person's work)
    return (r.name, _num(r.score), _num(r.pixel_accuracy), r.operator, r.seconds if logged else math.inf,
            r.actions if logged else math.inf, r.status, _decision_text(r))[column]  # fmt: skip


def _same(a: float, b: float) -> bool:
    """Whether two figures are equal, NaN equal to NaN."""
    return a == b or (math.isnan(a) and math.isnan(b))


def _key(r: ImageScore) -> tuple:
    """What ``r``'s cells show, comparable (NaN as None: NaN equals nothing)."""
    return tuple(None if isinstance(v, float) and math.isnan(v) else v for v in _compared(r))


def _compared(r: ImageScore) -> tuple:
    """``r``'s compared fields, not copied (:func:`dataclasses.astuple` deep-copies)."""
    return tuple(getattr(r, f.name) for f in fields(r) if f.compare)


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    """``rows`` (ascending) as ``(first, last)`` runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


class ScoreTableModel(QAbstractTableModel):
    """Rows of scores; ``set_rows`` replaces them, ``outliers`` flags the rows to tint."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[ImageScore] = []
        self._outliers = np.zeros(0, dtype=bool)
        self.metric = "Dice"
        self._threshold = math.nan
        #: image id -> why its cutout and parsing masks are flagged (:mod:`.mask_checks`)
        self._flags: dict[int, str] = {}
        #: the column and order the rows are laid out by (:meth:`sort`), None: as given
        self._sort: tuple[int, Qt.SortOrder] | None = None

    def set_rows(self, rows: Sequence[ImageScore], outliers: np.ndarray, metric: str,
                 threshold: float = math.nan) -> None:  # fmt: skip
        """Replace every row, laid out in the table's sort order (:meth:`sort`); ``outliers`` is
        ``(len(rows),) bool``; a score that rounds as the outlier ``threshold`` does gets the
        decimals that tell them apart (:func:`score_digits`).

        Rows of the same images in the same order are updated in place (``dataChanged`` for those
        that differ, nothing when none does): a reset re-laid the whole table out, 0.2-2.8 s of a
        frozen window at each visit of a 700-mask review (a scale hand test)."""
        order = self._order(list(rows))
        new_rows = [rows[i] for i in order]
        new_outliers = np.asarray(outliers, dtype=bool)[order] if len(order) else np.zeros(0, bool)
        same_header = metric == self.metric and _same(float(threshold), self._threshold)
        if [r.image_id for r in new_rows] != [r.image_id for r in self._rows]:
            self.beginResetModel()
            self._rows, self._outliers = new_rows, new_outliers
            self.metric, self._threshold = metric, float(threshold)
            self.endResetModel()
        else:
            changed = [i for i, (old, new) in enumerate(zip(self._rows, new_rows, strict=True))
                       if not same_header or _key(old) != _key(new) or self._outliers[i] != new_outliers[i]]  # fmt: skip
            self._rows, self._outliers = new_rows, new_outliers
            self.metric, self._threshold = metric, float(threshold)
            for start, stop in _runs(changed):
                self.dataChanged.emit(self.index(start, 0), self.index(stop, len(COLUMNS) - 1))
            if same_header:
                return
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, SCORE_COLUMN, SCORE_COLUMN)

    def replace_row(self, index: int, row: ImageScore) -> None:
        """Swap one row (after a decision changed its status) without resetting the model; the
        rows move where the sort order puts it."""
        self._rows[index] = row
        self.dataChanged.emit(self.index(index, 0), self.index(index, len(COLUMNS) - 1))
        if self._sort is not None:
            self.sort(*self._sort)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Lay the rows out by ``column`` (:data:`SORT_ROLE`), ties in their present order, a
        blank (no score, no effort logged) after every figure in both orders, as spreadsheets
        sort empty cells; ``column`` -1 leaves them as they are. Sorted once in Python, not by
        Qt calling a Python ``lessThan`` thousands of times (3,838 at 704 rows)."""
        if column < 0 or column >= len(COLUMNS):
            self._sort = None
            return
        self._sort = (column, Qt.SortOrder(order))
        order_ = self._order(self._rows)
        if order_ == list(range(len(self._rows))):
            return
        self.layoutAboutToBeChanged.emit()
        where = {old: new for new, old in enumerate(order_)}
        self._rows = [self._rows[i] for i in order_]
        self._outliers = self._outliers[order_]
        old = self.persistentIndexList()
        self.changePersistentIndexList(old, [self.index(where[i.row()], i.column()) for i in old])
        self.layoutChanged.emit()

    def _order(self, rows: Sequence[ImageScore]) -> list[int]:
        """The positions of ``rows`` in the sort order (as they are when unsorted)."""
        if self._sort is None:
            return list(range(len(rows)))
        column, order = self._sort
        keys = [_sort_key(r, column) for r in rows]
        filled = [i for i, k in enumerate(keys) if not _blank(k)]
        filled.sort(key=keys.__getitem__, reverse=order == Qt.SortOrder.DescendingOrder)
        return filled + [i for i, k in enumerate(keys) if _blank(k)]

    def set_flags(self, flags: dict[int, str]) -> None:
        """Flag the Image cell of each image in ``flags`` (image id -> why: its saved cutout and
        parsing masks disagree, or could not be compared); the others lose their flag."""
        if flags == self._flags:
            return
        self._flags = dict(flags)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def flag(self, image_id: int) -> str | None:
        """Why ``image_id`` is flagged, or None."""
        return self._flags.get(image_id)

    def row(self, index: int) -> ImageScore:
        return self._rows[index]

    def rows(self) -> list[ImageScore]:
        return list(self._rows)

    def is_outlier(self, index: int) -> bool:
        return bool(self._outliers[index])

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return header_tip(section, self.metric)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return self.metric if section == SCORE_COLUMN else COLUMNS[section]

    @staticmethod
    def _outlier_brush() -> QBrush:
        """A red tint over the current palette's Base, so the palette's Text stays readable."""
        palette = QGuiApplication.palette()
        return QBrush(
            blend(palette.color(palette.ColorRole.Base), alert_color(palette), OUTLIER_TINT)
        )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == ROW_ROLE:
            return r
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._outlier_brush() if self._outliers[index.row()] else None
        if role == Qt.ItemDataRole.TextAlignmentRole and 1 <= col <= 5 and col != 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        flag = self._flags.get(r.image_id) if col == 0 else None
        if role == Qt.ItemDataRole.DecorationRole and flag:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return f"{r.name}\n{flag}" if flag else r.name  # the whole name: a long one is elided
        if role == Qt.ItemDataRole.ToolTipRole and col == SCORE_COLUMN:
            return r.compared or r.unscored or None  # "v2 against v1, rejected by bob"
        if role == Qt.ItemDataRole.ToolTipRole and col == DECISION_COLUMN:
            return self._decision_tip(r)
        if role == SHORT_ROLE and col == DECISION_COLUMN and r.decision == "reject":
            return reason_label(r.reason)
        if role == SORT_ROLE:
            return _sort_key(r, col)
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                r.name,
                self._score_text(r.score),
                "-" if not math.isfinite(r.pixel_accuracy) else f"{r.pixel_accuracy:.3f}",
                r.operator,
                f"{r.seconds:.0f}" if r.effort_logged else "-",
                str(r.actions) if r.effort_logged else "-",
                status_name(r.status),
                _decision_text(r),
            )[col]
        return None

    def _score_text(self, score: float) -> str:
        if not math.isfinite(score):
            return "-"
        return f"{score:.{score_digits(score, self._threshold)}f}"

    @classmethod
    def _decision_tip(cls, r: ImageScore) -> str | None:
        """The Decision cell's whole text: the decision, the reason's report category when it
        is an operator's kind of it, and the reviewer's text."""
        text = _decision_text(r)
        if not text:
            return None
        category = reason_category(r.reason)
        if r.decision == "reject" and r.reason and category != r.reason:
            text += f"; counts as {CATEGORIES[category]}"  # the label may hold parentheses
        return f"{text} — {r.reason_text}" if r.reason_text else text


class DecisionDelegate(QStyledItemDelegate):
    """Paints the Decision column elided at its end, never its middle (``rejected:… ground …``,
    a QA hand test), and where the column is too narrow for the longest reject
    (``rejected: Extra area (background, mannequin)``), every reject's reason label alone
    (:data:`SHORT_ROLE`): the choice is the column's, not each cell's (one row read "rejected:
    Missed area", the next "Extra area (background, mannequin)"); the tooltip holds the whole
    text."""

    def initStyleOption(  # noqa: N802 - Qt override
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight
        short = index.data(SHORT_ROLE)
        room = option.rect.width() - self._margins(option)
        if short and option.rect.width() > 0 and self._widest_reject(option) > room:
            option.text = short  # (a size hint's option has no width: the whole text is measured)

    @staticmethod
    def _widest_reject(option: QStyleOptionViewItem) -> int:
        """The width of the longest Decision text of a reject, this cell's included (a reason
        key this version does not know)."""
        metrics = option.fontMetrics
        texts = [f"rejected: {label}" for label in REASONS.values()] + [option.text]
        return max(metrics.horizontalAdvance(text) for text in texts)

    @staticmethod
    def _margins(option: QStyleOptionViewItem) -> int:
        """The cell's text margins, left and right, as the style draws them."""
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        return 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, option, widget) + 1)


def show_decisions_whole(view: QAbstractItemView) -> None:
    """Give ``view``'s Decision column a :class:`DecisionDelegate`."""
    view.setItemDelegateForColumn(DECISION_COLUMN, DecisionDelegate(view))


#: Status filters that match a row's Decision (this task's decision on its latest mask), not
#: the image's status: an image is approved only once every task is, and rejected while any
#: task is, so an "approved" garment row of a done image was hidden by "Approved".
DECISION_FILTERS = {"approved": "approve", "rejected": "reject"}


class ScoreFilter(QSortFilterProxyModel):
    """Filters by a substring of the file name (as the image list does:
    :mod:`~fashion_annotator.dataset.name_search`), a status (None = any; ``approved`` and
    ``rejected``: the row's decision, :data:`DECISION_FILTERS`) and outliers only."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._text = ""
        self._status: str | None = None
        self._outliers_only = False

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = name_search.search_key(text.strip())
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_status(self, status: str | None) -> None:
        self.beginFilterChange()
        self._status = status or None
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_outliers_only(self, on: bool) -> None:
        self.beginFilterChange()
        self._outliers_only = bool(on)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the source model (:meth:`ScoreTableModel.sort`, once in Python), leaving this
        proxy's own order as the source's: Qt sorting it asked a Python ``lessThan`` for each
        comparison, 0.1-1 s per refresh of 700 rows."""
        model = self.sourceModel()
        assert isinstance(model, ScoreTableModel)
        model.sort(column, order)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        assert isinstance(model, ScoreTableModel)
        r = model.row(source_row)
        if self._text and not name_search.matches(r.name, self._text):
            return False
        if self._status in DECISION_FILTERS:
            if r.decision != DECISION_FILTERS[self._status]:
                return False
        elif self._status is not None and r.status != self._status:
            return False
        return not (self._outliers_only and not model.is_outlier(source_row))
