"""The ``--json`` files of the commands: the whole file or none, and an error naming the file.

A plain ``write_text`` on a full disk left a 0-byte file that looked like a result and said
``OSError: [Errno 28] No space left on device`` through the catch-all, naming no file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fashion_annotator.core.atomic import atomic_write_text


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` as indented JSON, through :func:`atomic_write_text`.

    Parameters
    ----------
    path : Path
        The file to write; its missing folders are made.
    data : Any
        What :func:`json.dumps` takes.

    Raises
    ------
    OSError
        ``PATH: cannot write: REASON`` (a full disk says so, and how much to free); ``path`` is
        left as it was, no partial file stays behind.
    """
    try:
        atomic_write_text(path, json.dumps(data, indent=2) + "\n")
    except OSError as exc:
        raise OSError(write_error_text(path, exc)) from exc


def write_error_text(path: Path, exc: OSError) -> str:
    """``PATH: cannot write: REASON`` for a write of ``path`` that raised ``exc``."""
    reason = (exc.strerror or str(exc)).removeprefix(f"{path}: cannot write: ")
    return f"{path}: cannot write: {reason}"
