"""The main window's start and close: what is restored when it opens and stopped when it closes.

:class:`~fashion_annotator.ui.main_window.MainWindow` calls these from ``start`` and
``closeEvent``; the operator's answers come through the window's injectable ``ask_*`` callables,
so tests never block on a modal dialog.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from fashion_annotator.core.journal import DECLINED
from fashion_annotator.core.tasks import task_title
from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.postgres.url import is_postgres_url
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.ui import window_dialogs
from fashion_annotator.ui.annotate import no_photos
from fashion_annotator.ui.shortcuts import drop_refused, key_name
from fashion_annotator.ui.store_away import known_name

if TYPE_CHECKING:
    from fashion_annotator.core.journal import JournalEntry
    from fashion_annotator.ui.main_window import MainWindow

log = logging.getLogger(__name__)


def quit_question(problem: str, unjournalled: list[str], gone: Path | None = None) -> str:
    """What the quit question says when the open image could not be saved: the edits wait in
    the recovery journal, or (``unjournalled`` tasks) the journal could not take them either
    and quitting loses them. ``gone``: the project folder, moved away while open."""
    if not unjournalled:
        return (f"{problem}\n\nQuit anyway? The edits stay in the recovery journal and will be "
                "offered again at the next start.")  # fmt: skip
    remedy = (
        f"Move the project folder back to {gone}" if gone is not None
        else "Free some disk space or make the project folder writable"
    )  # fmt: skip
    return (
        f"{problem}\n\nThe latest edits ({', '.join(unjournalled)}) could not be written to the "
        f"recovery journal either: quitting now loses them. {remedy}, then save ({key_name('save', 'Ctrl+S')}).\n\n"
        "Quit anyway and lose them?"
    )


def unsent_reject(w: MainWindow) -> str:
    """The question to ask when the Review tab holds a reject reason chosen or typed but never
    sent with Reject: closing drops it ("" when there is none)."""
    review = w.review
    if review is None or not (review.reason_text.text().strip() or review.reason.currentIndex() >= 0):
        return ""
    row = review.selected_row()
    typed = review.reason_text.text().strip()
    what = f"\"{typed}\"" if typed else f"\"{review.reason.currentText()}\""
    name = review.reason_for or (row.name if row is not None else "")  # the image it was given for
    image = f" for {name}" if name else ""
    return (f"The reject reason {what}{image} in the Review tab was not sent (Reject sends the "
            "image back to the operator with it).\n\nClose anyway and drop it?")  # fmt: skip


def entry_names(w: MainWindow, entries: list[JournalEntry]) -> list[str]:
    """``entries``' images as the operator knows them, with the task of each."""
    names = []
    for entry in entries:
        try:
            name = w.display_name(w.project.image(int(entry.image_id)))
        except (KeyError, ValueError, LookupError, ProjectError):  # gone, or the store does not answer
            name = known_name(w, int(entry.image_id)) or f"image {entry.image_id}"
        names.append(f"{name} ({task_title(entry.task)})")
    return names


def restore_working_state(w: MainWindow) -> None:
    """Give ``w`` the brush size, the tool and each task's label the operator used last (the
    label per project and task: the parsing label went back to the first class at each start,
    and Smart click added skin where she had been adding hair)."""
    w.canvas.set_brush_radius(w.prefs.brush_radius)
    tool = w.prefs.last_tool
    if f"tool_{tool}" in w.actions_by_name:
        w.canvas.set_tool(tool)
    w.status.set_tool(w.canvas.tool, w.canvas.brush_radius)
    for task, taxonomy in w.taxonomies.items():
        name = w.prefs.last_label(w.project.root, task)
        if name is not None and name in taxonomy.names:  # a class the task no longer has is passed over
            w.labels[task] = taxonomy.index(name)
    w.set_label(w.labels[w.task])


def start(w: MainWindow) -> None:
    """Offer to restore journalled edits, then show the task shown last and open the first image
    to work on (the one open last, with priority to restored edits); a saved key
    that a menu or panel owns now goes back to the default (:func:`.shortcuts.drop_refused`)."""
    if not is_postgres_url(str(w.project.location)):  # listed now: a crash must not forget it
        w.prefs.add_recent_project(w.project.root)
        w.prefs.sync()
    w.session.tidy_ended_sessions()
    damaged = w.session.set_aside_damaged()
    restored: list[int] = []
    said: list[str] = []  # what the restore set aside or could not do: the first image's banner hid it
    w.session.error.connect(said.append)
    try:
        entries = w.session.set_aside_refused(w.session.recoverable())  # never asked about
        if entries and w.ask_restore(entries):
            restored = w.session.restore_unsaved(entries)  # unsaved, undoable: put in as each image opens
        elif entries:
            w.session.set_aside(entries)
    finally:
        w.session.error.disconnect(said.append)
    w.reload_queue(only_if_changed=True)  # read when the window was made: again only if changed
    records = w.queue.model.records()
    ids = [r.id for r in records]
    todo = [r.id for r in records if r.status in ("new", "in_progress", "rejected")]
    shown = w.prefs.last_task(w.project.root)  # shown before the image opens: its mask is read first
    if shown is not None:
        w.set_task(shown)  # a task the project no longer has is passed over
    last = w.prefs.last_image(w.project.root)
    resume = [last] if last in ids else []
    first = next(iter(restored + resume + todo + ids), None)
    skipped: list[str] = []  # "Skipped NAME: HOLDER is editing it", when the operator skipped it
    w.session.message.connect(skipped.append)
    try:
        opened = first is None or w.open_image(first)
    finally:
        w.session.message.disconnect(skipped.append)
    no_photos.install(w)  # an empty project: the canvas says how to add photos
    if not opened and w.session.current is None:
        nothing_open(w, [line for line in skipped if line.startswith("Skipped ")])
    if w.session.current is None:  # no proposal names the models: "model: loading…" stayed
        proposals = w.session.proposals
        for task in w.project.tasks:
            w.session.modelInfo.emit(task, proposals.device_name, proposals.state_label(task))
    # the photo has the keyboard from the start (the tab bar had it: Tab, Space and the arrow
    # keys moved the focus, panned nothing or showed the Review tab)
    w.canvas.setFocus(Qt.FocusReason.OtherFocusReason)
    for dock in w.findChildren(QDockWidget):  # a panel left floating: shown before the window, under it (X11)
        if dock.isFloating() and dock.isVisible():
            dock.raise_()
    for line in said:  # after the image opened, as the damaged files below
        w.session.error.emit(line)
    refused = drop_refused(w.actions_by_name.values(), w.prefs, window_dialogs.panel_keys(w))
    for note in refused:
        log.warning("%s", note)
    if refused:  # the status bar and the banner, as the settings that could not be saved
        w.session.error.emit("; ".join(refused))
    unsaved = w.prefs.unsaved_reason()
    if unsaved is not None:
        w.session.error.emit(unsaved)
    if damaged:  # after the image opened: its banner would replace the line
        log.warning("damaged journal files set aside: %s", "; ".join(damaged))
        w.session.error.emit(
            f"{counted(len(damaged), 'recovery journal file')} could not be read (damaged outside "
            f"the program), kept in {w.session.journal_root / DECLINED}: " + "; ".join(damaged)
        )


def nothing_open(w: MainWindow, why: list[str]) -> None:
    """Say, in the banner and the status bar, that no photo is open (the first one was skipped,
    a colleague editing it, or could not be opened) and what to do next: the canvas is empty."""
    hint = ("No photo is open: choose one in the image list, or use Next free to-do "
            f"({key_name('next_free', 'Ctrl+Shift+N')}) for the next one nobody is editing.")  # fmt: skip
    shown = [w.banner.text()] if w.banner.isVisible() and w.banner.text() else []  # an error stays
    w.banner.show_lines([*shown, *why, hint])
    # one line: each reason a sentence ("... is editing it. No photo is open: ..."), not run together
    w.status.showMessage(" ".join([*(line if line.endswith((".", "!", "?")) else f"{line}." for line in why), hint]))


def close(w: MainWindow) -> bool:
    """Ask, then stop what runs and keep the window's state; False when the close is refused.

    Every question comes first (a close can still be refused: a retrain running, a reject reason
    typed in the Review tab but not sent, edits that could not be saved), then what runs is
    stopped, in the GUI thread and waiting for it: the retrain dialogs' trainers (cancelled
    cleanly), Model history's measure of proposal quality, the background retrainer, the file job (after its current file), the image session
    (its edits saved; its background jobs, a model's proposal among them, are not waited for:
    cancelled, their results dropped, nothing of theirs written after this, their thread pools
    let go of so that deleting the window never waits either), Smart click's model warm-up and
    the queue ranker's scoring (cancelled, not waited for).
    """
    # Never imported here: a first proposal importing torch in its worker held the import lock
    # the dialog's module waits on (the close took seconds). Not imported yet: no dialog exists.
    opened = sys.modules.get("fashion_annotator.ui.train.training_dialog")
    dialogs = [] if opened is None else w.findChildren(opened.RetrainDialog)
    running = [d for d in dialogs if d.process is not None]
    if running:
        tasks = ", ".join(task_title(d.task) for d in running)
        if not w.ask_stop(f"A retrain is running ({tasks}). Closing cancels it; no model is registered."):
            return False
    unsent = unsent_reject(w)
    if unsent and not w.ask_quit(unsent):
        w.tabs.setCurrentIndex(1)  # the Review tab, where the reason waits
        return False
    every, baseline = w.retrainer.every, w.retrainer.baseline
    w.retrainer.set_every(0)  # the saves below must not start a background retrain
    try:
        w.finish_edits()
    except Exception:  # noqa: BLE001 - a tool's error must not keep the edits made from being saved
        log.exception("finishing the edit in progress failed at close")
    if w.session.unsaved and not w.session.save():
        gone = None if Path(w.project.root).is_dir() else Path(w.project.root)  # moved while open
        if not w.ask_quit(quit_question(w.status.currentMessage() or "The open image could not be saved.",
                                        sorted(w.session.unjournalled), gone)):  # fmt: skip
            w.retrainer.set_every(every)
            w.retrainer.baseline = baseline  # the count goes on where it was
            return False
        w.session.current.edited.clear()  # type: ignore[union-attr]
    for dialog in dialogs:
        dialog.stop_and_wait()
        dialog.close()
    history = sys.modules.get("fashion_annotator.ui.train.model_history")
    for shown in [] if history is None else w.findChildren(history.ModelHistoryDialog):
        shown.close()  # its measuring thread stopped (between two images) and waited for
    w.retrainer.stop()
    w.files.shutdown()
    w.queue_refresh.stop()
    w.instances.flush()
    w.session.shutdown()
    w.canvas.click_warmup.shutdown()  # not waited for: a load or network run in progress ends on its thread
    w.ranker.shutdown()  # not waited for: a scoring batch stops at its next photo
    if w.review is not None:
        w.review.close()
    w.show_annotate_docks(True)
    w.prefs.set_window_state(w.saveGeometry(), w.saveState())
    w.prefs.last_project = w.project.location
    if not is_postgres_url(str(w.project.location)):
        w.prefs.add_recent_project(w.project.root)
    w.prefs.sync()
    return True
