"""The questions the window asks the operator, as plain functions of a parent widget.

The main window takes them as injectable callables, so tests answer them without a modal
dialog.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from fashion_annotator.core.journal import JournalEntry
from fashion_annotator.dataset.leases import holder_tip, person


def ask_restore(
    parent: QWidget, entries: list[JournalEntry], names: list[str] | None = None
) -> bool:
    """Offer to restore the journalled unsaved edits of a previous run, naming the images."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entries[-1].written_at))
    names = names or [f"image {e.image_id} ({e.task})" for e in entries]
    listed = "\n".join(f"  • {n}" for n in names[:12])
    if len(names) > 12:
        listed += f"\n  … and {len(names) - 12} more"
    answer = QMessageBox.question(
        parent,
        "Restore unsaved edits?",
        f"The last session ended with unsaved edits (last edit {when}) on:\n{listed}\n\n"
        "Restore them? They come back unsaved (Undo takes them back to the saved version). "
        "Declined edits are kept in the project's journal/declined folder.",
    )
    return answer == QMessageBox.StandardButton.Yes


def ask_quit(parent: QWidget, message: str) -> bool:
    """Ask ``message`` (:func:`.window_lifecycle.quit_question`): quit although the open image
    could not be saved? No is the default."""
    return _warn_yes_no(parent, "Unsaved edits", message)


def ask_stop_running(parent: QWidget, message: str) -> bool:
    """Ask whether to close although work is running that closing stops (a retrain)."""
    return _warn_yes_no(parent, "Work in progress", f"{message}\n\nClose anyway?")


def ask_stop_background(parent: QWidget, message: str) -> bool:
    """Ask ``message`` (a background retrain is running): True to stop it and start this one,
    False (Cancel, the default) to keep it and start nothing."""
    box = QMessageBox(QMessageBox.Icon.Question, "Background retrain running", message, parent=parent)
    stop = box.addButton("Stop it and start", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
    box.exec()
    return box.clickedButton() is stop


def ask_activate_worse(parent: QWidget, message: str) -> bool:
    """Ask ``message`` (the chosen model version's recorded figure is worse than the active
    one's: :func:`fashion_annotator.qa.model_history.activation_warning`): True to make it
    active anyway, False (No, the default) to keep the active one."""
    return _warn_yes_no(parent, "Make a worse version active?", f"{message}\n\nMake it active anyway?")


def ask_lease_held(parent: QWidget, holder: str, expires: float, image: str = "this image") -> bool:
    """Another operator holds ``image`` (its name): True to open it read-only, False to skip it."""
    until = time.strftime("%H:%M", time.localtime(expires))
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "Image in use",
        f"{person(holder)} is editing {image} (until {until}).",
        parent=parent,
    )
    box.setToolTip(holder_tip(holder))
    read_only = box.addButton("Open read-only", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Skip", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is read_only


def ask_project_url(parent: QWidget, default: str = "") -> str | None:
    """Ask for a PostgreSQL project URL; None when cancelled or left empty."""
    text, ok = QInputDialog.getText(
        parent, "Open server project",
        "Project URL (postgresql://user@host:port/database?project=NAME):",
        text=default or "postgresql://",
    )  # fmt: skip
    text = text.strip()
    return text if ok and text and text != "postgresql://" else None


def ask_approve_own_work(parent: QWidget, name: str) -> bool:
    """Ask whether to approve image ``name``'s mask whose latest version the reviewer saved
    (:func:`.review.decision_panel.confirm_own_approval`): No, the default, approves nothing."""
    return _warn_yes_no(parent, "Approve your own work?",
                        f"You saved the latest version of {name} yourself. Approve your own work?")  # fmt: skip


def _warn_yes_no(parent: QWidget, title: str, text: str) -> bool:
    """A warning asking Yes or No, No the default (Enter, Escape); True for Yes."""
    answer = QMessageBox.warning(
        parent, title, text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
    )  # fmt: skip
    return answer == QMessageBox.StandardButton.Yes
