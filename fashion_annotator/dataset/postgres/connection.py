"""The PostgreSQL connection a project and its parts share, and SQL they have in common.

:class:`PgConnection` is the PostgreSQL counterpart of
:class:`fashion_annotator.dataset.connection.StoreConnection`: one connection (made again after
a network drop or a server restart), who writes, this session's lease identity, transactions
whose database errors become :class:`ProjectError` naming the project URL.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row

from fashion_annotator.core.atomic import atomic_write_bytes
from fashion_annotator.dataset import unfinished
from fashion_annotator.dataset.postgres import schema as pg_schema
from fashion_annotator.dataset.postgres.url import (
    BAD_PASSWORD,
    NO_PASSWORD,
    PasswordNeeded,
    ProjectURL,
)
from fashion_annotator.dataset.records import ProjectError

NOW = "EXTRACT(EPOCH FROM now())::float8"
"""SQL: the server's clock (transaction start), in seconds since the epoch."""

STAMPED = (
    "FROM (SELECT id, updated AS before FROM images WHERE id = %s FOR UPDATE) AS found"
    " WHERE images.id = found.id RETURNING images.updated, found.before"
)
"""SQL: the end of an ``UPDATE images SET ...`` of the image whose id is its last parameter:
it returns the ``updated`` set and the one the row had (locked, so the latest committed),
for :meth:`PgConnection.wrote_image` in the same round trip."""

OWN_KEEP = 8
"""This session's writes of an image row kept to tell them from another session's (more
between two polls count as another session's: the Review tab refreshes)."""

LIVE = f"(l.expires > {NOW})"
"""SQL: lease row ``l`` is held: it has not expired. Whether the server session that took it
still runs does not matter: a session ended by a network drop, a firewall's idle kill or a
server restart leaves its holder's lease held, and the holder, reconnected, re-attaches it
(:attr:`PgConnection.conn`, by its token); a client that crashed frees its leases when they
expire (60 s in the window)."""

LOCK_TIMEOUT_S = 5
"""Seconds a statement waits for a row another session locked (one stalled in a transaction)."""

IDLE_IN_TRANSACTION_TIMEOUT_S = 60
"""Seconds a session may sit inside a transaction between statements before the server ends it
(a client frozen mid-save, an import suspended with Ctrl+Z), releasing its locks."""

SESSION_SETTINGS = (
    f"-c lock_timeout={LOCK_TIMEOUT_S}s"
    f" -c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_S}s"
)
"""libpq ``options`` of every session; a URL's own ``options`` follow them, and so win."""

CONNECT_OPTIONS: dict[str, Any] = {
    "application_name": "fashion-annotator",
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
"""libpq defaults (a URL parameter wins): TCP keepalives notice a dead server in about a minute."""


class PgConnection:
    """One open PostgreSQL project: the connection, the writer, and the lease identity.

    Parameters
    ----------
    url : ProjectURL
        The project.
    conn : psycopg.Connection
        In autocommit mode, ``search_path`` set to the project's schema (see :func:`connect`).
    user : str
        The name recorded with every write.
    root : Path
        This desktop's working folder for the project.
    """

    def __init__(self, url: ProjectURL, conn: psycopg.Connection[DictRow], user: str, root: Path) -> None:
        self.url = url
        self.root = root
        self._conn: psycopg.Connection[DictRow] | None = conn
        self.user = user
        self.token = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()
        #: Why this session cannot write the project (``project.readonly``), else None.
        self.readonly = read_only_reason(conn)
        #: ``image_id -> ((before, updated), ...)``: this session's last writes of each image
        #: row (:data:`OWN_KEEP`), the ``updated`` each found (None: it added the row) and the
        #: one it set (the server time its transaction began): an image list tells its own
        #: saves from another session's, the same operator's on another desktop included, and
        #: a colleague's change from this session's write of the row after it (:mod:`.changes`).
        self.own_writes: dict[int, tuple[tuple[float | None, float], ...]] = {}

    @property
    def holder(self) -> str:
        """How this session is shown to other operators: ``user@host (pid N)``."""
        return f"{self.user}@{self.host} (pid {self.pid})"

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._conn is None

    @property
    def conn(self) -> psycopg.Connection[DictRow]:
        """The connection; one lost to a network drop or a server restart is made again.

        The statement that met the broken connection has already failed (:meth:`tx` begins
        once more, :meth:`query` reads once more); this session's leases are re-attached to
        the new server session unless they expired or were taken over meanwhile.
        """
        if self._conn is None:
            raise ProjectError(f"{self.url.display}: the project is closed")
        if self._conn.broken:
            conn = connect(self.url, create=False)
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = conn
            conn.execute(
                f"UPDATE leases SET backend_pid = pg_backend_pid() WHERE token = %s"
                f" AND expires > {NOW}",
                (self.token,),
            )
        return self._conn

    def check_index(self) -> None:
        """Nothing to read here: the server checks its own pages (a damaged SQLite index is
        found by :meth:`fashion_annotator.dataset.connection.StoreConnection.check_index`)."""

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextlib.contextmanager
    def tx(self) -> Iterator[psycopg.Connection[DictRow]]:
        """One transaction; a database failure becomes a :class:`ProjectError` naming the URL.

        A connection found broken when the transaction begins (the server restarted, the
        session was ended) is made again and the transaction begun once more: nothing of it
        had reached the server. One lost after its first statement is never retried.
        """
        try:
            with contextlib.ExitStack() as stack:
                yield self._begin(stack)
        except psycopg.Error as exc:
            raise self.error("cannot write the project", exc) from exc

    def _begin(self, stack: contextlib.ExitStack) -> psycopg.Connection[DictRow]:
        """Enter a transaction (on ``stack``) on the connection, made again once when broken."""
        conn = self.conn
        try:
            stack.enter_context(conn.transaction())
        except psycopg.OperationalError:
            if not conn.broken:
                raise
            conn = self.conn
            stack.enter_context(conn.transaction())
        return conn

    def query(self, query: str | sql.Composed | sql.SQL, args: Sequence | dict = ()) -> list[DictRow]:
        """Run a read outside any transaction and return every row; a read that met a broken
        connection is run once more on a new one."""
        try:
            conn = self.conn
            try:
                return conn.execute(query, args).fetchall()
            except psycopg.OperationalError:
                if not conn.broken:
                    raise
                return self.conn.execute(query, args).fetchall()
        except psycopg.Error as exc:
            raise self.error("cannot read the project", exc) from exc

    def error(self, what: str, exc: Exception) -> ProjectError:
        """A :class:`ProjectError` naming the project URL, what failed and the first line why."""
        if isinstance(exc, psycopg.errors.LockNotAvailable):
            return ProjectError(
                f"{self.url.display}: {what}: another session is in the middle of writing this"
                " image or the project (a colleague's save or import); try again in a moment"
            )
        return ProjectError(f"{self.url.display}: {what}: {self.url.scrub(first_line(exc))}")

    def write_status(self, conn: psycopg.Connection[DictRow], image_id: int, status: str) -> None:
        """Set an image's status and log the change, inside the caller's transaction."""
        row = conn.execute(
            f"UPDATE images SET status = %s, updated = {NOW}, username = %s {STAMPED}",
            (status, self.user, image_id),
        ).fetchone()
        if row is not None:
            self.wrote_image(image_id, row["updated"], row["before"])
        conn.execute(
            f"INSERT INTO status_log (image_id, status, username, at) VALUES (%s, %s, %s, {NOW})",
            (image_id, status, self.user),
        )

    def wrote_image(self, image_id: int, updated: float, before: float | None) -> None:
        """Note that this session's transaction stamped the image row with ``updated`` (an
        image write's ``NOW``: the same for every statement of the transaction) where it found
        ``before`` (None: it added the row)."""
        found = None if before is None else float(before)
        kept = self.own_writes.get(int(image_id), ())  # a new tuple: an import's thread writes
        self.own_writes[int(image_id)] = (*kept, (found, float(updated)))[-OWN_KEEP:]

    def keep_local(self, path: Path, data: bytes) -> None:
        """Write a copy of database bytes into the working folder (a cache of the database)."""
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            raise ProjectError(f"{path}: cannot write the local copy: {exc.strerror or exc}") from exc


def bare_connection(url: ProjectURL) -> psycopg.Connection[DictRow]:
    """A connection to ``url``'s database in autocommit mode, with the session settings and
    keepalives of every project connection; its project's schema is neither checked nor selected.

    Raises
    ------
    PasswordNeeded
        The server asks for a password, or refused the one given.
    ProjectError
        The server cannot be reached.
    """
    try:
        given = conninfo_to_dict(url.conninfo)
        defaults = {k: v for k, v in CONNECT_OPTIONS.items() if k not in given}
        defaults["options"] = f"{SESSION_SETTINGS} {given.get('options', '')}".strip()
        conn = psycopg.connect(url.conninfo, autocommit=True, row_factory=dict_row, **defaults)
    except psycopg.Error as exc:
        message = f"{url.display}: cannot connect: {url.scrub(first_line(exc))}"
        if NO_PASSWORD in str(exc) or BAD_PASSWORD in str(exc):  # the window asks for one
            raise PasswordNeeded(message, refused=BAD_PASSWORD in str(exc)) from exc
        raise ProjectError(message) from exc
    return conn


def connect(
    url: ProjectURL, *, create: bool, check_making: bool = True, making: unfinished.Making | None = None
) -> psycopg.Connection[DictRow]:
    """Connect in autocommit mode, create or upgrade the project's schema, and select it; an
    existing project whose making another process cut short or still goes on is refused
    (:func:`~fashion_annotator.dataset.unfinished.check_postgres`) unless not ``check_making``.
    A project created with ``making`` holds its unfinished mark from the transaction that
    creates its schema on (a process killed a moment later left an empty project that opened)."""
    conn = bare_connection(url)
    try:
        marked = {unfinished.META_KEY: making.text()} if making is not None else None
        pg_schema.migrate(conn, url.schema, create=create, meta=marked)
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(url.schema)))
        if check_making and not create:
            unfinished.check_postgres(conn, url.display)
    except ProjectError:
        conn.close()
        raise
    except pg_schema.PgSchemaError as exc:
        conn.close()
        raise ProjectError(f"{url.display}: {exc}") from exc
    except psycopg.Error as exc:
        conn.close()
        raise ProjectError(f"{url.display}: cannot open the project: {url.scrub(first_line(exc))}") from exc
    return conn


def read_only_reason(conn: psycopg.Connection[DictRow]) -> str | None:
    """Why the project's connection cannot write (a read-only session: a standby, or
    ``default_transaction_read_only``; an account without the right to add mask versions),
    else None (also when the server will not say)."""
    try:
        row = conn.execute(
            "SELECT current_setting('transaction_read_only') = 'on' AS ro, current_user AS who,"
            " has_table_privilege('mask_versions', 'INSERT') AS can_save"
        ).fetchone()
    except psycopg.Error:
        return None
    if row is None:
        return None
    if row["ro"]:
        return "the database session is read-only (a standby server, or default_transaction_read_only)"
    if not row["can_save"]:
        return f"the database account {row['who']} may not write the project"
    return None


def one(row: DictRow | None) -> DictRow:
    """The row a statement that always returns one (``INSERT ... RETURNING``) returned."""
    if row is None:
        raise ProjectError("the database returned no row where one was expected")
    return row


def first_line(exc: Exception) -> str:
    """The first line of an exception's message (or its type when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
