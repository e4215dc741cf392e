"""What every import and export format shares: the summary, safe paths, photo listing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fashion_annotator.core.images import PHOTO_SUFFIXES
from fashion_annotator.dataset.leases import LeaseHeld
from fashion_annotator.dataset.records import ImageRecord, ProjectError
from fashion_annotator.dataset.store import Project

FILE_ERRORS = (ValueError, OSError, ProjectError, LeaseHeld, sqlite3.Error)
"""What one bad file may raise; caught per file so a batch goes on with the rest."""

Progress = Callable[[int, int], None]
"""``progress(done, total)``, called after each file."""


@dataclass
class ImportSummary:
    """What an import did; ``errors`` lists ``(file, problem)`` for each refused file."""

    added: int = 0
    existing: int = 0
    masks: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def fail(self, path: Path | str, exc: BaseException | str) -> None:
        """Record a refused file; the message names the file once."""
        message = str(exc)
        name = str(path)
        if message.startswith(name):
            message = message[len(name) :].lstrip(": ")
        self.errors.append((name, message))

    def lines(self) -> list[str]:
        """Human-readable summary: one line of totals, then one line per refused file."""
        head = (
            f"{self.added} photos added, {self.existing} already present, "
            f"{self.masks} masks saved, {len(self.errors)} files refused"
        )
        return [head, *(f"  {path}: {problem}" for path, problem in self.errors)]


@dataclass
class ExportSummary:
    """What an export wrote: ``count`` items (images or cutouts) under ``out``."""

    out: Path
    count: int = 0
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable summary."""
        head = f"{self.count} images exported to {self.out}"
        if self.skipped:
            head += f"; {len(self.skipped)} without a mask for the task were left out"
        return [head]


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
    if candidate.is_absolute() or name.startswith(("/", "\\")) or ":" in candidate.parts[0]:
        raise ValueError(f"{name}: absolute path refused (must be relative to {root})")
    if ".." in Path(name.replace("\\", "/")).parts:
        raise ValueError(f"{name}: path escapes the source folder ('..') and was refused")
    check_inside(root, root / candidate)
    return root / candidate


def check_inside(root: Path, path: Path) -> None:
    """Raise ``ValueError`` when ``path`` (links resolved) lies outside ``root``."""
    if not path.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"{path}: leads outside {root} (a link?) and was refused")


def list_files(folder: Path, suffixes: Iterable[str] = PHOTO_SUFFIXES) -> list[Path]:
    """Files of ``folder`` (not recursive) with one of ``suffixes``, hidden ones left out, sorted."""
    wanted = {s.lower() for s in suffixes}
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in wanted and not p.name.startswith(".") and not p.is_dir()
    )


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
        self._known = {r.id for r in project.images()}

    def add(self, path: Path) -> ImageRecord:
        """Add one photo; raises one of :data:`FILE_ERRORS` when refused."""
        record = self.project.add_image(path)
        if record.id in self._known:
            self.summary.existing += 1
        else:
            self._known.add(record.id)
            self.summary.added += 1
        return record


def save_imported(
    project: Project, record: ImageRecord, task: str, mask: np.ndarray, summary: ImportSummary
) -> None:
    """Save a ground-truth mask (source ``"import"``) and mark the image done."""
    project.save_mask(record.id, task, mask, source="import", status="done")
    summary.masks += 1


def attach_target(project: Project, stem: str, path: Path) -> ImageRecord:
    """The one project image imported under ``stem`` (masks attach to photos by name)."""
    found = project.images_by_stem(stem)
    if not found:
        raise ValueError(f"{path}: no photo named {stem!r} in the project or the source")
    if len(found) > 1:
        names = ", ".join(r.name for r in found)
        raise ValueError(f"{path}: several project photos are named {stem!r} ({names})")
    return found[0]


def export_stems(records: Iterable[ImageRecord]) -> dict[int, str]:
    """A unique file stem per image for exports (a clash gets the image id appended)."""
    stems: dict[int, str] = {}
    used: set[str] = set()
    for record in records:
        stem = Path(record.name).stem
        if stem in used:
            stem = f"{stem}-{record.id}"
        used.add(stem)
        stems[record.id] = stem
    return stems


def masked_images(
    project: Project, task: str, summary: ExportSummary, progress: Progress | None = None
) -> Iterator[tuple[ImageRecord, str, np.ndarray]]:
    """``(record, unique export stem, latest mask)`` of each image with a mask for ``task``.

    Images without one are noted in ``summary.skipped``; each one yielded counts as exported.
    ``progress(done, total)`` is called after each image of the project.
    """
    project.taxonomy(task)
    records = project.images()
    stems = export_stems(records)
    for done, record in enumerate(records, 1):
        mask = project.load_mask(record.id, task)
        if mask is None:
            summary.skipped.append(record.name)
        else:
            yield record, stems[record.id], mask
            summary.count += 1
        if progress is not None:
            progress(done, len(records))
