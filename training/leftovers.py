"""Temporary files that a training run killed in the middle of a write left in its folders.

A checkpoint, a split cache or a model file is written to ``.NAME.<pid>@<host>.<random>.tmp``
first (:mod:`fashion_annotator.core.atomic`); a run killed during that write leaves the temp
file behind. A project's ``cache/`` is not swept when the project opens, so each interrupted
checkpoint write of a retrain stayed there for good (about 60 MB for the shipped garment
network: weights, optimizer state and the best epoch's weights). The next run removes them.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterable
from pathlib import Path

from fashion_annotator.core.atomic import TMP_SUFFIX, temp_writer
from fashion_annotator.dataset.leases import process_gone


def _abandoned(path: Path) -> bool:
    """Whether the temp file ``path`` is the leftover of a write that is over: its name says
    its writer, a process of this host that is gone (a name this program does not write, or
    one of another host's process, is never taken for one)."""
    pid = temp_writer(path.name)
    return pid is not None and process_gone(socket.gethostname(), pid)


def remove_abandoned_temps(recursive: Iterable[Path], flat: Iterable[Path] = ()) -> list[Path]:
    """Remove the temp files of writes that are over; return those removed.

    Parameters
    ----------
    recursive : iterable of Path
        Folders searched with their subfolders (a run's own output folder).
    flat : iterable of Path
        Folders searched without their subfolders (a cache folder that may be shared).

    Returns
    -------
    list of Path
        The files removed. A temp file of a live process (another run writing right now) or
        of another host is kept, as is one that cannot be removed.
    """
    found: list[Path] = []
    for folder in recursive:
        for dirpath, _dirs, names in os.walk(folder):
            found.extend(Path(dirpath) / n for n in names)
    for folder in flat:
        with contextlib.suppress(OSError):  # none yet, or not readable: nothing to remove
            found.extend(p for p in Path(folder).iterdir() if p.is_file())
    removed = []
    for path in dict.fromkeys(found):
        if path.name.startswith(".") and path.name.endswith(TMP_SUFFIX) and _abandoned(path):
            try:
                path.unlink()
            except OSError:
                continue
            removed.append(path)
    return removed
