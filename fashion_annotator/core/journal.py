"""Crash-recovery journal: the dirty masks of a project, written after every edit step.

Each (image, task) pair that has unsaved edits owns one small file in the journal folder:
a JSON header line followed by the zlib-compressed ``(H, W) uint8`` mask. A file is replaced
atomically (temp file, fsync, ``os.replace``) after each edit step, so a crash at any moment
leaves either the previous snapshot or the new one, never a torn file. A successful save of the
mask deletes its entry. On start-up the application lists the entries and offers to restore them.

Every session writes into a folder of its own under the project's journal folder
(:func:`session_journal`), so one operator's save never deletes another running session's
entries; :func:`journal_entries` lists every session's entries (and those of the former
single-folder layout) for recovery, ``declined/`` keeps what operators declined, and a session
moves the entries it chose to restore into its own ``<session>.claimed`` folder (:func:`claim`)
until their image opens.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import re
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fashion_annotator.core.atomic import atomic_write_bytes, file_identity

MAGIC = "fashion-annotator-journal/1"
SUFFIX = ".fajournal"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class JournalError(ValueError):
    """A journal file that cannot be read back.

    Attributes
    ----------
    path : Path
        The offending file.
    reason : str
        What is wrong with it.
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = Path(path)
        self.reason = reason


@dataclass(frozen=True)
class JournalEntry:
    """One unsaved mask found in the journal.

    Attributes
    ----------
    image_id : int | str
        The project's image id, as it was given to :meth:`RecoveryJournal.record`.
    task : str
        The task (taxonomy name) of the mask.
    shape : tuple[int, int]
        ``(H, W)`` of the mask in pixels.
    seconds : float
        Seconds of editing spent on the image when the snapshot was written.
    actions : int
        Edit actions counted when the snapshot was written.
    written_at : float
        Unix time of the snapshot.
    path : Path
        The journal file.
    user : str
        The operator whose edits these are ("" in journals written before it was recorded).
    base : int or None
        The saved version the edits started from (0: none saved); None in journals written
        before it was recorded.
    clicks : tuple of dict
        The Smart-click log behind the unsaved mask (see
        :mod:`fashion_annotator.dataset.click_logs`); empty when none.
    photo : str or None
        The SHA-256 of the photo the edits were made on, as the project's index records it
        (ids are reused after an index is restored from a backup); None in journals written
        before it was recorded.
    unanswered : tuple of str
        Fingerprints of the masks of saves that raised since ``base`` (a commit whose answer was
        lost may have reached the server): a version after ``base`` with one of them is the
        window's own, not a colleague's (:func:`fashion_annotator.annotate.restore.restore_entry`).
    """

    image_id: int | str
    task: str
    shape: tuple[int, int]
    seconds: float
    actions: int
    written_at: float
    path: Path
    user: str = ""
    base: int | None = None
    clicks: tuple[dict, ...] = ()
    photo: str | None = None
    unanswered: tuple[str, ...] = ()

    def load_mask(self) -> np.ndarray:
        """Return the journalled mask, ``(H, W) uint8``; raises :class:`JournalError`."""
        _, mask = _read(self.path)
        return mask


def _file_name(image_id: int | str, task: str) -> str:
    # The id is also kept in the header; the name only has to be unique and portable.
    kind = "i" if isinstance(image_id, (int, np.integer)) else "s"
    return f"{kind}{_SAFE.sub('_', str(image_id))}__{_SAFE.sub('_', task)}{SUFFIX}"


def _read(path: Path) -> tuple[JournalEntry, np.ndarray]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise JournalError(path, f"cannot read: {exc.strerror or exc}") from exc
    head, sep, body = data.partition(b"\n")
    if not sep:
        raise JournalError(path, "truncated: no header line")
    try:
        header = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JournalError(path, f"corrupt header: {exc}") from exc
    if not isinstance(header, dict) or header.get("magic") != MAGIC:
        raise JournalError(path, "not a fashion-annotator journal file")
    try:
        height, width = (int(v) for v in header["shape"])
        entry = JournalEntry(
            image_id=header["image_id"],
            task=str(header["task"]),
            shape=(height, width),
            seconds=float(header["seconds"]),
            actions=int(header["actions"]),
            written_at=float(header["written_at"]),
            path=Path(path),
            user=str(header.get("user", "")),
            base=None if header.get("base") is None else int(header["base"]),
            clicks=tuple(c for c in header.get("clicks") or () if isinstance(c, dict)),
            photo=None if header.get("photo") is None else str(header["photo"]),
            unanswered=tuple(str(f) for f in header.get("unanswered") or ()),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise JournalError(path, f"incomplete header: {exc}") from exc
    try:
        raw = zlib.decompress(body)
    except zlib.error as exc:
        raise JournalError(path, f"corrupt mask data: {exc}") from exc
    if len(raw) != height * width:
        raise JournalError(path, f"mask has {len(raw)} bytes, expected {height}x{width}")
    mask = np.frombuffer(raw, dtype=np.uint8).reshape(height, width).copy()
    return entry, mask


class RecoveryJournal:
    """The journal folder of one project.

    Parameters
    ----------
    directory : str or Path
        Folder that holds the journal files; created on the first write.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        anchor: str | os.PathLike[str] | None = None,
        user: str = "",
        anchor_file: str | None = None,
    ) -> None:
        self.directory = Path(directory)
        #: The operator whose edits this journal keeps (written into each entry).
        self.user = user
        #: A folder that must exist for :meth:`record` to write (the project's root): a project
        #: moved or deleted while open gets an error, not a new folder at its old place.
        self.anchor = None if anchor is None else Path(anchor)
        #: ``(st_dev, st_ino)`` of the file ``anchor / anchor_file`` (the project's index) now:
        #: another file there later means another folder at the anchor's path (a project folder
        #: replaced by a copy while open), and :meth:`record` refuses it. None: not checked.
        self.anchor_identity = (
            None if self.anchor is None or anchor_file is None else file_identity(self.anchor / anchor_file)
        )
        self._anchor_file = anchor_file

    def path_for(self, image_id: int | str, task: str) -> Path:
        """Return the journal file of ``(image_id, task)`` (it may not exist)."""
        return self.directory / _file_name(image_id, task)

    def record(
        self,
        image_id: int | str,
        task: str,
        mask: np.ndarray,
        *,
        seconds: float = 0.0,
        actions: int = 0,
        base: int | None = None,
        clicks: list[dict] | None = None,
        photo: str | None = None,
        unanswered: list[str] | None = None,
    ) -> Path:
        """Write the current dirty ``mask`` of ``(image_id, task)``, replacing the previous one.

        Parameters
        ----------
        image_id : int or str
            The project's image id.
        task : str
            The task of the mask.
        mask : (H, W) uint8 ndarray
            The mask with the unsaved edits.
        seconds : float
            Seconds spent on the image so far.
        actions : int
            Edit actions so far.
        base : int, optional
            The saved version the edits started from (0: none saved): a restore over any other
            version would hide a colleague's newer work.
        clicks : list of dict, optional
            The Smart-click log behind the mask (JSON-able), restored with it.
        photo : str, optional
            The SHA-256 of the photo (the index's): a restore onto another photo that got the
            same id (an index restored from a backup) is refused.
        unanswered : list of str, optional
            Fingerprints of the masks of saves that raised since ``base`` (see
            :class:`JournalEntry`).

        Returns
        -------
        Path
            The journal file, durable on disk when this returns.
        """
        mask = np.asarray(mask)
        if mask.ndim != 2 or mask.dtype != np.uint8:
            raise ValueError(f"journal mask must be (H, W) uint8, got {mask.shape} {mask.dtype}")
        if isinstance(image_id, np.integer):
            image_id = int(image_id)
        header = {
            "magic": MAGIC,
            "image_id": image_id,
            "task": task,
            "shape": list(mask.shape),
            "seconds": float(seconds),
            "actions": int(actions),
            "written_at": time.time(),
            "user": self.user,
            "base": base,
            "clicks": list(clicks or ()),
            "photo": photo,
            "unanswered": list(unanswered or ()),
        }
        payload = json.dumps(header).encode("utf-8") + b"\n"
        payload += zlib.compress(np.ascontiguousarray(mask).tobytes(), 1)
        target = self.path_for(image_id, task)
        if self.anchor is not None and not self.anchor.is_dir():
            raise FileNotFoundError(
                errno.ENOENT, "the project folder is gone (moved, renamed or deleted while open)", str(self.anchor)
            )
        if self.anchor is not None and self._anchor_file is not None and self.anchor_identity is not None:
            if file_identity(self.anchor / self._anchor_file) != self.anchor_identity:
                raise OSError(
                    errno.ESTALE, "the project folder was replaced while open (moved away and another copy "
                    "put in its place): reopen the project", str(self.anchor),
                )  # fmt: skip
        atomic_write_bytes(target, payload)
        return target

    def discard(self, image_id: int | str, task: str | None = None) -> None:
        """Delete the entries of ``image_id`` (one ``task``, or all tasks when None)."""
        for entry in self.entries():
            if entry.image_id == image_id and (task is None or entry.task == task):
                entry.path.unlink(missing_ok=True)

    def entries(self) -> list[JournalEntry]:
        """Return the readable entries, oldest first; see :meth:`problems` for the rest."""
        found = []
        for path in self._files():
            try:
                found.append(_read(path)[0])
            except JournalError:
                continue
        return sorted(found, key=lambda e: e.written_at)

    def problems(self) -> list[JournalError]:
        """Return one :class:`JournalError` per journal file that cannot be read."""
        errors = []
        for path in self._files():
            try:
                _read(path)
            except JournalError as exc:
                errors.append(exc)
        return errors

    def clear(self) -> None:
        """Delete every journal file, readable or not."""
        for path in self._files():
            path.unlink(missing_ok=True)

    def __bool__(self) -> bool:
        return bool(self._files())

    def _files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob(f"*{SUFFIX}"))


#: The folder under a project's journal folder that keeps declined entries.
DECLINED = "declined"

#: The ending of the folder, beside a session's own journal folder (``<session>.claimed``), that
#: takes the crashed sessions' entries the session restored and has not put into their image
#: yet (:func:`claim`): named after the session, so it is that session's while it runs, and
#: offered again, as any crashed session's folder, once it has ended.
CLAIMED = ".claimed"


def claimed_folder(journal: RecoveryJournal) -> Path:
    """The folder where ``journal``'s session keeps the entries it claimed (:data:`CLAIMED`)."""
    return journal.directory.with_name(journal.directory.name + CLAIMED)


def claim(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> Path | None:
    """Move the journal file ``path`` into ``folder`` (one session's claimed folder, written by
    that session alone), under its name or ``stem.2.suffix`` (3, 4, ...) when taken; its time
    is set to now (the claim is newer than the claiming process). One rename: of two sessions
    claiming one file at once, one gets it. Returns the new path, or None when ``path`` is gone
    (another session claimed or set it aside first).

    Raises
    ------
    OSError
        The folder cannot be made or the file cannot be moved there.
    """
    path, folder = Path(path), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem, dot, suffix = path.name.partition(".")
    target = next(
        t for n in itertools.count(1)
        if not (t := folder / (path.name if n == 1 else f"{stem}.{n}{dot}{suffix}")).exists()
    )  # fmt: skip
    try:
        os.replace(path, target)
    except FileNotFoundError:
        return None
    os.utime(target)
    return target


def session_journal(
    root: str | os.PathLike[str], owner: str, user: str = "", anchor_file: str | None = None
) -> RecoveryJournal:
    """The journal of one session: ``root / <owner>``, ``owner`` made a safe folder name
    (e.g. ``"alice@host-1234-1f2e3d4c"``: user, host, process and a random part). ``root`` is a
    project's ``journal`` folder; the project folder above it is the journal's anchor, and
    ``anchor_file`` (the project's index, when it has one) names a file in it that must stay the
    one it is now (see :class:`RecoveryJournal`)."""
    name = safe_name(owner)[:120]
    if not name or name == DECLINED or name.startswith("."):
        raise ValueError(f"unusable journal owner {owner!r}")
    return RecoveryJournal(Path(root) / name, anchor=Path(root).parent, user=user, anchor_file=anchor_file)


def session_pid(folder: str | os.PathLike[str], host: str) -> int | None:
    """The process id of the session on ``host`` that wrote the journal folder ``folder``
    (named by :func:`session_journal` from ``user@host-pid-random``, made a safe name); None
    when another host wrote it or the folder is not named that way."""
    head, dash, _random = Path(folder).name.rpartition("-")
    head, dash2, pid = head.rpartition("-")
    if not (dash and dash2 and pid.isdigit() and head.endswith("_" + safe_name(host))):
        return None
    return int(pid)


def safe_name(text: str) -> str:
    """``text`` as a journal folder name has it (characters outside ``A-Za-z0-9_.-`` as ``_``)."""
    return _SAFE.sub("_", text)


def journal_entries(root: str | os.PathLike[str], skip: str | os.PathLike[str] | None = None) -> list[JournalEntry]:
    """Every readable entry under a project's journal folder ``root``, oldest first: those at its
    top level (the former layout) and those of every session folder but ``declined/`` and
    ``skip`` (the asking session's own folder)."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [e for folder in _session_folders(root, skip) for e in RecoveryJournal(folder).entries()]
    return sorted(found, key=lambda e: e.written_at)


def journal_problems(root: str | os.PathLike[str], skip: str | os.PathLike[str] | None = None) -> list[JournalError]:
    """One :class:`JournalError` per file of the folders :func:`journal_entries` reads that
    cannot be read back (damaged outside the program: writes are atomic)."""
    root = Path(root)
    if not root.is_dir():
        return []
    return [p for folder in _session_folders(root, skip) for p in RecoveryJournal(folder).problems()]


def _session_folders(root: Path, skip: str | os.PathLike[str] | None) -> list[Path]:
    """``root`` and its session folders but ``declined/`` and ``skip``."""
    skipped = None if skip is None else Path(skip).resolve()
    return [root] + sorted(
        p for p in root.iterdir() if p.is_dir() and p.name != DECLINED and p.resolve() != skipped
    )
