"""Per-user folders, computed without Qt so the command line and the GUI agree, and the check
that keeps a command's output files out of the folders it reads.

:func:`app_data_dir` is the folder Qt's ``QStandardPaths.AppDataLocation`` gives for the
application (organisation ``FashionAnnotator``, application ``fashion-annotator``): the sample
project and the ``logs/`` folder live there.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

ORGANIZATION = "FashionAnnotator"
APPLICATION = "fashion-annotator"
#: The file that makes a folder a project (``dataset.connection.INDEX_NAME``).
PROJECT_INDEX = "project.sqlite"


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


#: The environment variable naming the person using the program (:func:`current_user`):
#: the window's ``--user NAME`` sets it for itself and the commands it starts.
USER_VARIABLE = "FA_USER"


def current_user() -> str:
    """The name of the user running the program, as saves, leases and decisions record it.

    A person is not a project setting: ``new --user alice`` records alice on what ``new``
    does, and whoever opens the project later is recorded as themselves (a project-wide
    name would record every colleague's saves as alice's, and QA's "approve your own work?"
    check would ask the wrong people). A login shared by several people, or one whose name
    is not the person's (``root`` in a container), names the person with ``$FA_USER`` or the
    window's ``--user NAME``.

    Returns
    -------
    str
        ``$FA_USER`` when set (surrounding spaces stripped); else :func:`getpass.getuser`;
        where no ``USER`` or ``LOGNAME`` is set and the user id has no password entry (a
        container run as an arbitrary id), ``uid<N>``: ``getuser`` raised there, and every
        command and the window stopped with ``KeyError: 'getpwuid(): uid not found'``.
    """
    named = os.environ.get(USER_VARIABLE, "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):
        return f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def log_dir() -> Path:
    """The folder of the log files: ``$FA_LOG_DIR`` if set, else ``app_data_dir()/logs``."""
    override = os.environ.get("FA_LOG_DIR")
    return Path(override) if override else app_data_dir() / "logs"


def check_output_outside(path: Path, folder: Path, what: str, *, holding: bool = False) -> None:
    """Refuse an output file that would land in ``folder`` (a project or a dataset it reads).

    Parameters
    ----------
    holding : bool
        Also refuse an output folder ``path`` that holds ``folder``.

    Raises
    ------
    ValueError
        ``path`` resolves inside ``folder``: writing it could replace the project's index,
        a stored photo or the dataset's labels.
    """
    target, root = Path(path).resolve(), Path(folder).resolve()
    if target == root or target.is_relative_to(root):
        raise ValueError(f"{path}: inside the {what} {root}; write the output elsewhere")
    if holding and root.is_relative_to(target):
        raise ValueError(f"{path}: holds the {what} {root}; write the output elsewhere")


def project_around(path: Path | str) -> Path | None:
    """The project folder that is ``path`` or holds it (links resolved), or None."""
    target = Path(path).resolve()
    for folder in (target, *target.parents):
        if (folder / PROJECT_INDEX).is_file():
            return folder
    return None


def check_output_folder(
    out: Path | str, reads: Mapping[str, Path | str] | None = None,
    *, reusable: Callable[[Path], bool] | None = None,
) -> None:  # fmt: skip
    """Refuse a folder a command would write files into: it must be new or empty, outside
    every project and neither inside nor holding a folder the command reads.

    Parameters
    ----------
    out : Path or str
        The output folder (not created here).
    reads : mapping of str to Path, optional
        What the command reads, by the name the message gives it (``{"dataset": data}``).
    reusable : callable, optional
        Accepts an existing, non-empty ``out`` all the same (an earlier part of the same
        output, which this run adds to).

    Raises
    ------
    ValueError
        Naming ``out`` and why (a project's next open moves unknown files to its
        ``lost+found``; files of a dataset or an earlier output would be overwritten or mixed).
    """
    out = Path(out)
    for what, folder in (reads or {}).items():
        check_output_outside(out, Path(folder), what, holding=True)
    project = project_around(out)
    if project is not None:
        raise ValueError(f"{out}: inside the project {project}; write the output elsewhere")
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir():
        raise ValueError(f"{out}: exists and is not a folder")
    entries = sorted(os.listdir(out))
    if entries and not (reusable is not None and reusable(out)):
        raise ValueError(
            f"{out}: not empty ({len(entries)} entries, e.g. {entries[0]!r}); write the output "
            "into a new or empty folder"
        )
