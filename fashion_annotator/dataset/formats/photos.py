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
    summary = ImportSummary()
    adder = PhotoAdder(project, summary)
    files = list_files(src, summary=summary)
    for done, path in enumerate(files, 1):
        try:
            adder.add(path)
        except FILE_ERRORS as exc:
            summary.fail(path, exc)
        if progress is not None:
            progress(done, len(files))
    return summary
