"""Fine-category classifier and attribute heads on the instance crop and mask.

A small plain-torch CNN (``InstanceNet``) reads the 4-channel crop of
:mod:`fashion_annotator.instances.features`, the instance's geometry and a one-hot of its
parsing class, and scores every category of the instance taxonomy; at prediction time only
the categories whose parent is the instance's parsing class compete. ``AttributeHeads`` are
linear heads, one per attribute group, on the classifier's (frozen) embedding; they are
trained from a project's own annotated instances. When the parsing model's class probabilities
are at hand and a share classifier (:mod:`.shares`) reads that parsing taxonomy, it names the
categories instead of the crop network (CCP val top-1 / top-3 0.552 / 0.795 -> see the README).

Files: ``safetensors`` weights plus a JSON meta (``models/weights.py``); never unpickled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.instances.derive import Box, instance_boxes
from fashion_annotator.instances.features import (
    MEAN,
    N_GEOMETRY,
    N_TEXTURE,
    STD,
    crop_all,
    normalise,
    texture_features,
)
from fashion_annotator.instances.schema import (
    DEFAULT_ATTRIBUTE_SCHEMA,
    AttributeSchema,
    InstanceTaxonomy,
    load_attribute_schema,
    load_instance_taxonomy,
)
from fashion_annotator.instances.shares import ShareClassifier, shipped_shares
from fashion_annotator.models.weights import ModelFileError, meta_json, read_meta, save_model
from fashion_annotator.resources import resource_path

CATEGORY_TASK = "instance_categories"
ATTRIBUTE_TASK = "instance_attributes"
#: ``InstanceClassifier.load(shares_path=SHIPPED)``: the shipped share classifiers that are present.
SHIPPED = "shipped"
#: The widest crop classifier a meta may ask for (first-stage channels; shipped: 32).
MAX_WIDTH = 256


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class InstanceNet(nn.Module):
    """Crop + mask CNN.

    Parameters
    ----------
    n_categories : int
    n_parents : int
        Size of the parsing-class one-hot.
    width : int
        Channels of the first stage (doubling per stage, four stages).
    """

    def __init__(self, n_categories: int, n_parents: int, width: int = 32) -> None:
        super().__init__()
        w = width
        self.features = nn.Sequential(
            _block(4, w, 2), _block(w, w, 1),
            _block(w, 2 * w, 2), _block(2 * w, 2 * w, 1),
            _block(2 * w, 4 * w, 2), _block(4 * w, 4 * w, 1),
            _block(4 * w, 8 * w, 2),
        )
        self.embed_dim = 8 * w + N_GEOMETRY + n_parents
        self.head = nn.Sequential(
            nn.Linear(self.embed_dim, 4 * w), nn.ReLU(inplace=True), nn.Dropout(0.2),
            nn.Linear(4 * w, n_categories),
        )

    def embed(self, crops: torch.Tensor, geometry: torch.Tensor, parents: torch.Tensor) -> torch.Tensor:
        """``(N, embed_dim)`` embedding of ``(N, 4, S, S)`` crops, ``(N, 6)`` geometry, ``(N, P)`` one-hot."""
        pooled = self.features(crops).mean(dim=(2, 3))
        return torch.cat([pooled, geometry, parents], dim=1)

    def forward(self, crops: torch.Tensor, geometry: torch.Tensor, parents: torch.Tensor) -> torch.Tensor:
        """Category logits ``(N, n_categories)``."""
        return self.head(self.embed(crops, geometry, parents))


class AttributeHeads(nn.Module):
    """One linear layer per attribute group on the classifier embedding."""

    def __init__(self, embed_dim: int, group_sizes: Mapping[str, int]) -> None:
        super().__init__()
        self.heads = nn.ModuleDict({g: nn.Linear(embed_dim, n) for g, n in group_sizes.items()})

    def forward(self, embedding: torch.Tensor) -> dict[str, torch.Tensor]:
        """``{group: (N, n_values) logits}``."""
        return {g: head(embedding) for g, head in self.heads.items()}


@dataclass
class InstancePrediction:
    """Predictions for one instance.

    Attributes
    ----------
    categories : list of (str, float)
        Allowed categories, most probable first, with probabilities.
    attributes : dict
        ``{group: (value, probability)}`` from trained attribute heads (empty when none).
    """

    categories: list[tuple[str, float]]
    attributes: dict[str, tuple[str, float]]

    @property
    def category(self) -> str | None:
        """The top category, or None."""
        return self.categories[0][0] if self.categories else None


def default_classifier_path() -> Path:
    """The shipped fine-category classifier."""
    return resource_path("models", f"{CATEGORY_TASK}.safetensors")


def _load_state(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise ModelFileError(path, "weights file not found")
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(path, f"corrupt safetensors file ({exc})") from None


def _fill(module: nn.Module, state: dict[str, torch.Tensor], path: Path) -> None:
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelFileError(path, f"weights do not match the architecture: {str(exc).splitlines()[:2]}") from None
    module.eval()


class InstanceClassifier:
    """Category (and optionally attribute) predictions for the instances of one photo.

    Parameters
    ----------
    net : InstanceNet
    meta : dict
        The model's meta: ``classes`` (category names), ``input_size``, ``parent_task``,
        ``parent_classes``, ``instance_taxonomy``.
    attributes : (AttributeHeads, dict) or None
        Trained attribute heads and their meta (``groups``: ``{group: [values]}``).
    shares : {parsing task: ShareClassifier}, optional
        The share classifier that names the categories when :meth:`predict` gets that parsing
        task's probabilities.

    Raises
    ------
    ModelFileError
        A share classifier lists other categories than ``meta["classes"]``, or reads another
        parsing task than its key.
    """

    def __init__(
        self,
        net: InstanceNet,
        meta: dict[str, Any],
        attributes: tuple[AttributeHeads, dict] | None = None,
        shares: Mapping[str, ShareClassifier] | None = None,
    ) -> None:
        self.net = net.eval()
        self.meta = meta
        self.size = int(meta["input_size"][0])
        self.categories: list[str] = list(meta["classes"])
        self.parent_task: str = meta["parent_task"]
        self.parent_classes: list[str] = list(meta["parent_classes"])
        self.taxonomy: InstanceTaxonomy = load_instance_taxonomy(meta.get("instance_taxonomy", "ccp"))
        self.attribute_heads = attributes
        self.shares: dict[str, ShareClassifier] = dict(shares or {})
        for task, head in self.shares.items():
            if head.categories != self.categories:
                raise ModelFileError(head.path, "lists other categories than the crop classifier")
            if head.parsing_task != task:
                raise ModelFileError(head.path, f"reads {head.parsing_task} probabilities, not {task}")

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        attributes_path: str | Path | None = None,
        shares_path: str | Path | None = SHIPPED,
    ) -> InstanceClassifier:
        """Load a classifier file (default: the shipped one), optional attribute heads and share
        classifiers (default :data:`SHIPPED`: every shipped one; a file: that one; None: none)."""
        path = Path(path) if path is not None else default_classifier_path()
        meta = read_meta(path)
        width = _check_classifier_meta(meta, path)
        net = InstanceNet(len(meta["classes"]), len(meta["parent_classes"]), width)
        _fill(net, _load_state(path), path)
        heads = None
        if attributes_path is not None:
            heads = load_attribute_heads(attributes_path, net.embed_dim + N_TEXTURE)
        shares: dict[str, ShareClassifier] = {}
        if shares_path == SHIPPED:
            shares = shipped_shares()
        elif shares_path is not None:
            head = ShareClassifier.load(shares_path)
            shares = {head.parsing_task: head}
        return cls(net, meta, heads, shares)

    def share_head(self, parsing_task: str | None, probs: np.ndarray | None) -> ShareClassifier | None:
        """The share classifier that reads ``probs`` ``(K, h, w)`` of ``parsing_task``, or None."""
        head = self.shares.get(parsing_task or self.parent_task)
        if head is None or probs is None or probs.ndim != 3 or not head.reads(parsing_task or self.parent_task, probs.shape[0]):
            return None
        return head

    def own_parent(self, parent: str, task: str | None = None) -> str:
        """The class of :attr:`parent_task` that a class ``parent`` of parsing ``task`` stands for.

        A class of another parsing taxonomy (e.g. parsing18's "outer" for a parsing7 classifier)
        maps to the parent most of its categories have in :attr:`parent_task` ("top"); the name
        is returned as it is when ``task`` is None or the classifier's own task.
        """
        if task is None or task == self.parent_task:
            return parent
        votes: dict[str, int] = {}
        for c in self.taxonomy.children(task, parent):
            own = c.parent(self.parent_task)
            votes[own] = votes.get(own, 0) + 1
        return max(votes, key=lambda k: (votes[k], k)) if votes else parent

    def parent_onehot(self, parents: Sequence[str], task: str | None = None) -> np.ndarray:
        """``(N, P) float32`` one-hot of parsing class names of ``task`` (unknown names: all zero)."""
        out = np.zeros((len(parents), len(self.parent_classes)), np.float32)
        for i, p in enumerate(parents):
            own = self.own_parent(p, task)
            if own in self.parent_classes:
                out[i, self.parent_classes.index(own)] = 1.0
        return out

    def allowed(self, parent: str, task: str | None = None) -> np.ndarray:
        """``(C,) bool``: categories whose parent in :attr:`parent_task` is ``parent`` (all if none).

        A class of a finer parsing ``task`` counts as its :meth:`own_parent`: parsing18's "skirt"
        lets every "bottom" category compete, so a skirt the fine parsing called pants can still
        be named a skirt (narrowing to the fine class's own children lowered CCP val category
        top-1 / top-3 from 0.552 / 0.795 to 0.535 / 0.771).
        """
        names = {c.name for c in self.taxonomy.children(self.parent_task, self.own_parent(parent, task))}
        mask = np.array([n in names for n in self.categories])
        return mask if mask.any() else np.ones(len(self.categories), bool)

    @torch.no_grad()
    def embed(
        self,
        rgb: np.ndarray,
        instance_map: np.ndarray,
        parents: Mapping[int, str],
        with_texture: bool = False,
        parent_task: str | None = None,
        boxes: Mapping[int, Box] | None = None,
    ) -> tuple[list[int], torch.Tensor, torch.Tensor]:
        """Ids, embeddings ``(N, D)`` and category logits ``(N, C)`` of the instances in ``parents``.

        With ``with_texture`` the embedding also carries the :func:`texture_features`
        (``D = net.embed_dim + N_TEXTURE``): what attribute heads read. ``parent_task``: the
        parsing taxonomy of the ``parents`` names (default :attr:`parent_task`). ``boxes``: the
        map's :func:`~fashion_annotator.instances.derive.instance_boxes`, when at hand.
        """
        boxes = instance_boxes(instance_map) if boxes is None else boxes
        ids = [k for k in parents if k in boxes]
        crops, geoms = crop_all(rgb, instance_map, ids, boxes, self.size)
        onehot = self.parent_onehot([parents[k] for k in ids], parent_task)
        emb = self.net.embed(torch.from_numpy(normalise(crops)), torch.from_numpy(geoms), torch.from_numpy(onehot))
        logits = self.net.head(emb)
        if with_texture:
            emb = torch.cat([emb, torch.from_numpy(texture_features(crops))], dim=1)
        return ids, emb, logits

    @torch.no_grad()
    def predict(
        self,
        rgb: np.ndarray,
        instance_map: np.ndarray,
        parents: Mapping[int, str],
        top_k: int = 5,
        parent_task: str | None = None,
        probs: np.ndarray | None = None,
        parsing: np.ndarray | None = None,
        known_shares: Mapping[int, np.ndarray] | None = None,
        boxes: Mapping[int, Box] | None = None,
    ) -> dict[int, InstancePrediction]:
        """Predict every instance.

        Parameters
        ----------
        rgb : (H, W, 3) uint8
        instance_map : (H, W) uint8
        parents : {instance id: parsing class name in ``parent_task``}
        top_k : int
            How many categories each prediction lists.
        parent_task : str, optional
            The parsing taxonomy the ``parents`` names belong to (default: the classifier's own;
            see :meth:`own_parent` and :meth:`allowed`).
        probs : (K, h, w) float32, optional
            The parsing model's class probabilities for ``parent_task`` (any resolution covering
            the photo, e.g. :attr:`Proposal.coarse_probs`). With ``parsing`` and a
            :meth:`share_head` that reads them, that head names the categories and every
            category competes; otherwise the crop network does, among :meth:`allowed`.
        parsing : (H, W) integer, optional
            The parsing mask the instances come from.
        known_shares : {instance id: (K,) float32}, optional
            Their :func:`~fashion_annotator.instances.features.class_shares` of ``probs``, when
            the caller has them already (the share head then does not compute them again).
        boxes : {instance id: (y0, x0, y1, x1)}, optional
            The map's :func:`~fashion_annotator.instances.derive.instance_boxes`, when the
            caller has them already.
        """
        if boxes is None:
            boxes = instance_boxes(instance_map)
        head = self.share_head(parent_task, probs) if parsing is not None else None
        emb = None
        if head is not None and probs is not None and parsing is not None:
            # The crop network only runs when attribute heads need its embedding.
            ids = [k for k in parents if k in boxes]
            if self.attribute_heads is not None:
                ids, emb, _ = self.embed(rgb, instance_map, parents, with_texture=True, parent_task=parent_task,
                                         boxes=boxes)  # fmt: skip
            if not ids:
                return {}
            known = known_shares or {}
            given = np.stack([known[k] for k in ids]) if all(k in known for k in ids) else None
            cat_logits = head.logits(rgb, probs, parsing, instance_map, ids, boxes, given)
        else:
            ids, emb, logits = self.embed(
                rgb, instance_map, parents, with_texture=self.attribute_heads is not None, parent_task=parent_task,
                boxes=boxes,
            )
            if not ids:
                return {}
            cat_logits = logits.numpy()
        free = head is not None
        attr_probs: dict[str, np.ndarray] = {}
        group_values: dict[str, list[str]] = {}
        if self.attribute_heads is not None and emb is not None:
            heads, ameta = self.attribute_heads
            group_values = ameta["groups"]
            for g, lg in heads(emb).items():
                attr_probs[g] = torch.softmax(lg, dim=1).numpy()
        out = {}
        everything = np.ones(len(self.categories), bool)
        for i, k in enumerate(ids):
            allowed = everything if free else self.allowed(parents[k], parent_task)
            z = np.where(allowed, cat_logits[i], -np.inf)
            p = np.exp(z - z.max())
            p /= p.sum()
            order = np.argsort(-p)[: min(top_k, int(allowed.sum()))]
            attrs = {}
            for g, group_probs in attr_probs.items():
                values = group_values[g]
                j = int(np.argmax(group_probs[i]))
                attrs[g] = (values[j], float(group_probs[i, j]))
            out[k] = InstancePrediction([(self.categories[j], float(p[j])) for j in order], attrs)
        return out


def save_attribute_heads(path: Path, heads: AttributeHeads, schema: AttributeSchema, meta: dict[str, Any]) -> None:
    """Write attribute heads with a meta whose ``groups`` lists each head's values."""
    groups = {g: list(schema.group(g).values) for g in heads.heads}
    full = {
        "task": ATTRIBUTE_TASK,
        "classes": [f"{g}:{v}" for g, vs in groups.items() for v in vs],
        "architecture": "attribute_heads",
        "arch": {"embed_dim": next(iter(heads.heads.values())).in_features},
        "input_size": meta["input_size"],
        "mean": list(MEAN),
        "std": list(STD),
        "groups": groups,
        "attribute_schema": schema.name,
        **{k: v for k, v in meta.items() if k not in ("groups",)},
    }
    save_model(path, heads, full)


def _names(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _check_classifier_meta(meta: dict[str, Any], path: Path) -> int:
    """Check a crop classifier's meta before anything is allocated; return its width.

    Raises
    ------
    ModelFileError
        Naming ``path``: missing or garbled ``classes``, ``parent_task``, ``parent_classes``,
        ``input_size`` or ``arch.width`` (1..:data:`MAX_WIDTH`), or categories the instance
        taxonomy lacks.
    """
    if not _names(meta.get("classes")) or not _names(meta.get("parent_classes")):
        raise ModelFileError(path, "meta needs 'classes' and 'parent_classes': non-empty lists of names")
    if not isinstance(meta.get("parent_task"), str):
        raise ModelFileError(path, "meta needs 'parent_task', the parsing task of the parent classes")
    size = meta.get("input_size")
    if not (isinstance(size, list) and size and isinstance(size[0], int) and 8 <= size[0] <= 1024):
        raise ModelFileError(path, f"meta 'input_size' must start with a crop size in 8..1024, got {size!r:.60}")
    arch = meta.get("arch")
    width = arch.get("width") if isinstance(arch, dict) else None
    if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= MAX_WIDTH:
        raise ModelFileError(path, f"meta 'arch.width' must be an integer in 1..{MAX_WIDTH}, got {width!r:.40}")
    try:
        taxonomy = load_instance_taxonomy(meta.get("instance_taxonomy", "ccp"))
    except (OSError, ValueError) as exc:
        raise ModelFileError(path, f"instance taxonomy: {exc}") from None
    unknown = sorted(set(meta["classes"]) - set(taxonomy.names))
    if unknown:
        raise ModelFileError(path, f"categories {unknown[:5]} are not in the instance taxonomy {taxonomy.name!r}")
    return width


def load_attribute_heads(path: str | Path, embed_dim: int) -> tuple[AttributeHeads, dict]:
    """Load attribute heads written by :func:`save_attribute_heads`; check the embedding size
    and that every group and value is in the attribute schema."""
    path = Path(path)
    meta = read_meta(path)
    groups = meta.get("groups")
    if not isinstance(groups, dict) or not groups or not all(_names(v) for v in groups.values()):
        raise ModelFileError(path, "meta lacks 'groups' {group: [values]}")
    schema = load_attribute_schema(str(meta.get("attribute_schema", DEFAULT_ATTRIBUTE_SCHEMA)))
    for group, values in groups.items():
        try:
            for v in values:
                schema.validate({group: v})
        except (KeyError, ValueError) as exc:
            raise ModelFileError(path, f"group {group!r}: {exc}") from None
    arch = meta.get("arch")
    if not isinstance(arch, dict) or arch.get("embed_dim") != embed_dim:
        got = arch.get("embed_dim") if isinstance(arch, dict) else None
        raise ModelFileError(path, f"heads expect embedding size {got!r:.40}, classifier gives {embed_dim}")
    heads = AttributeHeads(embed_dim, {g: len(v) for g, v in groups.items()})
    _fill(heads, _load_state(path), path)
    return heads, meta


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    """Rewrite the JSON meta beside ``path`` (e.g. to add measured metrics)."""
    atomic_write_text(Path(path).with_suffix(".json"), meta_json(meta))
