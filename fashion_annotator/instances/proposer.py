"""Instance proposals for one photo: parsing (+ garment) masks -> instances -> categories, colour.

Numpy in, numpy out. :class:`InstanceProposer` runs the parsing model and, when given, the
garment cutout model (for accessories the parsing taxonomy calls background), derives
instances (:func:`~fashion_annotator.instances.derive.propose_instances`), predicts each
one's fine category (and attributes, when trained heads are loaded) and names its colours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from fashion_annotator.core.labels import Taxonomy, load_taxonomy
from fashion_annotator.instances.colour import DominantColour, dominant_colours
from fashion_annotator.instances.derive import ProposalParams, instance_boxes, propose_instances
from fashion_annotator.instances.features import class_shares
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.instances.schema import InstanceTaxonomy, load_instance_taxonomy

if TYPE_CHECKING:  # the caller loads it (torch is imported then)
    from fashion_annotator.instances.classifier import InstanceClassifier

#: Power of :attr:`ProposedInstance.confidence` in its detection scores. Chosen on CCP train
#: (parsing18 proposals, AP50 0.135 / 0.150 / 0.151 / 0.146 with powers 0 / 1 / 2 / 4).
CONFIDENCE_POWER = 2.0


def default_parsing_task() -> str:
    """The parsing instances are proposed from by default: parsing18 when its model is shipped.

    Parsing18 keeps outer wear apart from tops and has classes for bags, belts, hats, eyewear
    and jewellery, so one network proposes every instance (parsing7 needs the garment cutout for
    accessories and merges a coat with the blouse under it).
    """
    from fashion_annotator.resources import ResourcesNotFoundError, resource_path

    try:
        return "parsing18" if resource_path("models", "parsing18.safetensors").is_file() else "parsing7"
    except ResourcesNotFoundError:
        return "parsing7"


def needs_garment(instance_taxonomy: InstanceTaxonomy, parsing_task: str) -> bool:
    """Whether some category has no class of its own in ``parsing_task`` (accessories in parsing7):
    those are proposed from the garment cutout, which then must be computed too."""
    return "background" in instance_taxonomy.parent_classes(parsing_task)


@dataclass
class ProposedInstance:
    """One proposed instance.

    Attributes
    ----------
    id : int
        Its value in the instance map.
    parsing_class : int
        The class its pixels carry in the parsing mask (0 for accessories in parsing7).
    categories : list of (str, float)
        Fine categories, most probable first (empty without a classifier).
    attributes : dict
        ``{group: (value, probability)}`` from trained attribute heads.
    colours : list of DominantColour
    confidence : float or None
        How sure the parsing model is of the pixels the instance is made of: the mean
        probability of its parsing class over them, in [0, 1]. None when the probabilities were
        not at hand, or for instances cut from the garment mask (class 0).
    """

    id: int
    parsing_class: int
    categories: list[tuple[str, float]] = field(default_factory=list)
    attributes: dict[str, tuple[str, float]] = field(default_factory=dict)
    colours: list[DominantColour] = field(default_factory=list)
    confidence: float | None = None

    @property
    def category(self) -> str | None:
        """The most probable category, or None."""
        return self.categories[0][0] if self.categories else None

    def scored_categories(self) -> list[tuple[str, float]]:
        """``categories`` with each probability times ``confidence ** CONFIDENCE_POWER``.

        The score that ranks this instance as a detection of each category (mask AP, which
        instances to check first): an instance whose pixels the parsing model doubts is less
        likely to be a whole garment, whatever its category.
        """
        weight = 1.0 if self.confidence is None else self.confidence**CONFIDENCE_POWER
        return [(name, p * weight) for name, p in self.categories]


@dataclass
class InstanceProposals:
    """``map`` ``(H, W) uint8`` instance ids and the ``instances`` in id order."""

    map: np.ndarray
    instances: list[ProposedInstance]


def describe_instances(
    rgb: np.ndarray,
    parsing: np.ndarray,
    parsing_taxonomy: Taxonomy,
    instance_map: np.ndarray,
    classes: dict[int, int],
    classifier: InstanceClassifier | None,
    colours: bool = True,
    probs: np.ndarray | None = None,
) -> list[ProposedInstance]:
    """Categories and colours of existing instances (``classes``: id -> parsing class id).

    ``probs``: the parsing model's ``(K, h, w) float32`` class probabilities, when at hand (see
    :meth:`InstanceClassifier.predict`).
    """
    names = {k: parsing_taxonomy.classes[c].name for k, c in classes.items()}
    wanted = colours or probs is not None or classifier is not None
    boxes = instance_boxes(instance_map) if wanted else {}
    shares: dict[int, np.ndarray] = {}
    if probs is not None:  # read by the share head and by each instance's confidence
        ids = [k for k in classes if k in boxes]
        shares = dict(zip(ids, class_shares(probs, instance_map, ids, boxes), strict=True))
    preds = (
        classifier.predict(rgb, instance_map, names, parent_task=parsing_taxonomy.name, probs=probs,
                           parsing=parsing, known_shares=shares, boxes=boxes)
        if classifier is not None else {}
    )  # fmt: skip
    sure = {k: float(shares[k][c]) for k, c in classes.items() if k in shares and c != 0 and c < len(shares[k])}
    out = []
    for k, c in classes.items():
        inst = ProposedInstance(k, c, confidence=sure.get(k))
        if k in preds:
            inst.categories = preds[k].categories
            inst.attributes = preds[k].attributes
        if colours and k in boxes:
            y0, x0, y1, x1 = boxes[k]
            inst.colours = dominant_colours(rgb[y0:y1, x0:x1], instance_map[y0:y1, x0:x1] == k)
        out.append(inst)
    return out


class InstanceProposer:
    """Propose instances from a photo or from masks.

    Parameters
    ----------
    classifier : InstanceClassifier or None
        Fine-category classifier (default: none, instances get no category).
    parsing_taxonomy : Taxonomy or str
        The parsing masks' taxonomy (default ``parsing7``).
    instance_taxonomy : InstanceTaxonomy, optional
    params : ProposalParams, optional
    """

    def __init__(
        self,
        classifier: InstanceClassifier | None = None,
        parsing_taxonomy: Taxonomy | str = "parsing7",
        instance_taxonomy: InstanceTaxonomy | None = None,
        params: ProposalParams | None = None,
    ) -> None:
        self.classifier = classifier
        self.parsing_taxonomy = (
            load_taxonomy(parsing_taxonomy) if isinstance(parsing_taxonomy, str) else parsing_taxonomy
        )
        self.instance_taxonomy = instance_taxonomy or load_instance_taxonomy()
        self.params = params or ProposalParams()

    def from_masks(
        self,
        rgb: np.ndarray,
        parsing: np.ndarray,
        garment: np.ndarray | None = None,
        colours: bool = True,
        probs: np.ndarray | None = None,
    ) -> InstanceProposals:
        """Instances of a parsing mask (and garment cutout), with categories and colours.

        ``probs``: the parsing model's ``(K, h, w) float32`` class probabilities for this photo
        (e.g. :attr:`Proposal.coarse_probs`), which the share classifier reads when present.
        """
        derived = propose_instances(parsing, self.parsing_taxonomy, self.instance_taxonomy, garment, self.params)
        classes = {k: c for k, c in enumerate(derived.classes, start=1)}
        return InstanceProposals(
            derived.map,
            describe_instances(rgb, parsing, self.parsing_taxonomy, derived.map, classes, self.classifier, colours, probs),
        )

    def from_photo(self, rgb: np.ndarray, parsing_predictor: Any, garment_predictor: Any | None = None, colours: bool = True) -> InstanceProposals:
        """Run the parsing (and garment) predictors on ``rgb``, then :meth:`from_masks`."""
        parsing_predictor.set_image(rgb)
        proposal = parsing_predictor.predict()
        garment = None
        if garment_predictor is not None:
            garment_predictor.set_image(rgb)
            garment = garment_predictor.predict().mask
        return self.from_masks(rgb, proposal.mask, garment, colours, proposal.coarse_probs)


def to_instance_set(
    proposals: InstanceProposals, parsing_task: str, taxonomy: str = "ccp", colour_group: str | None = "colour"
) -> InstanceSet:
    """Turn proposals into an editable :class:`InstanceSet`.

    The top category becomes both the category and the proposed one; predicted attributes
    and the dominant colour (as ``colour_group``, when given) become both the attributes and
    the proposed attributes.
    """
    instances = {}
    for p in proposals.instances:
        attrs = {g: v for g, (v, _) in p.attributes.items()}
        top = p.colours[0] if p.colours else None
        if top is not None and colour_group:
            attrs[colour_group] = top.name
        instances[p.id] = Instance(
            p.id,
            p.parsing_class,
            category=p.category,
            proposed_category=p.category,
            category_score=p.categories[0][1] if p.categories else None,
            attributes=dict(attrs),
            proposed_attributes=dict(attrs),
            colour=None if top is None else top.name,
            colour_rgb=None if top is None else top.rgb,
        )
    return InstanceSet(proposals.map, instances, parsing_task, taxonomy)
