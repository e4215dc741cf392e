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
from scipy import ndimage

from fashion_annotator.core.masks import BBox, assign_regions, check_mask, union_all

#: A cut-off piece goes with the write when it holds at most this share of the pixels the
#: write took from its label (the studio torso's largest leftover: 7% of the torso).
SLIVER_SHARE = 0.1

#: How far a cut-off piece may reach past the written pixels' box, as a share of the box's
#: longer side (at least :data:`SLIVER_MIN_REACH` pixels): pieces reaching further are kept.
SLIVER_REACH = 0.1

#: The smallest reach, in pixels.
SLIVER_MIN_REACH = 16

#: Background cut off by a write is filled only where it is at most this wide, in pixels (a
#: crack between the written region and the garment): a wider pocket, enclosed by a part just
#: added (the gap between an arm and the body), is a real hole.
BACKGROUND_SLIVER_WIDTH = 6


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
    - is not the largest piece of ``o`` in the whole mask (its main body, even cut off: the real
      belt that a wrongly proposed belt region joined),
    - lies within the reach of the written pixels' box (:data:`SLIVER_REACH`), and
    - for background (``o == 0``), is at most :data:`BACKGROUND_SLIVER_WIDTH` pixels wide,

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
        Box of changed pixels, slivers included. Cost over ``assign_regions``: one labelling of
        the written box and its reach per old label, and of the whole mask only when the window
        cannot tell whether the largest piece there is its label's main body.
    """
    check_mask(mask)
    before = mask.copy()
    box = assign_regions(mask, regions, region_ids, label)
    if box is None or share <= 0:
        return box
    reach = max(SLIVER_MIN_REACH, round(SLIVER_REACH * max(box.shape)))
    area = BBox(box.y0 - reach, box.x0 - reach, box.y1 + reach, box.x1 + reach).clip(mask.shape)
    assert area is not None
    # one pixel more, so that a piece running out of the area is seen to
    search = BBox(area.y0 - 1, area.x0 - 1, area.y1 + 1, area.x1 + 1).clip(mask.shape)
    assert search is not None
    was = before[box.slices]
    changed = was != mask[box.slices]
    inner = box.offset(-search.y0, -search.x0)
    sweep = np.zeros(search.shape, dtype=bool)
    for o in np.unique(was[changed]).tolist():
        taken = np.zeros(search.shape, dtype=bool)
        taken[inner.slices] = changed & (was == o)
        sweep |= _cut_off(mask, o, taken, search, area.offset(-search.y0, -search.x0), share)
    if not sweep.any():
        return box
    swept = BBox.of(sweep)
    assert swept is not None
    mask[search.slices][sweep] = np.uint8(label)
    return union_all([box, swept.offset(search.y0, search.x0)])


def _cut_off(
    mask: np.ndarray, old: int, taken: np.ndarray, search: BBox, area: BBox, share: float
) -> np.ndarray:
    """The pieces of one old label that a write cut off and that go with it.

    Parameters
    ----------
    mask : (H, W) uint8
        The mask after the write.
    old : int
        The old label.
    taken : (h, w) bool
        The pixels the write took from ``old``, inside ``search``.
    search : BBox
        The window searched, in the mask: ``area`` and one pixel more.
    area : BBox
        Where a piece must lie whole to be taken, inside ``search``.
    share : float
        Largest piece taken, as a share of ``taken``'s pixels.

    Returns
    -------
    (h, w) bool
        The pieces to relabel, inside ``search``.
    """
    body = mask[search.slices] == old
    n, comp, stats, _ = cv2.connectedComponentsWithStats(body.view(np.uint8), connectivity=8)
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    inside = (
        (left >= area.x0)
        & (top >= area.y0)
        & (left + stats[:, cv2.CC_STAT_WIDTH] <= area.x1)
        & (top + stats[:, cv2.CC_STAT_HEIGHT] <= area.y1)
    )
    inside[0] = False
    size = stats[:, cv2.CC_STAT_AREA]
    near = cv2.dilate(taken.view(np.uint8), np.ones((3, 3), np.uint8)) > 0
    limit = share * int(np.count_nonzero(taken))
    keep = [int(c) for c in np.unique(comp[near & body]) if inside[c] and size[c] <= limit]
    if keep and old == 0:
        depth = cv2.distanceTransform(body.view(np.uint8), cv2.DIST_L2, 3)
        widest = ndimage.maximum(depth, comp, keep)
        thin = 2 * np.atleast_1d(widest) <= BACKGROUND_SLIVER_WIDTH
        keep = [c for c, ok in zip(keep, thin.tolist(), strict=True) if ok]
    if keep and _is_main(mask == old, comp, size, inside, max(keep, key=lambda c: size[c]), search):
        keep.remove(max(keep, key=lambda c: size[c]))
    if not keep:
        return np.zeros(taken.shape, dtype=bool)
    lut = np.zeros(n, dtype=bool)
    lut[keep] = True
    return lut[comp]


def _is_main(
    whole: np.ndarray,
    comp: np.ndarray,
    size: np.ndarray,
    inside: np.ndarray,
    piece: int,
    search: BBox,
) -> bool:
    """Whether ``piece`` is its label's largest piece in the whole mask (its main body).

    Parameters
    ----------
    whole : (H, W) bool
        The label's pixels.
    comp : (h, w) int32
        Piece ids inside ``search``.
    size : (n,) int
        Pixels per piece id.
    inside : (n,) bool
        The pieces lying whole inside the search window (their ``size`` is exact).
    piece : int
        The piece asked about, one of ``inside``.
    search : BBox
        Where ``comp`` lies in the mask.

    Returns
    -------
    bool
        Decided from the window when it can be (a whole piece larger, or too few of the label's
        pixels elsewhere to make one); otherwise by one labelling of the whole mask.
    """
    if (size[inside] > size[piece]).any():
        return False
    elsewhere = int(np.count_nonzero(whole)) - int(size[inside].sum())
    if elsewhere < size[piece]:
        return True
    _, ids, stats, _ = cv2.connectedComponentsWithStats(whole.view(np.uint8), connectivity=8)
    ys, xs = np.nonzero(comp == piece)
    main = int(np.argmax(stats[1:, cv2.CC_STAT_AREA])) + 1
    return int(ids[ys[0] + search.y0, xs[0] + search.x0]) == main
