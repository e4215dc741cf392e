"""Crash-safe file writes: temporary file in the same folder, fsync, ``os.replace``."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

TMP_SUFFIX = ".tmp"
"""Every temporary file written here ends with this and starts with a dot (see the sweep)."""

_PREFIX_CHARS = 48  # keeps ``.PREFIX.<random>.tmp`` far below the 255-byte name limit


def _umask() -> int:
    """The process's umask, read without changing it where the platform allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # fallback: a brief set-and-restore
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The permission bits a plain ``open(path, "w")`` would give a new file (0666 & ~umask)."""
    return 0o666 & ~_umask()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the new one.

    The bytes go to a temporary file in the destination folder, are flushed and fsynced, then
    the file is renamed over ``path`` and the folder is fsynced so the rename itself is durable.
    The file gets the umask's permissions (as ``open`` would), not ``mkstemp``'s 0600, so other
    accounts of the same group can read a shared project.

    Raises
    ------
    OSError
        Whatever the file system raised (full disk, read-only folder); the temporary file is
        removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = "." + path.name.encode("utf-8", "surrogateescape")[:_PREFIX_CHARS].decode(
        "utf-8", "ignore"
    ) + "."
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), file_mode())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Fsync a folder so that renames and new entries in it survive a power loss."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # platforms that cannot open folders (Windows) make renames durable themselves
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on folders; the file itself is already synced
    finally:
        os.close(fd)
