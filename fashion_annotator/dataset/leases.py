"""Image leases: one operator edits an image at a time, stale leases expire.

A lease belongs to one open :class:`~fashion_annotator.dataset.store.Project` (its random
token), so two windows of the same user on one machine still exclude each other. The holder
string (``user@host (pid N)``) is what the second operator is shown.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime

from fashion_annotator.dataset.records import ProjectError


@dataclass(frozen=True)
class Lease:
    """A held lease: ``expires`` is seconds since the epoch."""

    image_id: int
    holder: str
    token: str
    acquired: float
    expires: float


class LeaseHeld(Exception):
    """Another operator holds the image: ``holder`` names them, ``expires`` is when it lapses."""

    def __init__(self, image_id: int, holder: str, expires: float) -> None:
        self.image_id = image_id
        self.holder = holder
        self.expires = expires
        until = datetime.fromtimestamp(expires).strftime("%H:%M:%S")
        super().__init__(f"image {image_id} is being edited by {holder} (lease until {until})")


def holder_name(user: str) -> str:
    """Return how this process is shown to other operators: ``user@host (pid N)``."""
    return f"{user}@{socket.gethostname()} (pid {os.getpid()})"


def acquire(
    conn: sqlite3.Connection, image_id: int, token: str, holder: str, ttl_s: float
) -> Lease:
    """Take or renew the lease on ``image_id`` for ``ttl_s`` seconds, in one transaction.

    Raises
    ------
    LeaseHeld
        When another token holds a lease that has not expired.
    """
    if ttl_s <= 0:
        raise ValueError(f"lease ttl must be positive, got {ttl_s}")
    now = time.time()
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute(
            "SELECT token, holder, expires FROM leases WHERE image_id = ?", (image_id,)
        ).fetchone()
        if row is not None and row["token"] != token and row["expires"] > now:
            raise LeaseHeld(image_id, row["holder"], row["expires"])
        acquired = now if row is None or row["token"] != token else _acquired(conn, image_id)
        conn.execute(
            "INSERT OR REPLACE INTO leases (image_id, token, holder, acquired, expires) "
            "VALUES (?, ?, ?, ?, ?)",
            (image_id, token, holder, acquired, now + ttl_s),
        )
        conn.execute("COMMIT")
    except BaseException:
        # SQLite may already have rolled back (disk full, I/O error); a second ROLLBACK would
        # raise and hide the error that says what went wrong.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return Lease(image_id, holder, token, acquired, now + ttl_s)


def _acquired(conn: sqlite3.Connection, image_id: int) -> float:
    return float(
        conn.execute("SELECT acquired FROM leases WHERE image_id = ?", (image_id,)).fetchone()[0]
    )


def release(conn: sqlite3.Connection, image_id: int, token: str) -> bool:
    """Drop the lease on ``image_id`` if ``token`` holds it; return whether one was dropped."""
    cur = conn.execute("DELETE FROM leases WHERE image_id = ? AND token = ?", (image_id, token))
    return cur.rowcount > 0


def release_all(conn: sqlite3.Connection, token: str) -> int:
    """Drop every lease held by ``token`` (closing a project); return how many."""
    return conn.execute("DELETE FROM leases WHERE token = ?", (token,)).rowcount


def current(conn: sqlite3.Connection, image_id: int) -> Lease | None:
    """Return the unexpired lease on ``image_id``, or None."""
    row = conn.execute(
        "SELECT image_id, holder, token, acquired, expires FROM leases "
        "WHERE image_id = ? AND expires > ?",
        (image_id, time.time()),
    ).fetchone()
    return None if row is None else Lease(**dict(row))


def check_not_held(conn: sqlite3.Connection, image_id: int, token: str) -> None:
    """Raise :class:`LeaseHeld` when another token holds an unexpired lease on the image."""
    lease = current(conn, image_id)
    if lease is not None and lease.token != token:
        raise LeaseHeld(image_id, lease.holder, lease.expires)


class LeaseMixin:
    """Lease methods of :class:`~fashion_annotator.dataset.store.Project`.

    Needs ``_conn``, ``_token``, ``_holder``, ``root``, ``readonly`` and ``image(image_id)``.
    """

    def acquire_lease(self, image_id: int, ttl_s: float = 300) -> Lease:
        """Take (or renew) this session's lease on an image for ``ttl_s`` seconds.

        Raises
        ------
        LeaseHeld
            Another session holds it; ``.holder`` says who, ``.expires`` until when.
        ProjectError
            The project is read-only, or the index cannot be written (full disk).
        """
        self.image(image_id)
        if self.readonly:
            raise ProjectError(f"{self.root}: read-only ({self.readonly}); images cannot be leased")
        try:
            return acquire(self._conn, int(image_id), self._token, self._holder, ttl_s)
        except sqlite3.Error as exc:
            raise ProjectError(f"{self.root}: cannot lease image {image_id}: {exc}") from exc

    def release_lease(self, image_id: int) -> None:
        """Give up this session's lease on an image (no-op when it holds none)."""
        if self.readonly:
            return
        release(self._conn, int(image_id), self._token)

    def lease(self, image_id: int) -> Lease | None:
        """Return the unexpired lease on an image, whoever holds it, or None."""
        return current(self._conn, int(image_id))
