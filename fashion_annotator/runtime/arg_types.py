"""Argument types of the command line: checked when the command line is read, so a typo fails at
once with a usage message rather than after a long run (or silently: ``--limit -1`` dropped the
last photo)."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

#: ``--user`` of the commands that save (``new``, ``import``, ``tasks --add``): who ran this
#: command, never a project setting (:func:`~fashion_annotator.runtime.paths.current_user`).
USER_HELP = ("the name recorded on what this command saves (default: $FA_USER, else the login name); "
             "the project does not keep it: the window records its own user, `fashion-annotator "
             "PROJECT --user NAME`, else $FA_USER, else the login name")


def positive_int(text: str) -> int:
    """A whole number of at least 1 (photos, runs, operators, a batch).

    Raises
    ------
    argparse.ArgumentTypeError
        ``text`` is not a whole number or is below 1.
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def positive_number(text: str) -> float:
    """A finite number above 0 (minutes, seconds between events).

    Raises
    ------
    argparse.ArgumentTypeError
        ``text`` is not a number, or is 0, negative, infinite or NaN.
    """
    value = _number(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def non_negative_number(text: str) -> float:
    """A finite number of at least 0 (a mean pause, where 0 means none).

    Raises
    ------
    argparse.ArgumentTypeError
        ``text`` is not a number, or is negative, infinite or NaN.
    """
    value = _number(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def output_file(text: str) -> Path:
    """A file a command will write at its end (``--json``): not a folder, and in a folder that
    exists or can be made and written, checked before the work whose figures it keeps.

    Raises
    ------
    argparse.ArgumentTypeError
        ``text`` names a folder, or its nearest existing folder cannot be written.
    """
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: is a folder; name a file to write")
    parent = path.resolve().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {parent}")
    return path


def data_folder(text: str) -> Path:
    """A plain mask folder (``images/``, ``masks/``, ``taxonomies.json``) read by ``evaluate`` and
    ``bench``: it must exist (a missing one was reported as its ``taxonomies.json``).

    Raises
    ------
    argparse.ArgumentTypeError
        ``text`` is a file, or nothing.
    """
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: a file, not a folder (a plain mask folder: images/, masks/, taxonomies.json)")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{text}: no such folder (a plain mask folder: images/, masks/, taxonomies.json; "
            "tests/fixtures/ccp_small in the source is a small one)"
        )
    return path
