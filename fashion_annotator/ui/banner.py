"""The banner above the canvas: QA reject reason, read-only notice, errors."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from fashion_annotator.ui.image_session import OpenImage, crashed_holder


def image_notes(project, opened: OpenImage) -> list[str]:
    """Lines to show for the opened image: who holds it, why QA rejected it."""
    notes = []
    if opened.read_only and crashed_holder(opened.lease_holder or ""):
        notes.append(
            "Read-only for a minute: a crashed session still holds this image; "
            "its unsaved edits are restored when its lease lapses."
        )
    elif opened.read_only:
        notes.append(f"Read-only: {opened.lease_holder} is editing this image.")
    image_id = int(opened.doc.image_id)
    if project.image(image_id).status == "rejected":
        decision = project.decisions.last(image_id)
        if decision is not None:
            reason = decision.reason or "no reason given"
            extra = f" — {decision.text}" if decision.text else ""
            notes.append(f"Rejected by {decision.user} ({decision.task}): {reason}{extra}")
    return notes


class Banner(QLabel):
    """A warning strip that hides itself when it has nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet(
            "background:#fdecea; color:#8e1c14; border:1px solid #f5c2bd; padding:6px 10px;"
        )
        self.hide()

    def show_lines(self, lines: list[str]) -> None:
        """Show ``lines`` (hide when empty)."""
        self.setText("\n".join(lines))
        self.setVisible(bool(lines))
