"""Which process a process id names: its id with when it started, not its id alone.

A process id is reused: after a reboot, or a container's restart, the small ids come back, and
a long-running computer hands out a freed id again. A mark that names only a process id (``new``
and ``migrate``'s unfinished mark, :mod:`.unfinished`) then takes any later process with that
id for its maker. On Linux a process is told apart by its start time (field 22 of
``/proc/PID/stat``, clock ticks since boot) and the boot it belongs to
(``/proc/sys/kernel/random/boot_id``); elsewhere only :data:`TOKEN` (this process's own,
random, kept in memory) tells this process from another that got its id, and whether another
process is the one that wrote a mark cannot be told (:func:`same_process` says None).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: This process's random token: a mark it wrote carries it, so a later process given the same
#: process id never takes that mark for its own. (A forked child inherits it, but not the id.)
TOKEN = secrets.token_hex(16)

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def start_ticks(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (Linux: field 22 of
    ``/proc/PID/stat``); None when there is no such process or no ``/proc`` to ask.

    Parameters
    ----------
    pid : int
        A process id of this computer.

    Returns
    -------
    int or None
        The start time, in ticks.
    """
    if pid <= 0:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return int(stat.rpartition(")")[2].split()[19])  # fields 3.. follow the command name
    except (OSError, ValueError, IndexError):
        return None


def boot_id() -> str:
    """This computer's current boot's id (Linux), "" where there is none to read."""
    try:
        return _BOOT_ID.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def same_process(pid: int, ticks: int, boot: str) -> bool | None:
    """Whether the process ``pid`` of this computer is the one that started at ``ticks`` in the
    boot ``boot`` (as :func:`start_ticks` and :func:`boot_id` read them then).

    Parameters
    ----------
    pid : int
        The process id recorded.
    ticks : int
        Its start time recorded, in clock ticks since boot (0: not recorded).
    boot : str
        The boot id recorded ("": not recorded).

    Returns
    -------
    bool or None
        True: it still runs. False: it does not (the computer was restarted since, or ``pid``
        is now another process's, or nobody's). None: cannot be told (nothing recorded, or no
        ``/proc`` here).
    """
    now = boot_id()
    if not ticks or not boot or not now:
        return None
    if now != boot:
        return False
    started = start_ticks(pid)
    if started is None:
        return None if not Path("/proc/self/stat").exists() else False
    return started == ticks


def identity_token(unique: str) -> str:
    """``unique`` with this process's identity added: ``UNIQUE.TICKS.BOOT`` (:func:`start_ticks`,
    :func:`boot_id`), or ``unique`` alone where either cannot be read. An image lease's token
    (:mod:`.leases`) carries it, so the lease's holder is told from a later process given its
    process id without a column the lease tables lack: an older version compares the token
    whole, as before.

    Parameters
    ----------
    unique : str
        The token's random part (no ``"."`` in it).

    Returns
    -------
    str
    """
    ticks, boot = start_ticks(os.getpid()), boot_id()
    return f"{unique}.{ticks}.{boot}" if ticks and boot else unique


def token_names_process(token: str, pid: int) -> bool | None:
    """Whether process ``pid`` of this computer is the one whose identity ``token`` carries
    (:func:`identity_token`, :func:`same_process`); None when the token carries none (a lease
    an older version took) or it cannot be told.

    Parameters
    ----------
    token : str
    pid : int

    Returns
    -------
    bool or None
    """
    parts = token.split(".", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return same_process(pid, int(parts[1]), parts[2])
