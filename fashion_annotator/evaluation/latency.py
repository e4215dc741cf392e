"""Model latency: ``set_image`` + ``predict`` on a photo, all resizing included (``bench infer``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from fashion_annotator.segmentation.proposals import Predictor


def benchmark_latency(
    predictor: Predictor,
    shape: tuple[int, ...] = (1728, 1152),
    repeats: int = 20,
    cutouts: Sequence[str] = (),
) -> dict[str, Any]:
    """Time ``set_image`` + ``predict`` on a random photo, all resizing included.

    Parameters
    ----------
    predictor : Predictor
        The model to time.
    shape : (H, W) or (H, W, 3)
        Photo size in pixels.
    repeats : int
        Timed runs, after one untimed warm-up.
    cutouts : sequence of str
        A parsing model's cutout tasks (its spec's ``agrees_with``): the time of making each
        proposal agree with them is reported apart (``median_agree_s``), the cutout models not
        counted (they are their own tasks' proposals). The cutouts are set so that pixels of
        every kind disagree and the probabilities are computed: the first covers the photo's
        left half, the others all of it.

    Returns
    -------
    dict
        ``median_s`` (mask only), ``median_with_probs_s`` (mask and full-resolution probs),
        ``min_s``, ``repeats``, ``shape``, ``task``, ``device``; with ``cutouts``
        ``median_agree_s`` (the agreement alone, its probabilities included) and ``cutouts``.
    """
    from fashion_annotator.segmentation.pipeline import with_cutouts

    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    h, w = int(shape[0]), int(shape[1])
    rgb = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    masks = {name: np.ones((h, w), bool) for name in cutouts}
    if masks:
        masks[cutouts[0]][:, w // 2 :] = False
    predictor.set_image(rgb)
    predictor.predict().probs  # noqa: B018 - warm-up
    mask_times, probs_times, agree_times = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        predictor.set_image(rgb)
        proposal = predictor.predict()
        t1 = time.perf_counter()
        proposal.probs  # noqa: B018 - forces the lazy full-resolution probabilities
        t2 = time.perf_counter()
        mask_times.append(t1 - t0)
        probs_times.append(t2 - t0)
        if masks:
            fresh = predictor.predict()  # probabilities not computed yet, as in the window
            t3 = time.perf_counter()
            with_cutouts(fresh, masks)
            agree_times.append(time.perf_counter() - t3)
    extra = {"median_agree_s": float(np.median(agree_times)), "cutouts": list(masks)} if masks else {}
    return {
        "task": predictor.task,
        "device": predictor.device_name,
        "shape": [h, w],
        "repeats": repeats,
        "input_size": list(predictor.input_size),
        "median_s": float(np.median(mask_times)),
        "median_with_probs_s": float(np.median(probs_times)),
        "min_s": float(np.min(mask_times)),
        **extra,
    }
