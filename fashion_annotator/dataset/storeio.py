"""File and index I/O helpers of the store: careful photo reads, read-only opening, errors.

Kept apart from :mod:`fashion_annotator.dataset.store` so the store's class stays about the
project's records; everything here is about what the operating system and SQLite may do.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from fashion_annotator.core.atomic import disk_full, disk_full_text
from fashion_annotator.core.images import PHOTO_SUFFIXES, ImageLoadError
from fashion_annotator.dataset import schema
from fashion_annotator.dataset.index_damage import IndexConnection, IndexDamaged
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.wal import wal_adds_to
from fashion_annotator.runtime.paths import project_around

MAX_PHOTO_BYTES = 1 << 30
"""Largest photo file read (1 GiB); a bigger one is refused before it is read."""

_KINDS = {
    stat.S_ISFIFO: "a FIFO (named pipe)",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
    stat.S_ISDIR: "a folder",
}


class ImportConflict(ValueError):
    """An imported mask differs from the saved versions; nothing was saved.

    ``str()`` names the image, the task and the version it would have hidden.
    """

    def __init__(self, name: str, task: str, latest: Mapping[str, Any]) -> None:
        self.name, self.task, self.version = name, task, int(latest["version"])
        super().__init__(
            f"{name}: the {task} mask differs from saved version {self.version} "
            f"({latest['source']}, by {latest['user']}); not imported (pass --overwrite to "
            "add it as a new version; every version is kept)"
        )


def file_kind(path: Path) -> str | None:
    """``None`` for a regular file (links followed), else what it is, in words."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing (or a broken link)"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    for test, kind in _KINDS.items():
        if test(mode):
            return kind
    return "not a regular file"


def read_photo_bytes(path: Path) -> bytes:
    """Read a photo file, refusing anything but a regular file of sane size before reading.

    Raises
    ------
    ImageLoadError
        A FIFO (which would block forever), a device such as ``/dev/zero`` (endless), a
        folder, or a file above :data:`MAX_PHOTO_BYTES`.
    ProjectError
        The file cannot be read.
    """
    kind = file_kind(path)
    if kind is not None:
        raise ImageLoadError(path, f"not a regular file: {kind}")
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ImageLoadError(path, "not a regular file")
            if size > MAX_PHOTO_BYTES:
                raise ImageLoadError(
                    path, f"{size} bytes exceeds the photo limit of {MAX_PHOTO_BYTES} bytes"
                )
            # read(n) allocates n bytes up front: the limit's 1 GiB for every photo (committed
            # memory on Windows); a file that grew since its fstat is read on, up to the limit
            data = handle.read(size + 1)
            if len(data) > size:
                data += handle.read(MAX_PHOTO_BYTES + 1 - len(data))
            if len(data) > MAX_PHOTO_BYTES:
                raise ImageLoadError(path, f"more than the photo limit of {MAX_PHOTO_BYTES} bytes")
            return data
    except OSError as exc:
        raise ProjectError(f"{path}: cannot read: {exc.strerror or exc}") from exc


#: Each photo file's last hash and the ``(inode, mtime_ns, ctime_ns, size)`` it was taken at:
#: one entry per file, however many photos a project has (a least-recently-used cache of 8,192
#: entries found nothing on a second pass over a larger project, re-reading every photo).
_HASHED: dict[str, tuple[tuple[int, int, int, int], str]] = {}


def _file_sha256(path: str, changed: tuple[int, int, int, int]) -> str | None:
    """SHA-256 of a file as it was at ``changed``, its ``(inode, mtime_ns, ctime_ns, size)``
    (asked again: a stat, no read; the ctime moves with a copy that kept the mtime, ``cp -p``)."""
    known = _HASHED.get(path)
    if known is not None and known[0] == changed:
        return known[1]
    try:
        sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
    _HASHED[path] = (changed, sha)
    return sha


def referenced_photo_changed(record: Any, root: Path) -> str | None:
    """Why the file of a project photo is not the photo that was added, or None: its file now
    holds other content (a re-export, a retouch saved over it, another photo copied over it
    under the name). The masks were drawn on the earlier photo; pairing them with this one in
    the window, an export, a QA report or a retrain would be silent wrong data. A missing file
    is None here (the readers say it themselves). Each file is hashed once per change of its
    inode, times or size (a stat when asked again), so a copy in ``root/images`` is checked
    as a photo referenced in place is.

    A stored photo reached through a link (``images/look.jpg``, or ``images/`` itself, a link)
    is named as one: a project folder from elsewhere may link a stored name to any file of
    this computer, which an export would otherwise copy out as that photo.

    Parameters
    ----------
    record : ImageRecord
        The image (``path`` and ``sha256``).
    root : Path
        The project folder (a PostgreSQL project's working folder).
    """
    path = Path(record.path)
    images = Path(root) / "images"
    try:
        info = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    sha = _file_sha256(str(path), (info.st_ino, info.st_mtime_ns, info.st_ctime_ns, info.st_size))
    if sha is None or sha == record.sha256:
        return None
    stored = path.is_relative_to(images)
    if stored and (path.is_symlink() or images.is_symlink()):
        return (
            f"{path}: a link to {path.resolve()}, which is not the photo added to the project "
            "(other content; a project folder from elsewhere?): not read, not exported"
        )
    back = ("copy the photo that was added (the file it was imported from, or a backup) back over it"
            if stored else "put the earlier file back")  # fmt: skip
    return (
        f"{path}: the file changed since it was added to the project (other content); masks "
        f"belong to the photo as it was added and are not paired with another one: {back}, "
        "or add this one as a new photo under another name"
    )


def same_content(path: Path, sha: str) -> bool:
    """Whether the regular file ``path`` has SHA-256 ``sha`` (False when unreadable)."""
    try:
        if file_kind(path) is not None:
            return False
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha
    except OSError:
        return False


def import_adds_version(
    name: str,
    task: str,
    saved: Sequence[Mapping[str, Any]],
    sha: str,
    mask: np.ndarray,
    latest: Callable[[], np.ndarray | None],
    overwrite: bool,
) -> bool:
    """Whether an imported mask becomes a new version (the rule of every backend's ``save_import``).

    Parameters
    ----------
    name, task : str
        The photo's name and the task, for the error.
    saved : sequence of mappings
        The saved versions, oldest first, with ``version``, ``sha256``, ``source`` and ``user``.
    sha : str
        SHA-256 of the imported mask's encoded PNG.
    mask : (H, W) integer array
    latest : callable
        Reads the latest saved mask (only asked when the hashes differ).
    overwrite : bool

    Returns
    -------
    bool
        False when the mask equals a saved version (nothing to add), True when it is new. With
        ``overwrite`` only the latest version counts: a mask equal to an older one is added
        again, so the file is what the image holds afterwards.

    Raises
    ------
    ImportConflict
        It differs from the latest saved version and ``overwrite`` is False.
    """
    if any(r["sha256"] == sha for r in (saved[-1:] if overwrite else saved)):
        return False
    if not saved:
        return True
    previous = latest()
    if previous is not None and same_mask(previous, mask):
        return False
    if not overwrite:
        raise ImportConflict(name, task, saved[-1])
    return True


def import_status(current: str) -> str | None:
    """The status an import that adds a mask version sets: ``done`` from ``new``, ``in_progress``
    or ``approved`` (QA approved another version: the new one waits for review again), else
    unchanged (None): an import never clears ``rejected``."""
    return "done" if current in ("new", "in_progress", "approved") else None


def same_mask(saved: np.ndarray, mask: np.ndarray) -> bool:
    """Whether two label masks hold the same ids (dtype aside)."""
    mask = np.asarray(mask)
    return saved.shape == mask.shape and bool(np.array_equal(saved, mask))


def describe(exc: sqlite3.Error) -> str:
    """An SQLite error in words an operator can act on."""
    text = str(exc)
    low = text.lower()
    if "disk is full" in low or "database or disk is full" in low:
        return "the disk is full; free some space and save again"
    if "readonly" in low or "read-only" in low:
        return "the project folder is read-only"
    if "locked" in low or "busy" in low:
        return "another program holds the index too long; try again"
    if "malformed" in low or "not a database" in low:
        return f"the index is damaged ({text})"
    return text


def open_error_text(exc: sqlite3.Error | schema.SchemaError, index: Path) -> str:
    """Why ``index`` could not be opened, in words: SQLite's ``disk I/O error`` (what it says
    when the shared-memory file of a WAL index cannot grow) on a (nearly) full disk is put down
    to the full disk, and how much to free; a failing disk is not blamed for it."""
    text = str(exc)
    if "disk i/o error" in text.lower() and disk_full(index.parent):
        return f"{disk_full_text(index.parent)} (SQLite: {text})"
    return text


def unwritable(root: Path, index: Path) -> str | None:
    """Why the project cannot be opened for writing by this account, or None if it can."""
    for path in (root, index):
        if not os.access(path, os.W_OK):
            return f"{path} is not writable by this account"
    return None


def may_fall_back(exc: ProjectError) -> bool:
    """Whether a failed read-write open may still open read-only (not for damage, versions)."""
    cause = exc.__cause__
    if isinstance(exc, IndexDamaged) or isinstance(cause, schema.SchemaError):
        return False
    if isinstance(cause, sqlite3.DatabaseError) and "not a database" in str(cause).lower():
        return False
    return isinstance(cause, sqlite3.Error | OSError)


def _not_an_index(index: Path) -> str:
    """Why ``index`` cannot be a project's index, and what to do."""
    return (f"it is empty or not a project index (another program's database, a copy cut short, a "
            f"creation stopped?); restore it from a backup (a project never used: delete "
            f"{index.name} and make it again)")  # fmt: skip


def _has_no_tasks(index: Path) -> bool:
    """Whether ``index``, read without changing it, has no ``tasks`` table (False when it
    cannot be read here: the caller's own open reports that)."""
    uri = "file:" + quote(os.fsencode(index.resolve())) + "?mode=ro"  # bytes: a folder name not UTF-8
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as conn:
            names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.Error:
        return False
    return "tasks" not in {row[0] for row in names}


def connect_readonly(index: Path) -> sqlite3.Connection:
    """Open the index read-only (``mode=ro``, or ``immutable`` where WAL files cannot be made).

    ``immutable`` reads the index file alone: never while a ``-wal`` beside it holds frames
    (saves a killed writer committed there, which it would silently leave out).

    Raises
    ------
    ProjectError
        The index cannot be read, its WAL holds saves that only an open with write access can
        read, or its schema needs an upgrade (which needs write access).
    """
    uri = "file:" + quote(os.fsencode(index.resolve()))  # bytes: a folder name not UTF-8
    last: Exception | None = None
    for flags in ("?mode=ro", "?mode=ro&immutable=1"):
        if "immutable" in flags:
            _check_no_pending_wal(index, last)
        try:
            conn = sqlite3.connect(uri + flags, uri=True, isolation_level=None, factory=IndexConnection)
        except sqlite3.Error as exc:
            last = exc
            continue
        conn.index = index.absolute()
        conn.row_factory = sqlite3.Row
        try:
            version = schema.schema_version(conn)
            conn.execute("SELECT COUNT(*) FROM tasks").fetchone()
        except sqlite3.Error as exc:
            conn.close()
            if isinstance(exc, IndexDamaged):
                raise IndexDamaged(exc.index, exc.detail, opening=True) from exc.__cause__
            if "no such table" in str(exc):
                raise ProjectError(f"{index}: cannot open the project index: {_not_an_index(index)}") from exc
            last = exc
            continue
        if version != schema.SCHEMA_VERSION:
            conn.close()
            raise ProjectError(
                f"{index}: schema version {version}, this program needs {schema.SCHEMA_VERSION}; "
                "open it once with write access to upgrade"
            )
        return conn
    raise ProjectError(f"{index}: cannot open the index even read-only: {last}") from last


def _check_no_pending_wal(index: Path, cause: Exception | None) -> None:
    """Refuse an ``immutable`` open of ``index`` while its ``-wal`` holds saves the index lacks
    (:func:`~fashion_annotator.dataset.wal.wal_adds_to`; a log checkpointed but not emptied is
    no reason), or a log that cannot be checked.

    Raises
    ------
    ProjectError
        Naming the ``-wal`` file and the way out.
    """
    wal = index.with_name(index.name + "-wal")
    try:
        pending = wal.stat().st_size > 0 and wal_adds_to(index, wal)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ProjectError(f"{wal}: cannot read: {exc.strerror or exc}") from exc
    if pending is None:
        raise ProjectError(
            f"{wal}: a write-ahead log this read-only copy cannot check ({index.name}-shm is "
            f"missing or cannot be made: {cause}); open the project once with write access"
        ) from cause
    if pending:
        raise ProjectError(
            f"{wal}: holds saves not yet written into {index.name} that can only be read with "
            f"write access to the folder ({index.name}-shm is missing or cannot be made: "
            f"{cause}); open the project once with write access, or copy the whole folder to "
            "a writable place and open the copy"
        ) from cause


def connect_index(index: Path, existing: bool = True) -> sqlite3.Connection:
    """The index, its schema brought up to date; ``existing``: it must already be a project's
    (an empty file, a copy cut short, is refused, not made into a new empty project whose first
    open would sweep every photo and mask of the folder away)."""
    empty = _not_an_index(index)
    with contextlib.suppress(OSError):
        # refused before SQLite writes a header into it, or another program's database is
        # switched to WAL for good
        if existing and (index.stat().st_size == 0 or _has_no_tasks(index)):
            raise ProjectError(f"{index}: cannot open the project index: {empty}")
    try:
        conn = schema.connect(index)
    except IndexDamaged as exc:
        raise IndexDamaged(exc.index, exc.detail, opening=True) from exc.__cause__
    except (sqlite3.Error, schema.SchemaError) as exc:
        raise ProjectError(f"{index}: cannot open the project index: {open_error_text(exc, index)}") from exc
    try:
        if existing and schema.schema_version(conn) == 0:
            raise schema.SchemaError(empty)
        schema.migrate(conn, index)
        if existing and conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0] == 0:
            raise schema.SchemaError(
                f"it names no tasks (its creation was cut short?); delete {index.name} and make the "
                "project again (`fashion-annotator new`)"
            )
    except (sqlite3.Error, schema.SchemaError) as exc:
        conn.close()
        if isinstance(exc, IndexDamaged):
            raise IndexDamaged(exc.index, exc.detail, opening=True) from exc.__cause__
        raise ProjectError(f"{index}: cannot open the project index: {open_error_text(exc, index)}") from exc
    return conn


def check_no_dataset(root: Path, folders: Sequence[str]) -> None:
    """Refuse to make a project in ``root`` when its ``folders`` (the store's) already hold files:
    a dataset folder's own ``images/`` and ``masks/``, which the project's first open would take
    for a crash's leftovers.

    Raises
    ------
    ProjectError
        Naming the folders and both ways out.
    """
    taken = [name for name in folders if (root / name).is_dir() and any((root / name).iterdir())]
    if taken:
        raise ProjectError(
            f"{root}: its {', '.join(f'{n}/' for n in taken)} already hold files (a dataset?); make the "
            f"project in a new folder and import them (`fashion-annotator new PROJECT --images "
            f"{root / 'images'}`, or `fashion-annotator import PROJECT {root} --format plain`)"
        )


def not_a_project(root: Path, index_name: str, photo_folder_project: str) -> str:
    """Why ``root`` cannot be opened as a project, and how to make one. A folder of photos is
    told the window's layout for it (its project in ``root/photo_folder_project``): the general
    advice, ``new ROOT --images PHOTOS``, put the project among the photos."""
    photos = root.is_dir() and any(p.suffix.lower() in PHOTO_SUFFIXES and p.is_file() for p in root.iterdir())
    if photos:
        return (f"{root}: not a project (no {index_name}) but a folder of photos: open it in the window, "
                f"or make its project with `fashion-annotator new {root / photo_folder_project} --images {root}`")  # fmt: skip
    return f"{root}: not a project (no {index_name}); make one with `fashion-annotator new {root} --images PHOTOS`"


def check_new_project_folder(root: Path, index_name: str, photo_folder_project: str, folders: Sequence[str]) -> None:
    """Refuse to make a project in ``root`` when it lies inside another project (whose next
    open would move the new project's files to its lost+found), when its photos already have
    a project the window made in ``root / photo_folder_project``, or when it holds a dataset
    (:func:`check_no_dataset`); a folder already holding ``index_name`` is left to the
    exclusive creation that follows.

    Raises
    ------
    ProjectError
        Naming the folder and what is in the way.
    """
    outer = project_around(root.parent)
    if outer is not None:
        raise ProjectError(
            f"{root}: inside the project {outer} (its next open would move the new project's "
            "files to its lost+found); make the project elsewhere"
        )
    if (root / photo_folder_project / index_name).is_file():
        raise ProjectError(
            f"{root}: its photos already have a project, {root / photo_folder_project}; open "
            f"that one (`fashion-annotator {root}`, or give {root} to any command)"
        )
    if not (root / index_name).exists():
        check_no_dataset(root, folders)
