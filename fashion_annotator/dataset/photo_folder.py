"""A folder of photos and the project the window made in it, kept in step at each open.

``fashion-annotator PHOTOS`` makes ``PHOTOS/annotations`` and references the photos where they
are. A studio drops new shots into the folder and renames others between sessions; each open
:func:`sync_photo_folder` adds the new photos, points a renamed photo's record at its new name
(found by content, the SHA-256 the project stores: its masks stay with it) and names the photos
still missing. Names are compared first; only files the project does not know are read, and
only hashed for a rename when a photo is missing and the file's pixel size is that photo's (a
copy refused before as a duplicate is looked at too: its original may be the file that went).
No mask is ever moved to another photo.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fashion_annotator.core.atomic import atomic_write_bytes
from fashion_annotator.core.images import open_image_file
from fashion_annotator.core.wording import counted
from fashion_annotator.dataset import storeio
from fashion_annotator.dataset.confine import referenced_path, shown_path
from fashion_annotator.dataset.display import PHOTO_FOLDER_PROJECT, display_name
from fashion_annotator.dataset.formats.common import FILE_ERRORS, ImportSummary, list_files
from fashion_annotator.dataset.formats.photos import add_photos
from fashion_annotator.dataset.store import Project

log = logging.getLogger(__name__)

#: The files of the folder refused or not added (a duplicate), in the project folder: tried
#: again only once changed (their modification time or size), not at every open.
LEFT_OUT_NAME = "folder-left-out.json"

#: A file in a photo folder's project while its photos are still being added: the window adds
#: them in the background, and a window closed before the end leaves the rest to the next open
#: (:func:`sync_photo_folder` tries every file of the folder, so it removes the file too).
ADDING_MARKER = "adding-photos"

#: How many names the first line of a summary lists before "and N more".
NAMES_SHOWN = 5


@dataclass
class FolderSync:
    """What :func:`sync_photo_folder` did (a window job's report).

    Attributes
    ----------
    added : list of str
        The new photos added, as shown to people.
    relinked : list of (str, str)
        ``(old name, new name)`` of each photo found again under another name.
    missing : list of str
        The photos still not in the folder (their masks kept).
    changed : list of str
        The photos whose file now holds other content (replaced in place under the same name;
        only looked for when asked: every photo is read).
    summary : ImportSummary
        The adding of the new files: refusals and notes.
    """

    added: list[str] = field(default_factory=list)
    relinked: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    summary: ImportSummary = field(default_factory=lambda: ImportSummary(photos_only=True))

    @property
    def went_wrong(self) -> bool:
        """Whether a new file was refused or not added (a duplicate), or a photo changed in place."""
        return self.summary.went_wrong or bool(self.changed)

    def lines(self) -> list[str]:
        """The totals, then a line per renamed, missing or refused photo; empty when the folder
        and the project agree."""
        head = []
        if self.added:
            shown = ", ".join(self.added[:NAMES_SHOWN])
            more = f" and {len(self.added) - NAMES_SHOWN} more" if len(self.added) > NAMES_SHOWN else ""
            photos = "new photo" if len(self.added) == 1 else "new photos"
            head.append(f"{len(self.added)} {photos} added from the folder: {shown}{more}")
        if self.relinked:
            head.append(f"{counted(len(self.relinked), 'photo')} found under a new name")
        if self.missing:
            head.append(f"{counted(len(self.missing), 'photo')} not in the folder any more")
        if self.changed:
            head.append(f"{counted(len(self.changed), 'photo')} changed in place")
        left_out = len(self.summary.errors) + len(self.summary.duplicates)
        if left_out:
            head.append(f"{counted(left_out, 'new file')} not added")
        if not head:
            return []
        lines = ["; ".join(head)]
        lines += [f"{new}: found again under this name (was {old}); its masks are kept" for old, new in self.relinked]
        lines += [f"{name}: not in the folder any more (moved or deleted?); its masks are kept" for name in self.missing]
        lines += [f"{name}: the file changed since it was added (other content under the same name); its masks "
                  "belong to the photo as it was added and are not paired with this one: put the earlier file "
                  "back, or give this one another name (the next sync adds it as a new photo)"
                  for name in self.changed]  # fmt: skip
        lines += [f"{Path(path).name}: {problem}" for path, problem in self.summary.errors]
        lines += [f"{Path(path).name}: the same photo as {Path(image).name}, not added again"
                  for path, image in self.summary.duplicates]  # fmt: skip
        return lines


def is_photo_folder_project(project: object) -> bool:
    """Whether ``project`` is a folder project made inside a folder of photos
    (``PHOTOS/annotations``) that references photos there: a project of copied photos, even one
    named ``annotations``, and a PostgreSQL project are not."""
    if not isinstance(project, Project) or Path(project.root).name != PHOTO_FOLDER_PROJECT:
        return False
    folder = Path(project.root).resolve().parent
    return any(Path(name).parent == folder for _, name, _ in project.referenced_images())


def sync_photo_folder(
    project: Project, progress: Callable[[int, int], None] | None = None, *, check_content: bool = False
) -> FolderSync:
    """Bring the project of a photo folder in step with the folder (:mod:`this module`).

    Lists the folder by the rules of its creation (the photo suffixes, not its sub-folders,
    hidden files left out), compares the names with the project's, reads only the files it does
    not know: one whose content is that of a missing photo takes that photo's place (its
    masks kept), the others are added as new photos (a bad file refused and named).

    Parameters
    ----------
    project : Project
        A project for which :func:`is_photo_folder_project` holds, open for writing.
    progress : callable, optional
        ``progress(done, total)`` over the files looked at for a missing photo, then over the
        new files added; an exception it raises (a job's Cancel) stops the sync between files.
    check_content : bool, optional
        Also read every photo the project holds to find those replaced in place (same name,
        other content; :attr:`FolderSync.changed`); off for the window's open, which refuses
        such a photo when it is shown.

    Returns
    -------
    FolderSync
        What changed; nothing written when the folder and the project agree.
    """
    root = Path(project.root)
    folder = root.resolve().parent
    files = list_files(folder)
    referenced = project.referenced_images()
    known = {name for _, name, _ in referenced}
    left_out = _left_out(root)
    unknown = [f for f in files if str(referenced_path(f)) not in known]
    fresh = [f for f in unknown if not _unchanged(left_out, f)]
    missing = {sha: (image_id, name) for image_id, name, sha in referenced if not Path(name).exists()}
    result = FolderSync()
    relinked: set[Path] = set()
    # a file left out before (a copy refused as a duplicate) may now be the missing photo's only file
    if missing and unknown:
        relinked = _relink(project, unknown, missing, result, progress)
        fresh = [f for f in fresh if f not in relinked]
    result.missing = [display_name(name, root) for _, name in sorted(missing.values())]
    if check_content:
        gone = {name for _, name in missing.values()}
        result.changed = [display_name(name, root) for _, name, sha in referenced
                          if name not in gone and _changed(Path(name), sha)]  # fmt: skip
    if fresh:
        summary = add_photos(project, fresh, False, progress, result.summary)
        # a refusal names its file printably (a name that is not UTF-8 as \xNN): compared so
        refused = {shown_path(path) for path, _ in summary.errors} | {shown_path(path) for path, _ in summary.duplicates}
        result.added = [f.name for f in fresh if shown_path(f) not in refused]
    remember_left_out(root, result.summary, [f for f in files if f not in relinked])
    try:  # every file of the folder was tried: a stopped window's adding is over
        (root / ADDING_MARKER).unlink(missing_ok=True)
    except OSError as exc:
        log.warning("%s: cannot remove %s: %s", root, ADDING_MARKER, exc)
    for line in result.lines():
        log.info("%s: %s", root, line)
    return result


def _changed(path: Path, sha: str) -> bool:
    """Whether the photo file ``path``, added with SHA-256 ``sha``, now holds other content
    (False when it cannot be read: the window names why when it is shown)."""
    found = _sha256(path)
    return found is not None and found != sha


def remember_left_out(root: Path, summary: ImportSummary, files: list[Path]) -> None:
    """Keep in ``root`` (:data:`LEFT_OUT_NAME`) the files of the folder ``summary`` refused or did
    not add, with those remembered before that are still in ``files`` unchanged. Not written
    when nothing changes; a write that fails is logged (the files are tried again next time)."""
    previous = _left_out(root)
    now = {f.name: _stamp(f) for f in files}
    by_shown = {shown_path(f.name): f.name for f in files}  # a refusal names a file printably
    kept = {name: stamp for name, stamp in previous.items() if now.get(name) == stamp}
    for path in [p for p, _ in summary.errors] + [p for p, _ in summary.duplicates]:
        name = by_shown.get(shown_path(Path(path).name), "")
        if now.get(name) is not None:
            kept[name] = now[name]
    if kept == previous:
        return
    try:
        atomic_write_bytes(root / LEFT_OUT_NAME, json.dumps(kept, indent=1).encode())
    except OSError as exc:
        log.warning("%s: cannot remember the files left out: %s", root, exc)


def _left_out(root: Path) -> dict[str, list[int] | None]:
    """The files remembered as left out: name -> ``[mtime_ns, size]``; {} when none or unreadable."""
    try:
        data = json.loads((root / LEFT_OUT_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _unchanged(left_out: dict[str, list[int] | None], path: Path) -> bool:
    """Whether ``path`` was left out before and has not changed since."""
    stamp = left_out.get(path.name)
    return stamp is not None and stamp == _stamp(path)


def _stamp(path: Path) -> list[int] | None:
    """``[mtime_ns, size]`` of ``path``, None when it cannot be read."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_mtime_ns, info.st_size]


def _relink(
    project: Project,
    files: list[Path],
    missing: dict[str, tuple[int, str]],
    result: FolderSync,
    progress: Callable[[int, int], None] | None = None,
) -> set[Path]:
    """Relink each missing photo (by SHA-256 in ``missing``, removed as found) to the file of
    ``files`` with its content; the files relinked.

    Only a file whose pixel size (read from its header) is a missing photo's is read and hashed:
    a folder of thousands of new shots is not read through while one photo is missing.
    ``progress(done, total)`` is called before each file is looked at (``done`` < ``total``), so
    a job's Cancel stops it between files.
    """
    root = Path(project.root)
    sizes = {_pixel_size(project, image_id) for image_id, _ in missing.values()}
    relinked: set[Path] = set()
    for done, path in enumerate(files):
        if not missing:
            break
        if progress is not None:
            progress(done, len(files))
        if _header_size(path) not in sizes:
            continue
        sha = _sha256(path)
        found = missing.get(sha) if sha is not None else None
        if found is not None and project.relink_referenced(found[0], found[1], path):
            del missing[sha]  # type: ignore[arg-type]
            relinked.add(path)
            result.relinked.append((display_name(found[1], root), display_name(str(referenced_path(path)), root)))
    return relinked


def _pixel_size(project: Project, image_id: int) -> tuple[int, int]:
    """A photo's width and height as stored, the shorter side first (its EXIF orientation does
    not matter)."""
    record = project.image(image_id)
    return min(record.width, record.height), max(record.width, record.height)


def _header_size(path: Path) -> tuple[int, int] | None:
    """The width and height a photo file's header gives, the shorter side first; None when it
    cannot be read (then it is no photo of the project: the adding names why)."""
    try:
        im, _ = open_image_file(path, decode=False)
    except FILE_ERRORS:
        return None
    with im:
        return min(im.size), max(im.size)


def _sha256(path: Path) -> str | None:
    """The SHA-256 of a photo file, None when it cannot be read (the adding names why)."""
    try:
        return hashlib.sha256(storeio.read_photo_bytes(path)).hexdigest()
    except FILE_ERRORS:
        return None
