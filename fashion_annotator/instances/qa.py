"""QA of a project's instances: what operators changed against the proposals, what is filled.

Numpy only; the Review tab's instance panel shows these rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fashion_annotator.instances.model import InstanceSet, accessory_ground, inconsistent_pixels
from fashion_annotator.instances.schema import (
    AttributeSchema,
    load_attribute_schema,
    load_instance_taxonomy,
)


@dataclass(frozen=True)
class InstanceQARow:
    """One image's instance figures.

    Attributes
    ----------
    image_id, name, status : int, str, str
    instances : int
    uncategorised : int
        Instances without a category.
    category_changed : int
        Instances whose category differs from the proposed one.
    category_proposed : int
        Instances the model proposed a category for: what ``category_changed`` is out of (an
        instance drawn by hand has none to change).
    attributes_filled : float
        Share of (instance, predicted attribute group) slots that a person set, 0..1: set to
        another value than the model proposed, or with none proposed (a proposed value kept as
        it was is the model's work, counted in ``attributes_kept``); NaN without instances.
    inconsistent_pixels : int
        Instance pixels whose parsing class differs from the instance's (an accessory's may
        lie on any class of :func:`~fashion_annotator.instances.model.accessory_ground`; 0 when
        consistent or when no parsing mask is saved: ``parsing_saved`` tells them apart).
    attributes_kept : float
        Share of the slots that hold the model's proposed value unchanged, 0..1 (NaN as
        ``attributes_filled``).
    parsing_saved : bool
        Whether a parsing mask is saved to check the instances against (without one
        ``inconsistent_pixels`` is unknown, not 0).
    """

    image_id: int
    name: str
    status: str
    instances: int
    uncategorised: int
    category_changed: int
    attributes_filled: float
    inconsistent_pixels: int
    category_proposed: int = 0
    attributes_kept: float = 0.0
    parsing_saved: bool = True


def instance_qa_rows(project: Any, schema: AttributeSchema | None = None) -> list[InstanceQARow]:
    """One row per image with saved instances, in image id order, leaving out the images that
    hold only the model's proposals (an image opened, never worked on: status ``new`` and
    instances saved by no one but the model), which would dilute the figures."""
    rows = (instance_qa_row(project, project.image(i), iset, schema) for i, iset in project.iter_instances())
    return [row for row in rows if row is not None]


def instance_qa_row(
    project: Any, record: Any, iset: InstanceSet | None, schema: AttributeSchema | None = None
) -> InstanceQARow | None:
    """The figures of one image (``record``) whose latest instances are ``iset``, or None when
    it has none or only the model's proposals (see :func:`instance_qa_rows`); about 4 ms an
    image, most of it decoding the instance map and the parsing mask."""
    if iset is None:
        return None
    if record.status == "new" and project.instance_versions(record.id)[-1].source == "model":
        return None
    schema = schema or load_attribute_schema()
    groups = [g.name for g in schema.groups if not g.computed]
    insts = list(iset.instances.values())
    slots = len(insts) * len(groups)
    kept = sum(1 for i in insts for g in groups if g in i.attributes and i.attributes[g] == i.proposed_attributes.get(g))
    filled = sum(1 for i in insts for g in groups if g in i.attributes) - kept
    parsing = project.load_mask(record.id, iset.parsing_task) if iset.parsing_task in project.tasks else None
    bad = 0
    if parsing is not None:
        ground = accessory_ground(project.taxonomy(iset.parsing_task), load_instance_taxonomy(iset.taxonomy))
        bad = sum(inconsistent_pixels(iset, parsing, ground).values())
    return InstanceQARow(
        record.id, record.name, record.status, len(insts),
        sum(i.category is None for i in insts), sum(i.category_changed for i in insts),
        filled / slots if slots else math.nan, bad, sum(i.proposed_category is not None for i in insts),
        kept / slots if slots else math.nan, parsing is not None,
    )  # fmt: skip


def instance_qa_summary(rows: list[InstanceQARow]) -> dict[str, float | int]:
    """Totals over rows: images, instances, category changes (their share of the instances
    with a proposed category, NaN when none had one), attributes filled by a person and the
    model's proposed values kept (shares of the slots, NaN without instances), images
    inconsistent with their parsing mask and images without one (``unchecked_images``)."""
    n = sum(r.instances for r in rows)
    changed = sum(r.category_changed for r in rows)
    proposed = sum(r.category_proposed for r in rows)
    worked = [r for r in rows if r.instances]
    filled = sum(r.attributes_filled * r.instances for r in worked)
    kept = sum(r.attributes_kept * r.instances for r in worked)
    return {
        "images": len(rows),
        "instances": n,
        "category_changed": changed,
        "category_proposed": proposed,
        "category_changed_share": changed / proposed if proposed else float("nan"),
        "attributes_filled": filled / n if n else math.nan,
        "attributes_kept": kept / n if n else math.nan,
        "uncategorised": sum(r.uncategorised for r in rows),
        "inconsistent_images": sum(r.inconsistent_pixels > 0 for r in rows),
        "unchecked_images": sum(not r.parsing_saved for r in rows),
    }
