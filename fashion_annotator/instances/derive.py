"""Instances from label masks: connected components per class, pairs apart, fragments merged.

An *instance map* is an ``(H, W) uint8`` array of instance ids (0 = no instance, ids
``1..255``). Instances of one image never overlap, so the map is a mask like any other and is
saved and versioned like one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage
from skimage.segmentation import watershed

from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.instances.model import accessory_ground
from fashion_annotator.instances.schema import MAX_INSTANCES, InstanceTaxonomy

#: Ground-truth instances (and kept proposals) cover at least this share of the photo.
MIN_AREA_FRAC = 0.0005


@dataclass(frozen=True)
class ProposalParams:
    """Knobs of :func:`propose_instances`.

    Attributes
    ----------
    min_area_frac : float
        Components smaller than this share of the photo are fragments. The ground-truth
        threshold, :data:`MIN_AREA_FRAC`: selected on the first 150 CCP train photos with parsing18
        20261203-035222 (instance_recall50 0.499 at twice it, 0.512 at it, 0.514 /
        0.513 at 0.6x / 0.4x it; AP50 unchanged).
    merge_frac : float
        A fragment joins the nearest large component of its class within this share of the
        photo's diagonal; farther fragments are dropped (their pixels keep their parsing class).
    pair_valley : float
        A pair-class component splits in two where its column profile dips below this share
        of the smaller of the two peaks on either side.
    pair_neck : float
        Otherwise (one shoe in front of the other) it splits at a neck: where the distance
        to its border, walked from one thick part to the other, drops below this share of the
        thinner part's thickness.
    neck : float
        A component of any other class splits at a neck narrower than this share (two garments
        of one class that touch: the two panels of an open jacket joined at the collar, a coat
        beside a blazer).
    """

    min_area_frac: float = MIN_AREA_FRAC
    merge_frac: float = 0.02
    pair_valley: float = 0.6
    pair_neck: float = 0.75
    neck: float = 0.4


@dataclass
class DerivedInstances:
    """Instances found in one mask.

    Attributes
    ----------
    map : (H, W) uint8
        Instance id per pixel (0 = none), ids ``1..n`` in order of ``classes``.
    classes : list of int
        Source class id of each instance (``classes[i]`` belongs to id ``i + 1``).
    """

    map: np.ndarray
    classes: list[int]

    def __len__(self) -> int:
        return len(self.classes)


def _components(binary: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """8-connected components of ``binary`` ``(H, W)``: count (background included), labels
    ``(H, W) int32`` and OpenCV's statistics (x, y, width, height, area) in photo pixels.

    Labelled within the box around the foreground only (a class covers a part of the photo;
    the statistics pass is most of the cost): the 12 classes of one parsing18 proposal at
    1152x1728, same run on a loaded machine, 721 -> 156 ms for the same labels and statistics.
    """
    binary = binary.astype(np.uint8, copy=False)
    rows = np.flatnonzero(binary.any(axis=1))
    if rows.size == 0:
        return 1, np.zeros(binary.shape, np.int32), np.zeros((1, 5), np.int32)
    cols = np.flatnonzero(binary.any(axis=0))
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    n, crop, stats, _ = cv2.connectedComponentsWithStats(
        np.ascontiguousarray(binary[y0:y1, x0:x1]), connectivity=8
    )
    labels = np.zeros(binary.shape, np.int32)
    labels[y0:y1, x0:x1] = crop
    stats[:, cv2.CC_STAT_LEFT] += x0
    stats[:, cv2.CC_STAT_TOP] += y0
    return n, labels, stats


def ground_truth_instances(
    labels: np.ndarray, class_ids: Sequence[int], min_area_frac: float = MIN_AREA_FRAC
) -> DerivedInstances:
    """The 8-connected components of each listed class covering at least ``min_area_frac``.

    Parameters
    ----------
    labels : (H, W) uint8
        Label ids (e.g. CCP ids 0..58).
    class_ids : sequence of int
        The ids that form instances (e.g. every CCP garment and accessory label).
    min_area_frac : float
        Smaller components are not instances. At most :data:`MAX_INSTANCES`, the largest.
    """
    h, w = labels.shape
    min_area = min_area_frac * h * w
    pieces: list[_Piece] = []
    present = set(np.unique(labels).tolist())
    for cid in class_ids:
        if cid not in present:
            continue
        n, comp, stats = _components(labels == cid)
        for k in range(1, n):
            if stats[k, cv2.CC_STAT_AREA] < min_area:
                continue
            x, y, bw, bh = stats[k, :4]
            sl = (slice(y, y + bh), slice(x, x + bw))
            pieces.append((int(cid), sl, comp[sl] == k))
    return _painted(pieces, (h, w))


#: One instance before it has an id: its class, its box (rows, columns) and its pixels there.
_Piece = tuple[int, tuple[slice, slice], np.ndarray]


def _painted(pieces: list[_Piece], shape: tuple[int, int]) -> DerivedInstances:
    """The instances of ``pieces`` in their order, ids ``1..n``; past :data:`MAX_INSTANCES`
    (hundreds of specks of a noisy mask) only the largest are kept, the rest left out."""
    if len(pieces) > MAX_INSTANCES:
        largest = sorted(range(len(pieces)), key=lambda i: -int(pieces[i][2].sum()))[:MAX_INSTANCES]
        pieces = [pieces[i] for i in sorted(largest)]
    out = np.zeros(shape, np.uint8)
    for i, (_, sl, pixels) in enumerate(pieces, start=1):
        out[sl][pixels] = i
    return DerivedInstances(out, [cid for cid, _, _ in pieces])


#: A split leaves each side at least this share of the component.
SPLIT_MIN_SHARE = 0.2
_NECK_LEVELS = 24
#: Necks are looked for at the size of a photo with this long side (px) at most (a CCP photo's,
#: where the thresholds were chosen): the decision does not depend on the photo's resolution,
#: and a 1152x1728 photo costs little more than a CCP one.
NECK_PHOTO_SIDE = 832


def _split_pair(comp: np.ndarray, valley: float, neck: float, scale: float = 1.0) -> np.ndarray | None:
    """Split one component (bool crop) in two items; None if it is one item.

    Two shoes side by side split at the deepest valley of the column profile; one in front of
    the other at the narrowest neck between the two thickest parts (:func:`_split_neck`).

    Returns
    -------
    (h, w) int32 or None
        0 or 1 per pixel of ``comp`` (which item it belongs to).
    """
    side = _split_columns(comp, valley)
    return side if side is not None else _split_neck(comp, neck, scale)


def _split_neck(comp: np.ndarray, neck: float, scale: float = 1.0) -> np.ndarray | None:
    """Watershed split between the two thickest parts of ``comp`` when a neck joins them.

    The two parts are the first two cores that ``distance > t`` leaves apart as ``t`` walks
    down from the component's greatest thickness (in ``_NECK_LEVELS`` steps); they join again at
    the saddle level. The component splits when the saddle is below ``neck`` times the thinner
    part's peak thickness and each side keeps ``SPLIT_MIN_SHARE`` of the pixels. With ``scale``
    below 1 the component is analysed at that scale and the sides scaled back.
    """
    h, w = comp.shape
    if scale >= 1.0:
        side = _neck_sides(comp, comp, neck)
        return None if side is None else _every_pixel_sided(side, comp)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    cover = cv2.resize(comp.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    small = _neck_sides(cover >= 0.5, cover > 0, neck)
    if small is None:
        return None
    side = cv2.resize(small.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(np.int32)
    side[~comp] = 0
    return _every_pixel_sided(side, comp)


def _every_pixel_sided(side: np.ndarray, comp: np.ndarray) -> np.ndarray:
    """``side`` with every pixel of ``comp`` on side 0 or 1: the pixels the split's flooding
    never reached (fragments merged into the component, parts joined only at a corner) take
    the side of the nearest pixel it did reach, so no pixel of the class is left out."""
    lost = comp & (side != 0) & (side != 1)
    if not lost.any():
        return side
    reached = comp & ~lost
    _, (iy, ix) = ndimage.distance_transform_edt(~reached, return_indices=True)
    side = side.copy()
    side[lost] = side[iy[lost], ix[lost]]
    return side


def _neck_sides(core: np.ndarray, extent: np.ndarray, neck: float) -> np.ndarray | None:
    """:func:`_split_neck` on ``core`` (bool); the sides cover ``extent`` (a superset of it)."""
    dist = cv2.distanceTransform(np.pad(core, 1).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
    top = float(dist.max())
    if top < 2:
        return None
    levels = np.linspace(top, 0, _NECK_LEVELS + 1)[1:-1]
    for i, t in enumerate(levels):
        n, cores = cv2.connectedComponents((dist > t).astype(np.uint8), connectivity=8)
        if n < 3:
            continue
        peaks = np.zeros(n)  # each core's greatest thickness (index 0: outside every core)
        inside = cores > 0
        np.maximum.at(peaks, cores[inside], dist[inside])
        peaks = peaks[1:]
        first, second = np.argsort(-peaks)[:2] + 1
        a, b = cores == first, cores == second
        saddle = 0.0
        for lower in levels[i + 1 :]:
            _, joined = cv2.connectedComponents((dist > lower).astype(np.uint8), connectivity=8)
            if joined[a][0] == joined[b][0]:
                saddle = float(lower)
                break
        if saddle > neck * float(peaks[second - 1]):
            return None
        markers = np.zeros(core.shape, np.int32)
        markers[a], markers[b] = 1, 2
        side = watershed(-dist, markers, connectivity=2, mask=extent).astype(np.int32) - 1
        share = float((side[core] == 1).mean())
        if min(share, 1 - share) < SPLIT_MIN_SHARE:
            return None
        side[~extent] = 0
        return side
    return None


def _split_columns(comp: np.ndarray, valley: float) -> np.ndarray | None:
    """Split one component (bool crop) at its deepest column valley; None if it is one item."""
    profile = comp.sum(axis=0).astype(np.float64)
    w = profile.size
    if w < 8 or comp.shape[1] < 1.2 * comp.shape[0]:
        return None
    profile = np.convolve(profile, np.ones(3) / 3, mode="same")
    lo, hi = int(0.25 * w), int(0.75 * w)
    cut = lo + int(np.argmin(profile[lo:hi]))
    left, right = profile[:cut].max(initial=0), profile[cut:].max(initial=0)
    if profile[cut] > valley * min(left, right):
        return None
    side = np.zeros(comp.shape, np.int32)
    side[:, cut:] = 1
    return side


def _merge_fragments(
    comp: np.ndarray, stats: np.ndarray, big: list[int], small: list[int], radius: int
) -> dict[int, int]:
    """Map each small component to the large one it touches within ``radius`` px (if any)."""
    h, w = comp.shape
    target: dict[int, int] = {}
    big_set = set(big)
    for k in small:
        x, y, bw, bh = stats[k, :4]
        y0, y1 = max(0, y - radius), min(h, y + bh + radius)
        x0, x1 = max(0, x - radius), min(w, x + bw + radius)
        window = comp[y0:y1, x0:x1]
        near = window[(window > 0) & (window != k)]
        cand = [v for v in np.unique(near).tolist() if v in big_set]
        if not cand:
            continue
        if len(cand) == 1:
            target[k] = cand[0]
            continue
        frag = window == k
        dist = ndimage.distance_transform_edt(~frag)
        best = min(cand, key=lambda v: float(dist[window == v].min()))
        target[k] = best
    return target


def propose_instances(
    parsing: np.ndarray,
    parsing_taxonomy: Taxonomy,
    instance_taxonomy: InstanceTaxonomy,
    garment: np.ndarray | None = None,
    params: ProposalParams | None = None,
) -> DerivedInstances:
    """Propose instances from a parsing mask (and optionally a garment cutout).

    Every parsing class that some fine category maps to forms instances from its 8-connected
    components; when a pair class (shoes) has one large component and it holds two items, it is
    split, at its column valley (side by side) or at the neck between its two thickest
    parts (one in front of the other); every other component splits at a narrower neck
    (``params.neck``: two garments of one class that touch); fragments smaller than
    ``min_area_frac`` join the nearest large component of their class or are dropped.
    An image holds at most :data:`MAX_INSTANCES` instances: beyond that the largest are kept.
    Categories whose parent is "background" (bags, belts, hats in parsing7) are proposed from
    the garment cutout's pixels that the parsing mask calls background, skin or hair (class 0
    in ``classes``).

    Parameters
    ----------
    parsing : (H, W) uint8
        Parsing mask in ``parsing_taxonomy``.
    parsing_taxonomy : Taxonomy
    instance_taxonomy : InstanceTaxonomy
    garment : (H, W) bool or uint8, optional
        Garment cutout (non-zero = garment); enables accessory proposals.
    params : ProposalParams, optional
    """
    params = params or ProposalParams()
    h, w = parsing.shape
    task = parsing_taxonomy.name
    parents = instance_taxonomy.parent_classes(task)
    pair_names = set(instance_taxonomy.pair_classes.get(task, ()))
    min_area = params.min_area_frac * h * w
    radius = max(2, int(round(params.merge_frac * float(np.hypot(h, w)))))
    neck_scale = min(1.0, NECK_PHOTO_SIDE / max(h, w))
    pieces: list[_Piece] = []
    sources: list[tuple[int, np.ndarray]] = []
    counts = np.bincount(parsing.ravel(), minlength=256)  # classes absent from the photo cost nothing
    for cls in parsing_taxonomy.classes:
        if cls.id != 0 and cls.name in parents and counts[cls.id] > 0:
            sources.append((cls.id, parsing == cls.id))
    if garment is not None and "background" in parents:
        if garment.shape != parsing.shape:
            raise ValueError(f"garment mask {garment.shape} and parsing mask {parsing.shape} differ in shape")
        other = np.isin(parsing, sorted(accessory_ground(parsing_taxonomy, instance_taxonomy)))
        sources.append((0, (garment > 0) & other))
    for cid, binary in sources:
        n, comp, stats = _components(binary)
        if n <= 1:
            continue
        areas = stats[1:, cv2.CC_STAT_AREA]
        big = [k + 1 for k in range(n - 1) if areas[k] >= min_area]
        small = [k + 1 for k in range(n - 1) if areas[k] < min_area]
        target = _merge_fragments(comp, stats, big, small, radius) if big and small else {}
        pair = cid != 0 and parsing_taxonomy.classes[cid].name in pair_names and len(big) == 1
        for k in big:
            x, y, bw, bh = stats[k, :4]
            members = [k] + [s for s, t in target.items() if t == k]
            if members[1:]:
                xs = [stats[m, 0] for m in members]
                ys = [stats[m, 1] for m in members]
                x2 = max(stats[m, 0] + stats[m, 2] for m in members)
                y2 = max(stats[m, 1] + stats[m, 3] for m in members)
                x, y, bw, bh = min(xs), min(ys), x2 - min(xs), y2 - min(ys)
            sl = (slice(y, y + bh), slice(x, x + bw))
            pix = np.isin(comp[sl], members)
            if pair:
                parts = _split_pair(pix, params.pair_valley, params.pair_neck, neck_scale)
            else:
                parts = _split_neck(pix, params.neck, neck_scale) if cid != 0 and params.neck > 0 else None
            sides = [pix] if parts is None else [pix & (parts == 0), pix & (parts == 1)]
            pieces.extend((cid, sl, side) for side in sides)
    return _painted(pieces, (h, w))


#: An instance's box: ``(y0, x0, y1, x1)`` in photo pixels, end exclusive.
Box = tuple[int, int, int, int]


def instance_boxes(instance_map: np.ndarray) -> dict[int, Box]:
    """``{id: (y0, x0, y1, x1)}`` (end exclusive) of every instance in the map."""
    boxes = {}
    for k, sl in enumerate(ndimage.find_objects(instance_map), start=1):
        if sl is not None:
            boxes[k] = (sl[0].start, sl[1].start, sl[0].stop, sl[1].stop)
    return boxes


def category_lookup(names: Mapping[int, str], instance_taxonomy: InstanceTaxonomy) -> dict[int, int]:
    """Map source label ids (e.g. CCP ids) to category ids by name; unknown names are skipped."""
    known = set(instance_taxonomy.names)
    return {i: instance_taxonomy.index(n) for i, n in names.items() if n in known}
