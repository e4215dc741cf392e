"""Image leases: one operator edits an image at a time, stale leases expire.

A lease belongs to one open :class:`~fashion_annotator.dataset.store.Project` (its random
token), so two windows of the same user on one machine still exclude each other. The holder's
host name and process id are stored in their own columns: a lease whose process no longer runs
on this host is broken at once (a crashed session does not block its own restore), and
``holder`` (``user@host (pid N)``) is only what the second operator is shown. A SQLite
project's token carries its process's start time and boot
(:func:`~.process_identity.identity_token`): after a restart, a later process given the
holder's id does not keep the image locked until the lease expires (no column added: an older
version compares the token whole, and its own leases keep the check by id).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fashion_annotator.dataset import process_identity
from fashion_annotator.dataset.schema import STATUSES

if TYPE_CHECKING:
    from fashion_annotator.dataset.connection import StoreConnection

QUEUE_STATUSES: tuple[str, ...] = ("new", "in_progress", "rejected")
"""Statuses an operator's "next image" is claimed from (see ``Project.claim_next``)."""


@dataclass(frozen=True)
class Lease:
    """A held lease: ``expires`` is seconds since the epoch; ``host`` and ``pid`` the holder's."""

    image_id: int
    holder: str
    token: str
    acquired: float
    expires: float
    host: str = ""
    pid: int = 0


def person(holder: str) -> str:
    """The user name of a lease ``holder`` (``user@host (pid N)``), what a person reads where a
    name is meant ("root@vm (pid 20600) is editing it" read as machine talk); a holder not of
    that form as it is.

    Examples
    --------
    >>> person("ana@studio-3 (pid 20600)"), person("ana")
    ('ana', 'ana')
    """
    user, at, rest = holder.partition("@")
    return user if at and user and rest.endswith(")") and " (pid " in rest else holder


def holder_tip(holder: str) -> str:
    """A tooltip naming where a lease ``holder`` runs, beside a message that names the person
    (:func:`person`): the computer and process id stay out of the sentence.

    Examples
    --------
    >>> holder_tip("ana@studio-3 (pid 20600)")
    'Held by ana@studio-3 (pid 20600): the user, the computer and the program\'s process id'
    """
    return f"Held by {holder}: the user, the computer and the program's process id"


class LeaseHeld(Exception):
    """Another operator holds the image: ``holder`` names them, ``expires`` is when it lapses.

    ``host`` and ``pid`` say where the holder runs ("" and 0 when unknown); ``name`` is the
    photo's file name, what the message calls the image ("image N" when unknown).
    """

    def __init__(
        self, image_id: int, holder: str, expires: float, host: str = "", pid: int = 0, name: str = "",
        token: str = "",
    ) -> None:  # fmt: skip
        self.image_id = image_id
        self.holder = holder
        self.expires = expires
        self.host = host
        self.pid = pid
        self.name = name
        self.token = token
        until = datetime.fromtimestamp(expires).strftime("%H:%M:%S")
        what = name or f"image {image_id}"
        super().__init__(f"{what} is being edited by {holder} (lease until {until})")

    @property
    def crashed(self) -> bool:
        """Whether the holder is a process of this host that no longer runs."""
        return process_gone(self.host, self.pid, self.token)


def process_gone(host: str, pid: int, token: str = "") -> bool:
    """Whether ``pid`` on ``host`` is known to be dead: only answerable for this host. On
    Windows, where ``os.kill(pid, 0)`` terminates the process, :func:`windows_process_gone`.

    A lease ``token`` that carries its holder's identity
    (:func:`~.process_identity.identity_token`) tells the holder from a later process given its
    id (after a restart): that one counts as gone. A token without it (a lease an older version
    took) is judged by the id alone.
    """
    if not host or pid <= 0 or host != socket.gethostname():
        return False
    if process_identity.token_names_process(token, pid) is False:
        return True
    if os.name == "nt":  # Windows' os.kill ends the process whatever the signal: never probe
        return windows_process_gone(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return _zombie(pid)


#: Windows API values: the access right to read a process's exit code, the exit code of a
#: process still running, and the error of ``OpenProcess`` for a process id nobody has.
_QUERY_LIMITED_INFORMATION = 0x1000
_STILL_ACTIVE = 259
_ERROR_INVALID_PARAMETER = 87


def windows_process_gone(pid: int, kernel32: Any = None, last_error: Any = None) -> bool:
    """Whether process ``pid`` of this Windows machine has ended (``OpenProcess`` and
    ``GetExitCodeProcess``); False when that cannot be told (access denied: it runs as
    another user).

    ``kernel32`` and ``last_error`` stand in for ``ctypes``' in tests (elsewhere than Windows).
    """
    import ctypes

    if kernel32 is None:
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]  # Windows only
        last_error = ctypes.get_last_error  # type: ignore[attr-defined]  # Windows only
    handle = kernel32.OpenProcess(_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:
        return bool(last_error() == _ERROR_INVALID_PARAMETER)
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return False
        return code.value != _STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def _zombie(pid: int) -> bool:
    """Whether ``pid`` has exited but not been reaped yet (Linux ``/proc``; False elsewhere):
    for a moment after a crash ``kill(pid, 0)`` still finds it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]  # the state follows the command name


def lapse_wait_s(expires: float, ttl_s: float, now: float | None = None) -> float:
    """Seconds to wait before looking again at another session's lease that ``expires``.

    ``expires`` is on the clock that stamped the lease (a PostgreSQL project's: the server's),
    ``now`` on this desktop's (``time.time()`` when None); the two may differ by minutes. The
    wait is the lease's time left, but never more than ``ttl_s`` (a window renews its lease to
    ``ttl_s`` ahead: a desktop clock ten minutes behind the server's kept an image read-only
    ten minutes after its holder left it) nor less than ``ttl_s / 12`` (a clock ahead saw each
    renewed lease lapsed and asked the server again twice a second while the holder worked).

    Parameters
    ----------
    expires : float
        When the lease lapses, seconds since the epoch on the store's clock.
    ttl_s : float
        The lease time a window takes and renews (``LEASE_TTL_S``).
    now : float, optional
        This desktop's time, seconds since the epoch.

    Returns
    -------
    float
        Seconds, ``ttl_s / 12`` to ``ttl_s``.
    """
    left = expires - (time.time() if now is None else now)
    return min(max(left, ttl_s / 12), ttl_s)


_COLUMNS = "image_id, holder, token, acquired, expires, host, pid"


def _row_lease(row: sqlite3.Row) -> Lease:
    return Lease(**dict(row))


def _live_other(conn: sqlite3.Connection, image_id: int, token: str, now: float) -> Lease | None:
    """The unexpired lease of another token on the image, after breaking a dead holder's."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM leases WHERE image_id = ?", (image_id,)).fetchone()
    if row is None:
        return None
    lease = _row_lease(row)
    if lease.token == token or lease.expires <= now:
        return None
    if process_gone(lease.host, lease.pid, lease.token):
        conn.execute("DELETE FROM leases WHERE image_id = ? AND token = ?", (image_id, lease.token))
        return None
    return lease


def _held(conn: sqlite3.Connection, lease: Lease) -> LeaseHeld:
    """The refusal of another session's lease, naming the image's photo."""
    row = conn.execute("SELECT name FROM images WHERE id = ?", (lease.image_id,)).fetchone()
    name = "" if row is None else str(row["name"])
    return LeaseHeld(lease.image_id, lease.holder, lease.expires, lease.host, lease.pid, name, lease.token)


class Leases:
    """``project.leases``: take, renew, release and look up image leases.

    Parameters
    ----------
    db : StoreConnection
        The project's shared connection (its token, host, pid and holder name are this
        session's identity).
    check_image : callable
        ``check_image(image_id)`` raises for an unknown image.
    """

    def __init__(self, db: StoreConnection, check_image: Callable[[int], object]) -> None:
        self._db = db
        self._check_image = check_image

    @property
    def token(self) -> str:
        """This session's lease token (what its leases carry in ``Lease.token``)."""
        return self._db.token

    def _tx(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A write transaction (leases change no image: the image list's change token leaves
        them out, :mod:`~fashion_annotator.dataset.image_changes`)."""
        return self._db.tx()

    def acquire(self, image_id: int, ttl_s: float = 300) -> Lease:
        """Take (or renew) this session's lease on an image for ``ttl_s`` seconds.

        A lease held by a process of this host that no longer runs is broken at once.

        Raises
        ------
        LeaseHeld
            Another live session holds it; ``.holder`` says who, ``.expires`` until when.
        """
        if ttl_s <= 0:
            raise ValueError(f"lease ttl must be positive, got {ttl_s}")
        image_id = int(image_id)
        self._check_image(image_id)
        db, now = self._db, time.time()
        with self._tx() as conn:
            other = _live_other(conn, image_id, db.token, now)
            if other is not None:
                raise _held(conn, other)
            row = conn.execute(
                "SELECT acquired FROM leases WHERE image_id = ? AND token = ?",
                (image_id, db.token),
            ).fetchone()
            acquired = now if row is None else float(row["acquired"])
            conn.execute(
                f"INSERT OR REPLACE INTO leases ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (image_id, db.holder, db.token, acquired, now + ttl_s, db.host, db.pid),
            )
        return Lease(image_id, db.holder, db.token, acquired, now + ttl_s, db.host, db.pid)

    def release(self, image_id: int) -> bool:
        """Give up this session's lease on an image; return whether it held one."""
        if self._db.readonly:  # a read-only session never took one
            return False
        with self._tx() as conn:  # a locked index is a ProjectError, not a raw SQLite error
            cur = conn.execute(
                "DELETE FROM leases WHERE image_id = ? AND token = ?", (int(image_id), self._db.token)
            )
        return cur.rowcount > 0

    def release_all(self) -> int:
        """Drop every lease this session holds (closing a project); return how many."""
        if self._db.readonly:
            return 0
        with self._tx() as conn:
            return conn.execute("DELETE FROM leases WHERE token = ?", (self._db.token,)).rowcount

    def current(self, image_id: int) -> Lease | None:
        """Return the unexpired lease on an image, whoever holds it, or None."""
        row = self._db.conn.execute(
            f"SELECT {_COLUMNS} FROM leases WHERE image_id = ? AND expires > ?",
            (int(image_id), time.time()),
        ).fetchone()
        return None if row is None else _row_lease(row)

    def claim(self, ttl_s: float, statuses: tuple[str, ...] = QUEUE_STATUSES) -> int | None:
        """Lease the least recently changed unleased image of ``statuses``; its id, or None.

        The choice and the lease are one write transaction, so two sessions never get one
        image. Images this session already holds are skipped; a dead local holder's lease is
        broken first.
        """
        if ttl_s <= 0:
            raise ValueError(f"lease ttl must be positive, got {ttl_s}")
        for status in statuses:
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
        db, now = self._db, time.time()
        marks = ",".join("?" * len(statuses))
        with self._tx() as conn:
            for row in conn.execute(
                f"SELECT {_COLUMNS} FROM leases WHERE token != ? AND expires > ?", (db.token, now)
            ).fetchall():
                _live_other(conn, row["image_id"], db.token, now)  # breaks dead local holders
            row = conn.execute(
                f"SELECT id FROM images i WHERE status IN ({marks}) AND NOT EXISTS (SELECT 1 FROM"
                " leases l WHERE l.image_id = i.id AND (l.token = ? OR l.expires > ?))"
                " ORDER BY updated, id LIMIT 1",
                (*statuses, db.token, now),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                f"INSERT OR REPLACE INTO leases ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (row["id"], db.holder, db.token, now, now + ttl_s, db.host, db.pid),
            )
        return int(row["id"])

    def check_not_held(self, conn: sqlite3.Connection, image_id: int) -> None:
        """Inside a write transaction: raise :class:`LeaseHeld` when another live session holds
        the image (a dead local holder's lease is broken)."""
        other = _live_other(conn, int(image_id), self._db.token, time.time())
        if other is not None:
            raise _held(conn, other)
