"""Score instance proposals against CCP-style ground truth.

Ground-truth instances are the 8-connected components of each fine garment or accessory
label covering at least 0.05% of the photo
(:func:`~fashion_annotator.instances.derive.ground_truth_instances`). A ground-truth instance
is *recalled* when a predicted instance overlaps it at IoU >= 0.5 (instances of one image are
disjoint, so at most one can). Category accuracy (top-1, top-3) is over recalled instances.
AP50 is mask AP at IoU 0.5 per category (each predicted instance is a detection for each of
its top-3 categories, scored by
:meth:`~fashion_annotator.instances.proposer.ProposedInstance.scored_categories`: the
category's probability times the parsing model's confidence in the instance's pixels; COCO
101-point interpolation),
averaged over the categories that have ground-truth instances.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.core.images import load_image
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.samples import scored_split
from fashion_annotator.evaluation.datasets import list_samples
from fashion_annotator.instances.derive import ground_truth_instances
from fashion_annotator.instances.proposer import InstanceProposals
from fashion_annotator.instances.schema import InstanceTaxonomy

IOU_THRESHOLD = 0.5
AP_TOP_K = 3

#: ``propose(rgb, labels) -> InstanceProposals``: ``labels`` is the dataset's ``(H, W) uint8``
#: label mask, for upper-bound proposers only (``evaluate --ground-truth-parsing``); a model's
#: proposer ignores it.
ProposeFn = Callable[[np.ndarray, np.ndarray], InstanceProposals]


def iou_matrix(gt_map: np.ndarray, pred_map: np.ndarray, n_gt: int, n_pred: int) -> np.ndarray:
    """``(n_gt, n_pred) float64`` mask IoU between the instances of two instance maps."""
    joint = np.bincount(gt_map.astype(np.int64).ravel() * 256 + pred_map.ravel(), minlength=256 * 256)
    joint = joint.reshape(256, 256)[: n_gt + 1, : n_pred + 1].astype(np.float64)
    area_gt, area_pred = joint.sum(1), joint.sum(0)
    inter = joint[1:, 1:]
    union = area_gt[1:, None] + area_pred[None, 1:] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def average_precision(scores: Sequence[float], hits: Sequence[bool], n_gt: int) -> float:
    """COCO-style 101-point interpolated AP of detections (``hits``: true positive or not)."""
    if n_gt == 0:
        return float("nan")
    if not scores:
        return 0.0
    order = np.argsort(-np.asarray(scores), kind="stable")
    tp = np.asarray(hits, np.float64)[order]
    ctp, cfp = np.cumsum(tp), np.cumsum(1 - tp)
    recall = ctp / n_gt
    precision = ctp / np.maximum(ctp + cfp, 1e-12)
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    points = np.linspace(0, 1, 101)
    idx = np.searchsorted(recall, points, side="left")
    return float(np.mean([precision[i] if i < precision.size else 0.0 for i in idx]))


@dataclass
class InstanceScores:
    """Accumulates matches over photos; :meth:`summary` gives the figures."""

    categories: list[str]
    n_gt: int = 0
    n_pred: int = 0
    recalled: int = 0
    top1: int = 0
    top3: int = 0
    per_cat: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    detections: dict[str, list[tuple[float, bool]]] = field(default_factory=lambda: defaultdict(list))

    def update(self, gt_map: np.ndarray, gt_cats: list[str], proposals: InstanceProposals) -> None:
        """Add one photo: ground-truth map and categories, and the proposals."""
        preds = proposals.instances
        iou = iou_matrix(gt_map, proposals.map, len(gt_cats), len(preds))
        self.n_gt += len(gt_cats)
        self.n_pred += len(preds)
        match_of_pred: dict[int, int] = {}
        for g, cat in enumerate(gt_cats):
            row = self.per_cat[cat]
            row["n_gt"] += 1
            j = int(iou[g].argmax()) if len(preds) else -1
            if j < 0 or iou[g, j] < IOU_THRESHOLD:
                continue
            match_of_pred[j] = g
            self.recalled += 1
            row["recalled"] += 1
            names = [c for c, _ in preds[j].categories]
            if names[:1] == [cat]:
                self.top1 += 1
                row["top1"] += 1
            if cat in names[:3]:
                self.top3 += 1
                row["top3"] += 1
        for j, inst in enumerate(preds):
            if inst.categories:
                self.per_cat[inst.categories[0][0]]["n_pred"] += 1
            for name, p in inst.scored_categories()[:AP_TOP_K]:
                matched = match_of_pred.get(j)
                self.detections[name].append((p, matched is not None and gt_cats[matched] == name))

    def summary(self) -> dict[str, Any]:
        """``n_instances``, ``instance_recall50``, ``ap50``, ``category_top1/3``, ``per_category``."""
        table: list[dict[str, Any]] = []
        aps: list[float] = []
        for name in self.categories:
            row = self.per_cat.get(name)
            if not row:
                continue
            dets = self.detections.get(name, [])
            ap = average_precision([d[0] for d in dets], [d[1] for d in dets], row["n_gt"])
            if row["n_gt"]:
                aps.append(ap)
            rec = row["recalled"]
            table.append({
                "category": name,
                "n_gt": row["n_gt"],
                "n_pred": row["n_pred"],
                "recall50": _ratio(rec, row["n_gt"]),
                "top1": _ratio(row["top1"], rec),
                "top3": _ratio(row["top3"], rec),
                "ap50": None if np.isnan(ap) else round(ap, 4),
            })
        table.sort(key=lambda r: -r["n_gt"])
        return {
            "n_instances": self.n_gt,
            "n_predicted": self.n_pred,
            "instance_recall50": _ratio(self.recalled, self.n_gt),
            "ap50": round(float(np.mean(aps)), 4) if aps else None,
            "category_top1": _ratio(self.top1, self.recalled),
            "category_top3": _ratio(self.top3, self.recalled),
            "per_category": table,
        }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def ccp_category_names(data_dir: Path, taxonomy: InstanceTaxonomy) -> dict[int, str]:
    """Dataset label id -> category name for the ids whose ``labels.json`` name is a category."""
    path = Path(data_dir) / "labels.json"
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: missing; it names the dataset's label ids") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    known = set(taxonomy.names)
    return {int(i): str(n) for i, n in names.items() if n in known}


def evaluate_instances(
    propose: ProposeFn,
    data_dir: Path | str,
    taxonomy: InstanceTaxonomy,
    *,
    split: str = "val",
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Propose instances for every photo of a split and score them (see the module docstring).

    Returns
    -------
    dict
        :meth:`InstanceScores.summary` plus ``split``, ``n_images``, ``seconds_per_image``
        (median of proposal time, decoding and scoring excluded).
    """
    data_dir = Path(data_dir)
    names = ccp_category_names(data_dir, taxonomy)
    if not names:
        raise ValueError(f"{data_dir / 'labels.json'}: no label is a category of {taxonomy.name!r}")
    samples = list_samples(data_dir, split)[:limit]
    if not samples:
        raise ValueError(f"{data_dir}: split {split!r} has no photos")
    scores = InstanceScores(taxonomy.names)
    seconds = []
    for i, s in enumerate(samples):
        rgb = load_image(s.image).rgb
        labels = load_mask(s.mask, shape=rgb.shape[:2])
        gt = ground_truth_instances(labels, sorted(names))
        t0 = time.perf_counter()
        proposals = propose(rgb, labels)
        seconds.append(time.perf_counter() - t0)
        scores.update(gt.map, [names[c] for c in gt.classes], proposals)
        if progress is not None:
            progress(i + 1, len(samples))
    return {
        "task": "instances",
        "split": scored_split(data_dir, split),
        "n_images": len(samples),
        **scores.summary(),
        "seconds_per_image": round(float(np.median(seconds)), 4),
    }
