"""The command line that runs ``fashion-annotator`` in a child process, frozen or not.

In a PyInstaller bundle ``sys.executable`` is the bundle's own executable, which takes the
subcommand directly; ``sys.executable -m fashion_annotator`` would hand ``-m`` to the CLI
(the bug X-AnyLabeling had in its bundle, #1100).
"""

from __future__ import annotations

import sys


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
