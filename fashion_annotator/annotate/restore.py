"""Restoring what a crashed window left in the recovery journal, without Qt: a journal entry is
saved as a recovered version, found already saved, or refused for good (:class:`DeclinedEntry`:
newer work saved since, another photo with its id now, or no such image any more).

:class:`~fashion_annotator.ui.annotate.journal_recovery.JournalRecovery` asks and reports; what
happens to the edits is decided here.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from fashion_annotator.annotate.session import answered_late, write_saved_click_log
from fashion_annotator.core.journal import JournalEntry, JournalError
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.click_logs import read_click_log, write_click_log
from fashion_annotator.dataset.display import display_name
from fashion_annotator.dataset.records import ImageRecord, MaskVersion, NewerVersion, ProjectError

__all__ = ["DeclinedEntry", "ImageGone", "OtherPhoto", "StaleEntry", "already_saved", "refusal", "restore_entry"]

log = logging.getLogger(__name__)


class DeclinedEntry(ValueError):
    """A journal entry :func:`restore_entry` refuses for good: nothing is saved and the caller
    sets the entry aside (``journal/declined/``). ``entry`` is that entry."""

    def __init__(self, entry: JournalEntry, text: str) -> None:
        super().__init__(text)
        self.entry = entry


class StaleEntry(DeclinedEntry):
    """A journal entry older than the image's latest saved version: restoring it would hide
    newer work. ``newer`` is that version."""

    def __init__(self, entry: JournalEntry, newer: MaskVersion, name: str = "") -> None:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(newer.created))
        super().__init__(
            entry,
            f"{name or f'image {entry.image_id}'} ({entry.task}): version {newer.version} saved by "
            f"{newer.user} at {when} is newer than these unsaved edits; not restored over it",
        )
        self.newer = newer


class OtherPhoto(DeclinedEntry):
    """A journal entry whose edits were made on another photo than the one that has its image id
    now (an index restored from a backup reuses ids): restoring it would put them on the wrong
    photo."""

    def __init__(self, entry: JournalEntry, name: str) -> None:
        super().__init__(
            entry,
            f"{name} ({entry.task}): these unsaved edits were made on another photo than the one "
            f"image {entry.image_id} is now (an index restored from a backup?); not restored onto it",
        )


class ImageGone(DeclinedEntry):
    """A journal entry whose image is no longer in the project (removed by another session, or
    the index restored from a backup made before it was added): there is nothing to restore
    the edits onto."""

    def __init__(self, entry: JournalEntry, project: ProjectStore) -> None:
        super().__init__(
            entry,
            f"image {entry.image_id} ({entry.task}): no longer in the project {project.root} (removed, or "
            "its index restored from a backup); these unsaved edits were not restored",
        )


def _entry_image(project: ProjectStore, entry: JournalEntry) -> ImageRecord:
    """The record of ``entry``'s image; :class:`ImageGone` when the project has no image with
    its id (a store that does not answer raises its own error: the entry is kept for later)."""
    image_id = int(entry.image_id)
    try:
        return project.image(image_id)
    except ProjectError:
        if project.images(ids=[image_id], fetch_photos=False):
            raise
        raise ImageGone(entry, project) from None


def _on_its_photo(project: ProjectStore, entry: JournalEntry) -> ImageRecord:
    """The record of ``entry``'s image when it is still the photo the edits were made on;
    :class:`ImageGone` or :class:`OtherPhoto` otherwise."""
    record = _entry_image(project, entry)
    if entry.photo is not None and entry.photo != record.sha256:
        raise OtherPhoto(entry, display_name(record.name, Path(project.root)))
    return record


def _unstale_base(project: ProjectStore, entry: JournalEntry, record: ImageRecord) -> int | None:
    """The version ``entry``'s edits started from when it is still the latest saved one (None:
    nothing saved); :class:`StaleEntry` when a version was saved over it since."""
    versions = project.mask_versions(int(entry.image_id), entry.task)
    base = entry.base
    if versions and answered_late(project, versions[-1], base, entry.unanswered, entry.user or project.user):
        base = versions[-1].version  # the crashed window's own save, its answer lost before the crash
    if not versions:
        stale = False
    elif base is not None:
        stale = versions[-1].version != base
    else:  # a journal written before the base version was recorded
        stale = versions[-1].created > entry.written_at
    if stale:
        raise StaleEntry(entry, versions[-1], display_name(record.name, Path(project.root)))
    return base


def refusal(project: ProjectStore, entry: JournalEntry) -> DeclinedEntry | None:
    """Why :func:`restore_entry` would refuse ``entry`` for good (its image gone, another photo
    under its id, a version saved over its start), or None: such an entry is set aside without
    asking the operator whether to restore it (the question named the photo now under its id).

    Raises
    ------
    ProjectError
        The store does not answer (the entry is kept for later).
    """
    try:
        _unstale_base(project, entry, _on_its_photo(project, entry))
    except DeclinedEntry as refused:
        return refused
    return None


def already_saved(project: ProjectStore, entry: JournalEntry) -> bool:
    """Whether ``entry`` holds nothing the store lacks: its mask is, pixel for pixel, the latest
    saved version of its task (on the photo it was made on), and so is its Smart-click log. A
    window killed between a save's commit and the deletion of its journal entry leaves one;
    restoring it would only add a copy, and declining it would tell the operator that newer work
    won over edits that are saved. When the latest version is the entry's own save (the one after
    its base, under its user) and lacks the entry's click log (the kill came before the log was
    written), the log is written beside it now; any other difference in the log (or a failure to
    write it) keeps the entry, which is then restored or set aside as any other.
    """
    try:
        image_id = int(entry.image_id)
        if entry.photo is not None and entry.photo != project.image(image_id).sha256:
            return False
        versions = project.mask_versions(image_id, entry.task)
        if not versions:
            return False
        latest = versions[-1]
        saved = project.load_mask(image_id, entry.task, latest.version)
        if saved is None or not np.array_equal(saved, entry.load_mask()):
            return False
        logged = read_click_log(latest.path)
        if not entry.clicks or list(entry.clicks) == logged:
            return True
        own = entry.base is not None and latest.version == entry.base + 1 and latest.user == entry.user
        if not own or logged:
            return False
        write_click_log(latest.path, list(entry.clicks))
    except (ProjectError, JournalError, OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("journal entry %s not checked against the saved version: %s", entry.path, exc)
        return False
    return True


def restore_entry(project: ProjectStore, entry: JournalEntry) -> None:
    """Save a journalled mask as a new version (``source="recovered"``) and delete the entry.

    The entry's Smart-click log is written beside the version; when that fails it is logged and
    the entry is deleted all the same (the mask is saved: restored again, it would be refused
    as stale). An entry the store already holds (:func:`already_saved`) is deleted, nothing
    saved.

    Raises
    ------
    ImageGone
        The project has no image with the entry's id any more: nothing is saved, the entry
        stays for the caller to set aside.
    OtherPhoto
        The entry names the photo its edits were made on, and the image with its id now has
        another (ids are reused after an index is restored from a backup): nothing is saved,
        the entry stays for the caller to set aside. Entries without it are matched by id.
    StaleEntry
        The latest saved version is not the one the edits started from (a colleague saved
        over it), or, in journals without that number, a version was saved after the entry
        was written: nothing is saved, the entry stays for the caller to set aside.
    LeaseHeld
        Another live session holds the image (a crashed one's lease is broken by the store).
    ValueError, ProjectError, KeyError
        The entry or the store cannot be used; the entry stays in the journal.
    """
    image_id = int(entry.image_id)
    record = _on_its_photo(project, entry)
    if already_saved(project, entry):  # a save committed, the window killed before the entry went
        entry.path.unlink(missing_ok=True)
        return
    base = _unstale_base(project, entry, record)
    # edited: as a save, a recovered version is not the approved one (same transaction);
    # base: a colleague's save since the check above still refuses it
    try:
        saved = project.save_mask(image_id, entry.task, entry.load_mask(), seconds=entry.seconds,
                                  actions=entry.actions, source="recovered",
                                  user=entry.user or None, edited=True, base=base)  # fmt: skip
    except NewerVersion as newer:
        raise StaleEntry(entry, newer.version, display_name(record.name, Path(project.root))) from newer
    if entry.clicks:  # the Smart clicks behind the edits are training data like a save's
        write_saved_click_log(saved, list(entry.clicks), None)
    entry.path.unlink(missing_ok=True)
