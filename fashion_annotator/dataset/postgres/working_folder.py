"""This desktop's working folder of a PostgreSQL project, tied to the project's identity.

The folder (``ProjectURL.local_root()``) holds copies of the database's photos and models,
caches and the recovery journal. It is stamped with the project's ``meta.uid``, so that a
project dropped and created again under the same name never finds the old one's files.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import psycopg
from psycopg.rows import DictRow

from fashion_annotator.core.atomic import atomic_write_text

__all__ = ["UID_FILE", "claim_working_folder", "project_uid"]

log = logging.getLogger(__name__)

#: File in the working folder naming the project (its ``meta.uid``) the folder holds copies of.
UID_FILE = "project-uid"


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
    again under the same name, or the database restored from another server) is moved aside
    to ``<root>.before-<uid>`` (kept, never deleted): its photos, caches and recovery journal
    belong to the earlier project and must not be shown, or restored, as this one's. A folder
    without a stamp (made before stamps existed) is adopted.

    Raises
    ------
    OSError
        The folder cannot be made, moved or stamped.
    """
    if uid is None:
        root.mkdir(parents=True, exist_ok=True)
        return root
    stamp = root / UID_FILE
    try:
        held: str | None = stamp.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        held = None
    if held == uid:
        return root
    if held is not None:
        aside = root.with_name(f"{root.name}.before-{held[:12]}")
        n = 2
        while aside.exists():
            aside = root.with_name(f"{root.name}.before-{held[:12]}-{n}")
            n += 1
        root.rename(aside)
        log.warning("%s held copies of an earlier project of this name; moved to %s", root, aside)
    root.mkdir(parents=True, exist_ok=True)
    atomic_write_text(stamp, uid + "\n")
    return root
