"""Garment instances as COCO (Fashionpedia / iMaterialist style) plus a CSV.

Export writes ``OUT/instances.json``, ``OUT/instances.csv`` and the photos under
``OUT/images/``. The JSON has one annotation per instance: ``category_id`` is the category's
position in the instance taxonomy (0-based, as in Fashionpedia), ``attribute_ids`` the
attribute schema's flat ids (0-based), ``segmentation`` compressed RLE; ``categories`` and
``attributes`` list the ids with their names (a category's ``supercategory`` is its class of
the project's parsing task, an attribute's its group). Beside the COCO keys each annotation
keeps ``parsing_class`` (a class name of the parsing task ``info["parsing_task"]``),
``proposed_category_id``, ``colour``, ``fa_instance`` (the instance's number in the window,
1..255) and ``fa_proposed`` (what the model proposed: ``{"category_score": float or null,
"attribute_ids": [...]}``, so QA and the attribute retrain tell a person's values from the
model's after an import). Instances without a category are left out (and counted); an image
whose instances only the model saved (never saved by an operator) is left out and named, and
instance pixels that the latest saved parsing mask gives another class are not written
(:mod:`~fashion_annotator.dataset.formats.coco_instances_written`); an image whose instances
cannot be read is listed in the summary's errors and the others are exported; the summary
counts the images by status, naming the unfinished ones (rejected, in progress) as the other
exports do. The CSV has one row per annotation: the dominant colour in ``dominant_colour``,
then one column per attribute group.

Import reads the same JSON (``src`` is the file, a folder with ``instances.json`` or a dataset
root, :func:`~fashion_annotator.dataset.formats.coco_layout.coco_file`; photos are
found as by the ``coco`` import, :func:`~fashion_annotator.dataset.formats.coco.find_photo`); a
Fashionpedia-style file without the extra keys works too (parsing classes then come from the
categories' parents, as they do when the file's parsing task is not the project's or names a
class the project's parsing taxonomy lacks; no ``fa_proposed``: no proposed attributes or score,
every value counts as a person's; no ``fa_instance``: instances numbered largest first, as is
an annotation whose number another of its image shares). A file with images but no annotations is refused.
Every annotation is checked before anything of its image is saved
(:mod:`~fashion_annotator.dataset.formats.coco_instances_fields`): a mask whose run lengths do
not cover the image, an empty or fully covered mask, two values of one attribute group, a
category or proposed category outside the instance taxonomy or a field of the wrong type refuse
that image with an error naming the file, the ``images[i]`` entry and its photo (as the ``coco``
import does, :func:`~fashion_annotator.dataset.formats.coco_layout.entry_where`) and the
annotation; so do an image listed twice and an image whose ``width`` / ``height`` are not integers or not its photo's.
Overlapping annotations are painted largest first; the summary says per image how many pixels
of larger instances went to smaller ones. An image without a saved parsing mask gets its instances' parsing
classes as a parsing proposal (:data:`PARSING_PROPOSAL`), not a mask version: skin, hair and
garments without an annotation are background in it, so it is no finished ground truth (the
image is not marked done and it is no training data until an operator saves the parsing mask);
the summary counts these images. An image whose saved parsing mask disagrees with its
instances is refused, unless ``overwrite`` paints the instances' classes into a new parsing
version. Instances equal to a saved version are not saved again; ones that differ from an
image's saved instances are refused unless ``overwrite`` (as for masks). Nothing is dropped
unsaid: annotations of no listed image are refused, crowd regions (``iscrowd`` 1) and
attribute ids outside the attribute schema or the file's ``attributes`` list are left out and
listed in the summary.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.core.images import copy_upright
from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.connection import INDEX_NAME
from fashion_annotator.dataset.formats.coco import (
    ImageId,
    _group_annotations,
    _image_ids,
    find_photo,
    require_annotations,
)
from fashion_annotator.dataset.formats.coco_instances_fields import (
    annotation_fields,
    attribute_pairs,
    category_names,
    instance_set,
    report_left_out_attributes,
)
from fashion_annotator.dataset.formats.coco_instances_written import (
    clip_to_parsing,
    export_notes,
    only_proposed,
)
from fashion_annotator.dataset.formats.coco_layout import checked_size, coco_file, entry_where
from fashion_annotator.dataset.formats.common import (
    FILE_ERRORS,
    ExportSummary,
    ImportSummary,
    PhotoAdder,
    Progress,
    note_without_mask,
    prepare_export_folder,
    read_json,
)
from fashion_annotator.dataset.formats.export_stop import (
    closing_files,
    file_error_text,
    progressed,
    stop_if_damaged,
)
from fashion_annotator.dataset.formats.names import AnnotatedPhotos, export_stems, read_export_names
from fashion_annotator.dataset.records import IMPORTED_PROPOSAL, ImageRecord, ProjectError
from fashion_annotator.dataset.store import Project
from fashion_annotator.dataset.storeio import referenced_photo_changed
from fashion_annotator.instances.derive import MAX_INSTANCES
from fashion_annotator.instances.model import (
    Instance,
    InstanceSet,
    accessory_ground,
    inconsistent_mask,
    instance_classes,
)
from fashion_annotator.instances.schema import (
    DEFAULT_INSTANCE_TAXONOMY,
    InstanceTaxonomy,
    instance_parsing_task,
    instance_taxonomy_names,
    load_attribute_schema,
    load_instance_taxonomy,
)

INSTANCES_JSON = "instances.json"
INSTANCES_CSV = "instances.csv"
PARSING_PROPOSAL = IMPORTED_PROPOSAL
"""The model version of a parsing proposal painted from imported instances alone."""


def _parsing_task(project: Project) -> str:
    task = instance_parsing_task(project.tasks)
    if task is not None:
        return task
    raise ValueError(f"{project.root}: no parsing task, so instances have no parsing class to carry")


def _rle(binary: np.ndarray) -> dict:
    return mask_utils.encode(np.asfortranarray(binary.astype(np.uint8)))


def export_coco_instances(
    project: Project, out: str | Path, task: str | None = None, progress: Progress | None = None
) -> ExportSummary:
    """Write ``OUT/instances.json``, ``OUT/instances.csv`` and ``OUT/images/`` (``task`` unused)."""
    out = prepare_export_folder(project, out, "images")
    schema = load_attribute_schema()
    summary = ExportSummary(out, missing="saved instances (the Instances panel proposes them when an image is opened, an operator saves them)")
    records = project.images()
    stems = export_stems(records)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    taxonomy: InstanceTaxonomy | None = None
    parsing_task: str | None = None
    left_out = 0
    proposed_only: list[str] = []
    clipped: list[str] = []
    for done, record in enumerate(records):
        # after each image (a cancel stops between images: the files below list those done)
        if progress is not None and done and not progressed(progress, done, len(records), summary):
            break
        try:
            iset = project.load_instances(record.id)
            if iset is None:
                summary.skipped.append(record.name)
                continue
            if only_proposed(project, record):
                proposed_only.append(record.name)
                continue
            changed = referenced_photo_changed(record, Path(project.root))
            if changed:  # instances drawn on the photo as it was: never beside another one
                raise ProjectError(changed)
            image_taxonomy = load_instance_taxonomy(iset.taxonomy)
            parsing_names = project.taxonomy(iset.parsing_task).names
            emptied = clip_to_parsing(project, record, iset, image_taxonomy, clipped)
            file_name = f"{stems[record.id]}{record.path.suffix}"
            summary.upright += copy_upright(record.path, out / "images" / file_name, record.shape)
        except FILE_ERRORS as exc:
            stop_if_damaged(exc, Path(project.root) / INDEX_NAME)  # the whole export's, said once
            summary.errors.append((record.name, file_error_text(exc)))
            continue
        taxonomy, parsing_task = image_taxonomy, iset.parsing_task
        images.append({"id": record.id, "file_name": file_name, "width": record.width, "height": record.height})
        for inst in iset.instances.values():
            binary = iset.map == inst.id
            if inst.id in emptied:  # all its pixels on another class now: said in the clip note
                continue
            if inst.category is None or not binary.any():
                left_out += 1
                continue
            rle = _rle(binary)
            attr_ids = sorted(schema.attribute_id(g, v) for g, v in inst.attributes.items())
            ann: dict[str, Any] = {
                "id": len(annotations) + 1,
                "image_id": record.id,
                "category_id": image_taxonomy.index(inst.category),
                "attribute_ids": attr_ids,
                "segmentation": {"size": rle["size"], "counts": rle["counts"].decode("ascii")},
                "area": int(mask_utils.area(rle)),
                "bbox": [float(v) for v in mask_utils.toBbox(rle)],
                "iscrowd": 0,
                "parsing_class": parsing_names[inst.parsing_class],
                "proposed_category_id": None if inst.proposed_category is None else image_taxonomy.index(inst.proposed_category),
                "colour": inst.colour,
                "fa_instance": inst.id,
                "fa_proposed": {
                    "category_score": inst.category_score,
                    "attribute_ids": sorted(schema.attribute_id(g, v) for g, v in inst.proposed_attributes.items()),
                },
            }
            annotations.append(ann)
            rows.append({
                "annotation_id": ann["id"], "image": file_name, "instance": inst.id,
                "category": inst.category, "proposed_category": inst.proposed_category or "",
                "parsing_class": ann["parsing_class"], "area": ann["area"],
                "bbox": " ".join(f"{v:g}" for v in ann["bbox"]), "dominant_colour": inst.colour or "",
                **{g: inst.attributes.get(g, "") for g in schema.group_names},
            })  # fmt: skip
        summary.count += 1  # by status, as the other exports: their summary names the unfinished
        summary.exported.append(record.name)
        summary.by_status[record.status] = summary.by_status.get(record.status, 0) + 1
        if stems[record.id] != Path(record.name).stem:
            summary.note_renamed(record, stems[record.id])
    if progress is not None and records and summary.cancelled is None:
        progress(len(records), len(records))
    summary.write_names()
    taxonomy = taxonomy or load_instance_taxonomy()
    parent_task = parsing_task or instance_parsing_task(project.tasks) or "parsing7"
    summary.notes.extend(export_notes(proposed_only, clipped, parsing_task))
    if left_out:
        summary.notes.append(
            f"{counted(left_out, 'instance')} without a category (or without pixels) left out; give "
            "them a category in the Instances panel"
        )
    coco = {
        "info": {"description": "Fashion Annotator garment instances", "instance_taxonomy": taxonomy.name,
                 "attribute_schema": schema.name, "parsing_task": parsing_task, "left_out_uncategorised": left_out},
        "images": images,
        "annotations": annotations,
        "categories": [{"id": c.id, "name": c.name, "supercategory": c.parent(parent_task)} for c in taxonomy.categories],
        "attributes": [{"id": i, "name": v, "supercategory": g} for i, (g, v) in enumerate(schema.flat)],
    }  # fmt: skip
    header = ["annotation_id", "image", "instance", "category", "proposed_category", "parsing_class",
              "area", "bbox", "dominant_colour", *schema.group_names]  # fmt: skip
    table = io.StringIO(newline="")
    writer = csv.DictWriter(table, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    with closing_files(summary):
        atomic_write_text(out / INSTANCES_JSON, json.dumps(coco))
        atomic_write_text(out / INSTANCES_CSV, table.getvalue())
    return summary


def _read(src: Path) -> tuple[Path, dict, list[tuple[str, str]]]:
    """The COCO file of ``src`` (:func:`~.coco_layout.coco_file`), its checked contents and the
    JSON files left out beside it."""
    path, left_out = coco_file(src, INSTANCES_JSON)
    data = read_json(path, "COCO JSON")
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise ValueError(f"{path}: not a COCO file (no 'images' list)")
    for key in ("annotations", "categories", "attributes"):
        if not isinstance(data.get(key, []), list):
            raise ValueError(f"{path}: '{key}' must be a list")
    info = data.get("info", {})
    if not isinstance(info, dict):
        raise ValueError(f"{path}: 'info' must be an object, got {type(info).__name__}")
    for key in ("instance_taxonomy", "parsing_task"):
        if info.get(key) is not None and not isinstance(info[key], str):
            raise ValueError(f"{path}: info '{key}' must be a name, got {info[key]!r:.60}")
    return path, data, left_out


def _instance_taxonomy(given: str | None, path: Path, declared: object) -> InstanceTaxonomy:
    """The instance taxonomy ``given`` by ``--taxonomy``, else the one the file's ``info``
    ``declared``, else the default; ``ValueError`` naming where the unknown name came from (the
    option or the import file) and the known taxonomies."""
    known = ", ".join(instance_taxonomy_names())
    name = given or (declared if isinstance(declared, str) else DEFAULT_INSTANCE_TAXONOMY)
    if name.endswith(".json") or name not in instance_taxonomy_names():
        if given:
            said = f" (the file says {declared!r})" if isinstance(declared, str) else ""
            raise ValueError(
                f"{path}: --taxonomy {name!r} is not an instance taxonomy this program has ({known}); "
                f"for coco-instances it names the instance taxonomy{said}, or leave it out to use the file's"
            )
        raise ValueError(
            f"{path}: instance taxonomy {name!r} is not one this program has "
            f"({known}); pass --taxonomy NAME to read the file with one"
        )
    return load_instance_taxonomy(name)


def _imported_fields(inst: Instance, proposals: bool) -> tuple[object, ...]:
    """What an import carries of an instance (no colour RGB); the model's score and proposed
    attributes only with ``proposals`` (the file has ``fa_proposed``)."""
    fields = (inst.parsing_class, inst.category, inst.proposed_category, inst.attributes, inst.colour)
    return (*fields, inst.category_score, inst.proposed_attributes) if proposals else fields


def _same_instances(saved: InstanceSet, new: InstanceSet, proposals: bool = False) -> bool:
    """Whether ``new`` says what ``saved`` says: the same pixels per instance, with the same
    imported fields (:func:`_imported_fields`, ``proposals`` as there); instance ids may
    differ (a file without ``fa_instance`` is numbered largest first)."""
    if (saved.parsing_task, saved.taxonomy) != (new.parsing_task, new.taxonomy) or saved.map.shape != new.map.shape:
        return False
    pairs = np.unique(saved.map.astype(np.uint16) * 256 + new.map)
    ids_saved, ids_new = (pairs // 256).tolist(), (pairs % 256).tolist()
    if len(set(ids_saved)) != len(pairs) or len(set(ids_new)) != len(pairs):
        return False  # not one-to-one: some instance was split or merged
    if set(saved.instances) != set(ids_saved) - {0} or set(new.instances) != set(ids_new) - {0}:
        return False
    return all(
        (a == 0) == (b == 0)
        and (a == 0 or _imported_fields(saved.instances[a], proposals) == _imported_fields(new.instances[b], proposals))
        for a, b in zip(ids_saved, ids_new, strict=True)
    )


def _instances_to_save(
    project: Project, record: ImageRecord, iset: InstanceSet, overwrite: bool, proposals: bool
) -> bool:
    """Whether ``iset`` is new for the image: False when equal to a saved version
    (:func:`_same_instances`; ``proposals``: the file carries the model's proposals).

    Raises
    ------
    ValueError
        It differs from the saved instances and ``overwrite`` is off; nothing is saved.
    """
    versions = project.instance_versions(record.id)
    for v in versions:
        saved = project.load_instances(record.id, v.version)
        if saved is not None and _same_instances(saved, iset, proposals):
            return False
    if versions and not overwrite:
        latest = versions[-1]
        raise ValueError(
            f"{record.name}: the instances differ from saved version {latest.version} ({latest.source}, "
            f"by {latest.user}); not imported (pass --overwrite to add them as a new version; every "
            "version is kept)"
        )
    return True


def _annotations_by_image(
    data: dict, path: Path, summary: ImportSummary
) -> tuple[dict[int, ImageId], dict[ImageId, list[dict]]]:
    """Position in ``images`` -> id of each entry with a valid, unique id, and the annotations
    of each such id, by COCO's rules (:func:`~fashion_annotator.dataset.formats.coco._image_ids`):
    entries sharing an id and their annotations, and annotations of no listed image, are
    refused and listed; crowd regions are left out and said in ``summary``."""
    ids, shared = _image_ids(data["images"], path, summary, strings=True)
    grouped, _orphans = _group_annotations(data.get("annotations", []), ids, shared, path, summary, strings=True)
    by_image: dict[ImageId, list[dict]] = {}
    crowds = 0
    for image_id, anns in grouped.items():
        by_image[image_id] = [a for a in anns if a.get("iscrowd") not in (1, True)]
        crowds += len(anns) - len(by_image[image_id])
    if crowds:
        summary.skipped.append((str(path), f"{counted(crowds, 'crowd region')} (iscrowd 1) not imported: an "
                                "instance is one garment"))  # fmt: skip
    return ids, by_image


def _parsing_to_save(
    project: Project, image_id: int, iset: InstanceSet, ground: frozenset[int], overwrite: bool, where: str
) -> tuple[np.ndarray, bool] | None:
    """The parsing mask to save with the imported instances: ``(mask, finished)``, or None
    when the saved one already agrees. Nothing is saved here.

    Without a parsing mask, the instances' classes alone (``finished`` False: skin, hair and
    garments without an annotation are background in it, so it is saved as a proposal, never
    as a finished mask). A saved mask that disagrees with them is repainted under the
    instances (``finished``: a new version) only with ``overwrite``.

    Raises
    ------
    ValueError
        The saved parsing mask disagrees and ``overwrite`` is off.
    """
    task = iset.parsing_task
    own = instance_classes(iset)
    parsing = project.load_mask(image_id, task)
    if parsing is None:
        return own, False
    bad = inconsistent_mask(iset, parsing, ground)
    if not bad.any():
        return None
    if not overwrite:
        names = project.taxonomy(task).names
        examples = []
        for k in np.unique(iset.map[bad]).tolist()[:3]:
            under = np.bincount(parsing[bad & (iset.map == k)]).argmax()
            examples.append(f"{iset.instances[k].category} on {names[under]}")
        raise ValueError(
            f"{where}: {int(bad.sum())} pixels of its instances lie on another class in the saved {task} "
            f"mask ({', '.join(examples)}); not imported (pass --overwrite to paint the instances' "
            f"classes into a new {task} version)"
        )
    painted = parsing.copy()
    painted[bad] = own[bad]
    return painted, True


def _save(project: Project, image_id: int, iset: InstanceSet, parsing: tuple[np.ndarray, bool] | None) -> bool:
    """Save checked instances, then their parsing mask (:func:`_parsing_to_save`); True when a
    finished parsing mask version was saved.

    An unfinished parsing mask is saved as a proposal (:data:`PARSING_PROPOSAL`): the image's
    status is not raised and the mask is no training data until an operator saves it. A
    finished one, as every import, makes an approved image done again (QA reviews the new
    version), in the save's own transaction.
    """
    project.save_instances(image_id, iset, source="import")
    if parsing is None:
        return False
    mask, finished = parsing
    if not finished:
        project.save_proposal(image_id, iset.parsing_task, mask, PARSING_PROPOSAL)
        return False
    return project.save_import(image_id, iset.parsing_task, mask, overwrite=True) is not None


def import_coco_instances(
    project: Project,
    src: str | Path,
    taxonomy: str | None = None,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> ImportSummary:
    """Import instances from a COCO file with ``attribute_ids`` (see the module docstring).

    Instances equal to a saved version count as ``unchanged``; ones that differ from the
    image's saved instances are refused (listed) unless ``overwrite``, which adds them as a
    new version.
    """
    path, data, left_out = _read(Path(src))
    require_annotations(data, path, "instances")
    inst_tax = _instance_taxonomy(taxonomy, path, data.get("info", {}).get("instance_taxonomy"))
    schema = load_attribute_schema()
    parsing_task = _parsing_task(project)
    parsing_tax = project.taxonomy(parsing_task)
    categories = category_names(data, inst_tax, path)
    file_task = data.get("info", {}).get("parsing_task")
    summary = ImportSummary(skipped=left_out)
    outside: dict[object, str] = {}
    attributes = attribute_pairs(data, schema, path, outside)
    ids, by_image = _annotations_by_image(data, path, summary)
    report_left_out_attributes(data, attributes, outside, path, summary)
    ground = accessory_ground(parsing_tax, inst_tax)
    adder, names, seen = PhotoAdder(project, summary), read_export_names(path), AnnotatedPhotos()
    listed: dict[str, object] = {}
    unfinished = 0
    for done, entry in enumerate(data["images"], 1):
        image_id = ids.get(done - 1)
        name = str(entry.get("file_name", "")) if isinstance(entry, dict) else ""
        where = entry_where(path, done - 1, name)
        record: ImageRecord | None = None
        try:
            if image_id is None:  # malformed, or an id shared with another entry: listed
                continue
            if not name:
                raise ValueError(f"{where}: no 'file_name' (malformed image entry {entry!r:.80})")
            if name in listed:
                raise ValueError(
                    f"{where} is listed twice in 'images' (ids {listed[name]!r} and {entry.get('id')!r}); "
                    "only the first entry is imported"
                )
            listed[name] = entry.get("id")
            record = find_photo(project, adder, path, name, where, names)
            anns = by_image.get(image_id, [])
            if len(anns) > MAX_INSTANCES:
                raise ValueError(f"{where}: {len(anns)} annotations, at most {MAX_INSTANCES} instances per image")
            h, w = record.shape
            checked_size(entry, record.shape, where)
            iset, overlap, renumbered = instance_set(anns, h, w, where, parsing_task, inst_tax.name, lambda ann, label: annotation_fields(
                ann, categories, attributes, file_task, parsing_task, parsing_tax, inst_tax, label))  # fmt: skip
            iset.validate(inst_tax, schema, where=f"{where}: ")
            seen.check(record, where)  # another name of the same photo
            proposals = any("fa_proposed" in ann for ann in anns)
            if not _instances_to_save(project, record, iset, overwrite, proposals):
                seen.take(record, where)
                summary.unchanged += 1
                continue
            parsing = _parsing_to_save(project, record.id, iset, ground, overwrite, where)
            saved_mask = _save(project, record.id, iset, parsing)
            seen.take(record, where)
            summary.instances += 1
            if saved_mask:
                summary.masks += 1
            elif parsing is not None:
                unfinished += 1
            if overlap:
                summary.notes.append((where, f"its annotations overlap: {counted(overlap, 'pixel')} of larger "
                                      "instances went to smaller ones painted over them (largest first)"))  # fmt: skip
            if renumbered:
                summary.notes.append((where, f"{counted(renumbered, 'annotation')} share an 'fa_instance' number "
                                      "with another: numbered anew (largest first)"))  # fmt: skip
        except FILE_ERRORS as exc:
            summary.fail(where, exc)
            if record is not None:
                note_without_mask(project, record, None, summary)
        finally:
            if progress is not None:
                progress(done, len(data["images"]))
    if unfinished:
        summary.notes.append((str(path), (
            f"{counted(unfinished, 'image')} had no {parsing_task} mask: the one painted from the instances "
            f"alone (skin, hair and garments without an annotation are background) is saved as a proposal "
            f"to finish in Annotate, not as a finished mask: not marked done, not {parsing_task} training data")))
    return summary
