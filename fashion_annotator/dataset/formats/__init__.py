"""Import and export formats of a project: photos, plain mask folder, alpha cutouts, COCO,
and the annotation tools' formats (labelme, CVAT, Pascal VOC, Label Studio, YOLO).

:func:`import_source` and :func:`export_project` dispatch on the format name used by the
command line (``fashion-annotator import/export ... --format NAME``).
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Callable, Collection
from pathlib import Path
from typing import cast

from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.dataset.formats.alpha import (
    CUTOUT_EDGES,
    default_binary_task,
    export_cutouts,
    import_alpha,
)
from fashion_annotator.dataset.formats.coco import ANNOTATIONS_JSON, export_coco, import_coco
from fashion_annotator.dataset.formats.coco_instances import (
    INSTANCES_CSV,
    INSTANCES_JSON,
    export_coco_instances,
    import_coco_instances,
)
from fashion_annotator.dataset.formats.common import (
    UNFINISHED_EXPORT,
    ExportSummary,
    ImportSummary,
    Progress,
    finish_export,
)
from fashion_annotator.dataset.formats.cvat import ANNOTATIONS_XML, export_cvat, import_cvat
from fashion_annotator.dataset.formats.export_stop import (
    CancelRequested,
    lists,
    partial_note,
    stopped_by_damage,
)
from fashion_annotator.dataset.formats.labelme import export_labelme, import_labelme
from fashion_annotator.dataset.formats.labelstudio import (
    TASKS_JSON,
    export_labelstudio,
    import_labelstudio,
)
from fashion_annotator.dataset.formats.photos import import_photos
from fashion_annotator.dataset.formats.plain import export_plain, import_plain
from fashion_annotator.dataset.formats.shapes import SHAPE_KINDS
from fashion_annotator.dataset.formats.voc import SPLIT, export_voc, import_voc
from fashion_annotator.dataset.formats.yolo import export_yolo, import_yolo
from fashion_annotator.dataset.index_damage import IndexDamaged
from fashion_annotator.dataset.schema import STATUSES
from fashion_annotator.dataset.store import Project

#: The file(s) of a format that list the exported images (a cancelled export's note names them).
INDEX_FILES = {
    "coco": ANNOTATIONS_JSON,
    "labelstudio": TASKS_JSON,
    "cvat": ANNOTATIONS_XML,
    "coco-instances": f"{INSTANCES_JSON} and {INSTANCES_CSV}",
    "voc": SPLIT.as_posix(),
}

# The annotation tools' formats: importer, exporter (which take shapes=, tolerance=, progress=).
TOOL_FORMATS = {
    "labelme": (import_labelme, export_labelme),
    "cvat": (import_cvat, export_cvat),
    "voc": (import_voc, export_voc),
    "labelstudio": (import_labelstudio, export_labelstudio),
    "yolo": (import_yolo, export_yolo),
}
IMPORT_FORMATS = ("photos", "plain", "alpha", "coco", *TOOL_FORMATS, "coco-instances")
EXPORT_FORMATS = ("plain", "coco", "cutout", *TOOL_FORMATS, "coco-instances")
#: The options (keyword arguments of :func:`export_project`) each format takes.
EXPORT_OPTIONS: dict[str, tuple[str, ...]] = {
    "coco": ("shapes", "tolerance"),
    **{name: ("shapes", "tolerance") for name in TOOL_FORMATS},
    "cutout": ("edges",),
}

__all__ = [
    "CUTOUT_EDGES",
    "EXPORT_FORMATS",
    "EXPORT_OPTIONS",
    "IMPORT_FORMATS",
    "ExportSummary",
    "ImportSummary",
    "SHAPE_KINDS",
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
    (listed) unless ``overwrite``, which adds it as a new version (also when it equals an older
    version but not the latest: the file's mask becomes the latest again). An added version makes a new
    or in-progress image done, and an approved one done again (to be reviewed); an import never
    clears ``rejected``.
    """
    folder = Path(src).parent if Path(src).is_file() else Path(src)  # a COCO file, or a folder
    if (folder / UNFINISHED_EXPORT).is_file():
        raise ValueError(
            f"{folder}: an export that did not finish ({UNFINISHED_EXPORT}): some of its files "
            "are missing; export again and import the export that finished"
        )
    if fmt == "photos":
        if taxonomy is not None:
            raise ValueError("--taxonomy does not apply to a photo import (photos have no masks)")
        return import_photos(project, src, progress)
    # the importers differ in whether they take overwrite= (checked below)
    importers: dict[str, Callable[..., ImportSummary]] = {
        "plain": import_plain, "alpha": import_alpha, "coco": import_coco,
    }  # fmt: skip
    importers.update({name: pair[0] for name, pair in TOOL_FORMATS.items()})
    importers["coco-instances"] = import_coco_instances
    if fmt not in importers:
        raise ValueError(f"unknown import format {fmt!r}; expected one of {IMPORT_FORMATS}")
    importer = importers[fmt]
    if "overwrite" in inspect.signature(importer).parameters:
        return importer(project, src, taxonomy, progress, overwrite=overwrite)
    if overwrite:
        raise ValueError(f"--overwrite is not supported by the {fmt!r} importer yet")
    return importer(project, src, taxonomy, progress)


class _StatusView:
    """``project`` whose :meth:`images` lists only images of ``statuses``; everything else is
    the project's own (exporters list the images they write through ``images()``)."""

    def __init__(self, project: Project, statuses: frozenset[str]) -> None:
        self._project, self._statuses = project, statuses

    def images(self) -> list:
        return [r for r in self._project.images() if r.status in self._statuses]

    def __getattr__(self, name: str) -> object:
        return getattr(self._project, name)


def export_project(
    project: Project,
    out: str | Path,
    fmt: str,
    task: str | None = None,
    progress: Progress | None = None,
    statuses: Collection[str] | None = None,
    **options: object,
) -> ExportSummary:
    """Export ``project``'s latest masks of ``task`` in format ``fmt`` under ``out``.

    Without ``task``: the first project task, or the binary (``garment``) task for
    ``cutout``. ``progress(done, total)`` follows the project's images. ``statuses`` (e.g.
    ``("done", "approved")``) exports only images with one of them; the summary counts the
    others left out. ``options`` go to the formats that take them (:data:`EXPORT_OPTIONS`):
    ``shapes`` (``polygon`` or ``mask``) and ``tolerance`` (pixels) to the tools' formats and
    ``coco``, ``edges`` (``soft``, ``clean`` or ``hard``) to ``cutout``; the others refuse them.

    A :class:`~.export_stop.CancelRequested` raised by ``progress`` stops the export between
    images: the images done stay, with the format's closing files (``annotations.json``...)
    listing them alone and the unfinished-export note naming them; it is raised again with
    the summary as its ``export``. A damaged page of the project index stops it once, as
    :class:`~fashion_annotator.dataset.index_damage.IndexDamaged` saying so: the folder keeps
    its unfinished-export note, which says why (:func:`~.export_stop.stopped_by_damage`).
    """
    if statuses is not None:
        wanted = frozenset(statuses)
        unknown = sorted(wanted - set(STATUSES))
        if unknown or not wanted:
            raise ValueError(f"export statuses {unknown or '(none)'}: expected some of {', '.join(STATUSES)}")
        summary = _export(cast(Project, _StatusView(project, wanted)), out, fmt, task, progress, options)
        summary.left_out_by_status = sum(r.status not in wanted for r in project.images())
        return summary
    return _export(project, out, fmt, task, progress, options)


def _export(
    project: Project, out: str | Path, fmt: str, task: str | None, progress: Progress | None,
    options: dict[str, object],
) -> ExportSummary:  # fmt: skip
    """:func:`export_project` on the images ``project.images()`` lists."""
    exporters = {"plain": export_plain, "coco": export_coco, "cutout": export_cutouts}
    exporters.update({name: pair[1] for name, pair in TOOL_FORMATS.items()})
    exporters["coco-instances"] = export_coco_instances
    if fmt not in exporters:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {EXPORT_FORMATS}")
    if task is None:
        task = default_binary_task(project) if fmt == "cutout" else project.tasks[0]
    options = {k: v for k, v in options.items() if v is not None}
    refused = sorted(set(options) - set(EXPORT_OPTIONS.get(fmt, ())))
    if refused:
        raise ValueError(f"{fmt} export takes no {', '.join(refused)} option")
    tolerance = options.get("tolerance")
    if tolerance is not None and not (isinstance(tolerance, int | float) and math.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"tolerance must be a number of pixels >= 0, got {tolerance!r}")
    marked_before = os.path.lexists(Path(out) / UNFINISHED_EXPORT)
    try:
        summary = exporters[fmt](project, out, task, progress, **options)
    except IndexDamaged as exc:  # said once, and the folder stays marked unfinished
        raise stopped_by_damage(exc, Path(out), UNFINISHED_EXPORT, marked_before) from exc.__cause__
    if summary.cancelled is not None:
        raise _kept_partial(summary, summary.cancelled, INDEX_FILES.get(fmt))
    finish_export(summary.out)
    return summary


def _kept_partial(summary: ExportSummary, stop: CancelRequested, listed: str | None) -> CancelRequested:
    """``stop``, the cancel of an export that wrote the images done before it and its closing
    files for them, carrying ``summary`` (:attr:`~.export_stop.CancelRequested.export`); the
    folder's unfinished-export note names those images (``listed``: the file that lists them)."""
    if listed is not None:
        summary.notes.append(f"{lists(listed)} only the images exported")
    try:
        atomic_write_text(summary.out / UNFINISHED_EXPORT, partial_note(summary, listed))
    except OSError as exc:  # the note written at the start stays: the folder is still marked
        summary.notes.append(f"{summary.out / UNFINISHED_EXPORT}: cannot name the images exported ({exc.strerror or exc})")
    stop.export = summary
    return stop
