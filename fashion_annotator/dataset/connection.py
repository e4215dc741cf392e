"""The index connection that a project and its parts share.

:class:`~fashion_annotator.dataset.store.Project` owns one :class:`StoreConnection`; its parts
(``project.models``, ``.decisions``, ``.cache``, ``.leases``) hold a reference to the same
object, so they all write through one SQLite connection and one transaction discipline.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from fashion_annotator.dataset.records import ProjectError

INDEX_NAME = "project.sqlite"


class StoreConnection:
    """One open index: the SQLite connection, who writes, and this session's lease identity.

    Parameters
    ----------
    root : Path
        The project folder.
    conn : sqlite3.Connection
        In autocommit mode (see :func:`fashion_annotator.dataset.schema.connect`).
    user : str
        The name recorded with every write.
    """

    def __init__(self, root: Path, conn: sqlite3.Connection, user: str) -> None:
        self.root = Path(root).resolve()
        self._conn: sqlite3.Connection | None = conn
        self.user = user
        self.token = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()

    @property
    def holder(self) -> str:
        """How this session is shown to other operators: ``user@host (pid N)``."""
        return f"{self.user}@{self.host} (pid {self.pid})"

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._conn is None

    @property
    def conn(self) -> sqlite3.Connection:
        """The SQLite connection; :class:`ProjectError` once closed."""
        if self._conn is None:
            raise ProjectError(f"{self.root}: the project is closed")
        return self._conn

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front so concurrent writers queue, not deadlock."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise ProjectError(f"{self.root / INDEX_NAME}: cannot write the index: {exc}") from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            # SQLite already rolled back after some errors (disk full, I/O); a second ROLLBACK
            # would raise and hide the error that says what went wrong.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def write_status(self, conn: sqlite3.Connection, image_id: int, status: str) -> None:
        """Set an image's status and log the change, inside the caller's transaction."""
        now = time.time()
        conn.execute(
            "UPDATE images SET status = ?, updated = ?, user = ? WHERE id = ?",
            (status, now, self.user, image_id),
        )
        conn.execute(
            "INSERT INTO status_log (image_id, status, user, at) VALUES (?, ?, ?, ?)",
            (image_id, status, self.user, now),
        )
