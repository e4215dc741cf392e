"""A superpixel write that takes the slivers it cut off along with the regions.

A proposal's edge rarely follows superpixel boundaries exactly: a wrongly proposed object (a
mannequin torso) leaks a few pixels into the neighbouring regions. Giving the object's region
another label then leaves those edge pixels behind as a jagged ring of slivers, cut off from
the rest of their label. :func:`assign_regions_whole` writes the regions and gives the new
label to the pieces of each old label that the write cut off: pieces that hung onto the
written pixels only, are small next to what the write took, and lie near it. A part still
connected to its label's main body (a strap, a belt loop) is never one of them.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from fashion_annotator.core.masks import BBox, assign_regions, check_mask, union_all

#: A cut-off piece goes with the write when it holds at most this share of the pixels the
#: write took from its label (the studio torso's largest leftover: 7% of the torso).
SLIVER_SHARE = 0.1

#: How far a cut-off piece may reach past the written pixels' box, as a share of the box's
#: longer side (at least :data:`SLIVER_MIN_REACH` pixels): pieces reaching further are kept.
SLIVER_REACH = 0.1

#: The smallest reach, in pixels.
SLIVER_MIN_REACH = 16


def assign_regions_whole(
    mask: np.ndarray,
    regions: np.ndarray,
    region_ids: Iterable[int] | np.ndarray,
    label: int,
    share: float = SLIVER_SHARE,
) -> BBox | None:
    """Set the given superpixel regions to ``label``, with the slivers the change cut off.

    After :func:`~fashion_annotator.core.masks.assign_regions`, for each old label ``o`` the
    write took pixels from, every 8-connected piece of ``o`` that

    - touched the pixels taken from ``o`` (so it was joined to them before the write),
    - holds at most ``share`` of the pixels taken from ``o``,
    - is not the largest piece of ``o`` near the write (the label's main body), and
    - lies within the reach of the written pixels' box (:data:`SLIVER_REACH`),

    is set to ``label`` too. Pieces still joined to their label's main body are never taken.

    Parameters
    ----------
    mask : (H, W) uint8
        Label mask, modified in place.
    regions : (H, W) int32
        Region id per pixel (``0..n-1``).
    region_ids : iterable of int
        Regions to assign; ids absent from ``regions`` are ignored.
    label : int
        Label id written.
    share : float
        Largest piece taken along, as a share of the pixels the write took from its label;
        0 gives plain :func:`~fashion_annotator.core.masks.assign_regions`.

    Returns
    -------
    BBox or None
        Box of changed pixels, slivers included.
    """
    check_mask(mask)
    before = mask.copy()
    box = assign_regions(mask, regions, region_ids, label)
    if box is None or share <= 0:
        return box
    reach = max(SLIVER_MIN_REACH, round(SLIVER_REACH * max(box.shape)))
    area = BBox(box.y0 - reach, box.x0 - reach, box.y1 + reach, box.x1 + reach).clip(mask.shape)
    assert area is not None
    was = before[box.slices]
    changed = was != mask[box.slices]
    sweep = np.zeros(mask.shape, dtype=bool)
    for o in np.unique(was[changed]).tolist():
        taken = np.zeros(mask.shape, dtype=bool)
        taken[box.slices] = changed & (was == o)
        sweep |= _cut_off(mask == o, taken, area, share)
    if not sweep.any():
        return box
    mask[sweep] = np.uint8(label)
    return union_all([box, BBox.of(sweep)])


def _cut_off(body: np.ndarray, taken: np.ndarray, area: BBox, share: float) -> np.ndarray:
    """The pieces of one old label that a write cut off and that go with it.

    Parameters
    ----------
    body : (H, W) bool
        The old label's pixels after the write.
    taken : (H, W) bool
        The pixels the write took from that label.
    area : BBox
        Where a piece must lie whole to be taken (the written box and its reach).
    share : float
        Largest piece taken, as a share of ``taken``'s pixels.

    Returns
    -------
    (H, W) bool
        The pieces to relabel.
    """
    n, comp, stats, _ = cv2.connectedComponentsWithStats(body.view(np.uint8), connectivity=8)
    if n <= 2:  # nothing, or the label's main body alone
        return np.zeros(body.shape, dtype=bool)
    near = cv2.dilate(taken.view(np.uint8), np.ones((3, 3), np.uint8)) > 0
    touching = np.unique(comp[near & body])
    size = stats[:, cv2.CC_STAT_AREA]
    main = int(np.argmax(size[1:])) + 1
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    inside = (
        (left >= area.x0)
        & (top >= area.y0)
        & (left + stats[:, cv2.CC_STAT_WIDTH] <= area.x1)
        & (top + stats[:, cv2.CC_STAT_HEIGHT] <= area.y1)
    )
    limit = share * int(np.count_nonzero(taken))
    keep = [int(c) for c in touching if c not in (0, main) and size[c] <= limit and inside[c]]
    if not keep:
        return np.zeros(body.shape, dtype=bool)
    lut = np.zeros(n, dtype=bool)
    lut[keep] = True
    return lut[comp]
