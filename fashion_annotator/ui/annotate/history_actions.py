"""The window's Undo and Redo: enabled only while there is a step to take, and said in the
status bar when taken (which mask, and whether it is back at what was saved or opened).

What Ctrl+Z takes depends on where the focus is (:meth:`~.main_window.MainWindow.undo`): the
Instances panel's own step while the panel has the focus, else the canvas's (a polygon vertex,
a gesture in progress, or a step of the shown mask). The actions follow every change of that:
the canvas's tool and mask, the instances, the focus, the open image, the tab.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from fashion_annotator.core.tasks import task_title
from fashion_annotator.ui.shortcuts import key_name, set_enabled, why_disabled

if TYPE_CHECKING:
    from fashion_annotator.ui.main_window import MainWindow

__all__ = ["HistoryActions", "step_text"]

#: The actions this keeps (the window's ``actions_by_name`` keys).
NAMES = ("undo", "redo")


def step_text(which: str, task: str, clean: bool, fresh: bool, pending: tuple[str, ...] = (), photo: str = "") -> str:
    """What the status bar says after an undo or redo (``which``) of ``task``'s mask: ``clean``,
    it is back at what was saved (``fresh``: never saved, what the photo opened with).

    Undo and Redo are per mask: back at the saved mask, the other masks of ``pending`` may still
    hold unsaved edits (a cutout erased, Tab, a parsing stroke undone said "nothing to save"
    beside the Unsaved mark); the text then names them, of ``photo``, and the key that shows
    them (Switch task's)."""
    text = f"{'Undid' if which == 'undo' else 'Redid'} a step of the {task_title(task)} mask"
    if not clean:
        return text
    back = f"it is as {'the photo opened' if fresh else 'saved'} again"
    if not pending:
        return f"{text}: {back}, nothing to save"
    masks = " and ".join(f"the {task_title(t)} mask" for t in pending)
    of = f" of {photo}" if photo else ""
    have, them = ("have", "them") if len(pending) > 1 else ("has", "it")
    return f"{text}: {back}; {masks}{of} still {have} unsaved edits ({key_name('switch_task', 'Tab')} shows {them})"


class HistoryActions(QObject):
    """Keeps ``window``'s Undo and Redo actions enabled exactly while they have a step to take.

    Parameters
    ----------
    window : MainWindow
        Built up to its Instances panel and actions.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._w = window
        window.canvas.stepsChanged.connect(self.refresh)
        window.canvas.edited.connect(self.refresh)
        window.session.imageOpened.connect(self.refresh)
        window.session.readOnlyChanged.connect(self.refresh)
        window.session.maskReplaced.connect(self.refresh)
        window.instances.changed.connect(self.refresh)
        window.tabs.currentChanged.connect(self.refresh)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self.refresh)
        self.refresh()

    def in_instances(self) -> bool:
        """Whether the Instances panel has the keyboard focus (Ctrl+Z is then the panel's)."""
        focus = QApplication.focusWidget()
        return focus is not None and self._w.instances.isAncestorOf(focus)

    def can_step(self, which: str) -> bool:
        """Whether the window's ``which`` ("undo" or "redo") has a step to take now."""
        w = self._w
        cur = w.session.current
        if cur is None or cur.read_only or w.tabs.currentIndex() != 0:
            return False
        if self.in_instances():
            doc = w.instances.doc
            return doc is not None and (doc.can_undo if which == "undo" else doc.can_redo)
        return w.canvas.can_step(which) or w.instances.links(which, w.task)

    def why_not(self, which: str) -> str:
        """Why the window's ``which`` ("undo" or "redo") has no step to take now."""
        w = self._w
        cur = w.session.current
        if cur is None:
            return why_disabled("no_photo")
        if cur.read_only:
            return why_disabled("read_only")
        if w.tabs.currentIndex() != 0:
            return why_disabled("undo_in_review")
        if self.in_instances():
            return why_disabled("nothing_in_instances", which=which)
        return why_disabled("nothing_on_mask", which=which, task=task_title(w.task))

    def refresh(self, *_args: Any) -> None:
        """Enable Undo and Redo as :meth:`can_step` says; a disabled one's tooltip and status
        tip say why (:meth:`why_not`), as the read-only photo's refused clicks do, and keep
        saying it when its key changes in Preferences (:func:`.shortcuts.set_enabled`)."""
        for which in NAMES:
            action = self._w.actions_by_name.get(which)
            if action is not None:
                can = self.can_step(which)
                set_enabled(action, can, "" if can else self.why_not(which))

    def canvas_step(self, which: str) -> None:
        """Take the canvas's ``which`` and say in the status bar what it did."""
        w = self._w
        box = getattr(w.canvas, which)()
        cur = w.session.current
        if box is not None and cur is not None:
            task = w.canvas.task
            clean = task not in cur.edited
            pending = tuple(t for t in cur.doc.tasks if t in cur.edited and t != task)
            photo = w.display_name(w.open_record) if w.open_record is not None else ""
            text = step_text(which, task, clean, task in cur.fresh, pending, photo)
            w.status.showMessage(text, 10000 if pending else 5000)
