"""Validation at the photos' full resolution: logits are enlarged smoothly, then decided.

The network sees area-shrunk photos; its logits are bilinearly enlarged to each photo's own
size before the argmax (or threshold), so figures are comparable with full-resolution
evaluation of the shipped predictor.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fashion_annotator.core.metrics import per_class_iou
from fashion_annotator.models.preprocess import normalise
from training.data import CachedSplit, Sample
from training.heads import Head

#: Thresholds swept for binary heads (probability of the foreground).
THRESHOLDS = tuple(np.round(np.arange(0.3, 0.81, 0.05), 2).tolist())


def normalise_batch(images: np.ndarray, mean: list[float], std: list[float]) -> torch.Tensor:
    """``(N, H, W, 3) uint8`` -> ``(N, 3, H, W) float32`` with per-channel mean/std (0..1 scale)."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255
    return normalise(x, mean, std, channel_axis=1)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    split: CachedSplit,
    heads: list[Head],
    mean: list[float],
    std: list[float],
    thresholds: dict[str, float] | None = None,
    device: str | torch.device = "cpu",
    upsample: str = "bilinear",
) -> dict[str, dict]:
    """Evaluate every head on ``split`` (which must hold full-resolution masks).

    ``upsample`` is how logits are enlarged to the photo's size: ``"bilinear"`` (smooth, the
    default) or ``"nearest"`` (kept for the ablation).

    Returns
    -------
    dict
        task -> figures. Parsing heads: ``miou``, ``pixel_accuracy``, ``per_class_iou``.
        Binary heads: ``miou`` (background and foreground), ``median_dice``, ``mean_dice``,
        ``pixel_accuracy`` at ``thresholds[task]`` (default 0.5), plus ``best_threshold``: the
        swept threshold that maximises the head's primary metric.
    """
    if len(split.full_masks) != len(split):
        raise ValueError("evaluation needs the full-resolution masks (load_split keep_full=True)")
    thresholds = thresholds or {}
    was_training = model.training
    model.eval()
    conf = {h.task: np.zeros((h.channels, h.channels), np.int64) for h in heads if not h.binary}
    # per binary head: (n_images, n_thresholds, 4) counts tp, fp, fn, tn
    counts: dict[str, list[np.ndarray]] = {h.task: [] for h in heads if h.binary}
    cuts = torch.logit(torch.tensor(THRESHOLDS, dtype=torch.float32)).view(-1, 1, 1)
    for i in range(len(split)):
        x = normalise_batch(split.images[i : i + 1], mean, std).to(device)
        full = split.full_masks[i]
        logits = model(x)
        if split.content is not None:  # letterboxed: only the photo's part of the canvas
            logits = logits[:, :, : int(split.content[i][0]), : int(split.content[i][1])]
        if upsample == "bilinear":
            logits = F.interpolate(logits, size=full.shape, mode="bilinear", align_corners=False)
        else:
            logits = F.interpolate(logits, size=full.shape, mode="nearest")
        logits = logits[0].float().cpu()
        for h in heads:
            gt = h.lut[full]
            if h.binary:
                g = torch.from_numpy(gt > 0)
                pred = logits[h.offset] > cuts
                tp = (pred & g).sum((1, 2))
                fp = (pred & ~g).sum((1, 2))
                fn = (~pred & g).sum((1, 2))
                tn = g.numel() - tp - fp - fn
                counts[h.task].append(torch.stack([tp, fp, fn, tn], 1).numpy())
            else:
                labels = logits[h.offset : h.stop].argmax(0).numpy()
                k = h.channels
                conf[h.task] += np.bincount(
                    gt.ravel().astype(np.int64) * k + labels.ravel(), minlength=k * k
                ).reshape(k, k)
    model.train(was_training)
    out: dict[str, dict] = {}
    for h in heads:
        if not h.binary:
            c = conf[h.task]
            iou = per_class_iou(c)
            out[h.task] = {
                "miou": float(np.nanmean(iou)),
                "pixel_accuracy": float(np.trace(c) / max(c.sum(), 1)),
                "per_class_iou": {n: float(v) for n, v in zip(h.classes, iou, strict=True)},
            }
            continue
        per_t = _binary_figures(np.stack(counts[h.task]))
        best = int(np.argmax(per_t[h.primary_metric]))
        t = thresholds.get(h.task, 0.5)
        j = int(np.argmin(np.abs(np.asarray(THRESHOLDS) - t)))
        out[h.task] = {k: float(v[j]) for k, v in per_t.items()}
        per_image = _per_image_dice(np.stack(counts[h.task])[:, j])
        q25, q75 = np.quantile(per_image, [0.25, 0.75])
        out[h.task].update(dice_q25=float(q25), dice_q75=float(q75))
        out[h.task]["per_image_dice"] = per_image.round(5).tolist()
        out[h.task]["threshold"] = float(THRESHOLDS[j])
        out[h.task]["best_threshold"] = float(THRESHOLDS[best])
        out[h.task][f"best_{h.primary_metric}"] = float(per_t[h.primary_metric][best])
    return out


def evaluate_predictor(
    path: Path, samples: Sequence[Sample], head: Head, device: str = "cpu",
    meta_changes: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Figures of a binary model file as its predictor proposes: full photos, with its crop pass,
    flip averaging and inference long side.

    The comparison of a model that proposes beyond one plain pass (``crop_pass``,
    ``flip_average`` or ``infer_long_side`` in its metadata) against another: :func:`evaluate`
    sees the photos as the training-resolution network input only.

    Parameters
    ----------
    path : Path
        A binary model file.
    samples : sequence of Sample
        Photos and masks of source ids; ``head.lut`` maps them to the task's classes.
    head : Head
        The binary head (its ``lut``).
    device : str
    meta_changes : dict, optional
        Metadata keys to set (None values remove the key) before the predictor is built, e.g.
        ``{"crop_long_side": None}`` to score the crop pass at the first pass's resolution.

    Returns
    -------
    dict
        ``miou``, ``iou``, ``median_dice``, ``mean_dice``, ``pixel_accuracy``, ``dice_q25``,
        ``dice_q75``, ``per_image_dice`` (in ``samples`` order), ``threshold`` (the model's),
        ``crop_pass``, ``flip_average``, ``long_side``, ``crop_long_side`` (how the predictor
        proposed).
    """
    from types import SimpleNamespace

    from fashion_annotator.core.samples import read_sample
    from fashion_annotator.models.weights import load_model
    from fashion_annotator.segmentation.proposals import Predictor, load_predictor

    if not head.binary:
        raise ValueError(f"{head.task}: evaluate_predictor scores binary models only")
    if meta_changes:
        loaded = load_model(Path(path))
        meta = {k: v for k, v in {**loaded.meta, **meta_changes}.items() if v is not None}
        predictor = Predictor(SimpleNamespace(module=loaded.module, meta=meta), device=device,
                              path=Path(path))  # fmt: skip
    else:
        predictor = load_predictor(Path(path), device=device)
    counts = []
    for sample in samples:
        rgb, labels = read_sample(sample)
        g = head.lut[labels] > 0
        predictor.set_image(rgb)
        pred = predictor.predict().mask == 1
        tp, fp, fn = int((pred & g).sum()), int((pred & ~g).sum()), int((~pred & g).sum())
        counts.append([tp, fp, fn, g.size - tp - fp - fn])
    c = np.asarray(counts, np.int64).reshape(-1, 1, 4)
    figures = {k: float(v[0]) for k, v in _binary_figures(c).items()}
    per_image = _per_image_dice(c[:, 0])
    q25, q75 = np.quantile(per_image, [0.25, 0.75]) if len(per_image) else (np.nan, np.nan)
    figures.update(dice_q25=float(q25), dice_q75=float(q75), per_image_dice=per_image.round(5).tolist(),
                   threshold=float(predictor.threshold), crop_pass=bool(predictor.crop_pass),
                   flip_average=predictor.flip_average, long_side=predictor.spec.long_side,
                   crop_long_side=predictor.crop_spec.long_side)  # fmt: skip
    return figures


def background_figures(samples: Sequence[Sample], head: Head) -> dict[str, Any]:
    """Figures of the trivial prediction "background everywhere" on ``samples``.

    What a task's first model must beat to be promoted when there is no current model to
    compare with (:func:`training.finetune.promotes`). Scored by the code that scores models
    (:func:`evaluate`, :func:`evaluate_predictor`) on the photos' full-resolution label masks.

    Parameters
    ----------
    samples : sequence of Sample
        Photos and masks of source ids; ``head.lut`` maps them to the task's classes.
    head : Head
        The task's head (its ``lut``, classes and whether it is binary).

    Returns
    -------
    dict
        Binary heads: ``miou``, ``iou``, ``median_dice``, ``mean_dice``, ``pixel_accuracy``,
        ``per_image_dice``. Parsing heads: ``miou``, ``pixel_accuracy``, ``per_class_iou``.
        Every figure is over ``len(samples)`` photos (``images``).
    """
    from fashion_annotator.core.samples import read_sample

    labels = [head.lut[read_sample(sample)[1]] for sample in samples]
    if head.binary:
        fg = [int((gt > 0).sum()) for gt in labels]
        c = np.asarray([[0, 0, n, gt.size - n] for n, gt in zip(fg, labels, strict=True)], np.int64)
        figures: dict[str, Any] = {k: float(v[0]) for k, v in _binary_figures(c.reshape(-1, 1, 4)).items()}
        figures["per_image_dice"] = _per_image_dice(c).round(5).tolist()
    else:
        k = head.channels
        conf = np.zeros((k, k), np.int64)
        for gt in labels:  # every pixel predicted class 0
            conf[:, 0] += np.bincount(gt.ravel().astype(np.int64), minlength=k)[:k]
        iou = per_class_iou(conf)
        figures = {
            "miou": float(np.nanmean(iou)),
            "pixel_accuracy": float(np.trace(conf) / max(conf.sum(), 1)),
            "per_class_iou": {n: float(v) for n, v in zip(head.classes, iou, strict=True)},
        }
    return {**figures, "images": len(samples)}


def score_refinements(
    path: Path, samples: Sequence[Sample], head: Head, chains: Sequence[Sequence[str]],
    device: str = "cpu",
) -> dict[str, float]:  # fmt: skip
    """Median Dice of a binary model's proposals on ``samples`` after each refinement chain.

    The network runs once per photo (as it proposes: crop pass, flips), the photo's superpixels
    are computed once, then each chain refines the same raw mask (what the window would show).

    Parameters
    ----------
    path : Path
        A binary model file.
    samples : sequence of Sample
    head : Head
        The binary head (its ``lut``).
    chains : sequence of sequences of str
        Refinement names (:data:`~fashion_annotator.segmentation.refine.REFINEMENTS`).

    Returns
    -------
    dict
        ``"+".join(chain)`` (``"raw"`` for the empty chain) -> median Dice over the photos.
    """
    from fashion_annotator.core.metrics import dice
    from fashion_annotator.core.samples import read_sample
    from fashion_annotator.segmentation import superpixels as sp
    from fashion_annotator.segmentation.pipeline import NEEDS_REGIONS, refine_proposal
    from fashion_annotator.segmentation.proposals import load_predictor

    if not head.binary:
        raise ValueError(f"{head.task}: score_refinements scores binary models only")
    predictor = load_predictor(Path(path), device=device)
    names = {tuple(c): "+".join(c) or "raw" for c in chains}
    scores: dict[str, list[float]] = {name: [] for name in names.values()}
    need_regions = any(NEEDS_REGIONS & set(c) for c in names)
    for sample in samples:
        rgb, labels = read_sample(sample)
        g = head.lut[labels] > 0
        predictor.set_image(rgb)
        proposal = predictor.predict()
        regions = sp.compute_superpixels(rgb).levels[sp.DEFAULT_LEVEL] if need_regions else None
        for chain, name in names.items():
            mask = refine_proposal(proposal, rgb, regions, chain).mask
            scores[name].append(dice(mask == 1, g))
    return {name: float(np.median(v)) if v else float("nan") for name, v in scores.items()}


def _per_image_dice(c: np.ndarray) -> np.ndarray:
    """Dice of each image from ``(n_images, ..., 4)`` tp/fp/fn/tn counts (1.0 when both empty)."""
    tp, fp, fn = (c[..., k].astype(np.float64) for k in range(3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 1.0)


def _binary_figures(c: np.ndarray) -> dict[str, np.ndarray]:
    """Figures per threshold from ``(n_images, n_thresholds, 4)`` tp/fp/fn/tn counts."""
    dice = _per_image_dice(c)
    s = c.sum(0).astype(np.float64)
    fg_iou = s[:, 0] / np.maximum(s[:, 0] + s[:, 1] + s[:, 2], 1)
    bg_iou = s[:, 3] / np.maximum(s[:, 3] + s[:, 1] + s[:, 2], 1)
    return {
        "miou": (fg_iou + bg_iou) / 2,
        "iou": fg_iou,
        "median_dice": np.median(dice, 0),
        "mean_dice": dice.mean(0),
        "pixel_accuracy": (s[:, 0] + s[:, 3]) / s.sum(1),
    }


def score(figures: dict[str, dict], heads: list[Head]) -> float:
    """One number ranking a multi-head model: the mean of each head's primary metric."""
    return float(np.mean([figures[h.task][h.primary_metric] for h in heads]))
