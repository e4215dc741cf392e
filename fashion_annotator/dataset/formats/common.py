"""What every import and export format shares: the summary, safe paths, photo listing."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.core.images import PHOTO_SUFFIXES, has_alpha_channel
from fashion_annotator.core.wording import counted, named
from fashion_annotator.dataset.confine import shown_path, storable_name
from fashion_annotator.dataset.connection import INDEX_NAME
from fashion_annotator.dataset.formats.export_stop import (
    CancelRequested,
    closing_files,
    file_error_text,
    progressed,
    stop_if_damaged,
)
from fashion_annotator.dataset.formats.names import export_stems, write_export_names
from fashion_annotator.dataset.formats.upright_match import UprightMatcher
from fashion_annotator.dataset.leases import LeaseHeld
from fashion_annotator.dataset.records import ImageRecord, ProjectError
from fashion_annotator.dataset.store import Project
from fashion_annotator.dataset.storeio import file_kind, referenced_photo_changed

FILE_ERRORS = (ValueError, OSError, ProjectError, LeaseHeld, sqlite3.Error)
"""What one bad file may raise; caught per file so a batch goes on with the rest."""

Progress = Callable[[int, int], None]
"""``progress(done, total)``, called after each file."""

MAX_JSON_BYTES = 1 << 30
"""Largest JSON file an import reads (1 GiB)."""

COORD_MARGIN = 1.0
"""Imported coordinates may lie outside the image by at most this many image sizes."""


def read_json(path: Path, what: str) -> Any:
    """The parsed contents of the JSON file ``path``, read as ``what`` (``"COCO JSON"``...).

    A UTF-8 byte-order mark (Windows tools write one) is skipped.

    Raises
    ------
    ValueError
        Naming ``path``: larger than :data:`MAX_JSON_BYTES`, unreadable, not UTF-8, not JSON,
        or nested too deeply for Python's parser (a corrupted or hostile file; its
        ``RecursionError`` would name no file and stop a batch).
    """
    max_bytes = MAX_JSON_BYTES
    refuse_special(path, what)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ValueError(f"{size} bytes exceeds the limit of {max_bytes}")
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except RecursionError:
        raise ValueError(f"{path}: not a readable {what} (JSON nested too deeply)") from None
    except OSError as exc:  # a system error's text names the file again: its reason alone
        raise ValueError(f"{path}: not a readable {what} ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable {what} ({exc})") from exc


def refuse_special(path: Path, what: str) -> None:
    """Raise ``ValueError`` naming ``path`` when it is a FIFO, a device or a socket: reading one
    waits forever or never ends (a source folder from an archive may hold one under the name of
    its annotation file). A missing file or a folder is left to the reader's own message."""
    kind = file_kind(path)
    if kind is not None and kind != "a folder" and not kind.startswith(("missing", "unreadable")):
        raise ValueError(f"{path}: not a readable {what} (not a regular file: {kind})")


def check_extent(points: np.ndarray, height: int, width: int) -> None:
    """Raise ``ValueError`` unless ``points`` ``(N, 2)`` x, y are finite and lie within
    :data:`COORD_MARGIN` image sizes of a ``width`` x ``height`` image (farther is a broken
    file, and huge values overflow the painting)."""
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    if not np.isfinite(pts).all():
        raise ValueError("a coordinate is not a finite number")
    if not len(pts):
        return
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    sides = np.array([width, height], np.float64)
    if (pts.min(axis=0) < -COORD_MARGIN * sides).any() or (pts.max(axis=0) > (1 + COORD_MARGIN) * sides).any():
        raise ValueError(f"polygon spans x {x0:g}..{x1:g}, y {y0:g}..{y1:g}: too far outside the {width}x{height} image")


@dataclass
class ImportSummary:
    """What an import did; ``errors`` lists ``(file, problem)`` for each refused file.

    ``unchanged`` counts masks equal to a saved version (a re-run or resumed import adds
    nothing); ``skipped`` lists files and folders left out on purpose (not refusals) and
    ``without_mask`` the photos left with no mask (none came, none was saved before).
    """

    added: int = 0
    existing: int = 0
    masks: int = 0
    unchanged: int = 0
    #: Images whose garment instances were saved (``coco-instances``; a parsing mask saved
    #: with them counts in ``masks`` too).
    instances: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    without_mask: list[str] = field(default_factory=list)
    #: ``(file, what)`` for a shape that painted nothing (it lies outside its photo, or covers
    #: no pixel's centre); the rest of the file is imported.
    empty_shapes: list[tuple[str, str]] = field(default_factory=list)
    #: ``(file, project image)`` for a photo already in the project under another name (the
    #: same bytes): not added again.
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    #: Photos added that have an alpha channel: shown as stored, colours under transparent
    #: pixels included (the ``alpha`` import makes the transparency a mask).
    with_alpha: list[str] = field(default_factory=list)
    #: ``(file, stored name)`` for photos added under a name other than their file's: too long
    #: (shortened to :data:`~fashion_annotator.dataset.confine.MAX_NAME_BYTES`), not UTF-8, or
    #: holding a backslash (masks named after the file's name still attach to them).
    stored_as: list[tuple[str, str]] = field(default_factory=list)
    #: ``(file, what)`` said of what was saved (not left out): overlapping annotations, a
    #: parsing mask saved as a proposal (``coco-instances``).
    notes: list[tuple[str, str]] = field(default_factory=list)
    #: A photo import (no masks expected): the totals leave the mask counts out.
    photos_only: bool = False
    #: Hidden files (names starting with ``.``) of an imported suffix, left out as every way of
    #: adding photos does (``._look.jpg``: a Mac's copy of a file's metadata, not a photo).
    hidden: int = 0

    def fail(self, path: Path | str, exc: BaseException | str) -> None:
        """Record a refused file; the message names the file once, printably (a name that is
        not UTF-8 as ``\\xNN``, however the message wrote it)."""
        message = _printable(str(exc))
        name = _printable(str(path))
        if message.startswith(name):
            message = message[len(name) :].lstrip(": ")
        self.errors.append((name, message))

    @property
    def empty(self) -> bool:
        """Whether the source held nothing to import: no photo, no mask, no refused file."""
        return not (self.added or self.existing or self.masks or self.unchanged or self.instances or self.errors)

    def lines(self) -> list[str]:
        """Human-readable summary: one line of totals, then one line per refused file."""
        masks = "" if self.photos_only else (
            f"{counted(self.masks, 'mask')} saved, {counted(self.unchanged, 'mask')} unchanged, "
        ) + (f"instances of {counted(self.instances, 'image')} saved, " if self.instances else "")
        head = (
            f"{counted(self.added, 'photo')} added, {self.existing} already present, {masks}"
            f"{counted(len(self.errors), 'file')} refused"
        )
        lines = [head, *(f"  {named(path, problem)}" for path, problem in self.errors)]
        if self.hidden:
            lines.append(f"{counted(self.hidden, 'hidden file')} skipped (names starting with '.')")
        if self.skipped:
            lines.append(f"{len(self.skipped)} left out:")
            lines.extend(f"  {path}: {why}" for path, why in self.skipped)
        if self.notes:
            lines.append(f"{counted(len(self.notes), 'note')} on what was saved:")
            lines.extend(f"  {path}: {what}" for path, what in self.notes)
        if self.without_mask:
            lines.append(f"{counted(len(self.without_mask), 'photo')} without a mask (none from this import, none saved before):")
            lines.extend(f"  {name}" for name in self.without_mask)
        if self.empty_shapes:
            lines.append(f"{counted(len(self.empty_shapes), 'shape')} painting no pixel (outside the photo, or too thin), left out:")
            lines.extend(f"  {path}: {what}" for path, what in self.empty_shapes)
        if self.duplicates:
            lines.append(f"{counted(len(self.duplicates), 'photo')} already in the project under another name, not added again:")
            lines.extend(f"  {path}: the same photo as {name}" for path, name in self.duplicates)
        if self.stored_as:
            lines.append(f"{counted(len(self.stored_as), 'photo')} stored under another name (too long, not UTF-8, or with a backslash):")
            lines.extend(f"  {path} -> {name}" for path, name in self.stored_as)
        if self.with_alpha:
            lines.append(
                f"{counted(len(self.with_alpha), 'photo')} with transparency, shown as stored (the colours "
                "under transparent pixels included); Import masks > alpha cutouts makes it a mask:"
            )
            lines.extend(f"  {path}" for path in self.with_alpha)
        return lines

    @property
    def notable(self) -> bool:
        """Whether a person should read more than the totals: a refusal or a note."""
        return bool(
            self.errors or self.skipped or self.empty_shapes or self.duplicates or self.with_alpha
            or self.stored_as or self.hidden or self.notes
        )  # fmt: skip

    @property
    def went_wrong(self) -> bool:
        """Whether something did not come in: a file refused, a file or shape left out, a
        photo not added again. A photo with transparency or without a mask came in: a note."""
        return bool(self.errors or self.skipped or self.empty_shapes or self.duplicates)


def _printable(text: str) -> str:
    """``text`` with the bytes of a name that is not UTF-8 (surrogate escapes) as ``\\xNN``."""
    try:
        return shown_path(text)
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte (from a JSON file)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


#: Statuses an export names when it wrote their masks (the latest mask of every image goes out).
UNFINISHED = {"rejected": "rejected by QA", "in_progress": "in progress", "new": "never saved by an operator"}


@dataclass
class ExportSummary:
    """What an export wrote: ``count`` items (images or cutouts) under ``out``.

    ``errors`` lists ``(image, problem)`` for each image that could not be exported (a
    missing or damaged mask or photo); the others are exported.
    """

    out: Path
    count: int = 0
    skipped: list[str] = field(default_factory=list)
    #: What the ``skipped`` images lack, as the summary says it.
    missing: str = "a mask for the task"
    errors: list[tuple[str, str]] = field(default_factory=list)
    #: Photos written turned upright (their EXIF orientation applied) to match their masks.
    upright: int = 0
    #: How many exported images have each status (``new``, ``in_progress``, ``done``, ...).
    by_status: dict[str, int] = field(default_factory=dict)
    #: Images not exported because their status was not asked for (``export_project(statuses=)``).
    left_out_by_status: int = 0
    #: ``(image, exported stem)`` for images written under another stem: their own is another
    #: exported image's, or they share it (``photo.bmp`` and ``photo.tif``), see
    #: :func:`~fashion_annotator.dataset.formats.names.export_stems`.
    renamed: list[tuple[str, str]] = field(default_factory=list)
    #: The sha256 of each photo in ``renamed``, by its exported stem (see :meth:`write_names`).
    renamed_sha256: dict[str, str] = field(default_factory=dict)
    #: What the format left out of the images it exported, one line each (coco-instances:
    #: instances without a category).
    notes: list[str] = field(default_factory=list)
    #: The images exported, by name (a cancelled export's note lists them).
    exported: list[str] = field(default_factory=list)
    #: The cancel that stopped the export between images (:func:`~.export_stop.progressed`).
    cancelled: CancelRequested | None = None

    def take_back(self, record: ImageRecord, problem: str, written: Path | None = None) -> None:
        """An image counted as exported could not be written: uncount it and list ``problem``.

        ``written``: its photo, already copied into the export, is removed (a YOLO trainer
        reads a photo without its label file as an image with nothing on it).
        """
        if written is not None:
            with contextlib.suppress(OSError):
                written.unlink()
        self.count -= 1
        with contextlib.suppress(ValueError):
            self.exported.remove(record.name)
        self.renamed = [(name, stem) for name, stem in self.renamed if name != record.name]
        left = self.by_status.get(record.status, 0) - 1
        if left > 0:
            self.by_status[record.status] = left
        else:
            self.by_status.pop(record.status, None)
        self.errors.append((record.name, problem))

    def note_renamed(self, record: ImageRecord, stem: str) -> None:
        """``record`` is written under ``stem``, not its own (listed in ``renamed``)."""
        self.renamed.append((record.name, stem))
        self.renamed_sha256[stem] = record.sha256

    def write_names(self) -> None:
        """Write the export's :data:`~fashion_annotator.dataset.formats.names.EXPORT_NAMES` (the
        photo each stem in ``renamed`` is, which an import reads them back by); an
        :class:`OSError` stops the export (:func:`closing_files`)."""
        with closing_files(self):
            write_export_names(self.out, [(stem, name, self.renamed_sha256[stem]) for name, stem in self.renamed])

    def lines(self) -> list[str]:
        """Human-readable summary: totals, then one line per image not exported."""
        head = f"{counted(self.count, 'image')} exported to {self.out}"
        if self.upright:
            head += f"; {counted(self.upright, 'EXIF-rotated photo')} written upright to match the masks"
        if self.left_out_by_status:
            head += f"; {counted(self.left_out_by_status, 'image')} of other statuses left out"
        if self.skipped:
            head += f"; {len(self.skipped)} without {self.missing} were left out"
        if self.errors:
            head += f"; {len(self.errors)} could not be exported"
        unfinished = [f"{self.by_status[s]} {words}" for s, words in UNFINISHED.items() if self.by_status.get(s)]
        if unfinished:  # the latest mask of every image goes out: say which are not finished
            head += f"; not finished: {', '.join(unfinished)}"
        lines = [head, *(f"  {named(name, problem)}" for name, problem in self.errors), *self.notes]
        if self.renamed:  # a stem the format cannot write is not the start of the one written
            why = "another image has or shares theirs"
            if any(not stem.startswith(f"{Path(name).stem}-") for name, stem in self.renamed):
                why += ", or the format cannot write a character of it"
            lines.append(f"{counted(len(self.renamed), 'image')} written under another name ({why}):")
            lines.extend(f"  {name} -> {stem}" for name, stem in self.renamed)
        return lines


#: Marks an export folder until its export ends (a killed export is never taken for whole).
UNFINISHED_EXPORT = "EXPORT_UNFINISHED.txt"


def prepare_export_folder(project: Project, out: str | Path, *subfolders: str) -> Path:
    """Check and create an export folder: new or empty, and outside the project.

    Raises
    ------
    ValueError
        ``out`` lies inside the project (exporting into ``images/`` would overwrite the
        stored photos), holds the project, or already holds files (they would mix with
        the export).
    OSError
        The folder cannot be created; the message names it and says why.
    """
    out = Path(out)
    target, root = out.resolve(), project.root.resolve()
    if target == root or target.is_relative_to(root) or root.is_relative_to(target):
        raise ValueError(f"{out}: inside (or holding) the project {root}; export elsewhere")
    if target.exists():
        if not target.is_dir():
            raise ValueError(f"{out}: exists and is not a folder")
        entries = sorted(os.listdir(target))
        if UNFINISHED_EXPORT in entries:
            raise ValueError(
                f"{out}: holds an export that did not finish ({UNFINISHED_EXPORT}); delete the "
                "folder or export into a new one"
            )
        if entries:
            raise ValueError(
                f"{out}: not empty ({len(entries)} entries, e.g. {entries[0]!r}); export into "
                "a new or empty folder so no stale file mixes with the export"
            )
    try:
        for sub in ("", *subfolders):
            (out / sub).mkdir(parents=True, exist_ok=True)
        (out / UNFINISHED_EXPORT).write_text(
            "This export has not finished: the program stopped (or is still writing) before the "
            "last file. Export again into a new or empty folder.\n", encoding="utf-8"
        )  # fmt: skip
    except OSError as exc:
        raise OSError(f"{out}: cannot create the export folder: {exc.strerror or exc}") from exc
    return out


def finish_export(out: str | Path) -> None:
    """Remove the :data:`UNFINISHED_EXPORT` mark of an export that ran to its end."""
    (Path(out) / UNFINISHED_EXPORT).unlink(missing_ok=True)


_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
"""A Windows absolute path (``C:\\photos\\look.jpg``, ``C:/photos``); ``a:b.jpg`` is a file name
(Linux and macOS allow a colon; on Windows the join lands outside the folder and is refused)."""


def safe_join(root: Path, name: str) -> Path:
    """Resolve ``name`` (from a file we import) inside ``root``, refusing escapes.

    Raises
    ------
    ValueError
        Absolute names, ``..`` components, or a link leading outside ``root``.
    """
    if not name or "\x00" in name:
        raise ValueError(f"{name!r}: empty or invalid file name")
    candidate = Path(name)
    if candidate.is_absolute() or name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise ValueError(f"{name}: absolute path refused (must be relative to {root})")
    if ".." in Path(name.replace("\\", "/")).parts:
        raise ValueError(f"{name}: path escapes the source folder ('..') and was refused")
    check_inside(root, root / candidate)
    return root / candidate


def check_inside(root: Path, path: Path) -> None:
    """Raise ``ValueError`` when ``path`` (links resolved) lies outside ``root``."""
    if not path.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"{path}: leads outside {root} (a link?) and was refused")


def list_files(
    folder: Path,
    suffixes: Iterable[str] = PHOTO_SUFFIXES,
    summary: ImportSummary | None = None,
) -> list[Path]:
    """Regular files of ``folder`` (not recursive) with one of ``suffixes``, sorted.

    Hidden files are left out (with ``summary``, those of a wanted suffix are counted in
    ``hidden``). With ``summary``, everything else is accounted for: FIFOs, devices and
    broken links are refused (``errors``; reading a FIFO would block forever, ``/dev/zero``
    never ends), other suffixes and sub-folders are listed as left out (``skipped``).
    """
    wanted = {s.lower() for s in suffixes}
    out = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            if summary is not None and path.suffix.lower() in wanted:
                summary.hidden += 1
            continue
        kind = file_kind(path)
        if kind == "a folder":
            if summary is not None:
                summary.skipped.append((str(path), "a folder; imports do not descend into folders"))
        elif kind is not None:
            if summary is not None:
                summary.fail(path, f"not a regular file: {kind}")
        elif path.suffix.lower() in wanted:
            out.append(path)
        elif summary is not None:
            summary.skipped.append(
                (str(path), f"suffix {path.suffix or '(none)'!r} is not one of "
                 f"{', '.join(sorted(wanted))}")
            )  # fmt: skip
    return out


def require_folder(path: Path, what: str) -> Path:
    """Return ``path`` when it is a folder, else raise ``ValueError`` naming it."""
    if not path.is_dir():
        raise ValueError(f"{path}: not a folder ({what} expected)")
    return path


class PhotoAdder:
    """Add photos to a project, counting new ones and ones already present."""

    def __init__(self, project: Project, summary: ImportSummary) -> None:
        self.project = project
        self.summary = summary
        self.upright = UprightMatcher(project)

    def add(self, path: Path, copy: bool = True) -> ImageRecord:
        """Add one photo (copied into the project unless ``copy`` is False); raises one of
        :data:`FILE_ERRORS` when refused.

        Counted as added only when this call stored it (not when another process, or an
        earlier line of the same import, did); a photo already there under another file's
        name is noted in ``summary.duplicates``, a new one with an alpha channel in
        ``summary.with_alpha``, one stored under a name made storable in ``summary.stored_as``.
        An upright copy an export wrote of an EXIF-rotated project photo is that photo
        (:class:`~.upright_match.UprightMatcher`), counted as present.
        """
        found = self.upright.match(path)
        if found is not None:
            self.summary.existing += 1
            return found
        record, added = self.project.add_image_counted(path, copy=copy)
        self.upright.claim(record, path, by_content=False)
        if added:
            self.summary.added += 1
            if storable_name(path.name) != path.name:
                self.summary.stored_as.append((_printable(str(path)), Path(record.name).name))
            if has_alpha_channel(path):
                self.summary.with_alpha.append(str(path))
        else:
            self.summary.existing += 1
            if Path(record.name).stem != Path(path).stem:  # (record.stem is its stem before a clash)
                self.summary.duplicates.append((str(path), record.name))
        return record


def save_imported(
    project: Project,
    record: ImageRecord,
    task: str,
    mask: np.ndarray,
    summary: ImportSummary,
    overwrite: bool = False,
) -> None:
    """Save a ground-truth mask (source ``"import"``) without replacing saved work.

    A mask equal to a saved version counts as ``unchanged``; one that differs raises
    :class:`~fashion_annotator.dataset.storeio.ImportConflict` unless ``overwrite``. See
    :meth:`~fashion_annotator.dataset.store.Project.save_import` for the status rules.
    """
    if project.save_import(record.id, task, mask, overwrite=overwrite) is None:
        summary.unchanged += 1
    else:
        summary.masks += 1


def note_without_mask(project: Project, record: ImageRecord, task: str | None, summary: ImportSummary) -> None:
    """List ``record`` in ``summary.without_mask`` (once) when it has no saved mask of ``task``
    (``None``: no saved instances): its annotation was refused, its photo imported."""
    if record.name in summary.without_mask:
        return
    try:
        saved = project.mask_versions(record.id, task) if task is not None else project.instance_versions(record.id)
    except FILE_ERRORS:  # the store stopped answering: the refusal is already listed
        return
    if not saved:
        summary.without_mask.append(record.name)


def masked_images(
    project: Project,
    task: str,
    summary: ExportSummary,
    progress: Progress | None = None,
    carry: Callable[[str], str] | None = None,
) -> Iterator[tuple[ImageRecord, str, np.ndarray]]:
    """``(record, unique export stem, latest mask)`` of each image with a mask for ``task``.

    Images without one are noted in ``summary.skipped``; an image whose mask cannot be read
    or whose export fails (the caller's writing raises one of :data:`FILE_ERRORS` inside the
    loop body and calls :meth:`ExportSummary.take_back`, see :func:`export_each`) is listed in
    ``summary.errors`` and the export goes on; each one yielded is counted as exported. A
    damaged page of the project index stops the export (:func:`~.export_stop.stop_if_damaged`).
    A photo's file is checked (:func:`~.storeio.referenced_photo_changed`) only when it has a
    mask. ``progress(done, total)`` is called after each image of the project; a
    :class:`~.export_stop.CancelRequested` it raises ends the images there (kept in
    ``summary.cancelled``: the caller writes its closing files for those done). At the end, the images
    written under another stem are listed in the export (:meth:`ExportSummary.write_names`);
    ``carry``: how the format writes a stem (see
    :func:`~fashion_annotator.dataset.formats.names.export_stems`).
    """
    project.taxonomy(task)
    records = project.images()
    stems = export_stems(records, carry)
    root = Path(project.root)
    for done, record in enumerate(records, 1):
        try:
            mask = project.load_mask(record.id, task)
            # a photo without a mask is not read: its file is not exported
            changed = None if mask is None else referenced_photo_changed(record, root)
            if changed:
                raise ProjectError(changed)
        except FILE_ERRORS as exc:
            stop_if_damaged(exc, root / INDEX_NAME)  # the whole export's error, said once
            summary.errors.append((record.name, str(exc)))
            mask = None
        else:
            if mask is None:
                summary.skipped.append(record.name)
            elif mask.shape != record.shape:
                summary.errors.append(
                    (record.name, f"saved mask {mask.shape} differs from the photo {record.shape}")
                )
                mask = None
        if mask is not None:  # counted first: a failed write takes it back (ExportSummary.take_back)
            summary.count += 1
            summary.exported.append(record.name)
            summary.by_status[record.status] = summary.by_status.get(record.status, 0) + 1
            if stems[record.id] != Path(record.name).stem:
                summary.note_renamed(record, stems[record.id])
            yield record, stems[record.id], mask
        if progress is not None and not progressed(progress, done, len(records), summary):
            break  # cancelled: the caller writes its closing files for the images done
    summary.write_names()


def export_each(
    project: Project,
    task: str,
    summary: ExportSummary,
    write: Callable[[ImageRecord, str, np.ndarray], None],
    progress: Progress | None = None,
) -> None:
    """Call ``write(record, stem, mask)`` for each masked image; a failure is listed, not fatal
    (but a damaged page of the project index: :func:`~.export_stop.stop_if_damaged`)."""
    for record, stem, mask in masked_images(project, task, summary, progress):
        try:
            write(record, stem, mask)
        except FILE_ERRORS as exc:
            stop_if_damaged(exc, Path(project.root) / INDEX_NAME)
            summary.take_back(record, file_error_text(exc))
