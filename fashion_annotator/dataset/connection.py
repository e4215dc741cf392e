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

from fashion_annotator.core.atomic import file_identity
from fashion_annotator.dataset import (
    image_changes,
    mask_files,
    name_search,
    process_identity,
    sweep,
)
from fashion_annotator.dataset.click_logs import click_log_path
from fashion_annotator.dataset.index_damage import IndexDamaged, quick_check
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.storeio import describe
from fashion_annotator.runtime.paths import PROJECT_INDEX

INDEX_NAME = PROJECT_INDEX


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
        name_search.install(conn)
        self.user = user
        self.token = process_identity.identity_token(uuid.uuid4().hex)  # a reused pid is told apart
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.readonly: str | None = None  # why the index is open read-only, else None
        #: Files the open transaction wrote (:meth:`wrote`): removed again if it rolls back.
        self._written: list[Path] = []
        #: The index file this connection writes, as ``(st_dev, st_ino)``: the connection keeps
        #: the file it opened, so another index at the path means another folder (see
        #: :meth:`write_version`).
        self.index_identity = file_identity(self.root / INDEX_NAME)
        #: Leftovers of killed processes found at a new version's path while open and set aside
        #: (:meth:`write_version`); what the open's sweep found is ``project.swept``.
        self.leftovers = sweep.SweepReport()
        #: Whether this connection logs the image rows it changes (:mod:`.image_changes`): the
        #: image list's change token counts those, not leases (a renewal every 20 s made every
        #: poll re-read the list) nor proposals (every image switch re-read it).
        self.logs_image_changes = image_changes.install(conn)

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
        if self.readonly:
            raise ProjectError(
                f"{self.root}: the project is read-only ({self.readonly}); nothing was saved"
            )
        try:
            conn.execute("BEGIN IMMEDIATE")
        except IndexDamaged as exc:
            raise IndexDamaged(exc.index, exc.detail, "nothing was saved") from exc.__cause__
        except sqlite3.Error as exc:
            raise ProjectError(
                f"{self.root / INDEX_NAME}: cannot write the index: {describe(exc)}"
            ) from exc
        self._written = []
        committing = False
        try:
            yield conn
            committing = True
            conn.execute("COMMIT")
        except BaseException as exc:
            if committing and not conn.in_transaction and not isinstance(exc, sqlite3.Error):
                # the COMMIT went through and Ctrl+C raised as it returned: the rows are saved,
                # so are their files (removing them left a registered model without its file)
                raise
            # SQLite already rolled back after some errors (disk full, I/O); a second ROLLBACK
            # would raise and hide the error that says what went wrong.
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            # what it wrote belongs to no row now (Ctrl+C in an import): not left as an orphan
            # for the next open to set aside as if a crash or a restored index had lost it
            for path in self._written:
                with contextlib.suppress(OSError):
                    path.unlink()
            if isinstance(exc, IndexDamaged):
                raise IndexDamaged(exc.index, exc.detail, "nothing was recorded") from exc.__cause__
            if isinstance(exc, sqlite3.Error):  # no raw SQLite error reaches the callers
                raise ProjectError(
                    f"{self.root / INDEX_NAME}: cannot write the index ({describe(exc)}); "
                    "nothing was recorded"
                ) from exc
            raise

    def check_index(self) -> None:
        """Read every page of the index (:func:`~.index_damage.quick_check`).

        Raises
        ------
        IndexDamaged
            A damaged page, naming the index and what to do.
        """
        quick_check(self.conn)

    def write_version(self, rel: str, data: bytes) -> Path:
        """Write a new version's file ``rel`` for the open transaction (removed again if it rolls
        back); return its path.

        The caller holds the write lock and took the version number from this index, so a file
        already at ``rel`` is named by no row of it. When the folder is still the one this
        index belongs to (:meth:`check_same_folder`), that file is the leftover of a process
        killed between its write and its commit: it is set aside as the sweep at open would
        (:func:`~fashion_annotator.dataset.sweep.set_aside`, with a mask's click log, recorded
        in :attr:`leftovers`) and the version written. Otherwise it is refused: another index
        may name that file.

        Raises
        ------
        ProjectError
            The project folder is gone, or the folder at :attr:`root` is no longer the one whose
            index this connection writes (moved away and another copy put in its place: the
            file would land in one folder and its row in the other's index), or a file at
            ``rel`` could not be set aside, or the write failed; nothing was saved.
        """
        self.check_same_folder()
        try:
            mask_files.write_version(self.root, rel, data)
        except mask_files.FileTaken:
            self.set_aside(rel)
            mask_files.write_version(self.root, rel, data)
        self.wrote(self.root / rel)
        return self.root / rel

    def check_same_folder(self) -> None:
        """Raise :class:`ProjectError` when the folder at :attr:`root` is no longer the one
        whose index this connection writes (its index file is another: ``mv p p.old; cp -a
        backup p``); call it, under the write lock, before writing a file into the folder.

        Nothing is checked when the index file could not be read at open.
        """
        if self.index_identity is not None and self.root.is_dir():
            if file_identity(self.root / INDEX_NAME) != self.index_identity:
                raise ProjectError(
                    f"{self.root}: the project folder was replaced while open (moved away and "
                    "another copy put in its place, a backup restored?); nothing was saved: "
                    "reopen the project"
                )

    def set_aside(self, rel: str) -> None:
        """Set aside ``rel``, a file the index does not name at a path this session is about to
        write, as the sweep at open would (a mask version's click log with it); the caller holds
        the write lock.

        Raises
        ------
        ProjectError
            The folder was replaced (:meth:`check_same_folder`), or whose file it is cannot be
            told (the index file could not be read at open), or the file is still there: it is
            left as it was.
        """
        if self.index_identity is None:
            raise mask_files.file_taken(self.root / rel)
        self.check_same_folder()
        sweep.set_aside(self.root, rel, self.leftovers)
        log = click_log_path(Path(rel)).as_posix()
        if rel.startswith("masks/") and (self.root / log).is_file():
            sweep.set_aside(self.root, log, self.leftovers)
        if os.path.lexists(self.root / rel):
            raise mask_files.file_taken(self.root / rel)

    def wrote(self, path: Path) -> None:
        """``path`` was written for the open transaction (a mask version's file): it is removed
        if the transaction rolls back."""
        self._written.append(Path(path))

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
