"""A project whose making (``new``, ``migrate``) was cut short, and the marker that says so.

``new`` (and the window's File > New, both through :func:`start_new`) and ``migrate`` make
their project marked (a folder project: the file :data:`MARKER_NAME`, written before its index
is filled in; a PostgreSQL project: the ``meta`` row :data:`META_KEY`, written in the
transaction that creates its schema) and remove the mark once the last photo was added, or the
copy verified. A process killed in between
(``kill -9``, a power cut) leaves the mark: opening the project is refused with what happened
and the command to run again (:class:`InterruptedProject`), rather than showing a project
that looks finished (``new``: some of the photos) or empty (``migrate``: its copy, one
uncommitted transaction, gone). Run again on that destination, ``new`` adds the rest of the
photos (:func:`take_over`) and ``migrate`` clears its own half-made copy and starts over
(:func:`clear_folder`, :func:`drop_postgres`; the source was never changed).

The process that made the mark opens its project freely (``migrate`` reads its copy back); a
mark of a process of this computer that still runs says so ("being made right now"). A process
is its id together with its start time and boot (:mod:`.process_identity`; a process id comes
back after a restart): a mark whose id another process now has was left by a run that ended,
and is taken over as any other. Where that cannot be told (another OS, a mark written before
start times were recorded) a live process with its id counts as its maker, unless the command
is run again with ``--force`` (:attr:`Making.unconfirmed`). A mark of
another computer cannot be told from a making still going on there (a colleague's, on a shared
folder or the PostgreSQL server): it says "possibly still running" and is taken over (resumed,
or cleared and started over) only when the command is run again with ``--force``. A ``migrate``
into PostgreSQL also holds the server's advisory lock of its project (:func:`making_lock`) while
it runs, so a second one is refused, ``--force`` or not; the server frees it when the first
one's connection ends (a killed run too).
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import shutil
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fashion_annotator.core.atomic import atomic_write_bytes
from fashion_annotator.dataset import process_identity
from fashion_annotator.dataset.leases import process_gone
from fashion_annotator.dataset.postgres.url import (
    describe_location,
    postgres_or_folder,
    without_password,
)
from fashion_annotator.dataset.records import ProjectError

if TYPE_CHECKING:
    from fashion_annotator.core.tasks import TaskSpec
    from fashion_annotator.dataset.store import Project

#: The mark in a folder project.
MARKER_NAME = "unfinished.json"
#: The mark's key in a PostgreSQL project's ``meta`` table.
META_KEY = "unfinished"
#: What a folder project's making writes (the index, its SQLite files, the store's folders, the
#: sweep's lost+found, the mark): all that ``migrate`` clears before it starts over.
MADE_BY_US = (
    "project.sqlite", "project.sqlite-wal", "project.sqlite-shm", "project.sqlite-journal",
    "images", "masks", "proposals", "cache", "models", "instances", "lost+found", MARKER_NAME,
)  # fmt: skip


@dataclass(frozen=True)
class Making:
    """Who is making a project, from what.

    Attributes
    ----------
    command : str
        ``"new"`` or ``"migrate"``.
    source : str
        The folder of photos (``new``) or the source project (``migrate``; a URL without its
        password).
    host, pid : str, int
        The process that made the mark.
    started : float
        When, in seconds since the epoch.
    user : str
        The login name it ran under ("" when unknown).
    ticks : int
        When its process started, in clock ticks since boot (Linux; 0: not recorded).
    boot : str
        The boot id of its computer then (Linux; "": not recorded).
    token : str
        Its process's random token (:data:`.process_identity.TOKEN`; "": a mark written before
        tokens were, never this process's).
    stopped : bool
        Its process stopped adding before the end and lives on (the window closed its File > New
        job): never this process's, and no process runs it any more (:func:`stop`).
    forced : bool
        Not stored: :func:`left_by` took the mark over with ``--force`` although a process of
        this computer with its id still runs (:attr:`unconfirmed`).
    """

    command: str
    source: str
    host: str
    pid: int
    started: float
    user: str = ""
    ticks: int = 0
    boot: str = ""
    token: str = ""
    stopped: bool = False
    forced: bool = False

    @classmethod
    def now(cls, command: str, source: str | Path) -> Making:
        """A mark for this process."""
        shown = without_password(str(source)) if postgres_or_folder(source) else str(Path(source).resolve())
        pid = os.getpid()
        return cls(command, shown, socket.gethostname(), pid, time.time(), _login(),
                   process_identity.start_ticks(pid) or 0, process_identity.boot_id(),
                   process_identity.TOKEN)  # fmt: skip

    @classmethod
    def parse(cls, text: str) -> Making:
        """A mark read back; a damaged one is taken for an interrupted making of unknown origin."""
        try:
            data = json.loads(text)
            return cls(str(data["command"]), str(data["source"]), str(data["host"]), int(data["pid"]),
                       float(data["started"]), str(data.get("user", "")), int(data.get("ticks", 0)),
                       str(data.get("boot", "")), str(data.get("token", "")),
                       bool(data.get("stopped", False)))  # fmt: skip
        except (ValueError, TypeError, KeyError, AttributeError):
            return cls("unknown", "?", "", 0, 0.0)

    def text(self) -> str:
        """The mark as stored."""
        return json.dumps({"command": self.command, "source": self.source, "host": self.host, "pid": self.pid,
                           "started": self.started, "user": self.user, "ticks": self.ticks, "boot": self.boot,
                           "token": self.token, **({"stopped": True} if self.stopped else {})})  # fmt: skip

    @property
    def ours(self) -> bool:
        """Whether this process made the mark (its id and its token: not a later process given
        the same id)."""
        return (not self.stopped and bool(self.token) and self.token == process_identity.TOKEN and self.pid == os.getpid()
                and self.host == socket.gethostname())  # fmt: skip

    def still_runs(self) -> bool | None:
        """Whether the process that made the mark still runs on this computer; None: a process
        with its id runs, but whether it is that one cannot be told."""
        if self.stopped or self.ours or self.host != socket.gethostname() or process_gone(self.host, self.pid):
            return False
        return process_identity.same_process(self.pid, self.ticks, self.boot)

    @property
    def running(self) -> bool:
        """Whether the process that made the mark still runs on this computer, or may
        (:attr:`unconfirmed`)."""
        return self.still_runs() is not False

    @property
    def unconfirmed(self) -> bool:
        """Whether a process of this computer has the mark's process id, but whether it is the
        one that made the mark cannot be told (no start time recorded, or none to read here)."""
        return self.still_runs() is None

    @property
    def elsewhere(self) -> bool:
        """Whether another computer made the mark: whether its process still runs is unknown."""
        return bool(self.host) and self.host != socket.gethostname()


class InterruptedProject(ProjectError):
    """A project whose making was cut short, or is still going on (:attr:`making`)."""

    def __init__(self, location: str | Path, making: Making) -> None:
        super().__init__(describe(location, making))
        self.making = making


class MakingLocked(ProjectError):
    """Another ``migrate`` into the PostgreSQL project holds its lock (:func:`making_lock`)."""


def describe(location: str | Path, making: Making) -> str:
    """Why the project at ``location`` cannot be opened, and what to run."""
    where = describe_location(location)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(making.started)) if making.started else "at an unknown time"
    shown = without_password(str(location))
    alive = making.still_runs()
    if alive is None and making.command in ("new", "migrate"):
        return (f"{where}: being made right now by `fashion-annotator {making.command}` (process {making.pid}, "
                f"started {when}), it seems: a process {making.pid} runs on this computer, but whether it is "
                "that run cannot be told (after a restart another program may have its number); wait for it to "
                "finish, or if it was stopped, run the same command with --force to take over: "
                f"`{_command_line(making, shown)} --force`")  # fmt: skip
    if alive is not False:
        return (f"{where}: being made right now by `fashion-annotator {making.command}` (process {making.pid}, "
                f"started {when}); wait for it to finish")  # fmt: skip
    if making.elsewhere and making.command in ("new", "migrate"):
        again = _command_line(making, shown) + " --force"
        after = ("it clears this half-made copy and starts over" if making.command == "migrate"
                 else "it adds the photos it lacks and keeps those already added")  # fmt: skip
        return (f"{where}: being made by `fashion-annotator {making.command}` from {making.source} on another "
                f"computer, possibly still running (started {when} on {making.host} by {making.user or 'an unknown user'}); "
                f"if it was stopped, run the same command with --force to start over: `{again}` ({after})")  # fmt: skip
    if making.command not in ("new", "migrate"):
        return (f"{where}: its making was cut short (its mark, {MARKER_NAME} or the meta row {META_KEY!r}, "
                "cannot be read); make the project again elsewhere from its source")
    if making.command == "migrate":
        return (f"{where}: its migration from {making.source} (`fashion-annotator migrate`, started {when}) "
                "was cut short before the copy was finished and verified, so nothing in it can be used; run "
                f"`{_command_line(making, shown)}` again: it clears this half-made copy and "
                f"starts over ({making.source} was not changed)")  # fmt: skip
    return (f"{where}: its creation from {making.source} (`fashion-annotator new`, started {when}) was cut "
            "short, so only some of the photos were added; run "
            f"`{_command_line(making, shown)}` again (or, in the window, File > New project from folder with "
            "the same two folders): it adds the rest and keeps those already added")  # fmt: skip


def _command_line(making: Making, shown: str) -> str:
    """The command that made the project at ``shown`` (``new`` or ``migrate``)."""
    if making.command == "migrate":
        return f"fashion-annotator migrate {making.source} {shown}"
    return f"fashion-annotator new {shown} --images {making.source}"


def start_new(
    location: str | Path, images: Path, tasks: Iterable[str | Path | TaskSpec], *, user: str | None = None,
    force: bool = False,
) -> tuple[Project, Making | None]:  # fmt: skip
    """The project ``new`` (and the window's File > New) makes at ``location`` for the photos of
    ``images``, marked as being made from them from its creation on; the caller adds the photos,
    then calls :func:`unmark`.

    Parameters
    ----------
    tasks : iterable of str, Path or TaskSpec
        The tasks of a project made here (a resumed one keeps its own).
    force : bool
        Take over a ``new`` another computer marked, or one whose process cannot be told
        apart (:func:`left_by`).

    Returns
    -------
    (Project, Making or None)
        The open project, and the mark of the ``new`` cut short that made it (it is resumed:
        the photos it lacks are to be added), None for a project made now.

    Raises
    ------
    ProjectError
        A project is already there (not a ``new`` cut short), or it cannot be made or opened.
    """
    from fashion_annotator.dataset.store import create_project, open_project

    making = Making.now("new", images)
    cut_short = left_by(location, "new", force=force)
    if cut_short is None:
        return create_project(location, tasks=tasks, user=user, making=making), None
    take_over(location, making)
    return open_project(location, user=user, writing=True), cut_short


def mark_of(project: Any) -> Making | None:
    """The mark of the open ``project`` (a folder or PostgreSQL project), None when it has none."""
    if getattr(project, "backend", "sqlite") == "postgresql":
        with project._db.tx() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = %s", (META_KEY,)).fetchone()
        return None if row is None else Making.parse(row["value"])
    return read_folder(Path(project.root))


def _still(project: Any, making: Making | None) -> bool:
    """Whether the mark of ``project`` is ``making`` (always, for None): a later File > New of
    the same folders took it over (:func:`take_over`), and it is that one's now."""
    if making is None:
        return True
    now = mark_of(project)
    return now is not None and now.text() == making.text()


def stop(project: Any, making: Making) -> None:
    """Keep the mark ``making`` of ``project`` (while it is still that one) as a making stopped
    before its end by its process, which lives on (the window's File > New job, stopped by the
    window closing): opening the project, in this process too, says to run File > New again,
    rather than showing some of the photos as if they were all."""
    if not _still(project, making):
        return
    stopped = replace(making, stopped=True)
    if getattr(project, "backend", "sqlite") == "postgresql":
        with project._db.tx() as conn:
            conn.execute("UPDATE meta SET value = %s WHERE key = %s", (stopped.text(), META_KEY))
        return
    write_mark(Path(project.root), stopped)


def unmark(project: Any, making: Making | None = None) -> None:
    """Remove the mark: the project is made. With ``making``: only while the mark is that one
    (not one a later File > New of the same folders took over)."""
    if not _still(project, making):
        return
    if getattr(project, "backend", "sqlite") == "postgresql":
        with project._db.tx() as conn:
            conn.execute("DELETE FROM meta WHERE key = %s", (META_KEY,))
        return
    try:
        (Path(project.root) / MARKER_NAME).unlink(missing_ok=True)
    except OSError as exc:
        raise ProjectError(f"{Path(project.root) / MARKER_NAME}: cannot remove: {exc.strerror or exc}") from exc


def check_folder(root: Path) -> None:
    """Refuse to open the folder project ``root`` while another process's mark is in it.

    Raises
    ------
    InterruptedProject
        Its making was cut short, or goes on in another process.
    """
    making = read_folder(root)
    if making is not None and not making.ours:
        raise InterruptedProject(root, making)


def check_postgres(conn: Any, location: str) -> None:
    """:func:`check_folder` for a PostgreSQL project's connection (its schema selected)."""
    row = conn.execute("SELECT value FROM meta WHERE key = %s", (META_KEY,)).fetchone()
    if row is not None:
        making = Making.parse(row["value"])
        if not making.ours:
            raise InterruptedProject(location, making)


def read_folder(root: Path) -> Making | None:
    """The mark in the folder ``root``, None when there is none."""
    try:
        return Making.parse((Path(root) / MARKER_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return Making.parse("")


def left_by(location: str | Path, command: str, *, force: bool = False) -> Making | None:
    """The mark an interrupted ``command`` left at ``location`` (its making to take over), None
    when there is none (no project there, or a finished one).

    Parameters
    ----------
    force : bool
        Take over a mark of another computer (whose process may still run: the user says it
        was stopped), or of a process of this computer not known to be its maker
        (:attr:`Making.unconfirmed`; the mark returned says so: :func:`forced_note`).

    Raises
    ------
    ProjectError
        The making goes on in another process of this computer, was another command's, or
        (without ``force``) was another computer's.
    """
    if postgres_or_folder(location):
        from fashion_annotator.dataset.postgres.project import PgProject

        try:
            PgProject.open(str(location)).close()
        except InterruptedProject as exc:
            making: Making | None = exc.making
        except ProjectError:
            return None
        else:
            return None
    else:
        making = read_folder(Path(location))
    if making is None:
        return None
    if making.command != command or (making.elsewhere and not force):
        raise InterruptedProject(location, making)
    alive = making.still_runs()
    if alive or (alive is None and not force):
        raise InterruptedProject(location, making)
    return replace(making, forced=alive is None)


def forced_note(location: str | Path, making: Making) -> str:
    """What ``--force`` overrode to take over ``making`` (:func:`left_by`), "" when nothing."""
    if not making.forced:
        return ""
    mark = f"the meta row {META_KEY!r}" if postgres_or_folder(location) else MARKER_NAME
    return (f"note: {describe_location(location)}: its mark ({mark}) names process {making.pid} of this computer, "
            "which still runs but cannot be told from the "
            f"`fashion-annotator {making.command}` that wrote it; taken over as --force asks")  # fmt: skip


@contextlib.contextmanager
def making_lock(location: str | Path, command: str = "migrate") -> Iterator[None]:
    """Hold the PostgreSQL project ``location``'s making lock (a session advisory lock of its
    database, keyed on its project name) while the block runs; a folder: nothing.

    Held on a connection of its own; the server frees it when that connection ends, so a run
    killed, or a computer lost, frees it too.

    Raises
    ------
    MakingLocked
        Another session holds it (a ``migrate`` into the same project still running).
    ProjectError
        The server cannot be reached.
    """
    if not postgres_or_folder(location):
        yield
        return
    import psycopg

    from fashion_annotator.dataset.postgres.connection import bare_connection, first_line
    from fashion_annotator.dataset.postgres.url import parse_url

    try:
        url = parse_url(str(location))
    except ValueError as exc:
        raise ProjectError(str(exc)) from exc
    with bare_connection(url) as conn:
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (lock_key(url.schema),)).fetchone()
        except psycopg.Error as exc:
            raise ProjectError(f"{url.display}: cannot take the project's lock: {url.scrub(first_line(exc))}") from exc
        if not row or not row["got"]:
            raise MakingLocked(
                f"{url.display}: another `fashion-annotator migrate` into this project is running right now "
                f"(it holds the project's lock on the server); wait for it to finish: `fashion-annotator "
                f"{command}` cannot start while it runs, --force or not"
            )
        yield  # the lock goes with the connection, closed by the with block


def lock_key(schema: str) -> int:
    """The advisory lock key (a signed 64-bit integer) of the project ``schema``."""
    digest = hashlib.sha256(f"fashion-annotator making {schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def take_over(location: str | Path, making: Making) -> None:
    """Make this process the maker of the interrupted project at ``location`` (it opens it),
    by ``making``'s command from its source."""
    mine = Making.now(making.command, making.source)
    if not postgres_or_folder(location):
        write_mark(Path(location), mine)
        return
    with _raw_connection(str(location)) as conn:
        conn.execute("UPDATE meta SET value = %s WHERE key = %s", (mine.text(), META_KEY))


def clear_folder(root: Path) -> None:
    """Remove what an interrupted ``migrate`` wrote in ``root`` (:data:`MADE_BY_US`), leaving
    the folder itself; nothing else is touched.

    Raises
    ------
    ProjectError
        ``root`` holds something the migration did not write (named; nothing removed).
    """
    foreign = sorted(p.name for p in root.iterdir() if p.name not in MADE_BY_US)
    if foreign:
        raise ProjectError(
            f"{root}: the interrupted migration's folder also holds {', '.join(foreign)}, which it did not "
            "write; move them elsewhere, then run the migration again"
        )
    for name in MADE_BY_US:
        path = root / name
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError as exc:
            raise ProjectError(f"{path}: cannot remove the interrupted migration's copy: {exc.strerror or exc}") from exc


def drop_postgres(location: str) -> None:
    """Drop the PostgreSQL project an interrupted ``migrate`` left at ``location``."""
    from psycopg import sql

    from fashion_annotator.dataset.postgres.url import parse_url

    schema = parse_url(location).schema
    with _raw_connection(location) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def _raw_connection(location: str) -> Any:
    """A connection to the project at ``location`` that does not check its mark."""
    from fashion_annotator.dataset.postgres.connection import connect
    from fashion_annotator.dataset.postgres.url import parse_url

    try:
        url = parse_url(location)
    except ValueError as exc:
        raise ProjectError(str(exc)) from exc
    return connect(url, create=False, check_making=False)


def _login() -> str:
    """This process's login name, "" when the system cannot say."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return ""


def write_mark(root: Path, making: Making) -> None:
    """Write ``making`` as the mark of the folder project ``root``.

    Raises
    ------
    ProjectError
        It cannot be written.
    """
    path = root / MARKER_NAME
    try:
        atomic_write_bytes(path, making.text().encode())
    except OSError as exc:
        raise ProjectError(f"{path}: cannot write: {exc.strerror or exc}") from exc
