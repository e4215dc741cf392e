"""Sweep what a killed process leaves in a project folder: temp files and orphans.

A save writes its file, renames it into place and only then commits the index row, all under
the index's write lock. A process killed in between leaves a ``.NAME.<random>.tmp`` file or a
renamed file that no index row names (an *orphan*). Neither holds saved work (the save never
returned), but an orphan photo blocks its name (the re-import would store ``NAME-<sha>.jpg``)
and both take space. :func:`sweep` runs when a project is opened for writing, under the write
lock, so no other process can be between its rename and its commit at that moment. The folder is
walked before the lock is taken (:func:`candidates`); under the lock only the files that walk
found are checked again against the index, and the lock is not taken when it found none.

Some files are written outside that lock, after their row committed: a mask version's click
log, a model's meta rewritten after it was registered. Their temp files may be in flight in
another process while the sweep runs, so a temp file is only removed once its write is over:
its name says that its writer was a process of this host that no longer runs
(:func:`~fashion_annotator.core.atomic.temp_writer`), or it is older than
:data:`TEMP_MAX_AGE_S` (another host's, or one whose name does not say).

Temp files and orphan proposal versions (the model's, made again on demand) are deleted;
orphan photos, masks, instance maps and model files are moved to ``lost+found/``, never
deleted: a mask or instance map the index does not name is usually a save cut short, but it is
also every one saved after the backup an admin restored ``project.sqlite`` from (the first open
deleted the masks; the next instance save wrote its ``vN.png`` over the instance map). Each
action is logged.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from fashion_annotator.core.atomic import TMP_SUFFIX, temp_writer
from fashion_annotator.dataset.click_logs import CLICK_LOG_SUFFIX
from fashion_annotator.dataset.leases import process_gone

log = logging.getLogger(__name__)

LOST_AND_FOUND = "lost+found"
SWEPT_FOLDERS = ("images", "masks", "proposals", "models", "instances")
#: Seconds after its last write that a temp file whose writer is not known to be dead is taken
#: for the leftover of an interrupted write (no write of the program takes that long).
TEMP_MAX_AGE_S = 3600.0


@dataclass
class SweepReport:
    """What :func:`sweep` did: paths relative to the project folder."""

    temp_removed: list[str] = field(default_factory=list)
    orphans_removed: list[str] = field(default_factory=list)
    orphans_moved: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Number of files handled."""
        return len(self.temp_removed) + len(self.orphans_removed) + len(self.orphans_moved)

    def note(self, root: Path) -> str | None:
        """One sentence for people when saved masks, instance maps or photos were set aside in
        ``root``'s ``lost+found/`` (else None): the log alone left an operator thinking the work
        was lost."""
        masks = sum(1 for rel in self.orphans_moved if rel.startswith("masks/") and rel.endswith(".png"))
        maps = sum(1 for rel in self.orphans_moved if rel.startswith("instances/"))
        photos = sum(1 for rel in self.orphans_moved if rel.startswith("images/"))
        parts = [f"{masks} saved mask file(s)" if masks else "",
                 f"{maps} saved instance map(s)" if maps else "",
                 f"{photos} photo(s)" if photos else ""]  # fmt: skip
        what = " and ".join(x for x in parts if x)
        if not what:
            return None
        return (f"Opening the project moved {what} its index does not name to {root / LOST_AND_FOUND} "
                "(an index restored from a backup? a crash during a save?); nothing was deleted")


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(TMP_SUFFIX)


def _abandoned(path: Path, now: float) -> bool:
    """Whether the temp file ``path`` is the leftover of a write that is over: its writer is a
    dead process of this host, or it was last written more than :data:`TEMP_MAX_AGE_S` ago."""
    pid = temp_writer(path.name)
    if pid is not None and process_gone(socket.gethostname(), pid):
        return True
    try:
        return now - path.stat().st_mtime > TEMP_MAX_AGE_S
    except OSError:  # gone meanwhile: its write ended
        return False


def _known(conn: sqlite3.Connection) -> set[str]:
    """Project-relative paths the index names."""
    known = {f"images/{r[0]}" for r in conn.execute("SELECT name FROM images WHERE stored = 1")}
    for table in ("mask_versions", "proposals", "models", "instance_versions"):
        known.update(r[0] for r in conn.execute(f"SELECT path FROM {table}"))
    known.update(
        Path(p).with_suffix(".json").as_posix() for p in list(known) if p.endswith(".safetensors")
    )
    return known


def _files(root: Path, folder: str) -> list[str]:
    """Files under ``root / folder``, relative to ``root`` with ``/`` as the index writes them
    (on Windows ``str`` of a path has ``\\``: no file would match its row, and every saved
    mask would be swept). Made from strings: a path object per file took most of a walk."""
    base = os.path.join(root, "")
    out: list[str] = []
    if os.path.islink(os.path.join(root, folder)):  # never walked: see :func:`_through_link`
        log.warning("%s: a link, not a folder of the project; its files are not swept", root / folder)
        return out
    for dirpath, _dirs, names in os.walk(os.path.join(root, folder)):
        rel = dirpath[len(base) :].replace(os.sep, "/")
        out.extend(f"{rel}/{n}" for n in names)
    return out


def candidates(root: Path, conn: sqlite3.Connection) -> list[str]:
    """The files of ``root`` that :func:`sweep` may have to deal with, found without the
    index's write lock: every file the index does not name (read after the walk) and every
    temp file whose write is over. Usually none, and then the lock is not taken at all.

    The walk takes seconds in a large project (2.3 s at 15,000 files); under the lock, every
    colleague's save waited for it. Nothing is moved on what this finds: :func:`sweep` checks
    each file again under the lock, where no other process is between a write and its commit.

    Parameters
    ----------
    root : Path
        The project folder.
    conn : sqlite3.Connection
        The index, outside any transaction.
    """
    files = [rel for folder in SWEPT_FOLDERS for rel in _files(root, folder)]
    known = _known(conn)
    now = time.time()
    return [rel for rel in files if (_abandoned(root / rel, now) if _is_temp(_name(rel)) else _orphan(rel, known))]


def _name(rel: str) -> str:
    return rel.rsplit("/", 1)[-1]


def _orphan(rel: str, known: set[str]) -> bool:
    """Whether ``rel`` is a file the index does not name (a click log goes with its mask)."""
    return rel not in known and _click_log_mask(rel) not in known


def sweep(root: Path, conn: sqlite3.Connection, found: list[str] | None = None) -> SweepReport:
    """Remove the temp files of writes that are over and the orphans of ``root``; the caller
    holds the index's write lock.

    Parameters
    ----------
    root : Path
        The project folder.
    conn : sqlite3.Connection
        The index, inside a ``BEGIN IMMEDIATE`` transaction.
    found : list of str, optional
        The files to deal with, :func:`candidates` found before the lock was taken (each is
        checked again here); None: every file of the folder.

    Returns
    -------
    SweepReport
        Every file removed or moved (also logged at WARNING).
    """
    report = SweepReport()
    known = _known(conn)
    now = time.time()
    files = found if found is not None else [rel for folder in SWEPT_FOLDERS for rel in _files(root, folder)]
    for rel in files:
        path = root / rel
        if _through_link(root, rel):
            log.warning("%s: reached through a link; not swept", path)
        elif _is_temp(path.name):
            if _abandoned(path, now):  # else another process may be writing it right now
                _remove(path, rel, report.temp_removed, "temporary file of an interrupted write")
        elif _orphan(rel, known) and os.path.lexists(path):  # committed or gone since it was found
            set_aside(root, rel, report)
    return report


def _through_link(root: Path, rel: str) -> bool:
    """Whether a folder on the way from ``root`` to ``rel`` is a symbolic link.

    A project folder may come from elsewhere (a vendor's zip) with ``proposals`` or ``masks/3``
    a link to any folder of this computer: what the sweep removes or moves there is not the
    project's (every PNG of a linked folder would read as an orphan proposal and be deleted).

    Parameters
    ----------
    root : Path
        The project folder.
    rel : str
        A file, relative to ``root`` with ``/``.
    """
    path = root
    for part in rel.split("/")[:-1]:
        path = path / part
        if path.is_symlink():
            return True
    return False


def _click_log_mask(rel: str) -> str | None:
    """The mask version ``masks/.../vN.png`` whose click log ``rel`` is, else None."""
    if rel.startswith("masks/") and rel.endswith(CLICK_LOG_SUFFIX):
        return rel[: -len(CLICK_LOG_SUFFIX)] + ".png"
    return None


def set_aside(root: Path, rel: str, report: SweepReport) -> None:
    """Deal with ``rel``, a file of ``root`` that the index does not name, as :func:`sweep`
    does: an orphan proposal version is deleted; an orphan photo, mask version, instance map,
    model file or click log is moved to ``lost+found/`` (same relative path, ``.1``, ``.2``...
    when taken); anything else is left. Logged at WARNING and added to ``report``.

    A mask version's click log (``vN.clicks.json``) is not handled with it: a caller that sets
    a mask aside by itself sets its click log aside too (a later save reusing ``vN`` would
    read it as its own).

    Parameters
    ----------
    root : Path
        The project folder.
    rel : str
        The file, relative to ``root`` with ``/`` (as the index writes paths).
    report : SweepReport
        Where the file is recorded when it was deleted or moved.
    """
    path = root / rel
    folder = rel.split("/", 1)[0]
    if _through_link(root, rel) or _through_link(root, f"{LOST_AND_FOUND}/{rel}"):
        log.warning("%s: reached through a link, or lost+found leads through one; left as it is", path)
    elif folder == "proposals" and path.suffix == ".png":
        _remove(path, rel, report.orphans_removed, "proposal never committed to the index")
    elif folder in ("images", "models") or (folder in ("masks", "instances") and path.suffix == ".png"):
        _move(root, rel, report)
    elif _click_log_mask(rel) is not None:
        _move(root, rel, report)


def _remove(path: Path, rel: str, into: list[str], why: str) -> None:
    try:
        path.unlink()
    except OSError as exc:
        log.warning("%s: cannot remove (%s): %s", path, why, exc.strerror or exc)
        return
    log.warning("%s: removed (%s)", path, why)
    into.append(rel)


def _move(root: Path, rel: str, report: SweepReport) -> None:
    src = root / rel
    dest = root / LOST_AND_FOUND / rel
    n = 1
    while dest.exists():
        dest = root / LOST_AND_FOUND / f"{rel}.{n}"
        n += 1
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
    except OSError as exc:
        log.warning("%s: orphan (not in the index) not moved: %s", src, exc.strerror or exc)
        return
    log.warning("%s: not in the index (an interrupted save, or an index restored from a backup), moved to %s",
                src, dest)
    report.orphans_moved.append(rel)
