"""How Smart click writes its object into a mask (no Qt here).

- :func:`write_object`: the object of a click or a box inside its update's bounds; pixels it
  drops take the labels around them (:func:`refill`);
- :func:`write_where`: a replayed object on given pixels only (a click taken back);
- :func:`keep_others`: on a parsing mask, the object less the pixels of other classes it would
  paint over (hands, a bag in a box around a skirt): it relabels background and the class it
  mostly covers, the thing being relabelled, and keeps the minority of other classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fashion_annotator.core.masks import BBox

#: A click's changed pixels ``(H, W) bool`` and their labels before and after it (row-major).
Labels = tuple[np.ndarray, np.ndarray, np.ndarray]


def labels_at(mask: np.ndarray, before: np.ndarray, after: np.ndarray, bounds) -> np.ndarray:
    """The labels of ``mask`` where the object ``after`` differs from ``before`` (``(H, W)
    bool``, apart only inside ``bounds`` ``(y0, y1, x0, x1)``, the click's update), row-major."""
    y0, y1, x0, x1 = bounds
    area = (slice(y0, y1), slice(x0, x1))
    return mask[area][after[area] != before[area]]


#: Pixels around a removal searched for the labels that fill it (:func:`refill`).
REFILL_REACH = 24
#: The share of the pixels an object would relabel that one class must hold to be the garment
#: being relabelled (a skirt called skin); a smaller class is a neighbour caught in it (a bag).
RELABEL_SHARE = 0.25


def refill(mask: np.ndarray, remove: np.ndarray, label: int, origin: tuple[int, int] = (0, 0)) -> None:
    """Take the pixels ``remove`` out of ``label`` in ``mask`` ``(H, W) uint8`` (in place): each
    takes the label of the nearest pixel that is neither removed nor ``label``, when one lies
    within :data:`REFILL_REACH` px, else 0. ``remove`` is a ``(h, w) bool`` window of the mask
    whose top-left pixel is ``origin`` (the click's crop); labels outside it count too. On a
    cutout that is 0, as ever; on a parsing mask a negative "skin" click on a sleeve's cuff
    gives the cuff back to "top", not to the background."""
    rows, cols = np.flatnonzero(remove.any(axis=1)), np.flatnonzero(remove.any(axis=0))
    if rows.size == 0:
        return
    h, w = mask.shape
    oy, ox = origin
    y0, y1 = max(0, oy + int(rows[0]) - REFILL_REACH), min(h, oy + int(rows[-1]) + 1 + REFILL_REACH)
    x0, x1 = max(0, ox + int(cols[0]) - REFILL_REACH), min(w, ox + int(cols[-1]) + 1 + REFILL_REACH)
    sub = mask[y0:y1, x0:x1]
    gone = np.zeros(sub.shape, bool)
    gy0, gx0 = oy - y0, ox - x0  # the remove window inside sub (it may stick out: clip it)
    ry0, rx0 = max(0, -gy0), max(0, -gx0)
    ry1, rx1 = min(remove.shape[0], sub.shape[0] - gy0), min(remove.shape[1], sub.shape[1] - gx0)
    gone[gy0 + ry0 : gy0 + ry1, gx0 + rx0 : gx0 + rx1] = remove[ry0:ry1, rx0:rx1]
    source = ~gone & (sub != label)
    if not source.any():
        sub[gone] = 0
        return
    from scipy import ndimage

    dist, (iy, ix) = ndimage.distance_transform_edt(~source, return_indices=True)
    fill = np.where(dist <= REFILL_REACH, sub[iy, ix], 0)
    sub[gone] = fill[gone]


def write_where(
    mask: np.ndarray, obj: np.ndarray, where: np.ndarray, label: int, known: Labels | None = None
) -> BBox | None:
    """Make ``mask == label`` follow ``obj`` on the pixels ``where``: 0 pixels join the object,
    its pixels leave it; other labels' pixels are left as they are. ``known``, the labels a
    click taken back changed (:meth:`~fashion_annotator.annotate.tools.smartclick._Entry.labels`), puts its pixels back as they were: those
    it took from "top" into "skin" are "top" again, those it gave to "top" (still "top") rejoin
    "skin"; other pixels that leave take the labels around them (:func:`refill`; 0 on a cutout).
    """
    add = where & obj & (mask == 0)
    remove = where & ~obj & (mask == label)
    restore = np.zeros(mask.shape, bool)
    was = np.zeros_like(mask)
    if known is not None:
        pixels = known[0]
        was[pixels] = known[1]
        gave = np.zeros_like(mask)
        gave[pixels] = known[2]
        add |= where & obj & pixels & (mask != label) & (mask == gave)
        restore = remove & pixels
    changed = add | remove
    box = BBox.of(changed)
    if box is not None:
        mask[add] = label
        mask[restore] = was[restore]
        refill(mask, remove & ~restore, label)
    return box


def write_object(
    mask: np.ndarray, obj: np.ndarray, bounds: tuple[int, int, int, int], label: int
) -> BBox | None:
    """Make ``mask == label`` equal ``obj`` inside ``bounds``; removed pixels take the labels
    around them (:func:`refill`)."""
    y0, y1, x0, x1 = bounds
    sub = mask[y0:y1, x0:x1]
    want = obj[y0:y1, x0:x1]
    add = want & (sub != label)
    remove = ~want & (sub == label)
    changed = add | remove
    if not changed.any():
        return None
    sub[add] = label
    refill(mask, remove, label, (y0, x0))
    rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    return BBox(y0 + int(rows[0]), x0 + int(cols[0]), y0 + int(rows[-1]) + 1, x0 + int(cols[-1]) + 1)


@dataclass(frozen=True)
class Kept:
    """What :func:`keep_others` kept out of an object.

    Attributes
    ----------
    obj : np.ndarray
        ``(H, W) bool``: the object to write, without the kept pixels.
    counts : dict[int, int]
        Kept pixels per class id (none kept: empty).
    """

    obj: np.ndarray
    counts: dict[int, int]


def keep_others(mask: np.ndarray, obj: np.ndarray, bounds: tuple[int, int, int, int], label: int) -> Kept:
    """The object ``obj`` for ``label``, less the pixels of other classes it would paint over.

    Of the pixels the object would take (inside ``bounds`` ``(y0, y1, x0, x1)``, not ``label``
    yet), those of background (0) and of the non-background class most of them have, when it
    holds :data:`RELABEL_SHARE` of them (the object being relabelled, perhaps a wrong class:
    background may still be most of the object), are taken; the rest, other classes'
    minorities (hands, a bag, ankles in a box around a skirt), keep their labels.

    Parameters
    ----------
    mask : np.ndarray
        ``(H, W) uint8``: the labels now.
    obj : np.ndarray
        ``(H, W) bool``: the object the click model made, apart from the mask's ``label`` only
        inside ``bounds``.
    bounds : tuple of int
        ``(y0, y1, x0, x1)``: the update's area.
    label : int
        The class the object is, not 0.

    Returns
    -------
    Kept
        The object to write (``obj`` itself when nothing is kept) and the kept counts.
    """
    y0, y1, x0, x1 = bounds
    sub, want = mask[y0:y1, x0:x1], obj[y0:y1, x0:x1]
    take = want & (sub != label)
    counts = np.bincount(sub[take], minlength=256)
    total = int(counts.sum())
    counts[[0, label]] = 0  # background is always taken
    majority = int(np.argmax(counts))  # the garment relabelled, when it is a real share of it
    if counts[majority] >= RELABEL_SHARE * total:
        counts[majority] = 0
    if not counts.any():
        return Kept(obj, {})
    others = np.flatnonzero(counts)
    keep = take & np.isin(sub, others)
    out = obj.copy()
    out[y0:y1, x0:x1] &= ~keep
    return Kept(out, {int(c): int(counts[c]) for c in others})
