"""Edit > Go back to an earlier version…: the shown mask of the open photo put back to one of
its saved versions, as one undoable edit.

Every save adds a version and none is ever written over, but the window had no way to reach
them: a stray edit saved on leave (a finished photo clicked by mistake, then PgDn) stayed the
photo's mask. The operator now picks a version (number, time, who) and it
comes back as an edit like any other: unsaved until saved (as a new version on top), and
Ctrl+Z takes it back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog, QWidget

from fashion_annotator.annotate.session import replace_mask
from fashion_annotator.core.tasks import task_title
from fashion_annotator.dataset.display import photo_name
from fashion_annotator.dataset.records import MaskVersion, ProjectError

if TYPE_CHECKING:
    from fashion_annotator.ui.main_window import MainWindow

__all__ = ["ACTION_TEXT", "ask_version", "go_back", "version_rows"]

#: The Edit menu item's text.
ACTION_TEXT = "&Go back to an earlier version…"

#: ``ask(parent, title, rows, default) -> chosen row or None``: the question (tests replace it).
VersionQuestion = Callable[[QWidget, str, list[str], int], int | None]


def version_rows(versions: list[MaskVersion]) -> list[str]:
    """One line per saved version, newest first: number, when, who."""
    rows = []
    for i, v in enumerate(reversed(versions)):
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(v.created))
        latest = " (the latest)" if i == 0 else ""
        rows.append(f"Version {v.version}: {when} by {v.user or 'unknown'}{latest}")
    return rows


def ask_version(parent: QWidget, title: str, rows: list[str], default: int) -> int | None:
    """Ask which version to go back to; the row chosen, or None (cancelled)."""
    text, ok = QInputDialog.getItem(
        parent, "Go back to an earlier version", title, rows, default, False
    )
    return rows.index(text) if ok and text in rows else None


def go_back(w: MainWindow, ask: VersionQuestion | None = None) -> bool:
    """Ask which saved version of the shown mask to go back to and put it in as one undoable
    edit (saved as a new version on top, nothing written over); False when nothing changed
    (the status bar says why)."""
    ask = ask or ask_version
    cur = w.session.current
    say = w.status.showMessage
    if cur is None:
        say("No photo is open", 5000)
        return False
    image_id, task = int(cur.doc.image_id), w.task
    name = photo_name(w.project, image_id, w.session.known_name)
    if cur.read_only:
        say(f"{name} is read-only: its versions cannot be put back here", 8000)
        return False
    try:
        versions = w.project.mask_versions(image_id, task)
    except ProjectError as exc:
        say(f"The versions of {name} could not be read: {exc}", 10000)
        return False
    if not versions:
        say(f"{name} has no saved version of its {task_title(task)} mask yet", 8000)
        return False
    rows = version_rows(versions)
    chosen = ask(
        w,
        f"{name}, {task_title(task)} mask: put back which saved version?",
        rows,
        min(1, len(rows) - 1),
    )
    if chosen is None:
        return False
    version = versions[len(versions) - 1 - chosen]
    try:
        mask = w.project.load_mask(image_id, task, version.version)
    except ProjectError as exc:
        say(f"Version {version.version} of {name} could not be read: {exc}", 10000)
        return False
    if mask is None or mask.shape != cur.doc.shape:
        say(f"Version {version.version} of {name} could not be read", 10000)
        return False
    w.finish_edits()
    if w.session.current is not cur or not w.session.read_mask(task):
        return False
    if not bool((cur.doc.masks[task] != mask).any()):
        say(f"{name} already shows version {version.version} of its {task_title(task)} mask", 8000)
        return False
    w.apply_mask_edit(replace_mask, mask, task=task)
    if task not in cur.edited:  # back to what is saved: nothing of this mask to save
        pending = [t for t in cur.doc.tasks if t in cur.edited]
        rest = "nothing to save" if not pending else (
            " and ".join(f"the {task_title(t)} mask" for t in pending)
            + f" still {'have' if len(pending) > 1 else 'has'} unsaved edits")
        say(f"{name}: the {task_title(task)} mask is its saved version {version.version} again, "
            f"{rest} (Undo takes it back)", 15000)  # fmt: skip
        return True
    say(f"{name}: the {task_title(task)} mask is version {version.version} again, not saved yet "
        "(saving adds it as a new version; Undo takes it back)", 15000)  # fmt: skip
    return True
