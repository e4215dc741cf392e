"""Inference-time ablation: how photos are shrunk and logits enlarged, on a mask folder's val.

``python -m training.resize_ablation MODEL.safetensors DATA_DIR [--limit N]`` prints one JSON
line per variant (shrink: area or nearest; enlarge: bilinear or nearest) with the model's
full-resolution val figures, so the README's ablation table can be reproduced.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from fashion_annotator.core.images import load_image
from fashion_annotator.models.weights import load_model
from training.data import (
    CachedSplit,
    list_samples,
    load_split,
    split_samples,
    task_mapping,
)
from training.heads import stack_heads
from training.metrics import evaluate


def nearest_split(split: CachedSplit, photos: list[Path]) -> CachedSplit:
    """The same split with photos shrunk by nearest-neighbour sampling instead of area."""
    h, w = split.images.shape[1:3]
    images = np.stack(
        [cv2.resize(load_image(p).rgb, (w, h), interpolation=cv2.INTER_NEAREST) for p in photos]
    )
    return CachedSplit(split.names, images, split.masks, split.full_masks)


def main(argv: list[str] | None = None) -> int:
    """Print the val figures of each shrink/enlarge variant as JSON lines."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("model", type=Path)
    p.add_argument("data", type=Path)
    p.add_argument("--limit", type=int, default=0, help="first N val images only")
    args = p.parse_args(argv)
    loaded = load_model(args.model)
    meta = loaded.meta
    task = meta["task"]
    heads = stack_heads([(task, *task_mapping(args.data, task))])
    _, val = split_samples(list_samples(args.data), args.data)
    val = val[: args.limit] if args.limit else val
    area = load_split(val, tuple(meta["input_size"]), None, keep_full=True)
    splits = {"area": area, "nearest": nearest_split(area, [s.image for s in val])}
    thresholds = {task: float(meta.get("threshold", 0.5))}
    for shrink, split in splits.items():
        for enlarge in ("bilinear", "nearest"):
            fig = evaluate(
                loaded.module, split, heads, meta["mean"], meta["std"], thresholds,
                upsample=enlarge,
            )[task]  # fmt: skip
            fig.pop("per_class_iou", None)
            print(json.dumps({"task": task, "shrink": shrink, "enlarge": enlarge, **fig}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
