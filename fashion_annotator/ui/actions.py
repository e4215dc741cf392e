"""Action helpers of the main window: the tool table, action construction, read-only guard."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QWidget

from fashion_annotator.ui.icons import icon

TOOLS = (  # name, menu text, shortcut
    ("brush", "&Brush", "B"),
    ("eraser", "&Eraser", "E"),
    ("polygon", "&Polygon", "P"),
    ("superpixel", "&Superpixel", "S"),
    ("fill", "&Fill", "F"),
    ("pick", "Pick &label", "I"),
    ("smartclick", "Smart &click", "C"),
)

#: Tool name -> what a click or drag does: the tool's tooltip and status tip say it after its
#: name and key (README's Annotate keys, Help's mouse rows).
TOOL_TIPS = {
    "brush": "drag to paint the selected label",
    "eraser": "drag to erase (back to background)",
    "polygon": "click the corners; Enter or a click on the first one fills it (Shift: cuts it out)",
    "superpixel": "click a region to give it the selected label; drag to paint whole regions",
    "fill": "click a blob of the mask to give all of it the selected label",
    "pick": "click the mask to select the label under the cursor",
    "smartclick": "left click: the model adds the object there (on a cutout, whatever label is selected), "
                  "right-click removes; drag a box around an object",
}

Keys = str | QKeySequence.StandardKey | Sequence[str] | None


def make_action(
    parent: QWidget, name: str, text: str, keys: Keys, slot: Callable[[], object],
    icon_name: str | None = None,
) -> QAction:  # fmt: skip
    """Return a window-wide action whose tooltip names its first shortcut.

    Parameters
    ----------
    parent : QWidget
        Owner; the action is added to it so its shortcut works without a menu.
    name : str
        Object name, used by tests and the help dialog.
    text : str
        Menu text (``&`` marks the mnemonic).
    keys : str, StandardKey, list of str, or None
        Shortcut(s).
    slot : callable
        Called without arguments when triggered.
    icon_name : str, optional
        Icon file stem under ``resources/icons``.
    """
    action = QAction(text, parent)
    action.setObjectName(name)
    listed: list[str | QKeySequence.StandardKey]
    if keys is None:
        listed = []
    elif isinstance(keys, (str, QKeySequence.StandardKey)):
        listed = [keys]
    else:
        listed = list(keys)
    seqs = [
        QKeySequence(k) if isinstance(k, QKeySequence.StandardKey) else QKeySequence(str(k))
        for k in listed
        if k
    ]
    action.setShortcuts(seqs)
    if icon_name:
        action.setIcon(icon(icon_name))
        action.setProperty("iconName", icon_name)
    tip = text.replace("&", "")
    if seqs:
        tip += f" ({seqs[0].toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(lambda _checked=False: slot())
    parent.addAction(action)
    return action


def refresh_icons(actions: Iterable[QAction]) -> None:
    """Redraw the actions' icons in the current palette's colours (after a theme change)."""
    for action in actions:
        name = action.property("iconName")
        if name:
            action.setIcon(icon(str(name)))


#: Said when an editing click on a read-only image is swallowed. The banner says why (a project
#: folder that cannot be written, a colleague's lease, a lease lost); this said "another operator
#: is editing this image" whatever the reason, on a read-only project too.
READ_ONLY_CLICK = "Read-only: this image cannot be edited; the banner above it says why"


class ReadOnlyGuard(QObject):
    """Event filter that swallows editing clicks (left and right button) while ``is_read_only()``;
    zoom and pan work.

    Parameters
    ----------
    is_read_only : callable
        Returns whether the shown image is read-only.
    notify : callable
        Called with a message when a click was swallowed.
    """

    def __init__(
        self, is_read_only: Callable[[], bool], notify: Callable[[str], None], parent: QObject
    ) -> None:
        super().__init__(parent)
        self._is_read_only = is_read_only
        self._notify = notify

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        presses = (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick)
        if not isinstance(event, QMouseEvent) or event.type() not in (*presses, QEvent.Type.MouseButtonRelease):
            return False
        # the left and the right button edit (Smart click's right click is a negative click);
        # the middle button pans
        if event.button() not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            return False
        if event.type() == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            return False
        if not self._is_read_only():
            return False
        if event.type() in presses:
            self._notify(READ_ONLY_CLICK)
        return True
