"""This desktop's working folder of a PostgreSQL project, tied to the project's identity.

The folder (``ProjectURL.local_root()``) holds copies of the database's photos and models,
caches and the recovery journal. It is stamped with the project's ``meta.uid``, so that a
project dropped and created again under the same name never finds the old one's files.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from pathlib import Path

import psycopg
from psycopg.rows import DictRow

from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.dataset.postgres.connection import PgConnection
from fashion_annotator.dataset.records import ImageRecord, ProjectError

__all__ = ["UID_FILE", "claim_working_folder", "fetch_missing", "keep_local", "project_uid"]

log = logging.getLogger(__name__)

#: File in the working folder naming the project (its ``meta.uid``) the folder holds copies of.
UID_FILE = "project-uid"

FETCH_BATCH = 32
"""Photos fetched from the database per query when filling the local working folder."""


def project_uid(conn: psycopg.Connection[DictRow]) -> str | None:
    """The project's identity (``meta.uid``), made on first use: a project dropped and created
    again under the same name gets a new one. None when it has none and this database user
    may not write one (a read-only account)."""
    query = "SELECT value FROM meta WHERE key = 'uid'"
    row = conn.execute(query).fetchone()
    if row is None:
        try:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('uid', %s) ON CONFLICT (key) DO NOTHING",
                (uuid.uuid4().hex,),
            )
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction):
            return None
        row = conn.execute(query).fetchone()
    return None if row is None else str(row["value"])


def claim_working_folder(root: Path, uid: str | None) -> Path:
    """Make ``root`` the working folder of the project ``uid`` and return it.

    A folder stamped with another project's identity (the project was dropped and created
    again under the same name, the database restored from another server, or the same address
    leads to another server with a project of this name) is moved aside to
    ``<root>.before-<uid>`` (kept, never deleted): its photos, caches and recovery journal
    belong to the other project and must not be shown, or restored, as this one's. When this
    project's own folder was moved aside earlier, it comes back (its journal is offered again);
    else a fresh folder is made. A folder without a stamp (made before stamps existed) is
    adopted.

    Raises
    ------
    OSError
        The folder cannot be made, moved or stamped.
    """
    if uid is None:
        root.mkdir(parents=True, exist_ok=True)
        return root
    held = _stamp(root)
    if held == uid:
        return root
    if held is not None or not root.exists():
        own = _aside_of(root, uid)
        if held is not None:
            _move_aside(root, held)
        if own is not None:
            own.rename(root)
            log.warning("%s: this project's working folder comes back from %s", root, own)
            return root
    root.mkdir(parents=True, exist_ok=True)
    atomic_write_text(root / UID_FILE, uid + "\n")
    return root


def _stamp(folder: Path) -> str | None:
    """The project identity a working folder is stamped with, or None (no stamp, no folder)."""
    try:
        return (folder / UID_FILE).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _aside_of(root: Path, uid: str) -> Path | None:
    """The folder of project ``uid`` that :func:`_move_aside` moved aside from ``root``, or None."""
    prefix = f"{root.name}.before-{uid[:12]}"
    if not root.parent.is_dir():
        return None
    for folder in sorted(root.parent.iterdir()):
        if folder.name.startswith(prefix) and folder.is_dir() and _stamp(folder) == uid:
            return folder
    return None


def _move_aside(root: Path, held: str) -> None:
    """Move the working folder of project ``held`` to a free ``<root>.before-<uid>`` name."""
    aside = root.with_name(f"{root.name}.before-{held[:12]}")
    n = 2
    while aside.exists():
        aside = root.with_name(f"{root.name}.before-{held[:12]}-{n}")
        n += 1
    root.rename(aside)
    log.warning("%s held copies of another project of this name; moved to %s", root, aside)


def is_file(path: Path) -> bool:
    """``path.is_file()``, False where the file system refuses the name (too long, a character
    Windows forbids) instead of raising."""
    try:
        return path.is_file()
    except OSError:
        return False


def fetch_missing(db: PgConnection, records: Iterable[ImageRecord], root: Path) -> None:
    """Copy into the working folder ``root`` the uploaded photos of ``records`` it lacks.

    A photo this desktop cannot keep (a name its file system refuses) is logged and fails to
    open later, naming the file; the list and every other image stay usable.
    """
    missing = {r.sha256: r.path for r in records if r.path.is_relative_to(root) and not is_file(r.path)}
    shas = list(missing)
    for start in range(0, len(shas), FETCH_BATCH):
        batch = db.query("SELECT sha256, data FROM photos WHERE sha256 = ANY(%s)", (shas[start : start + FETCH_BATCH],))
        for row in batch:
            keep_local(db, missing[row["sha256"]], bytes(row["data"]))


def keep_local(db: PgConnection, path: Path, data: bytes) -> None:
    """The working folder's copy of database bytes, or a logged warning where this desktop
    cannot write it (the photo then fails to open, naming the file; nothing else stops)."""
    try:
        db.keep_local(path, data)
    except ProjectError as exc:
        log.warning("%s", exc)
