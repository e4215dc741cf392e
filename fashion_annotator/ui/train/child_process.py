"""The retrain child processes the window starts (Train > Retrain, the background retrain)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment

from fashion_annotator.dataset.postgres.url import is_postgres_url, without_password
from fashion_annotator.runtime.child import PARENT_ENV

#: Niceness of the trainer child where ``nice`` exists (POSIX): the lowest priority. A trainer at
#: the normal priority made each Smart click 1,188 ms instead of 101 ms on a busy 2-core machine
#: (torch's two threads per process); at 19 the window's work goes first and the trainer still
#: runs at full speed when the window is idle.
NICENESS = 19


def low_priority(program: str, args: Sequence[str]) -> tuple[str, list[str]]:
    """Wrap a command in ``nice -n 19`` when the system has ``nice``, else leave it (Windows).

    Parameters
    ----------
    program : str
    args : sequence of str

    Returns
    -------
    tuple of (str, list of str)
        The program and arguments to start.
    """
    nice = shutil.which("nice")
    return (nice, ["-n", str(NICENESS), program, *args]) if nice else (program, list(args))


def training_process(parent: QObject, program: str, arguments: Sequence[str]) -> QProcess:
    """A ``QProcess`` (not started) running ``program arguments``, told this process's pid
    (:data:`~fashion_annotator.runtime.child.PARENT_ENV`): if the window dies (killed,
    crashed), the retrain stops cleanly instead of running on alone
    (:func:`~fashion_annotator.runtime.child.watch_parent`)."""
    process = QProcess(parent)
    process.setProgram(program)
    environment = QProcessEnvironment.systemEnvironment()
    environment.insert(PARENT_ENV, str(os.getpid()))
    shown, password = _password_out_of(arguments)
    if password is not None:
        environment.insert("PGPASSWORD", password)
    process.setArguments(shown)
    process.setProcessEnvironment(environment)
    return process


def _password_out_of(arguments: Sequence[str]) -> tuple[list[str], str | None]:
    """``arguments`` with a server project URL's password taken out, and that password (None
    when none): the child gets it in ``PGPASSWORD``, which libpq reads and only its user may
    see; on the command line every user of the machine saw it (``ps``, ``/proc/PID/cmdline``)."""
    out, password = [], None
    for argument in arguments:
        if is_postgres_url(argument) and without_password(argument) != argument:
            parts = urlsplit(argument)
            settings = [item.partition("=") for item in parts.query.split("&")]
            given = parts.password if parts.password is not None else next(
                (value for key, _, value in settings if unquote(key) == "password"), None
            )  # fmt: skip
            if given is not None and all(unquote(key) != "sslpassword" for key, _, _ in settings):
                password = unquote(given)  # (libpq reads no sslpassword from the environment)
                argument = without_password(argument)
        out.append(argument)
    return out, password
