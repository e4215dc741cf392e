"""Whole label maps: resized by area vote and cropped around their subject.

Unlike the in-place edits of :mod:`.masks`, these return new arrays or boxes; they are the one
definition the predictor, the training data and the benchmarks share, so labels stay aligned
with the photos they were resized with.
"""

from __future__ import annotations

import cv2
import numpy as np

from fashion_annotator.core.masks import BBox

__all__ = ["OBJECT_CROP_MARGIN", "OBJECT_CROP_MAX_AREA", "object_crop", "resize_labels"]

#: Object crop: margin around the subject's box, as a fraction of the box's longer side.
OBJECT_CROP_MARGIN = 0.1
#: Object crop: none when it would cover more than this share of the photo (no zoom gain).
OBJECT_CROP_MAX_AREA = 0.7


def object_crop(
    fg: np.ndarray,
    margin: float = OBJECT_CROP_MARGIN,
    max_area: float = OBJECT_CROP_MAX_AREA,
    min_side: int = 8,
) -> BBox | None:
    """The zoom-in crop around a subject: its box plus a margin, clipped to the photo.

    The one definition of the crop that the predictor's second pass re-predicts and that
    fine-tuning with object crops trains on, so both see the subject at the same scale.

    Parameters
    ----------
    fg : (H, W) bool array
        The subject's pixels (a first-pass mask, or the ground truth in training).
    margin : float
        Added on every side, as a fraction of the box's longer side.
    max_area : float
        Largest share of the photo the crop may cover; above it zooming gains nothing.
    min_side : int
        Smallest crop side in pixels.

    Returns
    -------
    BBox or None
        None when ``fg`` is empty, the crop is too large a share of the photo or too thin.
    """
    box = BBox.of(fg)
    if box is None:
        return None
    pad = int(margin * max(box.shape))
    crop = BBox(box.y0 - pad, box.x0 - pad, box.y1 + pad, box.x1 + pad).clip(fg.shape)
    if crop is None or crop.area > max_area * fg.size or min(crop.shape) < min_side:
        return None
    return crop


def resize_labels(labels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a label map to ``size = (h, w)`` by area vote: each output pixel takes the label
    covering most of its footprint in the source.

    Photos are shrunk by area averaging, which is pixel-centred; the labels paired with them must
    be too. ``cv2.INTER_NEAREST`` takes each block's top-left pixel, shifting the labels
    ``(f - 1) / 2`` source pixels down and right of the photo when shrinking by ``f`` (1.75 px
    on a 1152x1728 photo at a 384 px network input), and ``cv2.INTER_NEAREST_EXACT`` takes the
    pixel below and right of the centre when ``f`` is even. The vote has no such bias; it costs
    one area resize per label present.

    Parameters
    ----------
    labels : (H, W) uint8 array
        Label ids.
    size : (h, w)
        Output size in pixels (smaller or larger than the input).

    Returns
    -------
    (h, w) uint8 array
        Ties go to the lower label id.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.dtype != np.uint8:
        raise ValueError(f"labels must be an (H, W) uint8 array, got {labels.dtype} {labels.shape}")
    h, w = int(size[0]), int(size[1])
    if h < 1 or w < 1:
        raise ValueError(f"size must be positive, got {size}")
    if labels.shape == (h, w):
        return labels.copy()
    ids = np.flatnonzero(np.bincount(labels.ravel(), minlength=256))
    if ids.size == 1:
        return np.full((h, w), ids[0], np.uint8)
    best = np.full((h, w), -1.0, np.float32)
    out = np.zeros((h, w), np.uint8)
    for label in ids:  # one plane at a time: never (K, h, w) floats at once
        plane = (labels == label).astype(np.float32)
        share = cv2.resize(plane, (w, h), interpolation=cv2.INTER_AREA)
        wins = share > best
        out[wins] = label
        best[wins] = share[wins]
    return out
