"""Import and export formats of a project: photos, plain mask folder, alpha cutouts, COCO.

:func:`import_source` and :func:`export_project` dispatch on the format name used by the
command line (``fashion-annotator import/export ... --format NAME``).
"""

from __future__ import annotations

from pathlib import Path

from fashion_annotator.dataset.formats.alpha import (
    default_binary_task,
    export_cutouts,
    import_alpha,
)
from fashion_annotator.dataset.formats.coco import export_coco, import_coco
from fashion_annotator.dataset.formats.common import ExportSummary, ImportSummary, Progress
from fashion_annotator.dataset.formats.photos import import_photos
from fashion_annotator.dataset.formats.plain import export_plain, import_plain
from fashion_annotator.dataset.store import Project

IMPORT_FORMATS = ("photos", "plain", "alpha", "coco")
EXPORT_FORMATS = ("plain", "coco", "cutout")

__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "ExportSummary",
    "ImportSummary",
    "export_project",
    "import_source",
]


def import_source(
    project: Project,
    src: str | Path,
    fmt: str,
    taxonomy: str | None = None,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> ImportSummary:
    """Import ``src`` in format ``fmt`` (one of :data:`IMPORT_FORMATS`) into ``project``.

    A mask equal to a saved version is not saved again; one that differs is refused
    (listed) unless ``overwrite``, which adds it as a new version. An import never lowers
    an image's status.
    """
    if fmt == "photos":
        if taxonomy is not None:
            raise ValueError("--taxonomy does not apply to a photo import (photos have no masks)")
        return import_photos(project, src, progress)
    importers = {"plain": import_plain, "alpha": import_alpha, "coco": import_coco}
    if fmt not in importers:
        raise ValueError(f"unknown import format {fmt!r}; expected one of {IMPORT_FORMATS}")
    return importers[fmt](project, src, taxonomy, progress, overwrite=overwrite)


def export_project(
    project: Project, out: str | Path, fmt: str, task: str | None = None
) -> ExportSummary:
    """Export ``project``'s latest masks of ``task`` in format ``fmt`` under ``out``.

    Without ``task``: the first project task for ``plain`` and ``coco``, the binary
    (``garment``) task for ``cutout``.
    """
    exporters = {"plain": export_plain, "coco": export_coco, "cutout": export_cutouts}
    if fmt not in exporters:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {EXPORT_FORMATS}")
    if task is None:
        task = default_binary_task(project) if fmt == "cutout" else project.tasks[0]
    return exporters[fmt](project, out, task)
