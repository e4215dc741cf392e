"""Type to pick in combo boxes: letters choose a value, and a choice made by typing counts once.

A non-editable :class:`QComboBox` searches its items as letters are typed, announcing each
match with ``activated``: typing "sk" in a category box announced "sandals", then "skirt", so
the garment became sandals (its pixels shoes in the parsing mask) for a moment and one undo
step later. :class:`TypePicker` keeps the window's one-key shortcuts off the letters typed into
its boxes, applies a choice made with the mouse or the popup at once, and holds one made by
typing until the typing settles (:attr:`TypePicker.settle_ms` after the last letter), the box
loses the focus or Return is pressed; :meth:`TypePicker.commit` applies a held choice at once
(before an undo, a save or another image).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QComboBox

#: The dynamic property of a type-to-pick box (the photo does not take the keyboard from it
#: when the pointer passes over: ``ui.annotate.image_view``).
TYPE_TO_PICK = "typeToPick"

#: ``bind()`` reads what the box chose for what (the selection) when it was chosen and returns
#: the action that applies it.
Bind = Callable[[], Callable[[], None]]


def _typed_text(event: QEvent) -> bool:
    """Whether ``event`` is a key that types a character (no modifier but Shift)."""
    return (
        isinstance(event, QKeyEvent)
        and not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        and event.text().isprintable()
        and bool(event.text().strip())
    )


class TypePicker(QObject):
    """Type to pick for the boxes given to :meth:`add` (see the module docstring)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        #: How long after the last letter a typed choice is applied: the combo box's own
        #: keyboard search interval, plus a margin.
        self.settle_ms = QApplication.keyboardInputInterval() + 300
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.commit)
        self._pending: Callable[[], None] | None = None
        self._typing: QComboBox | None = None

    @property
    def pending(self) -> bool:
        """Whether a typed choice waits to be applied."""
        return self._pending is not None

    def add(self, combo: QComboBox, bind: Bind) -> None:
        """Make ``combo`` a type-to-pick box whose choices ``bind`` turns into actions."""
        combo.installEventFilter(self)
        combo.setProperty(TYPE_TO_PICK, True)  # the canvas leaves such a box the keyboard
        combo.activated.connect(lambda _i: self._activated(combo, bind))

    def discard(self) -> None:
        """Forget a typed choice that waits (its image is no longer the one shown)."""
        self._timer.stop()
        self._pending = None

    def commit(self) -> None:
        """Apply the typed choice that waits, if any."""
        self._timer.stop()
        action, self._pending = self._pending, None
        if action is not None:
            action()

    def _activated(self, combo: QComboBox, bind: Bind) -> None:
        action = bind()
        if self._typing is combo:  # a keyboard search match: wait for the next letter
            self._pending = action
            self._timer.start(self.settle_ms)
            return
        self.commit()
        action()

    def _typed(self) -> None:
        self._typing = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if not isinstance(watched, QComboBox):
            return False
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride and _typed_text(event):
            event.accept()  # the letter is the box's, not a window shortcut's (G, S, ...)
            return True
        if kind == QEvent.Type.KeyPress and _typed_text(event):
            self._typing = watched  # the search it starts emits activated at once
            QTimer.singleShot(0, self._typed)
        elif kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.key() in (
            Qt.Key.Key_Return, Qt.Key.Key_Enter,
        ):  # fmt: skip
            self.commit()
        elif kind == QEvent.Type.FocusOut:
            self.commit()
        return False
