"""Per-user folders, computed without Qt so the command line and the GUI agree, and the check
that keeps a command's output files out of the folders it reads.

:func:`app_data_dir` is the folder Qt's ``QStandardPaths.AppDataLocation`` gives for the
application (organisation ``FashionAnnotator``, application ``fashion-annotator``): the sample
project and the ``logs/`` folder live there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ORGANIZATION = "FashionAnnotator"
APPLICATION = "fashion-annotator"


def app_data_dir() -> Path:
    """The per-user data folder of the application (not created).

    Returns
    -------
    Path
        Linux: ``$XDG_DATA_HOME/FashionAnnotator/fashion-annotator`` (default
        ``~/.local/share/...``); macOS: ``~/Library/Application Support/...``; Windows:
        ``%APPDATA%\\FashionAnnotator\\fashion-annotator``.
    """
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / ORGANIZATION / APPLICATION


def log_dir() -> Path:
    """The folder of the log files: ``$FA_LOG_DIR`` if set, else ``app_data_dir()/logs``."""
    override = os.environ.get("FA_LOG_DIR")
    return Path(override) if override else app_data_dir() / "logs"


def check_output_outside(path: Path, folder: Path, what: str) -> None:
    """Refuse an output file that would land in ``folder`` (a project or a dataset it reads).

    Raises
    ------
    ValueError
        ``path`` resolves inside ``folder``: writing it could replace the project's index,
        a stored photo or the dataset's labels.
    """
    target, root = Path(path).resolve(), Path(folder).resolve()
    if target == root or target.is_relative_to(root):
        raise ValueError(f"{path}: inside the {what} {root}; write the output elsewhere")
