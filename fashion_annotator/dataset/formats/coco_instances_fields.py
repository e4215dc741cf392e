"""What a coco-instances file says about one image: categories, attributes, each annotation's
fields and the instance set they paint, checked before anything is saved.

Split from :mod:`~fashion_annotator.dataset.formats.coco_instances` (its import reads the file
and saves); see its module docstring for the format.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.dataset.formats.coco import decode_region
from fashion_annotator.dataset.formats.common import ImportSummary
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.instances.schema import AttributeSchema, InstanceTaxonomy


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
) -> tuple[str, int, dict[str, str], str | None, str | None]:
    """``(category, parsing class, attributes, proposed category, colour)`` of one annotation.

    The file's ``parsing_class`` is used when the file's parsing task is the project's (or not
    stated) and the class is one of the project's; otherwise the category's parent class.

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
    ids = ann.get("attribute_ids") or []
    if not isinstance(ids, list) or not all(is_id(a) for a in ids):
        raise ValueError(f"{label}: 'attribute_ids' must be a list of ids, got {ids!r:.60}")
    attrs: dict[str, str] = {}
    for a in ids:
        if a not in attributes:
            continue  # attributes outside the schema are not imported
        group, value = attributes[a]
        if attrs.get(group, value) != value:
            raise ValueError(f"{label}: attribute group {group!r} has two values ({attrs[group]!r}, {value!r})")
        attrs[group] = value
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
    return cat, pclass, attrs, proposed, colour


def report_left_out_attributes(
    data: dict, attributes: dict, outside: dict[object, str], path: Path, summary: ImportSummary
) -> None:
    """Say which annotations' attribute ids the import leaves out: ones outside the attribute
    schema (Fashionpedia's, say) and ones the file's 'attributes' list does not have."""
    dropped: dict[object, int] = defaultdict(int)
    for ann in data.get("annotations", []):
        ids = ann.get("attribute_ids") if isinstance(ann, dict) else None
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
    fields: Callable[[dict, str], tuple[str, int, dict[str, str], str | None, str | None]],
) -> tuple[InstanceSet, int]:  # fmt: skip
    """The instances of one image's annotations, painted largest first, and how many pixels
    of larger instances smaller ones were painted over (overlapping annotations); nothing is
    saved.

    ``fields(ann, label)`` is :func:`annotation_fields` of the file.

    Raises
    ------
    ValueError
        Naming the annotation: a field (:func:`annotation_fields`), a segmentation that cannot
        be decoded, an empty one, or one wholly under larger ones.
    """
    decoded = []
    for ann in anns:
        label = f"{where}: annotation {ann.get('id')!r:.40}"
        values = fields(ann, label)
        try:
            region = decode_region(ann.get("segmentation"), height, width)
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            raise ValueError(f"{label}: {exc}") from exc
        if not region.area:
            raise ValueError(f"{label}: empty mask")
        decoded.append((ann, values, region))
    decoded.sort(key=lambda item: -item[2].area)
    imap = np.zeros((height, width), np.uint8)
    instances = {}
    overlap = 0
    for k, (_ann, (cat, pclass, attrs, proposed, colour), region) in enumerate(decoded, start=1):
        overlap += int(np.count_nonzero(imap[region.rows, region.cols][region.pixels]))
        region.paint(imap, k)
        instances[k] = Instance(k, pclass, cat, proposed, None, attrs, {}, colour)
    present = set(np.unique(imap).tolist())
    covered = [decoded[k - 1][0].get("id") for k in instances if k not in present]
    if covered:
        raise ValueError(f"{where}: annotations {covered} lie wholly under other annotations (painted largest first)")
    return InstanceSet(imap, instances, parsing_task, taxonomy), overlap
