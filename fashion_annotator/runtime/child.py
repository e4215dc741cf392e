"""The command line that runs ``fashion-annotator`` in a child process, frozen or not.

In a PyInstaller bundle ``sys.executable`` is the bundle's own executable, which takes the
subcommand directly; ``sys.executable -m fashion_annotator`` would hand ``-m`` to the CLI
(the bug X-AnyLabeling had in its bundle, #1100).

A child the window starts (a retrain) gets :data:`PARENT_ENV` and stops cleanly, through
:func:`watch_parent`, when the window is gone (killed or crashed): it used to run on alone
until its next progress line found the pipe closed, and in a phase that prints nothing (loading,
the comparison) for as long as that phase took.
"""

from __future__ import annotations

import os
import sys
import threading

#: The environment variable naming the process that a child stops with (its parent's pid).
PARENT_ENV = "FA_STOP_WITH_PARENT"


def is_frozen() -> bool:
    """Whether this process runs from a frozen bundle (PyInstaller sets ``sys.frozen``)."""
    return bool(getattr(sys, "frozen", False))


def cli_command() -> list[str]:
    """Program and leading arguments that run the command line in a child process.

    Returns
    -------
    list of str
        ``[sys.executable]`` in a frozen bundle, else ``[sys.executable, "-m",
        "fashion_annotator"]``; append the subcommand and its arguments.
    """
    if is_frozen():
        return [sys.executable]
    return [sys.executable, "-m", "fashion_annotator"]


def watch_parent(stop: threading.Event, interval_s: float = 2.0) -> bool:
    """Set ``stop`` once the parent named by :data:`PARENT_ENV` is gone (this process was
    handed to another parent: POSIX reparents an orphan), polling every ``interval_s`` seconds
    in a daemon thread. Without the variable (a command run from a terminal, ``nohup`` included)
    nothing is watched. Returns whether a watch started."""
    named = os.environ.get(PARENT_ENV, "")
    if not named.isdigit() or int(named) != os.getppid():
        return False
    parent = int(named)

    def poll() -> None:
        while not stop.wait(interval_s):
            if os.getppid() != parent:
                stop.set()
                return

    threading.Thread(target=poll, name="watch-parent", daemon=True).start()
    return True
