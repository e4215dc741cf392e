"""What a coco-instances file says about one image: categories, attributes, each annotation's
fields and the instance set they paint, checked before anything is saved.

Split from :mod:`~fashion_annotator.dataset.formats.coco_instances` (its import reads the file
and saves); see its module docstring for the format.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.dataset.formats.coco import decode_region
from fashion_annotator.dataset.formats.common import ImportSummary
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.instances.schema import MAX_INSTANCES, AttributeSchema, InstanceTaxonomy


def is_id(value: object) -> bool:
    """Whether ``value`` can be a COCO id (an integer or a string, not a bool)."""
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def category_names(data: dict, taxonomy: InstanceTaxonomy, path: Path) -> dict[object, str]:
    """``{category id: name}`` of the file; ``ValueError`` for a malformed or repeated category
    and for names outside ``taxonomy`` that an annotation's ``category_id`` uses."""
    out = {}
    for cat in data.get("categories", []):
        if not isinstance(cat, dict) or not is_id(cat.get("id")) or "name" not in cat:
            raise ValueError(f"{path}: malformed category {cat!r:.200}")
        if cat["id"] in out:
            raise ValueError(f"{path}: category id {cat['id']!r} is listed twice")
        out[cat["id"]] = str(cat["name"])
    used = {a.get("category_id") for a in data.get("annotations", []) if isinstance(a, dict) and is_id(a.get("category_id"))}
    unknown = sorted({n for i, n in out.items() if i in used and n not in taxonomy.names})
    if unknown:
        raise ValueError(f"{path}: categories {unknown} are not in the instance taxonomy {taxonomy.name!r}")
    return out


def attribute_pairs(
    data: dict, schema: AttributeSchema, path: Path, outside: dict[object, str] | None = None
) -> dict[object, tuple[str, str]]:
    """``{attribute id: (group, value)}`` of the file's attributes in ``schema``; the others go
    into ``outside`` (``{id: name}``), when given, so the import can say what it left out."""
    out = {}
    for att in data.get("attributes", []):
        if not isinstance(att, dict) or not is_id(att.get("id")) or "name" not in att:
            raise ValueError(f"{path}: malformed attribute {att!r:.200}")
        if att["id"] in out:
            raise ValueError(f"{path}: attribute id {att['id']!r} is listed twice")
        group, value = str(att.get("supercategory", "")), str(att["name"])
        if ":" in value and not group:
            group, value = value.split(":", 1)
        try:
            schema.attribute_id(group, value)
        except KeyError:
            if outside is not None:  # not imported: said in the summary
                outside[att["id"]] = f"{group}:{value}" if group else value
            continue
        out[att["id"]] = (group, value)
    return out


def annotation_fields(
    ann: dict,
    categories: dict[object, str],
    attributes: dict[object, tuple[str, str]],
    file_task: str | None,
    parsing_task: str,
    parsing_tax: Any,
    inst_tax: InstanceTaxonomy,
    label: str,
) -> Instance:
    """The instance one annotation describes (its ``id`` 0: :func:`instance_set` numbers it).

    The file's ``parsing_class`` is used when the file's parsing task is the project's (or not
    stated) and the class is one of the project's; otherwise the category's parent class. The
    model's proposal comes from ``proposed_category_id`` and ``fa_proposed``
    (:func:`proposed_fields`; without it the proposed attributes are empty and the score None).

    Raises
    ------
    ValueError
        Naming ``label``: an unknown category, fields of the wrong type, two values of one
        attribute group, or no parsing class from either source.
    """
    cat_id = ann.get("category_id")
    cat = categories.get(cat_id) if is_id(cat_id) else None
    if cat is None:
        raise ValueError(f"{label} has unknown category {cat_id!r:.40} (the file's 'categories' list has no such id)")
    pclass = None
    named = ann.get("parsing_class")
    if named is not None and file_task in (None, parsing_task) and isinstance(named, str) and named in parsing_tax.names:
        pclass = parsing_tax.index(named)
    if pclass is None:
        parent = inst_tax.category(cat).parent(parsing_task)
        if parent not in parsing_tax.names:
            raise ValueError(f"{label}: category {cat!r} has no class in the project's {parsing_task!r} taxonomy")
        pclass = parsing_tax.index(parent)
    attrs = _attribute_values(ann.get("attribute_ids") or [], attributes, f"{label}: 'attribute_ids'")
    pid = ann.get("proposed_category_id")
    proposed = None
    if pid is not None:
        proposed = categories.get(pid) if is_id(pid) else None
        if proposed is None:
            raise ValueError(f"{label}: proposed category id {pid!r:.40} ('proposed_category_id') is not in the "
                             "file's 'categories' list")  # fmt: skip
        if proposed not in inst_tax.names:
            raise ValueError(f"{label}: proposed category {proposed!r} ('proposed_category_id' {pid!r:.40}) is not "
                             f"in the instance taxonomy {inst_tax.name!r}")  # fmt: skip
    colour = ann.get("colour")
    if colour is not None and not isinstance(colour, str):
        raise ValueError(f"{label}: 'colour' must be a colour name, got {colour!r:.40}")
    score, proposed_attrs = proposed_fields(ann, attributes, label)
    return Instance(0, pclass, cat, proposed, score, attrs, proposed_attrs, colour)


def _attribute_values(ids: object, attributes: dict[object, tuple[str, str]], label: str) -> dict[str, str]:
    """``{group: value}`` of a list of attribute ``ids`` (those outside the schema left out).

    Raises
    ------
    ValueError
        Naming ``label`` (the annotation and its key): not a list of ids, or two values of one
        attribute group.
    """
    if not isinstance(ids, list) or not all(is_id(a) for a in ids):
        raise ValueError(f"{label} must be a list of ids, got {ids!r:.60}")
    values: dict[str, str] = {}
    for a in ids:
        if a not in attributes:
            continue  # attributes outside the schema are not imported
        group, value = attributes[a]
        if values.get(group, value) != value:
            raise ValueError(f"{label}: attribute group {group!r} has two values ({values[group]!r}, {value!r})")
        values[group] = value
    return values


def proposed_fields(
    ann: dict, attributes: dict[object, tuple[str, str]], label: str
) -> tuple[float | None, dict[str, str]]:
    """``(category score, proposed attributes)`` of an annotation's ``fa_proposed`` object
    (``{"category_score": float or null, "attribute_ids": [...]}``, what the model proposed
    before a person changed anything; this program's export writes it). Without the key:
    ``(None, {})``, as for a file of another tool.

    Raises
    ------
    ValueError
        Naming ``label``: not an object, a score that is no number from 0 to 1, attribute ids
        that are not a list of ids or give one group two values.
    """
    if "fa_proposed" not in ann:
        return None, {}
    block = ann["fa_proposed"]
    if not isinstance(block, dict):
        raise ValueError(f"{label}: 'fa_proposed' must be an object, got {block!r:.60}")
    score = block.get("category_score")
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1
    ):
        raise ValueError(f"{label}: 'fa_proposed' 'category_score' must be a number from 0 to 1, got {score!r:.40}")
    values = _attribute_values(block.get("attribute_ids") or [], attributes, f"{label}: 'fa_proposed' 'attribute_ids'")
    return None if score is None else float(score), values


def report_left_out_attributes(
    data: dict, attributes: dict, outside: dict[object, str], path: Path, summary: ImportSummary
) -> None:
    """Say which annotations' attribute ids the import leaves out: ones outside the attribute
    schema (Fashionpedia's, say) and ones the file's 'attributes' list does not have."""
    dropped: dict[object, int] = defaultdict(int)
    for ann in data.get("annotations", []):
        block = ann.get("fa_proposed") if isinstance(ann, dict) else None
        for ids in (ann.get("attribute_ids") if isinstance(ann, dict) else None,
                    block.get("attribute_ids") if isinstance(block, dict) else None):  # fmt: skip
            for a in ids if isinstance(ids, list) else []:
                if is_id(a) and a not in attributes:
                    dropped[a] += 1
    if not dropped:
        return
    known = [f"{outside[a]} ({n}x)" for a, n in dropped.items() if a in outside]
    unknown = [f"{a!r} ({n}x)" for a, n in dropped.items() if a not in outside]
    if known:
        summary.skipped.append((str(path), "attributes outside the attribute schema not imported: "
                                + ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")))  # fmt: skip
    if unknown:
        summary.skipped.append((str(path), "attribute ids the file's 'attributes' list does not have, not "
                                "imported: " + ", ".join(unknown[:8]) + (", ..." if len(unknown) > 8 else "")))  # fmt: skip


def instance_set(
    anns: list[dict], height: int, width: int, where: str, parsing_task: str, taxonomy: str,
    fields: Callable[[dict, str], Instance],
) -> tuple[InstanceSet, int, int]:  # fmt: skip
    """The instances of one image's annotations, painted largest first; how many pixels of
    larger instances smaller ones were painted over (overlapping annotations); and how many
    annotations' ``fa_instance`` numbers were not kept. Nothing is saved.

    ``fields(ann, label)`` is :func:`annotation_fields` of the file. An annotation's
    ``fa_instance`` (the instance's number in the exporting project, 1..255) is its id when no
    other annotation of the image has it; the others take the smallest free numbers, largest
    first (a file without the key is numbered largest first).

    Raises
    ------
    ValueError
        Naming the annotation: a field (:func:`annotation_fields`), an ``fa_instance`` that is
        no number from 1 to 255, a segmentation that cannot be decoded, an empty one, or one
        wholly under larger ones.
    """
    decoded = []
    for ann in anns:
        label = f"{where}: annotation {ann.get('id')!r:.40}"
        inst = fields(ann, label)
        number = ann.get("fa_instance")
        if number is not None and (isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_INSTANCES):
            raise ValueError(f"{label}: 'fa_instance' must be an instance number from 1 to {MAX_INSTANCES}, got {number!r:.40}")
        try:
            region = decode_region(ann.get("segmentation"), height, width)
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            raise ValueError(f"{label}: {exc}") from exc
        if not region.area:
            raise ValueError(f"{label}: empty mask")
        decoded.append((ann, inst, region, number))
    decoded.sort(key=lambda item: -item[2].area)
    numbers = Counter(number for *_, number in decoded if number is not None)
    kept = {number for number, n in numbers.items() if n == 1}
    free = (k for k in range(1, MAX_INSTANCES + 1) if k not in kept)
    ids = [number if number in kept else next(free) for *_, number in decoded]
    imap = np.zeros((height, width), np.uint8)
    instances = {}
    overlap = 0
    for k, (_ann, inst, region, _number) in zip(ids, decoded, strict=True):
        overlap += int(np.count_nonzero(imap[region.rows, region.cols][region.pixels]))
        region.paint(imap, k)
        instances[k] = replace(inst, id=k)
    present = set(np.unique(imap).tolist())
    covered = [ann.get("id") for k, (ann, *_) in zip(ids, decoded, strict=True) if k not in present]
    if covered:
        raise ValueError(f"{where}: annotations {covered} lie wholly under other annotations (painted largest first)")
    renumbered = sum(n for number, n in numbers.items() if n > 1)
    return InstanceSet(imap, instances, parsing_task, taxonomy), overlap, renumbered
