"""Import a folder of photos (no masks)."""

from __future__ import annotations

from pathlib import Path

from fashion_annotator.dataset.formats.common import (
    FILE_ERRORS,
    ImportSummary,
    PhotoAdder,
    Progress,
    list_files,
    require_folder,
)
from fashion_annotator.dataset.store import Project


def import_photos(
    project: Project, src: str | Path, progress: Progress | None = None
) -> ImportSummary:
    """Add every photo of ``src`` (not recursive); unreadable files are listed, not fatal,
    and files of other kinds or suffixes and sub-folders are listed as left out."""
    src = require_folder(Path(src), "a folder of photos")
    summary = ImportSummary(photos_only=True)
    return add_photos(project, list_files(src, summary=summary), progress=progress, summary=summary)


def add_photos(
    project: Project,
    files: list[Path],
    copy: bool = True,
    progress: Progress | None = None,
    summary: ImportSummary | None = None,
) -> ImportSummary:
    """Add ``files`` (copied into the project unless ``copy`` is False): the one loop of every
    photo import (the command line, File > Add photos, a folder the window opens, the sample).
    A refused file is listed, not fatal; duplicates and photos with transparency are noted
    (:class:`~.common.PhotoAdder`)."""
    summary = summary or ImportSummary(photos_only=True)
    adder = PhotoAdder(project, summary)
    for done, path in enumerate(files, 1):
        try:
            adder.add(path, copy=copy)
        except FILE_ERRORS as exc:
            summary.fail(path, exc)
        if progress is not None:
            progress(done, len(files))
    return summary
