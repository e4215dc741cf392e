"""Help (F1): every keyboard shortcut of the window and the mouse gestures of the canvas."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fashion_annotator.ui.screen_fit import fit_on_show

MOUSE_HELP = (
    ("Wheel", "Zoom at the cursor"),
    ("Space + drag, middle drag", "Pan"),
    ("Brush / eraser drag", "Paint / erase; {smaller} and {larger} change the size"),
    ("Polygon: click, Enter, Esc", "Add vertex, close (Shift: subtract), cancel"),
    ("Polygon: click the first vertex, double click", "Close (the first vertex grows under the pointer)"),
    ("Polygon: another tool or image, a save", "Closes an open polygon of 3+ vertices, as Enter"),
    ("Superpixel click or drag", "Give the regions under the cursor the label (and the edge slivers they cut off)"),
    ("Smart click ({tool_smartclick}): click / right or Shift+click", "Model click: this label here / not here"),
    ("Smart click: drag a box, Ctrl+click a marker", "Fill the box with the model, remove a click"),
    ("Smart click on parsing: Alt+drag, Alt+click", "Paint over other classes too (plain: keeps hands, bag)"),
    ("{labels}", "Choose a label from the palette"),
    ("Fill click ({tool_fill})", "Give the whole blob under the cursor (one label, connected) the label"),
    ("Fill click on background", "Refused past a quarter of the photo; Shift+click fills anyway"),
)


#: The palette's label keys as :data:`MOUSE_HELP` names them while they are the defaults.
LABEL_KEYS = "1 … 9, 0"


class _Keys(dict[str, str]):
    """Action name -> its current first key; an action without a key is "no key"."""

    def __missing__(self, name: str) -> str:
        return "no key"


def mouse_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """:data:`MOUSE_HELP` as ``(what, how)`` rows, each ``{action}`` field replaced by the
    action's current key (the defaults were named after the operator changed them).

    ``{labels}`` names the palette's label keys: :data:`LABEL_KEYS` while they are 1 to 9 and 0,
    else each label's key.
    """
    keys = _Keys()
    for action in actions:
        first = [k for k in action.shortcuts() if not k.isEmpty()][:1]
        if first:
            keys[action.objectName()] = first[0].toString(QKeySequence.SequenceFormat.NativeText)
    labels = [keys[f"label_{(i + 1) % 10}"] for i in range(10)]
    default = [str((i + 1) % 10) for i in range(10)]
    keys["labels"] = LABEL_KEYS if labels == default else ", ".join(labels)
    return [(what.format_map(keys), how.format_map(keys)) for how, what in MOUSE_HELP]


KEY_WHERE = "keyWhere"
"""Action property: where its keys work when not window-wide (e.g. "on the photo")."""


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """Return ``(action text, shortcuts)`` for every action that has a shortcut; the keys of
    an action that works in one place only name it (its :data:`KEY_WHERE` property)."""
    rows = []
    for action in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        keys = [k for k in keys if k]
        if keys:
            where = action.property(KEY_WHERE)
            text = ", ".join(keys) + (f" ({where})" if where else "")
            rows.append((action.text().replace("&", ""), text))
    return rows


class HelpDialog(QDialog):
    """A non-modal table of the shortcuts; built from the window's actions."""

    def __init__(
        self,
        actions: Iterable[QAction],
        parent: QWidget | None = None,
        *,
        other_keys: Iterable[tuple[str, str]] = (),
        autosave_s: int = 30,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts and mouse")
        self._actions = list(actions)
        self._other = list(other_keys)
        self.rows: list[tuple[str, str]] = []
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Command", "Keys / mouse"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab reaches Close
        self._fill()
        # keys changed in Preferences while it is open: each action announces it (``changed``),
        # and the rows follow at once (they kept the old keys until the dialog was opened again)
        self._refill = QTimer(self)
        self._refill.setSingleShot(True)
        self._refill.setInterval(0)
        self._refill.timeout.connect(self._fill)
        for action in self._actions:
            action.changed.connect(self._refill.start)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents
        )
        # a long command wraps onto a second line rather than ending in "…"
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.set_autosave(autosave_s)
        layout.addWidget(self.intro)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.resize(640, 600)
        fit_on_show(self)  # 600 px ran off a 1280x720 screen at 125 %

    def set_autosave(self, autosave_s: int) -> None:
        """Say when work is saved: after ``autosave_s`` seconds of unsaved edits (0: off); the
        window calls it again when Preferences change the interval while the dialog is open."""
        self.intro.setText(
            "Correct the proposed mask with the tools below; work is saved when you switch "
            + (
                f"image, after {autosave_s} s of unsaved edits, and on exit."
                if autosave_s
                else "image and on exit (autosave is off)."
            )
            + " Keys can be changed in Preferences."
        )

    def _fill(self) -> None:
        """Show each action's current keys (:func:`shortcut_rows`, :func:`mouse_rows`); nothing
        is redone when they are as shown (an action announces its enabling too)."""
        rows = shortcut_rows(self._actions) + self._other + mouse_rows(self._actions)
        if rows == self.rows:
            return
        self.rows = rows
        self.table.setRowCount(len(rows))
        for row, (text, keys) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(text))
            self.table.setItem(row, 1, QTableWidgetItem(keys))
