"""Crash-safe file writes: temporary file in the same folder, fsync, ``os.replace``.

The one place that writes files durably: project masks and models, model files, training
checkpoints and caches, exports and the recovery journal all go through these functions.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

TMP_SUFFIX = ".tmp"
"""Every temporary file written here ends with this and starts with a dot (see the sweep)."""

_PREFIX_CHARS = 48  # keeps ``.PREFIX.<pid>@<host>.<random>.tmp`` far below the 255-byte name limit
_HOST_CHARS = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
#: ``.<pid>@<host>.<random>.tmp`` at the end of a temp file's name (mkstemp's random part has no dot).
_WRITER = re.compile(r"\.(\d+)@([A-Za-z0-9_.-]+)\.[^.]+" + re.escape(TMP_SUFFIX) + "$")


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


def _host() -> str:
    """This host's name as temp file names carry it (safe characters, a few dozen at most)."""
    return _UNSAFE.sub("_", socket.gethostname())[:_HOST_CHARS]


def _temp_prefix(path: Path) -> str:
    """``.NAME.<pid>@<host>.`` with NAME cut to a few dozen bytes (a 240-byte name still gets a
    temp file): the writer's process and host, so that a sweep can tell a write cut short by a
    dead process from one still going on in another (see :func:`temp_writer`)."""
    name = path.name.encode("utf-8", "surrogateescape")[:_PREFIX_CHARS]
    return "." + name.decode("utf-8", "ignore") + f".{os.getpid()}@{_host()}."


def temp_writer(name: str) -> int | None:
    """The process id of the process of this host that writes (or wrote) the temp file ``name``.

    Parameters
    ----------
    name : str
        A file name as :func:`atomic_write_bytes` and :func:`atomic_path` make them.

    Returns
    -------
    int or None
        None when the name does not say: another host wrote it, or a version of the program
        whose temp names did not carry their writer.
    """
    found = _WRITER.search(name)
    if found is None or found.group(2) != _host():
        return None
    return int(found.group(1))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the new one.

    The bytes go to a temporary file in the destination folder, are flushed and fsynced, then
    the file is renamed over ``path`` and the folder is fsynced so the rename itself is durable.
    The file gets the umask's permissions (as ``open`` would), not ``mkstemp``'s 0600, so other
    accounts of the same group can read a shared project.

    Raises
    ------
    OSError
        Whatever the file system raised (full disk, read-only folder), naming ``path`` (a
        full disk says so, and how much space to free); the temporary file is removed and
        ``path`` is left as it was.
    """
    _write_then(Path(path), data, os.replace)


def atomic_create_bytes(path: Path, data: bytes) -> None:
    """:func:`atomic_write_bytes`, but never over an existing file: a new file or nothing.

    The temporary file is hard-linked to ``path``, which fails when ``path`` exists; where the
    file system has no hard links, it is renamed after a check (a race then needs a second
    writer that does not hold the caller's lock).

    Raises
    ------
    FileExistsError
        ``path`` exists; it is left as it was.
    OSError
        Whatever else the file system raised; the temporary file is removed.
    """
    _write_then(Path(path), data, _create)


def _create(tmp: str, path: Path) -> None:
    """Give the written temp file ``tmp`` the name ``path`` unless that name is taken."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # no hard links here (FAT, some shares)
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.replace(tmp, path)
        return
    with contextlib.suppress(OSError):  # ``path`` is written; a leftover temp file is swept later
        os.unlink(tmp)


def _write_then(path: Path, data: bytes, put: Callable[[str, Path], None]) -> None:
    """Write ``data`` to a fsynced temp file beside ``path``, ``put(tmp, path)`` it in place and
    fsync the folder; the temp file is removed on any error, and an :class:`OSError` that
    names no file is raised again naming ``path`` (see :func:`named_write_error`)."""
    make_parents(path)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), file_mode())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        put(tmp, path)
    except OSError as exc:
        full = _out_of_space(exc, path)  # measured before the partial file is removed
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        named = named_write_error(path, exc, full, len(data))
        if named is exc:
            raise
        raise named from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def named_write_error(path: Path, exc: OSError, full: bool, needed: int = 0) -> OSError:
    """The error to raise for a failed write of ``path``: on a ``full`` disk one that says so
    (:func:`disk_full_text`), else ``exc`` itself when it names a file, else ``exc`` naming
    ``path`` (a bare ``[Errno 28] No space left on device`` names neither)."""
    if full:
        return full_disk_error(path, needed)
    if exc.filename is None:
        return OSError(exc.errno, exc.strerror or str(exc), str(path))
    return exc


def atomic_copy(src: Path, dst: Path) -> None:
    """Copy the file ``src`` to ``dst`` through :func:`atomic_path`: ``dst`` is the whole copy
    or as it was, never a copy cut short.

    Raises
    ------
    OSError
        ``dst`` cannot be written (named; a full disk says so), or ``src`` cannot be read.
    """
    with atomic_path(dst) as tmp:
        try:
            shutil.copyfile(src, tmp)
        except OSError as exc:
            if exc.errno in WRITE_ERRNOS:  # shutil names the source first, the temp file second
                raise OSError(exc.errno, exc.strerror, str(dst)) from exc
            raise


def file_identity(path: Path) -> tuple[int, int] | None:
    """``(st_dev, st_ino)`` of ``path`` (None when it cannot be read): a file put at the same
    path since (a folder replaced by a copy of a backup) has another."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """:func:`atomic_write_bytes` of ``text`` encoded with ``encoding``."""
    atomic_write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def atomic_path(path: Path, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for a library that writes files by name.

    When the block ends without an exception the temporary file is fsynced, given ``mode``
    (when set), renamed over ``path`` and the folder fsynced; on an exception it is removed and
    ``path`` is left as it was. A failure on a full disk raises an :class:`OSError` (``ENOSPC``)
    naming ``path``: the libraries' own errors name neither the file nor the cause (torch:
    "unexpected pos 12144192 vs 12144080", safetensors: "I/O error").

    Examples
    --------
    >>> with atomic_path(out / "model.safetensors") as tmp:  # doctest: +SKIP
    ...     save_file(tensors, str(tmp))
    """
    path = Path(path)
    make_parents(path)
    fd, name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        tmp.chmod(file_mode() if mode is None else mode)  # mkstemp's 0600 otherwise
        os.replace(tmp, path)
    except Exception as exc:
        full = _out_of_space(exc, path)  # measured before the partial file is removed
        with contextlib.suppress(OSError):
            tmp.unlink()
        if full:
            raise full_disk_error(path) from exc
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


#: Free bytes under which a failed write is put down to a full disk.
FULL_DISK_BYTES = 1 << 20

#: Errors of a write (not of a read): no space, over a quota, over the file size limit.
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)})


def _out_of_space(exc: BaseException, path: Path) -> bool:
    """Whether ``exc``, raised writing ``path``, is a write the full disk refused: an OS error of
    another kind (a version file already there, a refused name) is never blamed on the disk; a
    library's own error (torch's "unexpected pos", safetensors' "I/O error") is, when it is full."""
    if isinstance(exc, OSError) and exc.errno not in WRITE_ERRNOS:
        return False
    return disk_full(path.parent)


def disk_full(folder: Path) -> bool:
    """Whether the file system of ``folder`` has (next to) no space left for this user."""
    try:
        return shutil.disk_usage(folder).free < FULL_DISK_BYTES
    except OSError:
        return False


def full_disk_error(path: Path, needed: int = 0) -> OSError:
    """The ``ENOSPC`` error of a write of ``path`` (``needed`` bytes) the full disk refused."""
    return OSError(errno.ENOSPC, f"{path}: cannot write: {disk_full_text(path.parent, needed)}")


def disk_full_text(folder: Path, needed: int = 0) -> str:
    """``the disk is full (N MiB free on FOLDER); free at least M MiB and try again``: what a
    write that failed for lack of space says, ``needed`` being the bytes it was writing (at
    least :data:`FULL_DISK_BYTES` are asked for: the file's folder entries need room too)."""
    try:
        free = f"{shutil.disk_usage(folder).free / (1 << 20):.1f} MiB free on {folder}"
    except OSError:
        free = f"on {folder}"
    return f"the disk is full ({free}); free at least {max(needed, FULL_DISK_BYTES) / (1 << 20):.1f} MiB and try again"


def make_parents(path: Path) -> None:
    """Create ``path``'s missing folders, each one made durable in its parent (a new
    ``masks/12/garment`` whose entry in ``masks/12`` was never synced could vanish in a power
    cut while the index row naming the file survives)."""
    missing = []
    folder = path.parent
    while not folder.is_dir() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    path.parent.mkdir(parents=True, exist_ok=True)
    for made in reversed(missing):
        fsync_dir(made.parent)


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
