"""Superpixel hierarchy: Felzenszwalb regions merged over a region adjacency graph.

The window lets an operator assign a whole region in one click, at a level chosen with a
slider (fine -> coarse). The hierarchy is computed once per photo:

1. the photo is area-resized to a *working scale* (longest side ``working_size`` pixels), which
   keeps Felzenszwalb's cost independent of the camera's resolution;
2. a 3x3 median filter removes JPEG noise and :func:`skimage.segmentation.felzenszwalb`
   over-segments it (level 0);
3. a region adjacency graph is built with array operations (``np.unique`` on pairs of
   neighbouring labels, ``np.bincount`` for sizes, mean CIELAB colours and boundary contrast),
   never a per-pixel Python loop;
4. adjacent regions are merged greedily (Ward's criterion on CIELAB colour, weighted by the
   contrast of their shared boundary) in a loop over the few hundred *regions*; the partition is
   recorded when the region count reaches each of ``level_counts``;
5. the fine labels are upscaled to full resolution with nearest-neighbour ``cv2.resize`` and
   every coarser level is a lookup table applied to them, so levels nest exactly.

Because the levels nest, a hierarchy is stored compactly as the fine labels plus one lookup
table per level (:func:`superpixels_to_arrays`), which is what the project cache keeps.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import cv2
import numpy as np
from skimage.segmentation import felzenszwalb

#: Level the window shows by default (380 regions).
DEFAULT_LEVEL: int = 1

#: Cache key under which the UI stores a hierarchy; bump it when the parameters change
#: (v2: regions enlarged pixel-centred).
CACHE_KEY: str = "superpixels-v2"
#: The arrays :func:`superpixels_to_arrays` packs a hierarchy into, each cached under
#: ``f"{CACHE_KEY}-{name}"``.
CACHED_ARRAYS: tuple[str, ...] = ("fine", "luts")


@dataclass(frozen=True)
class SuperpixelParams:
    """Parameters of :func:`compute_superpixels`.

    Attributes
    ----------
    working_size : int
        Longest side, in pixels, of the image Felzenszwalb runs on. Smaller photos are not
        upscaled.
    scale : float
        Felzenszwalb ``scale`` (higher means larger regions), at the working scale.
    median_size : int
        Aperture of the median filter applied before Felzenszwalb (odd; 1 disables it). Unlike
        Felzenszwalb's Gaussian it keeps step edges sharp, so flat blocks stay exactly
        themselves instead of growing one-pixel slivers of blended colour along their edges.
    sigma : float
        Gaussian pre-smoothing inside Felzenszwalb, in working-scale pixels.
    min_size : int
        Smallest Felzenszwalb region, in working-scale pixels.
    level_counts : tuple of int
        Region counts at which the merging records the coarser levels, decreasing. Level 0 is
        the Felzenszwalb output; level ``i + 1`` has at most ``level_counts[i]`` regions.
    contrast_weight : float
        How strongly a high-contrast shared boundary (mean CIELAB difference across it) delays
        a merge; 0 gives plain Ward merging on mean colour.
    """

    working_size: int = 640
    scale: float = 100.0
    median_size: int = 3
    sigma: float = 0.0
    min_size: int = 20
    level_counts: tuple[int, ...] = (380, 150, 50)
    contrast_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.working_size < 16:
            raise ValueError(f"working_size must be at least 16 pixels, got {self.working_size}")
        if self.median_size < 1 or self.median_size % 2 == 0:
            raise ValueError(f"median_size must be odd and positive, got {self.median_size}")
        counts = tuple(self.level_counts)
        if any(c < 1 for c in counts) or any(
            a <= b for a, b in zip(counts[:-1], counts[1:], strict=True)
        ):
            raise ValueError(f"level_counts must be positive and decreasing, got {counts}")


@dataclass
class SuperpixelHierarchy:
    """Nested partitions of one photo, fine to coarse.

    Attributes
    ----------
    levels : list of (H, W) int32 arrays
        Region ids ``0..n-1`` per level, at the photo's full resolution. Every region of level
        ``k + 1`` is a union of regions of level ``k``.
    """

    levels: list[np.ndarray]
    _counts: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.levels:
            raise ValueError("a superpixel hierarchy needs at least one level")
        shape = self.levels[0].shape
        for i, level in enumerate(self.levels):
            if level.shape != shape or level.ndim != 2:
                raise ValueError(f"level {i} has shape {level.shape}, expected {shape}")
        self._counts = [int(level.max()) + 1 for level in self.levels]

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` of the photo."""
        h, w = self.levels[0].shape
        return int(h), int(w)

    @property
    def num_levels(self) -> int:
        """Number of levels."""
        return len(self.levels)

    def num_regions(self, level: int) -> int:
        """Number of regions at ``level``."""
        return self._counts[level]


def compute_superpixels(
    rgb: np.ndarray, params: SuperpixelParams | None = None
) -> SuperpixelHierarchy:
    """Compute the superpixel hierarchy of a photo.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 array
        The photo.
    params : SuperpixelParams, optional
        Defaults to ``SuperpixelParams()``, tuned on the CCP train split.

    Returns
    -------
    SuperpixelHierarchy
        ``1 + len(params.level_counts)`` levels at full resolution.
    """
    params = params or SuperpixelParams()
    rgb = _check_rgb(rgb)
    height, width = rgb.shape[:2]
    factor = min(1.0, params.working_size / max(height, width))
    if factor < 1.0:
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    else:
        small = rgb
    smooth = cv2.medianBlur(small, params.median_size) if params.median_size > 1 else small
    fine = felzenszwalb(
        smooth, scale=params.scale, sigma=params.sigma, min_size=params.min_size, channel_axis=-1
    ).astype(np.int32)  # felzenszwalb already numbers its regions 0..n-1
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    luts = merge_hierarchy(fine, lab, params.level_counts, params.contrast_weight)
    if factor < 1.0:
        # pixel-centred, as the area-shrunk photo (INTER_NEAREST would shift the regions)
        fine = cv2.resize(fine, (width, height), interpolation=cv2.INTER_NEAREST_EXACT)
    return SuperpixelHierarchy([fine] + [lut[fine] for lut in luts])


def region_adjacency(labels: np.ndarray, image: np.ndarray) -> tuple[np.ndarray, ...]:
    """Build the region adjacency graph of a label image with array operations.

    Parameters
    ----------
    labels : (H, W) int32 array
        Region ids ``0..n-1``.
    image : (H, W, C) float32 array
        Pixel features (CIELAB here).

    Returns
    -------
    sizes : (n,) float64 array
        Pixels per region.
    sums : (n, C) float64 array
        Feature sums per region.
    edges : (E, 2) int64 array
        Adjacent region pairs ``a < b`` (4-connectivity).
    lengths : (E,) float64 array
        Number of neighbouring pixel pairs across each edge.
    contrast : (E,) float64 array
        Sum over those pairs of the feature distance across the boundary.
    """
    n = int(labels.max()) + 1
    flat = labels.ravel()
    sizes = np.bincount(flat, minlength=n).astype(np.float64)
    channels = image.reshape(-1, image.shape[-1])
    sums = np.stack(
        [np.bincount(flat, weights=channels[:, c], minlength=n) for c in range(channels.shape[1])],
        axis=1,
    )
    keys, diffs = [], []
    for a, b, fa, fb in (
        (labels[:, :-1], labels[:, 1:], image[:, :-1], image[:, 1:]),
        (labels[:-1, :], labels[1:, :], image[:-1, :], image[1:, :]),
    ):
        cross = a != b
        la, lb = a[cross].astype(np.int64), b[cross].astype(np.int64)
        keys.append(np.minimum(la, lb) * n + np.maximum(la, lb))
        diffs.append(np.linalg.norm(fa[cross] - fb[cross], axis=1))
    all_keys = np.concatenate(keys)
    unique, inverse = np.unique(all_keys, return_inverse=True)
    lengths = np.bincount(inverse).astype(np.float64)
    contrast = np.bincount(inverse, weights=np.concatenate(diffs))
    edges = np.stack([unique // n, unique % n], axis=1)
    return sizes, sums, edges, lengths, contrast


def merge_hierarchy(
    labels: np.ndarray,
    image: np.ndarray,
    level_counts: tuple[int, ...],
    contrast_weight: float = 1.0,
) -> list[np.ndarray]:
    """Greedily merge adjacent regions, recording the partition at each region count.

    The cost of merging ``a`` and ``b`` is Ward's increase in within-region variance,
    ``n_a n_b / (n_a + n_b) * |m_a - m_b|^2``, multiplied by
    ``1 + contrast_weight * c_ab / 10`` where ``c_ab`` is the mean CIELAB difference across
    their shared boundary: a visible edge keeps regions apart even when their means agree.
    The loop runs over regions (a few hundred), with a heap and lazy invalidation.

    Parameters
    ----------
    labels : (H, W) int32 array
        Fine region ids ``0..n-1``.
    image : (H, W, C) float32 array
        Pixel features.
    level_counts : tuple of int
        Decreasing region counts to record.
    contrast_weight : float
        Weight of the boundary contrast.

    Returns
    -------
    list of (n,) int32 arrays
        One lookup table per count: fine id -> consecutive coarse id.
    """
    sizes, sums, edges, lengths, contrast = region_adjacency(labels, image)
    n = sizes.size
    size = sizes.tolist()
    means = [row for row in (sums / np.maximum(sizes, 1)[:, None]).tolist()]
    neighbours: list[dict[int, list[float]]] = [{} for _ in range(n)]
    for (a, b), length, con in zip(
        edges.tolist(), lengths.tolist(), contrast.tolist(), strict=True
    ):
        neighbours[a][b] = [length, con]
        neighbours[b][a] = [length, con]
    version = [0] * n
    parent = list(range(n))

    def cost(a: int, b: int) -> float:
        length, con = neighbours[a][b]
        ward = size[a] * size[b] / (size[a] + size[b]) * math.dist(means[a], means[b]) ** 2
        return ward * (1.0 + contrast_weight * con / length / 10.0)

    # The initial costs are the same formula, vectorised over all edges.
    ea, eb = edges[:, 0], edges[:, 1]
    mean_arr = np.asarray(means)
    initial = (
        sizes[ea]
        * sizes[eb]
        / (sizes[ea] + sizes[eb])
        * ((mean_arr[ea] - mean_arr[eb]) ** 2).sum(axis=1)
        * (1.0 + contrast_weight * contrast / lengths / 10.0)
    )
    heap = [
        (c, a, b, 0, 0) for c, a, b in zip(initial.tolist(), ea.tolist(), eb.tolist(), strict=True)
    ]
    heapq.heapify(heap)
    alive = n
    luts: list[np.ndarray] = []
    targets = list(level_counts)
    while targets:
        while alive > targets[0] and heap:
            _, a, b, va, vb = heapq.heappop(heap)
            if version[a] != va or version[b] != vb:
                continue
            _merge(a, b, size, means, neighbours, parent)
            version[a] += 1
            version[b] = -1
            alive -= 1
            for c in neighbours[a]:
                x, y = (a, c) if a < c else (c, a)
                heapq.heappush(heap, (cost(x, y), x, y, version[x], version[y]))
        luts.append(_relabel_consecutive(_resolve(parent)))
        targets.pop(0)
    return luts


def _merge(
    a: int,
    b: int,
    size: list[float],
    means: list[list[float]],
    neighbours: list[dict[int, list[float]]],
    parent: list[int],
) -> None:
    """Merge region ``b`` into ``a`` in place."""
    total = size[a] + size[b]
    means[a] = [
        (x * size[a] + y * size[b]) / total for x, y in zip(means[a], means[b], strict=True)
    ]
    size[a] = total
    parent[b] = a
    del neighbours[a][b]
    del neighbours[b][a]
    for c, (length, con) in neighbours[b].items():
        del neighbours[c][b]
        if c in neighbours[a]:
            entry = neighbours[a][c]
            entry[0] += length
            entry[1] += con
        else:
            entry = [length, con]
            neighbours[a][c] = entry
        neighbours[c][a] = entry
    neighbours[b] = {}


def _resolve(parent: list[int]) -> np.ndarray:
    """Return each node's root in the union-find forest ``parent``."""
    roots = np.asarray(parent, dtype=np.int64)
    while True:
        nxt = roots[roots]
        if np.array_equal(nxt, roots):
            return roots
        roots = nxt


def _relabel_consecutive(labels: np.ndarray) -> np.ndarray:
    """Map the values of ``labels`` to ``0..n-1`` in increasing order, as int32."""
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.reshape(labels.shape).astype(np.int32)


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 photo, got {rgb.shape} {rgb.dtype}")
    if rgb.shape[0] < 2 or rgb.shape[1] < 2:
        raise ValueError(f"photo too small for superpixels: {rgb.shape[1]}x{rgb.shape[0]}")
    return np.ascontiguousarray(rgb)


def region_boundaries(regions: np.ndarray) -> np.ndarray:
    """Mark the pixels whose right or lower neighbour lies in another region.

    Parameters
    ----------
    regions : (H, W) integer array
        Region ids.

    Returns
    -------
    (H, W) bool array
        One-pixel-thin boundaries, for drawing.
    """
    edges = np.zeros(regions.shape, dtype=bool)
    edges[:, :-1] |= regions[:, :-1] != regions[:, 1:]
    edges[:-1, :] |= regions[:-1, :] != regions[1:, :]
    return edges


def superpixels_to_arrays(hierarchy: SuperpixelHierarchy) -> dict[str, np.ndarray]:
    """Pack a hierarchy into two arrays for the project cache.

    Returns
    -------
    dict
        ``"fine"``: (H, W) int32, level 0; ``"luts"``: (L - 1, n0) int32, level ``k + 1`` is
        ``luts[k][fine]``. Store each under ``f"{CACHE_KEY}-{name}"``.
    """
    fine = hierarchy.levels[0]
    n0 = hierarchy.num_regions(0)
    luts = np.zeros((hierarchy.num_levels - 1, n0), dtype=np.int32)
    flat = fine.ravel()
    for k, level in enumerate(hierarchy.levels[1:]):
        luts[k, flat] = level.ravel()
    return {"fine": fine.astype(np.int32, copy=False), "luts": luts}


def superpixels_from_arrays(arrays: Mapping[str, np.ndarray]) -> SuperpixelHierarchy:
    """Rebuild a hierarchy packed by :func:`superpixels_to_arrays`.

    Raises
    ------
    ValueError
        When the arrays are missing, of the wrong shape, or inconsistent.
    """
    try:
        fine, luts = np.asarray(arrays["fine"]), np.asarray(arrays["luts"])
    except KeyError as exc:
        raise ValueError(f"cached superpixels lack the array {exc.args[0]!r}") from None
    if fine.ndim != 2 or luts.ndim != 2 or fine.size == 0:
        raise ValueError(f"cached superpixels have shapes {fine.shape} and {luts.shape}")
    if fine.min() < 0 or (luts.shape[0] and int(fine.max()) >= luts.shape[1]):
        raise ValueError("cached superpixel ids do not match their lookup tables")
    fine = fine.astype(np.int32, copy=False)
    return SuperpixelHierarchy([fine] + [lut.astype(np.int32)[fine] for lut in luts])
