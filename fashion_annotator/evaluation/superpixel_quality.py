"""How well a partition into regions can represent a ground-truth mask.

- *Achievable segmentation accuracy* (ASA): the best pixel accuracy any labelling of the regions
  can reach, i.e. give every region the ground-truth label most of its pixels carry.
- *Boundary recall*: the share of ground-truth boundary pixels that lie within ``tolerance``
  pixels of a region boundary.
"""

from __future__ import annotations

import cv2
import numpy as np

from fashion_annotator.segmentation.superpixels import SuperpixelHierarchy, region_boundaries


def _check_pair(regions: np.ndarray, gt: np.ndarray) -> None:
    if regions.shape != gt.shape or regions.ndim != 2:
        raise ValueError(f"regions {regions.shape} and mask {gt.shape} must be equal 2-D shapes")


def region_label_counts(regions: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Count the pixels of each label inside each region.

    Parameters
    ----------
    regions : (H, W) integer array
        Region ids ``0..n-1``.
    mask : (H, W) uint8 array
        Label ids.

    Returns
    -------
    (n, K) int64 array
        ``counts[r, k]``: pixels of region ``r`` labelled ``k``; ``K = mask.max() + 1``.
    """
    _check_pair(regions, mask)
    n = int(regions.max()) + 1
    k = int(mask.max()) + 1
    keys = regions.ravel().astype(np.int64) * k + mask.ravel()
    return np.bincount(keys, minlength=n * k).reshape(n, k)


def achievable_segmentation_accuracy(regions: np.ndarray, gt: np.ndarray) -> float:
    """Best pixel accuracy reachable by giving each region a single label.

    Parameters
    ----------
    regions : (H, W) integer array
        Region ids ``0..n-1``.
    gt : (H, W) uint8 array
        Ground-truth label ids.

    Returns
    -------
    float
        In ``[0, 1]``.
    """
    counts = region_label_counts(regions, gt)
    return float(counts.max(axis=1).sum() / gt.size)


def boundary_recall(regions: np.ndarray, gt: np.ndarray, tolerance: int = 2) -> float:
    """Share of ground-truth boundary pixels within ``tolerance`` pixels of a region boundary.

    Parameters
    ----------
    regions : (H, W) integer array
        Region ids.
    gt : (H, W) uint8 array
        Ground-truth label ids.
    tolerance : int
        Distance in pixels (a disc of this radius).

    Returns
    -------
    float
        In ``[0, 1]``; 1.0 when the ground truth has no boundary.
    """
    _check_pair(regions, gt)
    gt_edges = region_boundaries(gt)
    total = int(gt_edges.sum())
    if total == 0:
        return 1.0
    size = 2 * tolerance + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    near = cv2.dilate(region_boundaries(regions).astype(np.uint8), disc) > 0
    return float((gt_edges & near).sum() / total)


def hierarchy_quality(
    hierarchy: SuperpixelHierarchy, gt: np.ndarray, tolerance: int = 2
) -> list[dict[str, float]]:
    """ASA, boundary recall and region count of every level.

    Returns
    -------
    list of dict
        One ``{"level", "asa", "boundary_recall", "regions"}`` per level, fine to coarse.
    """
    return [
        {
            "level": level,
            "asa": achievable_segmentation_accuracy(regions, gt),
            "boundary_recall": boundary_recall(regions, gt, tolerance),
            "regions": hierarchy.num_regions(level),
        }
        for level, regions in enumerate(hierarchy.levels)
    ]
