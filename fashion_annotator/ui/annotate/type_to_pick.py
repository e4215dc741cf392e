"""Type to pick in combo boxes: letters choose a value, and a choice made by typing counts once.

A non-editable :class:`QComboBox` searches its items as letters are typed, announcing each
match with ``activated``: typing "sk" in a category box announced "sandals", then "skirt", so
the garment became sandals (its pixels shoes in the parsing mask) for a moment and one undo
step later. :class:`TypePicker` keeps the window's one-key shortcuts off the letters typed into
its boxes, applies a choice made with the mouse or the popup at once, and holds one made by
typing until the typing settles (:attr:`TypePicker.settle_ms` after the last letter), the box
loses the focus or Return is pressed; :meth:`TypePicker.commit` applies a held choice at once
(before an undo, a save or another image).

Which item letters pick. The box's own search took the first item in list order that starts
with the letters: "pan" picked "panties" before "pants". The picker searches instead, with
:func:`~fashion_annotator.core.typed_choice.typed_choice` (the item typed in full, else the
shortest that starts with the letters), the letters of one burst of typing (none more than the
application's keyboard input interval apart) read together.

The open list follows the same rule. While a box's popup list is open, the list's own keyboard
search (list order) answered the letters: "pan" highlighted "panties". The picker answers them
there too, with the same letters of one burst and the same rule: the item they pick is
highlighted, and Return or a click picks it.

Spaces. A space typed while the operator types into a box, closed or open, is one of the
letters ("t s" picks "t-shirt", "v n" "V neck": a space matches a space or hyphen of the item);
it was dropped (the closed box opened its list on it), so "t s" searched "ts". Space with
nothing typed yet still does what Qt makes it do: it opens a closed box's list.

Who has the keyboard. A closed drop-down is not a text field to an operator: one who picked a
category with the mouse and then pressed S over the photo meant the superpixel tool, and the
box made the garment sandals. So a box keeps the keyboard only while the operator types there:

- a pick made with the mouse (in the popup, or the wheel) gives the keyboard back to the
  picker's ``home`` (the photo) at once; so does Return (the pick applied) and Esc (a typed
  pick still waiting discarded, the box back to its value);
- the photo takes the keyboard from a closed box when the pointer comes onto it
  (:func:`typing_into`), unless the operator gave the box the keyboard with a key (Alt+C, an
  attribute's Alt+digit, Tab) or typed into it less than :attr:`TypePicker.hold_ms` ago, or a
  typed pick still waits: a pointer crossing the photo just after Alt+C leaves the letters that
  follow to the box, one that comes later takes them for the tool keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QComboBox, QWidget

from fashion_annotator.core.typed_choice import typed_choice

#: The dynamic property of a type-to-pick box: until when (``time.monotonic()``) the operator is
#: taken to be typing there (:func:`typing_into`).
TYPING_UNTIL = "typeToPickTypingUntil"

#: ``bind()`` reads what the box chose for what (the selection) when it was chosen and returns
#: the action that applies it.
Bind = Callable[[], Callable[[], None]]

#: Focus reasons that say the operator gave a box the keyboard with a key (a box's shortcut
#: calls ``setFocus()``: OtherFocusReason).
_KEYBOARD_FOCUS = (
    Qt.FocusReason.ShortcutFocusReason,
    Qt.FocusReason.TabFocusReason,
    Qt.FocusReason.BacktabFocusReason,
    Qt.FocusReason.OtherFocusReason,
)


def typing_into(widget: QWidget) -> bool:
    """Whether ``widget`` is a type-to-pick box the operator is typing into (see the module
    docstring): the photo the pointer comes onto leaves it the keyboard."""
    until = widget.property(TYPING_UNTIL)
    return isinstance(until, float) and time.monotonic() < until


def _typed_text(event: QEvent) -> bool:
    """Whether ``event`` is a key that types a character (no modifier but Shift)."""
    return (
        isinstance(event, QKeyEvent)
        and not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        and event.text().isprintable()
        and bool(event.text().strip())
    )


def _typed_space(event: QEvent) -> bool:
    """Whether ``event`` is Space with no modifier but Shift."""
    return (
        isinstance(event, QKeyEvent)
        and not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        and event.text() == " "
    )


class TypePicker(QObject):
    """Type to pick for the boxes given to :meth:`add` (see the module docstring).

    Parameters
    ----------
    parent : QObject or None
    home : QWidget or None
        Where the keyboard goes after a pick made with the mouse, Return or Esc (the photo).
    """

    def __init__(self, parent: QObject | None = None, home: QWidget | None = None) -> None:
        super().__init__(parent)
        #: How long after the last letter a typed choice is applied: the combo box's own
        #: keyboard search interval, plus a margin.
        self.settle_ms = QApplication.keyboardInputInterval() + 300
        #: How long after a key given to a box (Alt+C, a letter) the photo leaves it the keyboard.
        self.hold_ms = 1500
        self.home = home
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.commit)
        self._pending: Callable[[], None] | None = None
        #: The box a typed choice waits in, and its index before the typing.
        self._before: tuple[QComboBox, int] | None = None
        self._typing: QComboBox | None = None
        self._keyed: QComboBox | None = None
        #: The letters of the burst of typing going on: its box, its text, its last letter's time.
        self._search: tuple[QComboBox | None, str, float] = (None, "", 0.0)
        #: Each box's popup list -> its box (letters typed into an open list).
        self._lists: dict[QAbstractItemView, QComboBox] = {}

    @property
    def pending(self) -> bool:
        """Whether a typed choice waits to be applied."""
        return self._pending is not None

    def add(self, combo: QComboBox, bind: Bind) -> None:
        """Make ``combo`` a type-to-pick box whose choices ``bind`` turns into actions."""
        combo.installEventFilter(self)
        combo.setProperty(TYPING_UNTIL, 0.0)
        view = combo.view()  # its popup: filtered after the popup's own filter, so first
        self._lists[view] = combo
        view.installEventFilter(self)
        combo.activated.connect(lambda _i: self._activated(combo, bind))

    def discard(self) -> None:
        """Forget a typed choice that waits (its image is no longer the one shown)."""
        self._timer.stop()
        self._pending = self._before = None

    def commit(self) -> None:
        """Apply the typed choice that waits, if any."""
        self._timer.stop()
        action, self._pending, self._before = self._pending, None, None
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
        if self._keyed is not combo:  # the mouse (popup, wheel): the operator is done here
            self._go_home(combo)

    def _go_home(self, combo: QComboBox) -> None:
        """Give the keyboard back to :attr:`home` if ``combo`` has it."""
        combo.setProperty(TYPING_UNTIL, 0.0)
        if self.home is not None and combo.hasFocus() and self.home.isVisible():
            self.home.setFocus(Qt.FocusReason.OtherFocusReason)

    def _escape(self, combo: QComboBox) -> None:
        """Esc: discard a typed choice that waits (the box shows its value again), go home."""
        if self._before is not None and self._before[0] is combo:
            combo.setCurrentIndex(self._before[1])
        self.discard()
        self._go_home(combo)

    def _typed(self) -> None:
        self._typing = self._keyed = None

    def _hold(self, combo: QComboBox) -> None:
        """The operator gives ``combo`` a key: it keeps the keyboard for :attr:`hold_ms`."""
        combo.setProperty(TYPING_UNTIL, time.monotonic() + self.hold_ms / 1000)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if isinstance(watched, QAbstractItemView) and watched in self._lists:
            return self._list_key(self._lists[watched], watched, event)
        if not isinstance(watched, QComboBox):
            return False
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride and self._letter(watched, event):
            event.accept()  # the letter is the box's, not a window shortcut's (G, S, ...)
            return True
        if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._key(watched, event)
        if kind == QEvent.Type.FocusIn and isinstance(event, QFocusEvent):
            if event.reason() in _KEYBOARD_FOCUS:
                self._hold(watched)
            elif event.reason() == Qt.FocusReason.MouseFocusReason:
                watched.setProperty(TYPING_UNTIL, 0.0)
        elif kind == QEvent.Type.FocusOut:
            self.commit()
        return False

    def _key(self, combo: QComboBox, event: QKeyEvent) -> bool:
        """A key pressed in the closed ``combo``: whether it is used up here."""
        if event.key() == Qt.Key.Key_Escape:
            self._escape(combo)
            return True
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.commit()
            self._go_home(combo)
            return True
        self._hold(combo)
        self._keyed = combo  # a pick it makes (Down, a letter) is the keyboard's
        QTimer.singleShot(0, self._typed)
        if not self._letter(combo, event):
            return False  # Space with nothing typed: Qt opens the list
        self._typing = combo  # the search below emits activated at once
        if self._before is None or self._before[0] is not combo:
            self.commit()
            self._before = (combo, combo.currentIndex())
        self._search_for(combo, event.text())
        return True

    def _list_key(self, combo: QComboBox, view: QAbstractItemView, event: QEvent) -> bool:
        """An event of ``combo``'s popup list: whether it is used up here (a letter typed)."""
        if not isinstance(event, QKeyEvent) or not self._letter(combo, event):
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            event.accept()  # the letter is the list's, not a window shortcut's
            return True
        if event.type() != QEvent.Type.KeyPress:
            return False
        row = view.currentIndex().row()
        index = typed_choice(_items(combo), self._letters(combo, event.text()), row)
        if index is not None and index != row:
            column, root = combo.modelColumn(), combo.rootModelIndex()
            view.setCurrentIndex(combo.model().index(index, column, root))
        return True

    def _letter(self, combo: QComboBox, event: QEvent) -> bool:
        """Whether ``event`` types a letter of the search in ``combo``: a character, or a space
        while a burst of typing into ``combo`` goes on (see the module docstring)."""
        if not _typed_space(event):
            return _typed_text(event)
        return bool(self._burst(combo))

    def _burst(self, combo: QComboBox) -> str:
        """The letters of the burst of typing into ``combo`` going on ("" when none): a burst
        ends when no letter comes for the keyboard input interval."""
        box, typed, last = self._search
        fresh = time.monotonic() - last <= QApplication.keyboardInputInterval() / 1000
        return typed if box is combo and fresh else ""

    def _letters(self, combo: QComboBox, text: str) -> str:
        """``text`` added to the letters of the burst of typing into ``combo`` (closed, or its
        list open)."""
        typed = self._burst(combo) + text
        self._search = (combo, typed, time.monotonic())
        return typed

    def _search_for(self, combo: QComboBox, text: str) -> None:
        """Add ``text`` to the letters typed into ``combo`` and pick the item they choose
        (:func:`~fashion_annotator.core.typed_choice.typed_choice`), as the box's own search
        does: the current index set, ``activated`` emitted when it changed."""
        index = typed_choice(_items(combo), self._letters(combo, text), combo.currentIndex())
        if index is not None and index != combo.currentIndex():
            combo.setCurrentIndex(index)
            combo.activated.emit(index)


def _items(combo: QComboBox) -> list[str]:
    """The texts of ``combo``'s items, in list order."""
    return [combo.itemText(i) for i in range(combo.count())]
