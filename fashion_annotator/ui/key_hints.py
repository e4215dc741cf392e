"""Tooltips of panel widgets that name a window action's key, kept true when the key changes.

The boundaries box above the photo named R (the key is G; R rejects in Review), and the task
buttons (Tab) and the zoom field (Ctrl+0) kept naming the default key after the operator gave
the command another one in Preferences. Each such tooltip now names the action's current first
key, and none when the action has no key.

:func:`mnemonic_keys` names the Alt+letter keys the window's menus and panel buttons own, which
Preferences refuses for a command.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QLabel, QMainWindow, QWidget


def current_key(action: QAction) -> str:
    """The native text of ``action``'s first key, ``""`` when it has none."""
    keys = [k for k in action.shortcuts() if not k.isEmpty()]
    return keys[0].toString(QKeySequence.SequenceFormat.NativeText) if keys else ""


class KeyHint(QObject):
    """Keeps ``widget``'s tooltip as ``text`` plus ``suffix`` naming ``action``'s key.

    A child of ``widget``: it goes with the widget, and its connection to the action with it.

    Parameters
    ----------
    widget : QWidget
        The widget whose tooltip names the key.
    text : str
        The tooltip without the key.
    suffix : str
        Appended while the action has a key; ``{key}`` stands for the key, e.g. `` ({key})``.
    action : QAction
        The action whose first key is named.
    """

    def __init__(self, widget: QWidget, text: str, suffix: str, action: QAction) -> None:
        super().__init__(widget)
        self.widget = widget
        self.text = text
        self.suffix = suffix
        self.action = action
        action.changed.connect(self.update)
        self.update()

    def update(self) -> None:
        """Name the action's current key in the widget's tooltip."""
        key = current_key(self.action)
        self.widget.setToolTip(self.text + (self.suffix.format(key=key) if key else ""))


def mnemonic_keys(window: QMainWindow) -> dict[str, str]:
    """Alt+letter -> what it opens: the menu bar's menus, and the buttons and labelled boxes of
    ``window``'s panels (its dialogs left out), enabled or not.

    A command given one of these keys in Preferences never ran: Alt+F opened the File menu, and
    Alt+P (the Instances panel's Propose) ran neither (Qt's "ambiguous shortcut").
    """
    keys: dict[str, str] = {}

    def add(text: str, what: str) -> None:
        key = QKeySequence.mnemonic(text).toString(QKeySequence.SequenceFormat.PortableText)
        if key:
            keys.setdefault(key, what)

    for action in window.menuBar().actions():
        add(action.text(), f"the {action.text().replace('&', '')} menu")
    for button in window.findChildren(QAbstractButton):
        if button.window() is window:
            add(button.text(), f"the {button.text().replace('&', '')} button")
    for label in window.findChildren(QLabel):
        if label.window() is window and label.buddy() is not None:
            add(label.text(), f"the {label.text().replace('&', '').rstrip(':')} box")
    return keys
