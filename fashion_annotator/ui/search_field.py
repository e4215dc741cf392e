"""The search-by-name field of the image list and the Review table."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QKeySequenceEdit, QLineEdit, QToolButton, QWidget

__all__ = ["SearchField", "name_clear_button"]


def name_clear_button(edit: QLineEdit | QKeySequenceEdit, tip: str) -> None:
    """Turn on ``edit``'s clear button with the tooltip ``tip`` (Qt's own button had none).

    The tip goes on the button, not on its action: a changed action makes the field reserve the
    hidden button's room (26 px more least width, which pushed the window past a 150 % laptop
    screen).

    A :class:`SearchField`'s button gives the keyboard back too (:meth:`SearchField.give_back`):
    it stayed in the emptied box, and Ctrl+Z there brought the search back instead of undoing
    a step of the mask."""
    edit.setClearButtonEnabled(True)
    clear = edit.findChild(QAction, "_q_qlineeditclearaction")
    if isinstance(edit, SearchField) and clear is not None:
        clear.triggered.connect(edit.give_back)  # after the field's own slot: the text is gone
    for button in edit.findChildren(QToolButton):
        if button.defaultAction() is clear:
            button.setToolTip(tip)


class SearchField(QLineEdit):
    """A search by name: Esc gives the keyboard back to :attr:`photo` (the photo, or the
    Review table) and keeps the filter; Esc with nothing typed since the field got the keyboard
    clears it too (the keys of the tools, or Review's A and R, then work again). Its clear
    button (:func:`name_clear_button`) gives the keyboard back as well.

    Parameters
    ----------
    home : QWidget or None
        Where Esc and the clear button send the keyboard.
    """

    def __init__(self, home: QWidget | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Where Esc sends the keyboard (``QLineEdit.home`` is a method).
        self.photo = home
        self._typed = False
        self._empty_width: int | None = None  # the least width asked for with no text
        self.textEdited.connect(self._edited)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        """As narrow with a name typed as empty: the clear button the first letter shows asked
        for its room, which widened the Images panel and the window past a laptop screen at
        150 % (26 px, never given back when the box was cleared)."""
        hint = super().minimumSizeHint()
        if not self.text():
            self._empty_width = hint.width()
        elif self._empty_width is not None:
            hint.setWidth(min(hint.width(), self._empty_width))
        return hint

    def _edited(self, _text: str) -> None:
        self._typed = True

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        self._typed = False
        super().focusInEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() != Qt.Key.Key_Escape:
            super().keyPressEvent(event)
            return
        if not self._typed:
            self.clear()
        self._typed = False
        self.give_back()
        event.accept()

    def give_back(self) -> None:
        """Give the keyboard to :attr:`photo` when it shows (Esc, and the clear button)."""
        if self.photo is not None and self.photo.isVisible():
            self.photo.setFocus(Qt.FocusReason.OtherFocusReason)
