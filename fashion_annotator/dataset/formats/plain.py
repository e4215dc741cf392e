"""The plain mask-folder format (the CCP layout): ``images/``, ``masks/``, ``labels.json``.

``masks/STEM.png`` holds label ids for ``images/STEM.*``. ``taxonomies.json`` maps the
source's ids to each task (``{task: {"classes": [...], "from_<source>": {id: class}}}``);
without it the ids must already be the task's class ids. Exports write the same layout with
indexed PNGs (the taxonomy's palette) and an identity ``taxonomies.json``, so an export
imports back unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fashion_annotator.core.atomic import atomic_write_bytes, atomic_write_text
from fashion_annotator.core.images import copy_upright
from fashion_annotator.core.label_images import encode_mask_png, load_mask
from fashion_annotator.core.labels import (
    LabelMapping,
    apply_mapping,
    mapping_from_taxonomies_json,
    validate_mask,
)
from fashion_annotator.core.samples import TAXONOMIES_JSON
from fashion_annotator.dataset.formats.common import (
    FILE_ERRORS,
    ExportSummary,
    ImportSummary,
    PhotoAdder,
    Progress,
    export_each,
    list_files,
    note_without_mask,
    prepare_export_folder,
    save_imported,
)
from fashion_annotator.dataset.formats.export_stop import closing_files
from fashion_annotator.dataset.formats.names import (
    AnnotatedPhotos,
    attach_target,
    images_by_stem,
    read_export_names,
)
from fashion_annotator.dataset.records import ImageRecord
from fashion_annotator.dataset.store import Project


def _tasks_and_mappings(
    project: Project, src: Path, taxonomy: str | None, others: list[str]
) -> dict[str, LabelMapping | None]:
    """Task -> mapping of the source's ids into it; ``others`` receives the tasks the source's
    ``taxonomies.json`` defines that the project lacks (without ``taxonomy`` only)."""
    table = src / TAXONOMIES_JSON
    if taxonomy is not None:
        if taxonomy not in project.tasks:
            project.add_task(taxonomy)
        return {
            taxonomy: mapping_from_taxonomies_json(table, taxonomy) if table.is_file() else None
        }
    if not table.is_file():
        raise ValueError(f"{table}: missing; pass --taxonomy NAME to say what the mask ids mean")
    try:
        defined = json.loads(table.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{table}: unreadable ({exc})") from exc
    except RecursionError:
        raise ValueError(f"{table}: unreadable (JSON nested too deeply)") from None
    tasks = [t for t in project.tasks if isinstance(defined, dict) and t in defined]
    if isinstance(defined, dict):  # the source's other tasks, named in the summary
        others.extend(t for t in defined if t not in project.tasks)
    if not tasks:
        raise ValueError(
            f"{table}: defines none of the project's tasks ({', '.join(project.tasks)}); "
            "pass --taxonomy NAME"
        )
    return {t: mapping_from_taxonomies_json(table, t) for t in tasks}


def import_plain(
    project: Project,
    src: str | Path,
    taxonomy: str | None = None,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> ImportSummary:
    """Import photos and masks of a plain mask folder.

    Parameters
    ----------
    taxonomy : str, optional
        Import this task only (added to the project when absent); by default every project
        task that the source's ``taxonomies.json`` defines.
    overwrite : bool
        Save a mask that differs from the saved versions as a new version (default: refuse
        it, listed); a mask equal to a saved version is never saved twice.

    Returns
    -------
    ImportSummary
        Refused files (unreadable, wrong size, unknown ids, no matching photo) are listed;
        the rest is imported. Masks attach to photos by file-name stem, including photos
        already in the project. A mask is converted and checked for every task before it is
        saved for any, so a refused file saved nothing. Photos left without a mask of a task (none
        from this import, none saved before) are listed.
    """
    src = Path(src)
    if not (src / "images").is_dir() and not (src / "masks").is_dir():
        raise ValueError(f"{src}: not a plain mask folder (no images/ or masks/ inside)")
    others: list[str] = []
    mappings = _tasks_and_mappings(project, src, taxonomy, others)
    summary = ImportSummary()
    if others:
        summary.skipped.append((
            str(src / TAXONOMIES_JSON),
            f"its {', '.join(others)} masks (not tasks of this project; --taxonomy NAME adds one)",
        ))  # fmt: skip
    names = read_export_names(src)
    adder = PhotoAdder(project, summary)
    photos = list_files(src / "images", summary=summary) if (src / "images").is_dir() else []
    masks = list_files(src / "masks", {".png"}, summary) if (src / "masks").is_dir() else []
    total = len(photos) + len(masks)
    by_stem: dict[str, dict[int, ImageRecord]] = {}
    refused: dict[str, Path] = {}  # stem -> a source photo that could not be added
    masked: set[int] = set()
    seen = AnnotatedPhotos()  # look.png and look.PNG: one photo's mask twice
    for done, path in enumerate(photos, 1):
        try:
            record = adder.add(path)
            by_stem.setdefault(path.stem, {})[record.id] = record
        except FILE_ERRORS as exc:
            summary.fail(path, exc)
            refused.setdefault(path.stem, path)
        if progress is not None:
            progress(done, total)
    for done, path in enumerate(masks, len(photos) + 1):
        try:
            source = _source_photo(by_stem.get(path.stem, {}), path)
            if source is None and path.stem in refused and not images_by_stem(project, path.stem):
                raise ValueError(f"{path}: its photo {refused[path.stem]} could not be added (listed above); "
                                 "import again once it can")  # fmt: skip
            record = source or attach_target(project, path.stem, path, names=names)
            raw = load_mask(path, shape=record.shape)
            converted = {t: _to_task(raw, m, project, t, path) for t, m in mappings.items()}
            seen.check(record, str(path))
        except FILE_ERRORS as exc:
            summary.fail(path, exc)
        else:
            masked.add(record.id)
            if _save_all(project, record, converted, summary, path, overwrite):
                seen.take(record, str(path))
        if progress is not None:
            progress(done, total)
    for record in (r for found in by_stem.values() for r in found.values() if r.id not in masked):
        for task in mappings:  # listed when it lacks a mask of a task, saved before or now
            note_without_mask(project, record, task, summary)
    return summary


def _source_photo(found: dict[int, ImageRecord], mask: Path) -> ImageRecord | None:
    """The one photo of ``images/`` with the mask's stem, None when there is none.

    Raises
    ------
    ValueError
        Several photos share the stem (``look.jpg`` and ``look.png``): which one the mask
        belongs to is unknown.
    """
    if len(found) > 1:
        names = ", ".join(r.name for r in found.values())
        raise ValueError(f"{mask}: several photos in images/ are named {mask.stem!r} ({names}); not attached")
    return next(iter(found.values()), None)


def _save_all(
    project: Project, record: ImageRecord, masks: dict[str, np.ndarray],
    summary: ImportSummary, path: Path, overwrite: bool,
) -> bool:  # fmt: skip
    """Save one source mask for each task; a task refused is named with what was saved.
    Whether any task's mask was imported (saved, or equal to a saved version)."""
    saved, refused = [], []
    for task, mask in masks.items():
        try:
            save_imported(project, record, task, mask, summary, overwrite)
            saved.append(task)
        except FILE_ERRORS as exc:
            refused.append(f"{task}: {exc}")
    if refused:
        note = f" (saved for {', '.join(saved)})" if saved else ""
        summary.fail(path, "; ".join(refused) + note)
    return bool(saved)


def _to_task(
    raw: np.ndarray, mapping: LabelMapping | None, project: Project, task: str, path: Path
) -> np.ndarray:
    try:
        mask = raw if mapping is None else apply_mapping(raw, mapping)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    validate_mask(mask, project.taxonomy(task), path=path)
    return mask


def export_plain(
    project: Project, out: str | Path, task: str, progress: Progress | None = None
) -> ExportSummary:
    """Write the latest mask of ``task`` for every image that has one, in the plain format."""
    taxonomy = project.taxonomy(task)
    out = prepare_export_folder(project, out, "images", "masks")
    summary = ExportSummary(out)

    def write(record: ImageRecord, stem: str, mask: np.ndarray) -> None:
        summary.upright += copy_upright(record.path, out / "images" / f"{stem}{record.path.suffix}", record.shape)
        atomic_write_bytes(out / "masks" / f"{stem}.png", encode_mask_png(mask, taxonomy.colors))

    export_each(project, task, summary, write, progress)
    labels = {str(i): name for i, name in enumerate(taxonomy.names)}
    identity = {str(i): i for i in range(taxonomy.num_classes)}
    table = {task: {"classes": list(taxonomy.names), "from_ids": identity}}
    with closing_files(summary):
        atomic_write_text(out / "labels.json", json.dumps(labels, indent=1))
        atomic_write_text(out / TAXONOMIES_JSON, json.dumps(table, indent=1))
    return summary
