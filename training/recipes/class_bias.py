"""Tune a multi-class model's per-class logit biases for mIoU on training photos.

``python -m training.recipes.class_bias MODEL --data CCP [--split train] [--limit 300]
[--write]`` runs ``MODEL`` (a ``.safetensors`` parsing model, at its inference settings) on the
split's photos, keeps the logits enlarged to a quarter of each photo's size with the ground
truth, and searches one additive bias per class by coordinate ascent on the pooled mIoU
(background fixed at 0; steps of 1, 0.5 and 0.25 logits, a few sweeps). ``--write`` records
them in the meta (``logit_bias``, ``logit_bias_selection``), which the predictor adds to the
logits before the argmax. Tune on train; check on val with ``fashion-annotator evaluate``.
Measured on the shipped parsing7 model (300 CCP train photos): see training/README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from fashion_annotator.core.label_maps import resize_labels
from fashion_annotator.evaluation.effort import iter_dataset
from fashion_annotator.models.weights import meta_path, update_meta
from fashion_annotator.segmentation.proposals import load_predictor

#: Share of each photo's side the logits are kept at (pixels are pooled over photos).
SCALE = 0.25
STEPS = (-1.0, -0.5, -0.25, 0.25, 0.5, 1.0)
SWEEPS = 4


def collect(model: Path, data: Path, split: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Logits and labels of a split's photos at :data:`SCALE` of their size.

    Returns
    -------
    logits : (N, C) float32
    labels : (N,) int64
        The task's class ids (pixels of every photo, pooled).
    """
    predictor = load_predictor(model, device="cpu")
    xs, ys = [], []
    for photo in iter_dataset(data, predictor.task, split=split, limit=limit):
        predictor.set_image(photo.rgb)
        logits = predictor.logits
        h, w = photo.gt.shape
        size = (max(1, round(w * SCALE)), max(1, round(h * SCALE)))
        small = cv2.resize(np.ascontiguousarray(logits.transpose(1, 2, 0)), size,
                           interpolation=cv2.INTER_LINEAR)  # fmt: skip
        xs.append(small.reshape(-1, logits.shape[0]))
        ys.append(resize_labels(photo.gt, (size[1], size[0])).ravel())
    if not xs:
        raise ValueError(f"{data}: no photos in split {split!r}")
    return np.concatenate(xs), np.concatenate(ys).astype(np.int64)


def pooled_miou(logits: np.ndarray, labels: np.ndarray, bias: np.ndarray) -> float:
    """mIoU of ``argmax(logits + bias)`` over the pooled pixels (classes absent from both skipped)."""
    c = logits.shape[1]
    pred = (logits + bias).argmax(axis=1)
    cm = np.bincount(labels * c + pred, minlength=c * c).reshape(c, c)
    inter = np.diag(cm).astype(np.float64)
    union = cm.sum(0) + cm.sum(1) - inter
    present = union > 0
    return float(np.mean(inter[present] / union[present]))


def tune(logits: np.ndarray, labels: np.ndarray, sweeps: int = SWEEPS) -> tuple[np.ndarray, float, float]:
    """Coordinate ascent on the pooled mIoU; return ``(bias (C,), mIoU before, mIoU after)``."""
    bias = np.zeros(logits.shape[1], np.float32)
    start = best = pooled_miou(logits, labels, bias)
    for _ in range(sweeps):
        for c in range(1, logits.shape[1]):
            for step in STEPS:
                trial = bias.copy()
                trial[c] += step
                score = pooled_miou(logits, labels, trial)
                if score > best + 1e-5:
                    best, bias = score, trial
    return bias, start, best


def main(argv: list[str] | None = None) -> int:
    """Command line: print the biases and the mIoU before and after; ``--write`` records them."""
    parser = argparse.ArgumentParser(
        prog="python -m training.recipes.class_bias", description=__doc__.split("\n")[0]
    )
    parser.add_argument("model", type=Path, help="a multi-class .safetensors model")
    parser.add_argument("--data", type=Path, required=True, help="plain mask folder (CCP layout)")
    parser.add_argument("--split", default="train")
    parser.add_argument("--limit", type=int, default=300, help="photos (default 300)")
    parser.add_argument("--write", action="store_true", help="record the biases in the meta")
    args = parser.parse_args(argv)
    try:
        logits, labels = collect(args.model, args.data, args.split, args.limit)
        if logits.shape[1] < 3:
            raise ValueError(f"{args.model}: a binary model has a tuned threshold, not class biases")
    except (ValueError, OSError) as exc:
        print(f"class_bias: {exc}", file=sys.stderr)
        return 1
    bias, before, after = tune(logits, labels)
    values = [round(float(v), 2) for v in bias]
    print(f"logit_bias {values}: pooled mIoU on {args.split} {before:.4f} -> {after:.4f}")
    if args.write:
        update_meta(args.model, logit_bias=values, logit_bias_selection={
            "data": args.data.name, "split": args.split, "limit": args.limit, "scale": SCALE,
            "pooled_miou_before": round(before, 4), "pooled_miou_after": round(after, 4)})  # fmt: skip
        print(f"wrote logit_bias into {meta_path(args.model)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
