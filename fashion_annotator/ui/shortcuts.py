"""Customisable keyboard shortcuts: defaults from the actions, overrides in the preferences.

Every key of the window is either a window action's (menus, tools, labels) or one of the
Review tab's (:data:`~fashion_annotator.ui.review.view.REVIEW_KEYS`); no key may mean two
things, so an override that would reuse a taken key is refused with the name of its owner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt, Signal
from PySide6.QtGui import QAction, QFocusEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QKeySequenceEdit, QTableWidget, QTableWidgetItem, QWidget

from fashion_annotator.ui.search_field import name_clear_button

if TYPE_CHECKING:
    from fashion_annotator.ui.preferences import Preferences

_DEFAULTS = "defaultShortcuts"
NATIVE = QKeySequence.SequenceFormat.PortableText


def key_text(keys: Iterable[QKeySequence]) -> list[str]:
    """Portable text of each non-empty key sequence."""
    return [t for t in (k.toString(NATIVE) for k in keys) if t]


#: Action name -> how a message names its key now (:func:`key_name`).
_NAMED: dict[str, str] = {}


def _remember(action: QAction) -> None:
    """Note the key ``action`` has now, for the messages that name it (none while it has its
    default keys: the message's own wording names them)."""
    if key_text(action.shortcuts()) == default_keys(action):
        _NAMED.pop(action.objectName(), None)
        return
    first = [k for k in action.shortcuts() if not k.isEmpty()][:1]
    text = first[0].toString(QKeySequence.SequenceFormat.NativeText) if first else ""
    _NAMED[action.objectName()] = text or f"“{_title(action)}”"


def key_name(name: str, default: str) -> str:
    """The key of the window action ``name`` as a message names it: the operator's key, the
    command's name in quotes when it has none, ``default`` while it has its default keys.

    Messages named the default keys (Ctrl+Z undoes, Ctrl+D marks done) after the operator had
    given those commands other keys in Preferences.
    """
    return _NAMED.get(name, default)


def _title(action: QAction) -> str:
    """The command's name as the Keyboard table shows and sorts it: its menu text without the
    mnemonic marks (sorted with them, every "&Name" came before every other name)."""
    return action.text().replace("&", "")


def default_keys(action: QAction) -> list[str]:
    """The keys ``action`` had when it was built (before any override)."""
    value = action.property(_DEFAULTS)
    return list(value) if value is not None else key_text(action.shortcuts())


#: The action property naming why the action is disabled (:func:`refresh_tip` says it).
DISABLED_REASON = "disabledReason"
#: The action property saying what the action does (:func:`describe`, :func:`refresh_tip`).
DOES = "does"

#: Why a window action is disabled, by cause: the one wording of each reason a greyed menu
#: item, tool-bar button or Panels item gives in its tooltip and status tip (:func:`set_enabled`),
#: and a greyed Instances panel button in its tooltip (:mod:`.annotate.instance_buttons`).
#: ``{which}`` is "undo" or "redo", ``{task}`` a mask's task title.
WHY_DISABLED: dict[str, str] = {
    "annotate_tab": "it works in the Annotate tab",
    "panel_in_review": "the panel shows in the Annotate tab",
    "no_recent": "no other project was opened before",
    "no_photo": "no photo open",
    "read_only": "the photo is open read-only",
    "undo_in_review": "edits are undone in the Annotate tab",
    "nothing_in_instances": "nothing to {which} in the Instances panel",
    "nothing_on_mask": "nothing to {which} on the {task} mask",
    "one_instance": "select one instance",
    "two_instances": "select two instances or more",
    "an_instance": "select an instance",
}


def why_disabled(cause: str, key: str = "", **fields: str) -> str:
    """The reason :data:`WHY_DISABLED` words for ``cause``, its ``fields`` filled in, with the
    ``key`` that helps (the Annotate tab's) named after it when there is one."""
    text = WHY_DISABLED[cause].format(**fields)
    return f"{text} ({key})" if key else text


def set_enabled(action: QAction, enabled: bool, reason: str = "") -> None:
    """Enable ``action``, or disable it saying why: while it is disabled its tooltip and status
    tip (shown when the pointer rests on the greyed menu item) end with ``reason``
    (:func:`why_disabled`); enabled, they name the command and its key only."""
    action.setProperty(DISABLED_REASON, "" if enabled else reason)
    action.setEnabled(enabled)
    refresh_tip(action)


def refresh_tip(action: QAction) -> None:
    """``action``'s tooltip and status tip: its name, its first key and what it does (its
    :data:`DOES` property, when set) or, while it is disabled, why (its
    :data:`DISABLED_REASON` property, when set)."""
    tip = action.text().replace("&", "")
    keys = [k for k in action.shortcuts() if not k.isEmpty()]
    if keys:
        tip += f" ({keys[0].toString(QKeySequence.SequenceFormat.NativeText)})"
    reason = action.property(DISABLED_REASON)
    does = action.property(DOES)
    if reason and not action.isEnabled():
        tip += f": {reason}"
    elif does:
        tip += f": {does}"
    action.setToolTip(tip)
    action.setStatusTip(tip)


def describe(action: QAction, does: str) -> None:
    """Say in ``action``'s tooltip and status tip what it does (``"click a region to give it
    the selected label"``), after its name and key: "Superpixel (S)" alone taught nothing.

    Parameters
    ----------
    action : QAction
        A window action.
    does : str
        One short line, lower case, no full stop.
    """
    action.setProperty(DOES, does)
    refresh_tip(action)


def set_keys(action: QAction, keys: list[str]) -> None:
    """Give ``action`` the ``keys`` and name the first one in its tooltip."""
    if action.property(_DEFAULTS) is None:
        action.setProperty(_DEFAULTS, key_text(action.shortcuts()))
    action.setShortcuts([QKeySequence(k) for k in keys])
    refresh_tip(action)
    _remember(action)


def apply_overrides(actions: Iterable[QAction], prefs: Preferences) -> None:
    """Give each action the operator's keys where the preferences hold some."""
    for action in actions:
        keys = prefs.shortcut(action.objectName())
        if action.property(_DEFAULTS) is None:
            action.setProperty(_DEFAULTS, key_text(action.shortcuts()))
        if keys is not None:
            set_keys(action, keys)
        _remember(action)


def drop_refused(actions: Iterable[QAction], prefs: Preferences, owned: Mapping[str, str]) -> list[str]:
    """Give each action whose saved keys hold one of the ``owned`` keys its default keys back,
    and forget the saved ones; return one note per action given back.

    Preferences refuses an Alt+letter that a menu or a panel button opens (``owned``: key ->
    what opens), but a key saved before the menu or button took that letter was still applied
    at every start, and the command never ran on it (the menu opened, or Qt's "ambiguous
    shortcut" ran neither).
    """
    taken = {QKeySequence(k).toString(NATIVE): what for k, what in owned.items()}
    notes = []
    for action in actions:
        saved = prefs.shortcut(action.objectName()) or []
        clash = [k for k in (QKeySequence(s).toString(NATIVE) for s in saved) if k in taken]
        if clash:
            prefs.set_shortcut(action.objectName(), None)
            set_keys(action, default_keys(action))
            default = ", ".join(default_keys(action)) or "no key"
            notes.append(f"The saved key {clash[0]} of “{_title(action)}” opens {taken[clash[0]]}: "
                         f"it has its default key again ({default})")  # fmt: skip
    return notes


def owners(
    assignment: Mapping[str, list[str]], reserved: Mapping[str, str]
) -> dict[str, list[str]]:
    """Key -> every owner of it: the actions of ``assignment`` and the ``reserved`` keys."""
    out: dict[str, list[str]] = {}
    for key, owner in reserved.items():
        out.setdefault(QKeySequence(key).toString(NATIVE), []).append(owner)
    for name, keys in assignment.items():
        for key in keys:
            out.setdefault(QKeySequence(key).toString(NATIVE), []).append(name)
    return out


def conflicts(
    assignment: Mapping[str, list[str]], reserved: Mapping[str, str]
) -> dict[str, list[str]]:
    """The keys with more than one owner."""
    return {k: v for k, v in owners(assignment, reserved).items() if len(v) > 1}


_SHIFT = Qt.KeyboardModifier.ShiftModifier
#: Keys that end a key field's recording and move the focus on, as everywhere else.
LEAVE_FIELD = [QKeyCombination(Qt.Key.Key_Tab), QKeyCombination(Qt.Key.Key_Backtab),
               QKeyCombination(_SHIFT, Qt.Key.Key_Tab), QKeyCombination(_SHIFT, Qt.Key.Key_Backtab)]  # fmt: skip
_MODIFIER_KEYS = (Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta, Qt.Key.Key_AltGr)


class KeyField(QKeySequenceEdit):
    """The key field of one command: Tab and Shift+Tab move the focus on, and the key shown
    stays until another key (with its modifiers) is pressed.

    Qt's field cleared its key at the press of a modifier alone and recorded Shift+Tab as a
    key: Shift+Tab left the command with no key, or with Shift+Backtab, and kept the focus (a
    keyboard-only operator could not go back out of the field).
    """

    def __init__(self, keys: QKeySequence, parent: QWidget | None = None) -> None:
        super().__init__(keys, parent)
        self.setMaximumSequenceLength(1)
        self.setFinishingKeyCombinations(LEAVE_FIELD)
        # not a Tab stop: the table is one (59 fields took 55 Tabs to cross); a click, or Enter
        # on the table's row, opens the field
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() not in _MODIFIER_KEYS:  # a modifier waits for its key
            super().keyPressEvent(event)


class ShortcutEditor(QTableWidget):
    """A table of the window's actions and their keys, edited in place.

    The table is one Tab stop: the arrow keys choose a command, Enter (or F2) opens its key
    field, Esc backs out of it (the key kept), Tab moves on past the table and Shift+Tab back
    to it.

    A key already used by another action, by the Review tab (``reserved``) or by a panel
    (``panel_keys``: the Instances panel's Alt+I, Alt+C, Alt+digits and Delete) is refused:
    :meth:`assign` returns the reason, :attr:`refused` carries it to the dialog (empty when a
    key is taken) and the table keeps the old key. An action's further keys (Ctrl+Enter, the
    keypad's twin of Ctrl+Return) are named in the key's tooltip and kept until the key changes.
    """

    #: The reason the last key was refused, or "" once a key is taken.
    refused = Signal(str)

    def __init__(
        self,
        actions: Iterable[QAction],
        prefs: Preferences,
        reserved: Mapping[str, str],
        parent: QWidget | None = None,
        panel_keys: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(0, 3, parent)
        self.prefs = prefs
        self.reserved = dict(reserved)
        #: Keys of the window's panels, each with what it does there (named in full).
        self.panel_keys = dict(panel_keys or {})
        self.named_actions = {a.objectName(): a for a in actions if a.objectName()}
        self.keys = {name: key_text(a.shortcuts()) for name, a in self.named_actions.items()}
        self.changed: set[str] = set()
        self.setHorizontalHeaderLabels(["Command", "Key", "Default"])
        self.verticalHeader().setVisible(False)
        self.setTabKeyNavigation(False)  # Tab moves on to the dialog's buttons
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.horizontalHeader().setStretchLastSection(True)
        self._rows: dict[str, KeyField] = {}
        for name, action in sorted(self.named_actions.items(), key=lambda i: _title(i[1]).lower()):
            row = self.rowCount()
            self.insertRow(row)
            title = QTableWidgetItem(_title(action))
            title.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.setItem(row, 0, title)
            edit = KeyField(QKeySequence(self.keys[name][0] if self.keys[name] else ""))
            name_clear_button(edit, "Remove this key (the command then has none)")
            self._tip(edit, self.keys[name])
            edit.editingFinished.connect(lambda n=name, e=edit: self._edited(n, e))
            edit.installEventFilter(self)  # a click into a field makes its row the current one
            self.setCellWidget(row, 1, edit)
            default = QTableWidgetItem(", ".join(default_keys(action)))
            default.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.setItem(row, 2, default)
            self._rows[name] = edit
        self.resizeColumnsToContents()
        self.last_error = ""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2) and self.rowCount():
            row = max(self.currentRow(), 0)
            field = self.cellWidget(row, 1)
            if field is not None:
                field.setFocus(Qt.FocusReason.OtherFocusReason)
                return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        if self.currentRow() < 0 and self.rowCount():
            self.setCurrentCell(0, 0)  # a row is shown chosen: Enter opens its key
        super().focusInEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and isinstance(watched, KeyField)
            and event.key() == Qt.Key.Key_Escape
            and not event.modifiers()
        ):
            # Esc backs out of the field, its key kept (it became the command's key, and the
            # dialog could not be left with Esc); Esc again, on the table, closes the dialog
            self.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, KeyField):
            row = next((r for r in range(self.rowCount()) if self.cellWidget(r, 1) is watched), -1)
            if row >= 0 and row != self.currentRow():
                self.setCurrentCell(row, 0)
        return super().eventFilter(watched, event)

    def assign(self, name: str, key: str) -> str | None:
        """Give action ``name`` the single ``key`` (``""``: none); the reason if refused."""
        native = QKeySequence(key).toString(NATIVE) if key else ""
        if self.keys[name][:1] == ([native] if native else []):
            return None  # the key shown is kept, with the action's further keys
        if native:
            taken = {k: owner for owner, ks in self.keys.items() if owner != name for k in ks}
            for reserved_key, what in self.reserved.items():
                taken[QKeySequence(reserved_key).toString(NATIVE)] = f"Review: {what}"
            for panel_key, what in self.panel_keys.items():  # both fired none: "Ambiguous shortcut"
                taken[QKeySequence(panel_key).toString(NATIVE)] = what
            if native in taken:
                owner = taken[native]
                title = self.named_actions[owner].text() if owner in self.named_actions else owner
                self.last_error = f"{native} is already the key of “{title.replace('&', '')}”"
                return self.last_error
        self.keys[name] = [native] if native else []
        self.changed.add(name)
        return None

    def _edited(self, name: str, edit: QKeySequenceEdit) -> None:
        """A key field's editing finished: assign its key, or put the action's back and say
        why. The reason stays until a key is changed: the field finishes again when it loses
        the focus, its key unchanged, and that says nothing (it emptied the reason)."""
        key = edit.keySequence().toString(NATIVE)
        before = list(self.keys[name])
        error = self.assign(name, key)
        current = self.keys[name]
        if error is not None:
            edit.setKeySequence(QKeySequence(current[0] if current else ""))
        self._tip(edit, current)
        if error is not None or current != before:
            self.refused.emit(error or "")

    @staticmethod
    def _tip(edit: QKeySequenceEdit, keys: list[str]) -> None:
        edit.setToolTip(f"Also: {', '.join(keys[1:])}" if len(keys) > 1 else "")

    def reset(self) -> None:
        """Every action back to its default keys."""
        for name, action in self.named_actions.items():
            self.keys[name] = default_keys(action)
            self._rows[name].setKeySequence(
                QKeySequence(self.keys[name][0] if self.keys[name] else "")
            )
            self._tip(self._rows[name], self.keys[name])
            self.changed.add(name)

    def save(self) -> None:
        """Store the edited keys (a default is stored as no override) and apply them."""
        for name in self.changed:
            action = self.named_actions[name]
            keys = self.keys[name]
            same = keys == default_keys(action)
            self.prefs.set_shortcut(name, None if same else keys)
            set_keys(action, keys)
