"""A throwaway PostgreSQL server for tests and benchmarks: initdb in a temporary folder.

The server listens on a free localhost port with trust authentication for one superuser
(``fa``) and is removed on :meth:`TempCluster.stop`. PostgreSQL refuses to run as root, so
under root the server commands run as the ``postgres`` system user (``runuser``) in a folder
that user owns; otherwise they run as the current user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "fa"
SERVICE_USER = "postgres"


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server binaries here (or no user to run them as); the message says which."""


def find_bindir() -> Path:
    """The folder with ``initdb`` and ``pg_ctl``: ``$FA_PG_BINDIR``, else the newest Debian one.

    Raises
    ------
    ClusterUnavailable
        No ``initdb`` found.
    """
    env = os.environ.get("FA_PG_BINDIR")
    candidates = [env] if env else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
                         reverse=True)  # fmt: skip
    which = shutil.which("initdb")
    if which:
        candidates.append(str(Path(which).parent))
    for folder in candidates:
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    raise ClusterUnavailable(
        "PostgreSQL server binaries not found (initdb, pg_ctl): install postgresql-15 "
        "(apt-get install postgresql-15) or set FA_PG_BINDIR"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TempCluster:
    """A PostgreSQL server in a temporary folder; :attr:`url` is its superuser URL.

    Parameters
    ----------
    fsync : bool
        False for tests (faster, not crash-safe); True for benchmarks that measure real commits.
    """

    def __init__(self, *, fsync: bool = False) -> None:
        self.bindir = find_bindir()
        self._as_service = os.geteuid() == 0
        if self._as_service:
            try:
                self._service = pwd.getpwnam(SERVICE_USER)
            except KeyError as exc:
                raise ClusterUnavailable(
                    f"running as root, and there is no {SERVICE_USER!r} user to run the server as"
                ) from exc
            if shutil.which("runuser") is None:
                raise ClusterUnavailable("running as root, and runuser is not installed")
        self.fsync = fsync
        self.folder = Path(tempfile.mkdtemp(prefix="fa-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"
        self._started = False

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self._as_service:
            cmd = ["runuser", "-u", SERVICE_USER, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=self.folder)
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
            raise ClusterUnavailable(
                f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()} {tail}"
            )
        return done

    def start(self) -> TempCluster:
        """initdb and start the server; returns self."""
        if self._as_service:
            os.chown(self.folder, self._service.pw_uid, self._service.pw_gid)
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
                  "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C")  # fmt: skip
        self._pg_ctl("start")
        self._started = True
        return self

    def restart(self) -> None:
        """Restart the server as an administrator's ``pg_ctl restart -m fast`` does: every open
        session is terminated, and the server comes back on the same port with the same data."""
        self._pg_ctl("-m", "fast", "restart")

    def _pg_ctl(self, *action: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            f"-c fsync={'on' if self.fsync else 'off'} -c max_connections=200 "
            "-c shared_buffers=64MB"
        )
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.folder / "server.log"), "-w", "-t", "60", *action)  # fmt: skip

    def create_database(self, name: str) -> str:
        """Create a database; return its URL (append ``?project=NAME`` for a project URL)."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        if self._started:
            with contextlib.suppress(ClusterUnavailable):
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop")  # fmt: skip
            self._started = False
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> TempCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
