"""Pure refinements of a model's proposal: numpy in, a new mask out, inputs left untouched.

- :func:`snap_to_regions`: give each superpixel the proposal's majority label where the
  proposal agrees with itself inside it, so edges follow the photo's region boundaries.
- :func:`consensus_relabel`: pool the class probabilities over each region and give the whole
  region the winning class (the region-consensus post-process of the attention U-Net paper).
- :func:`grabcut_band`: re-decide a cutout's pixels in a band around its boundary with GrabCut
  (colour models learnt from the sure inside and outside).
- :func:`guided_edges`: re-decide a cutout's edge pixels with the colour guided filter, so its
  boundary follows the photo's edges at full resolution (a network's mask is enlarged from its
  input resolution); :func:`guided_labels` does the same for every class edge of a parsing mask.
- :func:`clean_mask`: relabel small islands and fill holes.

:func:`apply_refinements` chains them by name; :func:`default_refinements` reads, per task (from its task spec),
those that raised the score on CCP val (``fashion-annotator bench refine``, docs/superpixels.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from fashion_annotator.core import masks as mask_ops
from fashion_annotator.core.guided import GuideFit, guided_filter
from fashion_annotator.core.label_maps import resize_labels
from fashion_annotator.core.resample import sample_rows_cols, source_axis
from fashion_annotator.core.tasks import available_tasks, task_spec
from fashion_annotator.segmentation.superpixels import region_boundaries


def default_refinements(task: str) -> tuple[str, ...]:
    """The refinements applied to every proposal of ``task`` (its task spec's list; none for
    tasks without a shipped spec). Chosen by ``bench refine`` on CCP val."""
    if task not in available_tasks():
        return ()
    return task_spec(task).refinements


#: Every refinement :func:`apply_refinements` knows, in the order the bench reports them.
REFINEMENTS: tuple[str, ...] = ("snap", "consensus", "grabcut", "guided", "clean")
#: Refinements of binary cutouts only.
BINARY_ONLY: frozenset[str] = frozenset({"grabcut"})


def _check_regions(mask_shape: tuple[int, ...], regions: np.ndarray) -> np.ndarray:
    regions = np.asarray(regions)
    if regions.shape != mask_shape[-2:] or not np.issubdtype(regions.dtype, np.integer):
        raise ValueError(
            f"regions must be an integer array of shape {mask_shape[-2:]}, "
            f"got {regions.dtype} {regions.shape}"
        )
    if regions.size and regions.min() < 0:
        raise ValueError("region ids must not be negative")
    return regions.ravel().astype(np.intp)


def _pool(flat_regions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sum ``weights`` ``(K, N)`` per region: ``(n, K) float64``."""
    n = int(flat_regions.max()) + 1 if flat_regions.size else 0
    return np.stack([np.bincount(flat_regions, weights=w, minlength=n) for w in weights], axis=1)


def snap_to_regions(
    mask: np.ndarray,
    regions: np.ndarray,
    probs: np.ndarray | None = None,
    min_agreement: float = 0.6,
) -> np.ndarray:
    """Give each region the proposal's majority label where that majority is clear.

    Parameters
    ----------
    mask : (H, W) uint8 array
        The proposal's label ids.
    regions : (H, W) integer array
        Superpixel ids (one level of the hierarchy).
    probs : (K, H, W) float array, optional
        Class probabilities; when given, a region's votes are its summed probabilities
        rather than its pixel counts, so confident pixels weigh more.
    min_agreement : float
        Share of a region's votes the winning label needs; in less certain regions the
        model's pixels are kept as they are.

    Returns
    -------
    (H, W) uint8 array
        The snapped mask.
    """
    mask_ops.check_mask(mask, writable=False)
    flat = _check_regions(mask.shape, regions)
    if probs is None:
        k = int(mask.max()) + 1
        votes = np.bincount(flat * k + mask.ravel(), minlength=(int(flat.max()) + 1) * k)
        votes = votes.reshape(-1, k).astype(np.float64)
    else:
        probs = _check_probs(probs, mask.shape)
        votes = _pool(flat, probs.reshape(probs.shape[0], -1))
    total = votes.sum(axis=1)
    winner = votes.argmax(axis=1).astype(np.uint8)
    sure = votes.max(axis=1) >= min_agreement * np.maximum(total, 1e-12)
    out = mask.copy().ravel()
    snap = sure[flat]
    out[snap] = winner[flat[snap]]
    return out.reshape(mask.shape)


def _check_probs(probs: np.ndarray, shape: tuple[int, ...] | None = None) -> np.ndarray:
    probs = np.asarray(probs)
    if probs.ndim != 3 or probs.shape[0] < 2 or probs.shape[0] > 256:
        raise ValueError(f"probs must have shape (K, H, W) with 2 <= K <= 256, got {probs.shape}")
    if shape is not None and probs.shape[1:] != shape:
        raise ValueError(f"probs {probs.shape[1:]} do not match the mask {shape}")
    return probs


def consensus_relabel(probs: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Give every region the class with the highest summed probability over it.

    Parameters
    ----------
    probs : (K, H, W) float32 array
        Class probabilities.
    regions : (H, W) integer array
        Superpixel ids.

    Returns
    -------
    (H, W) uint8 array
        One label per region.
    """
    probs = _check_probs(probs)
    flat = _check_regions(probs.shape, regions)
    winner = _pool(flat, probs.reshape(probs.shape[0], -1)).argmax(axis=1).astype(np.uint8)
    return winner[flat].reshape(probs.shape[1:])


def _check_cutout(rgb: np.ndarray, mask: np.ndarray, what: str) -> None:
    """Raise ``ValueError`` unless ``mask`` is a binary cutout of the ``(H, W, 3) uint8`` photo."""
    mask_ops.check_mask(mask, writable=False)
    if rgb.shape != (*mask.shape, 3) or rgb.dtype != np.uint8:
        raise ValueError(f"photo {rgb.shape} {rgb.dtype} does not match the mask {mask.shape}")
    if mask.size and mask.max() > 1:
        raise ValueError(f"{what} refines binary cutouts; the mask holds label {mask.max()}")


def grabcut_band(
    rgb: np.ndarray,
    mask: np.ndarray,
    band_px: int = 8,
    iterations: int = 3,
    max_pixels: int = 120_000,
) -> np.ndarray:
    """Re-decide a binary cutout's pixels within ``band_px`` of its boundary with GrabCut.

    Pixels deeper than ``band_px`` inside (outside) the mask are fixed foreground
    (background); the band between starts as "probably" what the mask says. GrabCut runs on
    the band's bounding box plus a margin, so its cost follows the garment, not the photo.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 array
        The photo.
    mask : (H, W) uint8 array
        Binary cutout, 0 or 1.
    band_px : int
        Half-width of the band, in pixels.
    iterations : int
        GrabCut iterations.
    max_pixels : int
        Largest crop GrabCut runs on at full resolution; larger crops are reduced to this
        size (keeps it under 300 ms on a CCP photo).

    Returns
    -------
    (H, W) uint8 array
        The refined cutout, 0 or 1.
    """
    _check_cutout(rgb, mask, "GrabCut")
    if band_px < 1 or iterations < 1:
        raise ValueError(f"band_px and iterations must be positive, got {band_px}, {iterations}")
    fg = mask.astype(np.uint8, copy=True)
    if not fg.any() or fg.all():
        return fg
    size = 2 * band_px + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    inner = cv2.erode(fg, disc, borderType=cv2.BORDER_REPLICATE)
    outer = cv2.dilate(fg, disc, borderType=cv2.BORDER_REPLICATE)
    box = mask_ops.BBox.of(outer > 0)
    margin = 4 * band_px
    crop = (
        None
        if box is None
        else mask_ops.BBox(box.y0 - margin, box.x0 - margin, box.y1 + margin, box.x1 + margin)
        .clip(mask.shape)
    )  # fmt: skip
    if crop is None:
        return fg
    sl = crop.slices
    gc = np.full(crop.shape, cv2.GC_BGD, np.uint8)
    gc[outer[sl] > 0] = cv2.GC_PR_BGD
    gc[fg[sl] > 0] = cv2.GC_PR_FGD
    gc[inner[sl] > 0] = cv2.GC_FGD
    out = fg.copy()
    # GrabCut needs sure samples of both colour models; a sliver or a full frame has none.
    bgr = np.ascontiguousarray(rgb[sl][..., ::-1])
    height, width = crop.shape
    factor = min(1.0, (max_pixels / (height * width)) ** 0.5)
    if factor < 1.0:
        # GrabCut's cost grows with the crop; above max_pixels it runs on a reduced copy and
        # only the band's pixels take the upscaled answer.
        small = (max(1, round(width * factor)), max(1, round(height * factor)))
        bgr = cv2.resize(bgr, small, interpolation=cv2.INTER_AREA)
        gc_small = resize_labels(gc, (small[1], small[0]))
    else:
        gc_small = gc
    if not (gc_small == cv2.GC_FGD).any() or not (gc_small == cv2.GC_BGD).any():
        return out
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    # GrabCut seeds its colour models' k-means from OpenCV's RNG: a fixed seed makes the same
    # photo give the same proposal wherever it is computed (window, QA, benchmarks).
    cv2.setRNGSeed(0)
    cv2.grabCut(bgr, gc_small, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    decided = ((gc_small == cv2.GC_FGD) | (gc_small == cv2.GC_PR_FGD)).astype(np.uint8)
    if factor < 1.0:
        decided = cv2.resize(decided, (width, height), interpolation=cv2.INTER_LINEAR)
    band = (gc == cv2.GC_PR_BGD) | (gc == cv2.GC_PR_FGD)
    out[sl][band] = decided[band]
    return out


#: Guided filter of :func:`guided_edges`: window radius (pixels) and regularisation. Chosen on
#: the 100 photos left after 100 of 200 mannequin composites of CCP train photos were corrected
#: in ``bench loop`` (docs/superpixels.md).
GUIDED_RADIUS = 8
GUIDED_EPS = 1e-3


#: The guided filters (:func:`guided_edges`, :func:`guided_labels`) decide the pixels of photos
#: with a longer side on a copy of this long side (pixels): above the 1728 of studio photos, so
#: those are filtered at full resolution. At full resolution a 4000x6000 photo took 3.4-5.4 s
#: (a parsing mask) and 5.1 s and 1 GB (a garment cutout filling much of the photo); its masks
#: come from network inputs of 448-512 pixels anyway.
GUIDED_MAX_SIDE = 2048


def _decided_on_copy(
    rgb: np.ndarray, labels: np.ndarray, decide: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """``decide(rgb, labels)`` run on a copy of long side :data:`GUIDED_MAX_SIDE` (photo by area,
    labels by nearest): the pixels it changes, and those of the copy's pixels next to them, take
    its decision, enlarged (nearest); the others keep their label. ``(H, W) uint8`` out, a new
    array. (Taking the changed pixels alone left hundreds of hair-thin specks on a 24-megapixel
    photo: where a class edge ran through an unchanged copy pixel beside a changed one, the
    photo's own edge and the enlarged block's staircase left slivers between them.)"""
    h, w = labels.shape
    f = GUIDED_MAX_SIDE / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    small = cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST)
    decided = decide(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), small)
    near = cv2.dilate((decided != small).view(np.uint8), np.ones((3, 3), np.uint8))
    taken = cv2.resize(near, (w, h), interpolation=cv2.INTER_NEAREST) > 0
    out = labels.copy()
    out[taken] = cv2.resize(decided, (w, h), interpolation=cv2.INTER_NEAREST)[taken]
    return out


def guided_edges(
    rgb: np.ndarray, mask: np.ndarray, radius: int = GUIDED_RADIUS, eps: float = GUIDED_EPS
) -> np.ndarray:
    """Re-decide a binary cutout's pixels near its boundary with the colour guided filter.

    The mask (0.0 / 1.0) is filtered with the photo as guide and cut at 0.5: pixels further
    than ``radius`` from the boundary keep their label, those near it follow the photo's colour
    edges. The filter runs on the mask's bounding box plus a margin, so its cost follows the
    garment, not the photo (median 23 ms on 1152x1728 mannequin photos, 8 ms on CCP photos,
    `bench refine`). Photos longer than :data:`GUIDED_MAX_SIDE` are decided on a copy of that
    size (:func:`_decided_on_copy`; ``radius`` in the copy's pixels).

    Parameters
    ----------
    rgb : (H, W, 3) uint8 array
        The photo.
    mask : (H, W) uint8 array
        Binary cutout, 0 or 1.
    radius, eps
        As :func:`guided_filter`.

    Returns
    -------
    (H, W) uint8 array
        The refined cutout, 0 or 1.
    """
    _check_cutout(rgb, mask, "the guided filter")
    if radius < 1 or eps <= 0:
        raise ValueError(f"radius and eps must be positive, got {radius}, {eps}")
    out = mask.astype(np.uint8, copy=True)
    if max(out.shape) > GUIDED_MAX_SIDE:
        return _decided_on_copy(rgb, out, lambda photo, cut: guided_edges(photo, cut, radius, eps))
    box = mask_ops.BBox.of(out > 0)
    if box is None or out.all():
        return out
    margin = 3 * radius
    crop = mask_ops.BBox(
        box.y0 - margin, box.x0 - margin, box.y1 + margin, box.x1 + margin
    ).clip(mask.shape)
    if crop is None:
        return out
    sl = crop.slices
    guide = rgb[sl].astype(np.float32) * np.float32(1 / 255)
    filtered = guided_filter(guide, out[sl].astype(np.float32), radius, eps)
    out[sl] = filtered >= 0.5
    return out


#: :func:`guided_labels`: window radius per pixel of the photo's long side (8 pixels on an
#: 825-pixel CCP photo, 17 at 1728) and regularisation, chosen on 100 CCP train photos
#: (radius 2, 4, 8, 12, 16, 24 pixels at CCP size; eps 1e-3, 1e-2, 1e-1; docs/superpixels.md).
GUIDED_LABELS_RADIUS_PER_SIDE = 0.01
GUIDED_LABELS_EPS = 1e-2


def guided_labels(
    rgb: np.ndarray, labels: np.ndarray, radius: int | None = None, eps: float = GUIDED_LABELS_EPS
) -> np.ndarray:
    """Re-decide a label map's pixels near its class edges with the colour guided filter.

    Each class's indicator (1.0 inside, 0.0 outside) is filtered with the photo as guide and
    every pixel takes the class with the highest filtered value, so class edges enlarged from a
    network's resolution follow the photo's colour edges. Only pixels within ``radius + 1`` of a
    class edge are re-decided, each among the classes that near (the exact filter can move
    pixels up to ``2 radius`` away; on 40 CCP train photos the scores agree to four digits). The
    coefficients are fitted on the photo shrunk by ``max(1, radius // 4)`` (the fast guided
    filter of He and Sun, 2015) and read back bilinearly at those pixels only: median 58 ms on a
    CCP photo, 147 ms at 1152x1728 (docs/superpixels.md). Photos whose long side exceeds
    :data:`GUIDED_MAX_SIDE` are decided on a copy of that size (:func:`_decided_on_copy`).
    Multi-class counterpart of :func:`guided_edges`.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 array
        The photo.
    labels : (H, W) uint8 array
        Class ids.
    radius : int, optional
        Window radius in pixels of the photo; default ``max(2, round(0.01 * long side))``
        (of the working copy for large photos).
    eps : float
        As :func:`guided_filter`.

    Returns
    -------
    (H, W) uint8 array
        The refined label map (a new array).
    """
    rgb = np.asarray(rgb)
    labels = np.asarray(labels)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"the guided filter needs an (H, W, 3) uint8 photo, got {rgb.dtype} {rgb.shape}")
    if labels.shape != rgb.shape[:2] or labels.dtype != np.uint8:
        raise ValueError(
            f"the guided filter needs a uint8 label map of shape {rgb.shape[:2]}, got {labels.dtype} {labels.shape}"
        )
    if (radius is not None and radius < 1) or eps <= 0:
        raise ValueError(f"radius and eps must be positive, got {radius}, {eps}")
    h, w = labels.shape
    if max(h, w) > GUIDED_MAX_SIDE:
        small_radius = None if radius is None else max(1, round(radius * GUIDED_MAX_SIDE / max(h, w)))
        return _decided_on_copy(rgb, labels, lambda photo, lab: guided_labels(photo, lab, small_radius, eps))
    if radius is None:
        radius = max(2, round(GUIDED_LABELS_RADIUS_PER_SIDE * max(labels.shape)))
    out = labels.copy()
    edges = region_boundaries(labels)
    if not edges.any():
        return out
    reach = radius + 1
    kernel = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    band = cv2.dilate(edges.view(np.uint8), kernel) > 0
    classes = np.unique(labels)
    step = max(1, radius // 4)
    small = (max(1, round(w / step)), max(1, round(h / step)))
    guide = cv2.resize(rgb, small, interpolation=cv2.INTER_AREA).astype(np.float32) * np.float32(1 / 255)
    r = max(1, round(radius / step))
    fit = GuideFit(guide, r, eps)
    rows = source_axis(np.arange(h), small[1], h)
    cols = source_axis(np.arange(w), small[0], w)
    best = np.full((h, w), -np.inf, np.float32)
    for c in classes:
        inside = (labels == c).view(np.uint8)
        src = cv2.resize(inside.astype(np.float32), small, interpolation=cv2.INTER_AREA)
        table = np.stack(fit.coefficients(src), axis=2)  # (h', w', 4)
        # the class's filtered value is 0 further than ``reach`` from it: only nearer pixels
        near = band & (cv2.dilate(inside, kernel) > 0)
        ys, xs = np.nonzero(near)
        at = sample_rows_cols(table, rows, cols, ys, xs)
        score = np.einsum("nc,nc->n", at[:, :3], rgb[ys, xs].astype(np.float32) * np.float32(1 / 255))
        score += at[:, 3]
        win = score > best[ys, xs]
        best[ys[win], xs[win]] = score[win]
        out[ys[win], xs[win]] = c
    return out


def guided_mask(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The ``"guided"`` refinement: :func:`guided_edges` for a binary mask (ids 0 and 1),
    :func:`guided_labels` for a parsing mask; ``(H, W) uint8`` in and out."""
    return guided_edges(rgb, mask) if int(mask.max(initial=0)) <= 1 else guided_labels(rgb, mask)


def clean_mask(
    mask: np.ndarray,
    min_island: int | None = None,
    fill_holes: bool = True,
    max_hole: int | None = None,
) -> np.ndarray:
    """Relabel islands smaller than ``min_island`` pixels, then fill each label's holes.

    Parameters
    ----------
    mask : (H, W) uint8 array
        Label ids.
    min_island : int, optional
        Components (of any label, background included, so small holes too) with fewer pixels
        take the most common label around them. Default: 1/4000 of the image area (H * W
        pixels), at least 64 pixels; 498 px at 1152x1728 (a 22x22 px patch), so stray specks
        of a few hundred pixels go while a shoe or a bag of a few thousand stays.
    fill_holes : bool
        Fill the background holes of every foreground label (other classes a label encloses,
        a bag held over a coat, keep theirs).
    max_hole : int, optional
        Holes larger than this many pixels are kept (the gap between an arm and the body);
        None fills every hole.

    Returns
    -------
    (H, W) uint8 array
        The cleaned mask.
    """
    out = np.array(mask, copy=True)
    mask_ops.check_mask(out)
    if min_island is None:
        min_island = max(64, round(out.shape[0] * out.shape[1] / 4000))
    mask_ops.remove_islands(out, min_island)
    if fill_holes:
        for label in np.unique(out):
            if label:  # background holes only: a bag held over a coat stays a bag
                mask_ops.fill_holes(out, int(label), max_size=max_hole, background_only=True)
    return out


def apply_refinements(
    names: Sequence[str],
    mask: np.ndarray,
    *,
    rgb: np.ndarray | None = None,
    probs: np.ndarray | None = None,
    regions: np.ndarray | None = None,
) -> np.ndarray:
    """Apply named refinements in order and return the refined mask.

    Parameters
    ----------
    names : sequence of str
        Names from :data:`REFINEMENTS`.
    mask : (H, W) uint8 array
        The proposal.
    rgb : (H, W, 3) uint8 array, optional
        The photo, needed by ``"grabcut"`` and ``"guided"``.
    probs : (K, H, W) float array, optional
        Class probabilities, needed by ``"consensus"`` and used by ``"snap"``.
    regions : (H, W) integer array, optional
        Superpixel ids, needed by ``"snap"`` and ``"consensus"``.

    Raises
    ------
    ValueError
        For an unknown name or a missing input.
    """
    out = mask
    for name in names:
        if name not in REFINEMENTS:
            raise ValueError(f"unknown refinement {name!r} (known: {', '.join(REFINEMENTS)})")
        needs = {"snap": (regions,), "consensus": (probs, regions), "grabcut": (rgb,),
                 "guided": (rgb,)}  # fmt: skip
        if any(x is None for x in needs.get(name, ())):
            raise ValueError(f"refinement {name!r} needs the photo, probs or regions it uses")
        if name == "snap" and regions is not None:
            out = snap_to_regions(out, regions, probs)
        elif name == "consensus" and probs is not None and regions is not None:
            # The proposal's probabilities no longer describe a mask already changed above.
            relabelled = consensus_relabel(probs, regions)
            out = relabelled if out is mask else np.where(out == mask, relabelled, out)
        elif name == "grabcut" and rgb is not None:
            out = grabcut_band(rgb, out)
        elif name == "guided" and rgb is not None:
            out = guided_mask(rgb, out)
        else:
            out = clean_mask(out)
    return out if out is not mask else mask.copy()
