"""Unsaved edits that sessions left in the project's recovery journal: finding, restoring and
setting them aside (a mixin of :class:`~.image_session.ImageSession`, which owns the signals,
the journal and the timers it uses)."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fashion_annotator.annotate.restore import StaleEntry, already_saved, refusal
from fashion_annotator.annotate.session import replace_mask
from fashion_annotator.core.images import ImageLoadError
from fashion_annotator.core.journal import (
    CLAIMED,
    DECLINED,
    JournalEntry,
    JournalError,
    RecoveryJournal,
    claim,
    claimed_folder,
    journal_entries,
    journal_problems,
    session_pid,
)
from fashion_annotator.core.tasks import task_title
from fashion_annotator.dataset.display import photo_name
from fashion_annotator.dataset.leases import process_gone
from fashion_annotator.dataset.process_identity import start_ticks
from fashion_annotator.dataset.records import ProjectError

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtCore import QTimer

    from fashion_annotator.annotate.session import OpenImage
    from fashion_annotator.dataset.api import ProjectStore
    from fashion_annotator.ui.annotate.autosave import EffortClock

#: Seconds a claimed folder (:data:`~fashion_annotator.core.journal.CLAIMED`) of another host's
#: session stays that session's after its last touch (the session touches it every
#: :data:`CLAIM_TOUCH_S` while it runs; another host's process cannot be asked about).
CLAIM_TTL_S = 300.0
CLAIM_TOUCH_S = 60.0

#: The claimed folders of the sessions of this process that still run (shut down: given up).
_HELD: set[Path] = set()


class JournalRecovery:
    """Restore what crashed sessions left in the journal; the host provides what is below."""

    project: ProjectStore
    journal: RecoveryJournal
    journal_root: Path
    #: Entries the operator chose to restore, put into their image's document when it opens
    #: editable (:meth:`restore_unsaved`); until then they wait in this session's claimed folder.
    _pending: list[JournalEntry]
    #: Touches the claimed folder every :data:`CLAIM_TOUCH_S` while entries wait in it.
    _claim_timer: QTimer
    current: OpenImage | None
    #: ``(image id, set aside, line)``: what became of the unsaved edits of read-only images
    #: left (:meth:`keep_left_edits`), said once the next image opened (:meth:`say_left`).
    left_said: list[tuple[int, bool, str]]
    clock: EffortClock
    unjournalled: set[str]
    error: Any  # Signal(str)
    message: Any  # Signal(str)
    maskReplaced: Any  # Signal(str, object)
    #: The name of an image as the window holds it in memory, or None (set by the window).
    known_name: Callable[[int], str | None]

    def _image_name(self, image_id: int) -> str:
        """The image as people read it (:func:`.display_name`): the name the window holds
        (:attr:`known_name`), else the store's; ``image N`` when neither answers."""
        return photo_name(self.project, image_id, self.known_name)

    def recoverable(self) -> list[JournalEntry]:
        """Unsaved edits left by sessions that ended without saving: every journal entry but
        this session's own, those of an image another live session holds (a colleague's
        running session keeps its edits; it is not a crashed one), those of a session still
        running on this host, its lease lapsed or not, and those another running session claimed
        to restore (:meth:`restore_unsaved`, :func:`_claim_held`). An entry the store already
        holds (:func:`~fashion_annotator.annotate.restore.already_saved`: a save committed, then
        the window was killed before the entry went) is deleted, never offered."""
        own = self.project.leases.token
        out = []
        for entry in journal_entries(self.journal_root, skip=self.journal.directory):
            if _claim_held(entry.path.parent):  # this session's, or another running one's
                continue
            try:
                lease = self.project.leases.current(int(entry.image_id))
            except (ProjectError, ValueError, TypeError):
                lease = None
            if lease is not None and lease.token != own and not process_gone(lease.host, lease.pid, lease.token):
                continue
            if _running_here(entry):  # a live window whose lease lapsed (frozen, asleep) keeps them
                continue
            if already_saved(self.project, entry):
                entry.path.unlink(missing_ok=True)
                self._tidy(entry.path.parent)
                continue
            out.append(entry)
        return out

    def restore_unsaved(self, entries: list[JournalEntry]) -> list[int]:
        """Restore ``entries`` as unsaved edits: each is put into its image's document when that
        image opens editable, as one undoable edit on the saved (or proposed) mask, journalled
        again by this session before the claimed entry is deleted (a second crash loses
        nothing); saving stays the operator's (or autosave's) act. Returns the images' ids, in
        order: the window opens the first.

        Each entry is first claimed: moved into this session's claimed folder
        (:func:`~fashion_annotator.core.journal.claim`), so no other session is offered it while
        this one runs. An entry whose image is not opened in this session stays there and is
        offered again at the next start, as a crashed session's; one another session took first
        is not restored here (said through :attr:`error`)."""
        known = {e.path for e in self._pending}
        folder = claimed_folder(self.journal)
        claimed = []
        for entry in (e for e in entries if e.path not in known):
            what = f"{self._image_name(int(entry.image_id))} ({task_title(entry.task)})"
            try:
                moved = entry.path if entry.path.parent == folder else claim(entry.path, folder)
            except OSError as exc:  # restored from where it is; another window may be offered it
                self.error.emit(f"Could not set apart the unsaved edits of {what} for this window "
                                f"({exc.strerror or exc}): another window starting now may offer them too")  # fmt: skip
                claimed.append(entry)
                continue
            if moved is None:
                self.error.emit(f"The unsaved edits of {what} were taken by another window (restored or "
                                "set aside there): not restored here")  # fmt: skip
                continue
            self._tidy(entry.path.parent)
            claimed.append(dataclasses.replace(entry, path=moved))
        if any(e.path.parent == folder for e in claimed):
            _HELD.add(folder.resolve())
            self._claim_timer.start(round(CLAIM_TOUCH_S * 1000))
        self._pending.extend(claimed)
        return list(dict.fromkeys(int(e.image_id) for e in claimed))

    def _touch_claims(self) -> None:
        """Mark this session's claimed folder as still held (:func:`_claim_held`: another host
        cannot ask whether this process runs); stop once it is gone (every entry put in)."""
        try:
            os.utime(claimed_folder(self.journal))
        except FileNotFoundError:
            self._claim_timer.stop()
        except OSError:  # tried again at the next tick
            pass

    def release_claims(self) -> None:
        """This session ends: its claimed entries not put in yet are offered at the next start
        (as a crashed session's); an empty claimed folder goes."""
        folder = claimed_folder(self.journal)
        self._claim_timer.stop()
        _HELD.discard(folder.resolve())
        with contextlib.suppress(OSError):  # not empty, or never made
            folder.rmdir()

    def _apply_restored(self) -> None:
        """Put the pending restored edits of the image just opened (:meth:`restore_unsaved`)
        into its document; an image open read-only keeps them pending. An entry refused now (a
        colleague saved since the start-up question) is set aside. One that cannot be put in
        now (the store does not answer, the entry or the task's saved mask cannot be read) is
        said through :attr:`error` and stays pending and in the journal: the image's next
        opening in this session tries it again, the next start offers it; the others are put in
        all the same."""
        cur = self.current
        if cur is None or cur.read_only:
            return
        image_id = int(cur.doc.image_id)
        tasks = []
        for entry in [e for e in self._pending if str(e.image_id) == str(image_id)]:
            try:
                refused = refusal(self.project, entry)
                saved = refused is None and already_saved(self.project, entry)
                mask = None if refused is not None or saved else entry.load_mask()
                if entry.task not in cur.doc.tasks:
                    raise KeyError(f"the project has no task {entry.task!r}")
                applied = mask is not None and self._apply_entry(entry, mask)
            except (ProjectError, ImageLoadError, JournalError, OSError, ValueError, KeyError) as exc:
                self.error.emit(
                    f"Could not restore the unsaved edits of {self._image_name(image_id)} "
                    f"({task_title(entry.task)}): {exc}. They stay in the recovery journal ({entry.path}): "
                    "tried again when this image opens next, offered again at the next start"
                )
                continue
            self._pending.remove(entry)
            if refused is not None:
                self.set_aside([entry])
                self.error.emit(f"{refused}; the edits are kept in {self.journal_root / DECLINED}")
                continue
            if applied:
                tasks.append(task_title(entry.task))
            if applied and entry.task in self.unjournalled:
                continue  # this session's journal did not take them: the claimed entry stays
            entry.path.unlink(missing_ok=True)
            self._tidy(entry.path.parent)
        if tasks:
            self.message.emit(f"Restored unsaved edits ({', '.join(tasks)}) of {self._image_name(image_id)}: "
                              "not saved yet, Undo takes them back")  # fmt: skip

    def _apply_entry(self, entry: JournalEntry, mask: Any) -> bool:
        """One undoable edit of the open document: ``entry``'s mask, its effort and its Smart
        clicks (logged on that step); False when the mask is already what shows."""
        assert self.current is not None
        doc, task = self.current.doc, entry.task
        doc.actions = max(doc.actions, entry.actions - 1)  # the edit below counts one more
        doc.seconds = max(doc.seconds, entry.seconds)
        self.clock.reset(doc.seconds)
        clicks = [dict(c) for c in entry.clicks or []]

        def log(step: int) -> None:
            doc.click_log.setdefault(task, []).extend({**c, "step": step} for c in clicks)

        box = doc.apply(task, replace_mask, mask, on_step=log)
        if box is not None:
            self.maskReplaced.emit(task, box)
        return box is not None

    def keep_left_edits(self, image_id: int) -> list[tuple[bool, str]]:
        """Take the entries of ``image_id``, left read-only with unsaved edits (its lease went
        to a colleague, or a colleague's save refused this session's), out of this session's
        journal folder, where the image's next edit in this session would write over them.

        Edits that a version saved since they started makes stale are set aside in
        ``journal/declined/`` at once; the others are claimed (:meth:`restore_unsaved`): put
        back, unsaved, when the image next opens editable in this session, else offered at the
        next start. A store that does not answer keeps an entry among the claimed ones (the
        opening checks it again).

        Returns
        -------
        list of (bool, str)
            What to tell the operator, each line with whether its edits were set aside.
        """
        name = self._image_name(image_id)
        said: list[tuple[bool, str]] = []
        claimed = []
        for entry in [e for e in self.journal.entries() if str(e.image_id) == str(image_id)]:
            try:
                refused = refusal(self.project, entry)
            except (ProjectError, ValueError, KeyError):
                refused = None
            if refused is None:
                claimed.append(entry)
                continue
            self.set_aside([entry])
            where = self.journal_root / DECLINED
            if isinstance(refused, StaleEntry):
                said.append((True, f"Your unsaved edits of {name} ({task_title(entry.task)}) were not saved: "
                                   f"{refused.newer.user} saved a newer version of it. They are kept in {where}; "
                                   f"{name} opens with {refused.newer.user}'s version"))  # fmt: skip
            else:
                said.append((True, f"{refused}; the edits are kept in {where}"))
        if claimed and self.restore_unsaved(claimed):
            tasks = ", ".join(task_title(e.task) for e in claimed)
            said.append((False, f"Your unsaved edits of {name} ({tasks}) could not be saved (read-only): they "
                                f"are kept in the recovery journal and put back when you open {name} again "
                                "and can edit it"))  # fmt: skip
        return said

    def say_left(self) -> None:
        """Say, through :attr:`error`, what became of the unsaved edits of the read-only images
        left (:attr:`left_said`), now that the next image opened (its banner would have hidden
        the lines). Edits kept for the image open now, editable, were put back or set aside as
        it opened (:meth:`_apply_restored`), which said so: not said again."""
        said, self.left_said = self.left_said, []
        cur = self.current
        for image_id, set_aside, text in said:
            if set_aside or cur is None or cur.read_only or str(cur.doc.image_id) != str(image_id):
                self.error.emit(text)

    def set_aside_refused(self, entries: list[JournalEntry]) -> list[JournalEntry]:
        """Set aside, saying why through :attr:`error`, the entries a restore would refuse for
        good (:func:`~fashion_annotator.annotate.restore.refusal`), before anyone is asked about
        them; return the others (a store that does not answer keeps an entry among them)."""
        keep = []
        for entry in entries:
            try:
                refused = refusal(self.project, entry)
            except (ProjectError, ValueError, KeyError):
                refused = None
            if refused is None:
                keep.append(entry)
                continue
            self.set_aside([entry])
            self.error.emit(f"{refused}; the edits are kept in {self.journal_root / DECLINED}")
        return keep

    def set_aside(self, entries: list[JournalEntry]) -> None:
        """Move declined journal entries to ``journal/declined/`` (never deleted silently)."""
        folder = self.journal_root / DECLINED
        folder.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            _keep_declined(folder, entry.path)  # gone: another window restored or kept it
            self._tidy(entry.path.parent)

    def set_aside_damaged(self) -> list[str]:
        """Move the journal files of other sessions that cannot be read to
        ``journal/declined/`` (kept, never deleted) and return what was wrong with each."""
        problems = journal_problems(self.journal_root, skip=self.journal.directory)
        if not problems:
            return []
        folder = self.journal_root / DECLINED
        folder.mkdir(parents=True, exist_ok=True)
        said = []
        for problem in problems:
            _keep_declined(folder, problem.path)
            said.append(str(problem))
            self._tidy(problem.path.parent)
        return said

    def tidy_ended_sessions(self) -> None:
        """Remove the empty journal folders of sessions of this host whose process has ended
        (a session killed after it saved everything leaves one); a running session's folder
        (another window of the project) and one another host wrote (its process cannot be
        asked about) stay."""
        if not self.journal_root.is_dir():
            return
        host = socket.gethostname()
        for folder in self.journal_root.iterdir():
            pid = session_pid(folder, host) if folder.is_dir() and folder.name != DECLINED else None
            if pid is not None and process_gone(host, pid):
                self._tidy(folder)

    def _tidy(self, folder: Path) -> None:
        """Remove another (ended) session's journal folder once it is empty."""
        if folder.parent == self.journal_root and folder != self.journal.directory:
            with contextlib.suppress(OSError):  # not empty: more entries to offer
                folder.rmdir()

    def _restore_crashed(self, image_id: int) -> None:
        """Restore, as unsaved and undoable edits of ``image_id`` once it opens (as the start-up
        question's restore does: :meth:`restore_unsaved`), the edits a session which ended
        without saving left in the journal (a crash while this window was open: the start-up
        question never saw them). The crashed session's entry stays until this session has
        journalled them. Called with the image's lease held, before it is loaded."""
        pending = {e.path for e in self._pending}  # already waiting for this image to open
        entries = [e for e in self.recoverable()
                   if str(e.image_id) == str(image_id) and _ended_here(e) and e.path not in pending]  # fmt: skip
        self.restore_unsaved(entries)

def _running_here(entry: JournalEntry) -> bool:
    """Whether the session that wrote ``entry`` runs in another process of this host now: its
    edits are its own to save, whatever its lease says (a window frozen past its lease had them
    restored by another window and its own later save refused as stale). A session of this
    process is not frozen while this one runs: with no lease, it was given up."""
    host = socket.gethostname()
    pid = session_pid(entry.path.parent, host)
    if pid is None or pid == os.getpid():
        return False
    return not process_gone(host, pid) and not _started_since(pid, entry.path)


def _claim_held(folder: Path) -> bool:
    """Whether ``folder`` is the claimed folder (:meth:`JournalRecovery.restore_unsaved`) of a
    session that still runs: one of this process not shut down, a running process of this host
    (not one that took an ended claimer's id after a reboot), or, on another host, a folder
    touched in the last :data:`CLAIM_TTL_S` seconds. A crashed claimer's entries are offered."""
    if not folder.name.endswith(CLAIMED):
        return False
    if folder.resolve() in _HELD:
        return True
    host = socket.gethostname()
    pid = session_pid(folder, host)
    try:
        if pid is not None:
            return pid != os.getpid() and not process_gone(host, pid) and not _started_since(pid, folder)
        return time.time() - folder.stat().st_mtime < CLAIM_TTL_S
    except OSError:
        return False


def _started_since(pid: int, path: Path) -> bool:
    """Whether process ``pid`` started after ``path`` was last written (Linux's ``/proc``; False
    where that cannot be told): its id was reused (after a reboot), it is not the writer."""
    ticks = start_ticks(pid)
    if ticks is None:
        return False
    try:
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))  # fmt: skip
        return boot + ticks / os.sysconf("SC_CLK_TCK") > path.stat().st_mtime + 1.0
    except (OSError, ValueError, IndexError, StopIteration):
        return False


def _ended_here(entry: JournalEntry) -> bool:
    """Whether the session that wrote ``entry`` ran on this host and has ended (a live session
    whose lease lapsed, a laptop asleep, keeps its edits: they are not a crashed session's)."""
    host = socket.gethostname()
    pid = session_pid(entry.path.parent, host)
    return pid is not None and process_gone(host, pid)


def _keep_declined(folder: Path, path: Path) -> bool:
    """Move ``path`` into ``folder`` under its name, or ``stem.2.suffix`` (3, 4, ...) when
    taken: a declined entry never replaces an earlier one, even when two windows set entries
    aside at once (a hard link fails on an existing name; where the file system has none, a
    rename after a check). False when ``path`` is gone (another window restored or kept it)."""
    stem, dot, suffix = path.name.partition(".")
    for n in itertools.count(1):
        target = folder / (path.name if n == 1 else f"{stem}.{n}{dot}{suffix}")
        try:
            os.link(path, target)
        except FileExistsError:
            continue
        except FileNotFoundError:
            return False
        except OSError:  # no hard links here (FAT, some shares)
            if target.exists():
                continue
            try:
                path.replace(target)
            except FileNotFoundError:
                return False
            return True
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return True
    raise AssertionError("unreachable")
