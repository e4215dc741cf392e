"""The banner above the canvas: QA reject reason, read-only notice, errors."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from fashion_annotator.annotate.session import OpenImage
from fashion_annotator.core.tasks import task_title
from fashion_annotator.dataset.leases import person
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.qa.decisions import current_decision, latest_rejects, operator_instruction
from fashion_annotator.ui.shortcuts import key_name


def standing_notes(project, opened: OpenImage) -> list[str]:
    """:func:`image_notes`, or none while the store cannot be read (the error says why)."""
    try:
        return image_notes(project, opened)
    except ProjectError:
        return []


def image_notes(project, opened: OpenImage) -> list[str]:
    """Lines to show for the opened image: who holds it, what was damaged, why QA rejected it."""
    notes = []
    readonly = getattr(project, "readonly", None)  # why the store is read-only, if it is
    if readonly:
        notes.append(
            f"Read-only project: {readonly}. You can view, export and report; "
            "edits cannot be saved."
        )
    elif opened.lease_lost:
        notes.append(
            f"Read-only: {person(opened.lost_to or opened.lease_holder or 'another session')} took this image over while this session's lease "
            "lapsed. Your unsaved edits are kept in the recovery journal, not saved over theirs."
        )
    elif opened.read_only and opened.lease is not None and opened.lease.crashed:
        notes.append(
            "Read-only for a minute: a crashed session still holds this image; "
            "its unsaved edits are restored when its lease lapses."
        )
    elif opened.read_only:
        notes.append(f"Read-only: {person(opened.lease_holder or 'another session')} is editing this image.")
    notes.extend(opened.notes)
    swept = getattr(project, "swept", None)  # what opening the project set aside
    set_aside = None if swept is None else swept.note(project.root)
    if set_aside:
        notes.append(set_aside)
    image_id = int(opened.doc.image_id)
    if project.image(image_id).status == "rejected":
        notes.extend(reject_notes(project, image_id))
    return notes


def reject_notes(project, image_id: int) -> list[str]:
    """What QA asks the operator to do about the image (a line per task sent back: the reject
    reason as an instruction, :func:`~fashion_annotator.qa.decisions.operator_instruction`)
    and, once a change was saved over a rejected mask, what sends it back to review: the status
    stays rejected until Mark done, and the reason stays shown (the operator may be fixing it
    in several saves)."""
    lines: list[str] = []
    fixed: list[str] = []
    open_: list[str] = []
    for decision in latest_rejects(project, image_id):  # every task QA sent back is listed
        todo = operator_instruction(decision.reason, decision.text)  # what to do, not QA's category
        lines.append(f"Rejected by {decision.user} ({task_title(decision.task)}): {todo}")
        (fixed if _changed_since(project, image_id, decision) else open_).append(task_title(decision.task))
    if fixed and not open_:
        lines.append(f"Fixed since: Mark done ({_done_keys()}) sends it back to review.")
    elif fixed:
        lines.append(f"Fixed since: {', '.join(fixed)}. Correct {', '.join(open_)} too; then Mark "
                     f"done ({_done_keys()}) sends it back to review.")  # fmt: skip
    return lines


def _done_keys() -> str:
    """The keys that mark an image done: Mark done's, or Accept's (an edited mask is marked
    done), as the operator has them."""
    return f"{key_name('done', 'Ctrl+D')}, or {key_name('accept', 'Ctrl+Enter')}"


def _changed_since(project, image_id: int, decision) -> bool:
    """Whether the task's latest saved mask differs from the one ``decision`` rejected (its
    file's SHA-256: an edit saved, then undone and saved again, is no fix)."""
    versions = project.mask_versions(image_id, decision.task)
    if not versions:
        return False
    if not decision.mask_version:  # a project older than the decision's version: by time
        return current_decision(project, image_id, decision.task, versions) is None
    rejected = [v for v in versions if v.version == decision.mask_version]
    return bool(rejected) and versions[-1].sha256 != rejected[0].sha256


class Banner(QLabel):
    """A warning strip that hides itself when it has nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self._style()
        self.hide()

    def _style(self) -> None:
        # An alert strip: pale red on a light palette, deep red with light text on a dark one.
        # The application's palette decides (the strip's own is coloured by its style sheet).
        dark = QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128
        colours = ("#5c1a16", "#ffd9d4", "#8e2a22") if dark else ("#fdecea", "#8e1c14", "#f5c2bd")
        sheet = "background:{}; color:{}; border:1px solid {}; padding:6px 10px;".format(*colours)
        if sheet != self.styleSheet():
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            self._style()
        super().changeEvent(event)

    def show_lines(self, lines: list[str]) -> None:
        """Show ``lines`` (hide when empty)."""
        self.setText("\n".join(lines))
        self.setVisible(bool(lines))
