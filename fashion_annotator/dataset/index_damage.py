"""A damaged project index said once, where SQLite reports it, for every reader of the index.

:class:`IndexConnection` is the :class:`sqlite3.Connection` class of every project index
(:func:`~fashion_annotator.dataset.schema.connect`, read-write, and
:func:`~fashion_annotator.dataset.storeio.connect_readonly`): a statement or a fetch that meets
a damaged page (SQLite's ``database disk image is malformed``, ``file is not a database``)
raises :class:`IndexDamaged`, a :class:`~fashion_annotator.dataset.records.ProjectError` that
names ``project.sqlite``, says to restore it from a backup and that the photos and mask files
are not touched. It is a :class:`sqlite3.DatabaseError` too, so a transaction's rollback and
every ``except sqlite3.Error`` work as before. Other SQLite errors (locked, full disk,
constraint) pass unchanged: their callers tell them apart.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fashion_annotator.dataset.records import ProjectError

SQLITE_CORRUPT = 11
"""SQLite's primary result code of a damaged page."""
SQLITE_NOTADB = 26
"""SQLite's primary result code of a file whose header is not a database's."""


class IndexDamaged(ProjectError, sqlite3.DatabaseError):
    """The project index (``project.sqlite``) is damaged; ``str()`` names it and what to do.

    Parameters
    ----------
    index : Path
        The index file.
    detail : str
        What SQLite said.
    outcome : str
        What became of the operation (``"nothing was recorded"``), or empty.
    opening : bool
        Met while the index was opened: said as ``cannot open the project index: it is damaged``.
    """

    def __init__(self, index: Path, detail: str, outcome: str = "", *, opening: bool = False) -> None:
        self.index, self.detail = Path(index), detail
        done = f"; {outcome}" if outcome else ""
        what = "cannot open the project index: it is damaged" if opening else "the project index is damaged"
        super().__init__(
            f"{index}: {what} (SQLite: {detail}){done}; restore "
            f"{self.index.name} from a backup of the project folder (the program keeps no copy "
            "of it) and open the project again; the photos in images/ and the mask files in "
            "masks/ are separate files, not touched by this damage"
        )


def is_damage(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite reporting a damaged database file (not a lock, a full disk)."""
    if not isinstance(exc, sqlite3.DatabaseError) or isinstance(exc, IndexDamaged):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def _index_of(conn: sqlite3.Connection) -> Path:
    return getattr(conn, "index", Path("project.sqlite"))


def raise_damage(conn: sqlite3.Connection, exc: sqlite3.Error) -> None:
    """Raise :class:`IndexDamaged` (caused by ``exc``) when ``exc`` says the index of ``conn``
    is damaged; return otherwise (the caller re-raises ``exc``)."""
    if is_damage(exc):
        raise IndexDamaged(_index_of(conn), str(exc)) from exc


class IndexCursor(sqlite3.Cursor):
    """A cursor of an :class:`IndexConnection`: damage raises :class:`IndexDamaged`."""

    def execute(self, sql: str, parameters: Any = (), /) -> IndexCursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.DatabaseError as exc:
            raise_damage(self.connection, exc)
            raise

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> IndexCursor:
        try:
            return super().executemany(sql, seq_of_parameters)
        except sqlite3.DatabaseError as exc:
            raise_damage(self.connection, exc)
            raise

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        try:
            return super().executescript(sql_script)
        except sqlite3.DatabaseError as exc:
            raise_damage(self.connection, exc)
            raise

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.DatabaseError as exc:
            raise_damage(self.connection, exc)
            raise

    def fetchmany(self, size: int | None = None) -> list[Any]:
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        except sqlite3.DatabaseError as exc:
            raise_damage(self.connection, exc)
            raise

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.DatabaseError as exc:
            raise_damage(self.connection, exc)
            raise

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.DatabaseError as exc:
            raise_damage(self.connection, exc)
            raise


class IndexConnection(sqlite3.Connection):
    """The connection of a project index: its statements run on :class:`IndexCursor`.

    ``index`` is the index file (set by the opener), for the message.
    """

    index: Path = Path("project.sqlite")

    def cursor(self, factory: Any = None) -> Any:  # sqlite3's own signature: any cursor class
        return super().cursor(IndexCursor if factory is None else factory)

    def execute(self, sql: str, parameters: Any = (), /) -> IndexCursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> IndexCursor:
        return self.cursor().executemany(sql, parameters)

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        return self.cursor().executescript(sql_script)


def quick_check(conn: sqlite3.Connection) -> None:
    """Read every page of the index (``PRAGMA quick_check``: the b-trees and their records, not
    the indexes' agreement with the tables; milliseconds for a few thousand images).

    Raises
    ------
    IndexDamaged
        A page is damaged, naming the index and what to do.
    """
    try:
        rows = conn.execute("PRAGMA quick_check(3)").fetchall()
    except sqlite3.DatabaseError as exc:
        raise_damage(conn, exc)
        raise
    found = [str(row[0]) for row in rows]
    if found != ["ok"]:
        raise IndexDamaged(_index_of(conn), "; ".join(found))
