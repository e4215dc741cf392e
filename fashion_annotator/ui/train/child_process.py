"""The retrain child processes the window starts (Train > Retrain, the background retrain)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment

from fashion_annotator.dataset.postgres.url import (
    PROJECT_URL_ENV,
    is_postgres_url,
    without_password,
)
from fashion_annotator.runtime.child import PARENT_ENV

#: Niceness of the trainer child where ``nice`` exists (POSIX): the lowest priority. A trainer at
#: the normal priority made each Smart click 1,188 ms instead of 101 ms on a busy 2-core machine
#: (torch's two threads per process); at 19 the window's work goes first and the trainer still
#: runs at full speed when the window is idle.
NICENESS = 19


def device_choices() -> list[str]:
    """The ``--device`` choices of the training child here: auto, cpu, and cuda where torch sees one."""
    import torch

    return ["auto", "cpu", "cuda"] if torch.cuda.is_available() else ["auto", "cpu"]


def device_text(device: str) -> str:
    """What the device choice ``device`` trains on here ("Trains on: CPU")."""
    from fashion_annotator.models.device import device_display_name, resolve_device

    return f"Trains on: {device_display_name(resolve_device(device))}"


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
    (:func:`~fashion_annotator.runtime.child.watch_parent`).

    A server project URL among ``arguments`` goes on the command line without its secrets (a
    password, an ``sslpassword``); the child gets it whole in
    :data:`~fashion_annotator.dataset.postgres.url.PROJECT_URL_ENV`, which only its user may
    read: on the command line every user of the machine saw them (``ps``,
    ``/proc/PID/cmdline``).

    Raises
    ------
    ValueError
        Two different server URLs with secrets among ``arguments`` (one variable carries one).
    """
    process = QProcess(parent)
    process.setProgram(program)
    environment = QProcessEnvironment.systemEnvironment()
    environment.insert(PARENT_ENV, str(os.getpid()))
    shown, secret = _secrets_out_of(arguments)
    if secret is not None:
        environment.insert(PROJECT_URL_ENV, secret)
    process.setArguments(shown)
    process.setProcessEnvironment(environment)
    return process


def _secrets_out_of(arguments: Sequence[str]) -> tuple[list[str], str | None]:
    """``arguments`` with a server project URL's secrets taken out, and that URL whole (None
    when no argument holds a secret)."""
    out, secret = [], None
    for argument in arguments:
        if is_postgres_url(argument) and without_password(argument) != argument:
            if secret is not None and secret != argument:
                raise ValueError("a child process takes one server project URL with a password")
            secret, argument = argument, without_password(argument)
        out.append(argument)
    return out, secret


def stop_child(process: QProcess, stopped: Callable[[], bool], msecs: int) -> None:
    """Stop a trainer child for a closing window, in a fraction of a second where it can.

    The child gets SIGTERM; it stops where it is (``training.staging.on_sigterm``: at once
    until its model is published), says ``{"event": "cancelled"}`` with nothing registered,
    then spends about a second tearing torch down. So the wait ends as soon as ``stopped()``
    (the owner saw that line; its ``readyReadStandardOutput`` slot runs inside the wait) or
    the child has exited, and a child that said it stopped is killed instead of awaited: it has
    nothing left to write. One that registers its model meanwhile (past its last check) is
    awaited, ``msecs`` at most, then killed.

    Parameters
    ----------
    process : QProcess
        The running child.
    stopped : callable
        True once the child reported ``cancelled``.
    msecs : int
        The longest wait before the kill.
    """
    process.terminate()
    deadline = time.monotonic() + msecs / 1000
    while (process.state() != QProcess.ProcessState.NotRunning and not stopped()
           and time.monotonic() < deadline):  # fmt: skip
        process.waitForReadyRead(50)
    if process.state() != QProcess.ProcessState.NotRunning:
        process.kill()
        process.waitForFinished(2000)
