"""A table's column of photo names kept to a readable width: a 210-character name widened the
Review table's Image column until Dice and every other column were off screen (a hand test).

Longer names lose their middle (``look 0…front.jpg``: the start and the suffix tell photos
apart); the cell's tooltip gives the whole name.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtWidgets import QAbstractItemView, QStyledItemDelegate, QStyleOptionViewItem

#: The widest a name column grows to fit its names, in average character widths.
NAME_COLUMN_CHARS = 40


class CappedWidthDelegate(QStyledItemDelegate):
    """Paints as Qt does; sizes no cell wider than :data:`NAME_COLUMN_CHARS` characters (the
    width a header that resizes to its contents gives the column)."""

    def sizeHint(  # noqa: N802 - Qt override
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        size.setWidth(min(size.width(), NAME_COLUMN_CHARS * option.fontMetrics.averageCharWidth()))
        return size


def cap_name_column(view: QAbstractItemView, column: int = 0) -> None:
    """Keep ``view``'s ``column`` of names at most :data:`NAME_COLUMN_CHARS` characters wide,
    long names elided in the middle (the view's every column: the others hold short text)."""
    view.setItemDelegateForColumn(column, CappedWidthDelegate(view))
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
