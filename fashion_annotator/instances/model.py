"""The instances of one image: an instance map plus one record per instance.

``InstanceSet.map`` is ``(H, W) uint8`` instance ids (0 = none); ``instances`` maps each id
to an :class:`Instance` (category, attributes, colour, and what the model proposed, so QA can
tell operator changes from accepted proposals).
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.instances.schema import MAX_INSTANCES, AttributeSchema, InstanceTaxonomy


@dataclass
class Instance:
    """One garment instance.

    Attributes
    ----------
    id : int
        Its value in the instance map, 1..255.
    parsing_class : int
        The class its pixels carry in the parsing mask.
    category, proposed_category : str or None
        The current fine category and the one the model proposed.
    category_score : float or None
        The model's probability for ``proposed_category``.
    attributes, proposed_attributes : dict
        ``{group: value}`` now and as proposed.
    colour : str or None
        Dominant colour name (palette); ``colour_rgb`` its mean RGB.
    """

    id: int
    parsing_class: int
    category: str | None = None
    proposed_category: str | None = None
    category_score: float | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    proposed_attributes: dict[str, str] = field(default_factory=dict)
    colour: str | None = None
    colour_rgb: tuple[int, int, int] | None = None

    @property
    def category_changed(self) -> bool:
        """True when the operator changed the proposed category."""
        return self.proposed_category is not None and self.category != self.proposed_category


@dataclass
class InstanceSet:
    """``map`` ``(H, W) uint8`` and ``instances`` ``{id: Instance}`` of one image."""

    map: np.ndarray
    instances: dict[int, Instance] = field(default_factory=dict)
    parsing_task: str = "parsing7"
    taxonomy: str = "ccp"

    def copy(self) -> InstanceSet:
        """A deep copy."""
        return InstanceSet(self.map.copy(), copy.deepcopy(self.instances), self.parsing_task, self.taxonomy)

    def free_id(self) -> int:
        """The smallest unused instance id; ``ValueError`` when all 255 are taken."""
        used = set(self.instances)
        for k in range(1, MAX_INSTANCES + 1):
            if k not in used:
                return k
        raise ValueError(f"an image holds at most {MAX_INSTANCES} instances")

    def areas(self) -> dict[int, int]:
        """Pixel count of each instance."""
        counts = np.bincount(self.map.ravel(), minlength=MAX_INSTANCES + 1)
        return {k: int(counts[k]) for k in self.instances}

    def validate(
        self,
        taxonomy: InstanceTaxonomy,
        schema: AttributeSchema,
        parsing_taxonomy: Taxonomy | None = None,
        where: str = "",
    ) -> None:
        """Raise ``ValueError`` (prefixed by ``where``) for ids, categories or attributes that do not exist."""
        for key, inst in self.instances.items():
            if isinstance(key, bool) or not (isinstance(key, (int, np.integer)) and 1 <= key <= MAX_INSTANCES):
                raise ValueError(f"{where}instance id {key!r} outside 1..{MAX_INSTANCES}")
            if inst.id != key:
                raise ValueError(f"{where}instance record {key} says it is instance {inst.id!r}")
        present = set(np.unique(self.map).tolist()) - {0}
        missing = present - set(self.instances)
        if missing:
            raise ValueError(f"{where}instance map holds ids {sorted(missing)} with no instance record")
        for inst in self.instances.values():
            label = f"{where}instance {inst.id}: "
            for name in (inst.category, inst.proposed_category):
                if name is not None and name not in taxonomy.names:
                    raise ValueError(f"{label}category {name!r} is not in taxonomy {taxonomy.name!r}")
            if inst.colour is not None and not isinstance(inst.colour, str):
                raise ValueError(f"{label}colour must be a colour name, got {type(inst.colour).__name__}")
            schema.validate(inst.attributes, label)
            schema.validate(inst.proposed_attributes, label)
            if parsing_taxonomy is not None and not 0 <= inst.parsing_class < parsing_taxonomy.num_classes:
                raise ValueError(f"{label}parsing class {inst.parsing_class} outside {parsing_taxonomy.name!r}")


def accessory_ground(parsing_taxonomy: Taxonomy, instance_taxonomy: InstanceTaxonomy) -> frozenset[int]:
    """Parsing classes an accessory instance (``parsing_class`` 0) may lie on.

    Accessories whose category has no class of its own in the parsing taxonomy (hats, bags and
    glasses in parsing7) are cut from the garment cutout where the parsing mask says background,
    skin or hair: class 0 and every class that no category maps to. One rule for proposing
    (:func:`~fashion_annotator.instances.derive.propose_instances`) and for checking
    (:func:`inconsistent_pixels`, :meth:`InstanceDocument.reconcile`).
    """
    parents = instance_taxonomy.parent_classes(parsing_taxonomy.name)
    return frozenset(c.id for c in parsing_taxonomy.classes if c.id == 0 or c.name not in parents)


def instance_classes(iset: InstanceSet) -> np.ndarray:
    """``(H, W) uint8``: each instance pixel's own parsing class (0 where no instance)."""
    lut = np.zeros(MAX_INSTANCES + 1, np.uint8)
    for k, inst in iset.instances.items():
        lut[k] = inst.parsing_class
    return lut.take(iset.map)  # half the time of the fancy index ``lut[iset.map]``


def inconsistent_mask(iset: InstanceSet, parsing: np.ndarray, ground: Collection[int] = (0,)) -> np.ndarray:
    """``(H, W) bool``: instance pixels whose parsing class is not the instance's.

    Parameters
    ----------
    iset : InstanceSet
    parsing : (H, W) integer
        The parsing mask.
    ground : collection of int
        The parsing classes a ``parsing_class`` 0 instance may cover (:func:`accessory_ground`;
        default: only class 0).
    """
    if parsing.shape != iset.map.shape:
        raise ValueError(f"parsing mask {parsing.shape} and instance map {iset.map.shape} differ in shape")
    own = instance_classes(iset)
    bad = (iset.map > 0) & (own != parsing)
    if bad.any():
        bad &= ~((own == 0) & np.isin(parsing, list(ground)))
    return bad


def inconsistent_pixels(iset: InstanceSet, parsing: np.ndarray, ground: Collection[int] = (0,)) -> dict[int, int]:
    """``{id: pixels whose parsing class differs from the instance's}`` (non-zero counts only);
    ``ground`` as in :func:`inconsistent_mask`."""
    bad = inconsistent_mask(iset, parsing, ground)
    if not bad.any():
        return {}
    counts = np.bincount(iset.map[bad], minlength=MAX_INSTANCES + 1)
    return {k: int(counts[k]) for k in iset.instances if counts[k]}
