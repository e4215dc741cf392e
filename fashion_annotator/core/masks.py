"""In-place editing operations on ``(H, W) uint8`` label masks.

Every edit modifies ``mask`` in place and returns the :class:`BBox` of the pixels it actually
changed, or ``None`` when nothing changed, so the UI repaints and :class:`~.history.History`
compares only that rectangle.

Coordinates follow the project contract: ``x`` is the column, ``y`` the row, in full-resolution
pixels (floats allowed); pixel centres lie at integer coordinates, so pixel ``(row=3, col=5)``
is the point ``x=5.0, y=3.0``.

Cost notes: :func:`paint_stroke` touches only the stroke's bounding box (O(radius * length)),
:func:`fill_polygon` and :func:`subtract_polygon` only the polygon's bounding box;
:func:`assign_regions`, :func:`flood_fill`, :func:`remove_islands` and :func:`fill_holes` scan
the whole image once (a few ms at 1152x1728; remove_islands labels every label in one pass).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
from scipy import ndimage

if TYPE_CHECKING:
    from shapely.geometry import Polygon

# Squared-distance slack: centres exactly on the brush edge survive float rounding.
_EPS = 1e-6
# Thinnest brush: a one-pixel pen, which still leaves no gaps on sloped segments.
_MIN_RADIUS = 0.5
# Segment components shorter than this (pixels) count as zero: dividing by a subnormal slope
# would overflow the row ends without moving any pixel.
_TINY = 1e-9


@dataclass(frozen=True)
class BBox:
    """Axis-aligned pixel rectangle ``[y0, y1) x [x0, x1)`` (end exclusive, integer pixels)."""

    y0: int
    x0: int
    y1: int
    x1: int

    def __post_init__(self) -> None:
        if self.y1 < self.y0 or self.x1 < self.x0:
            raise ValueError(f"BBox has negative extent: {self}")

    @property
    def slices(self) -> tuple[slice, slice]:
        """``(rows, cols)`` slices, so ``mask[bbox.slices]`` is the patch."""
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` of the rectangle in pixels."""
        return self.y1 - self.y0, self.x1 - self.x0

    @property
    def area(self) -> int:
        """Number of pixels covered."""
        return (self.y1 - self.y0) * (self.x1 - self.x0)

    def union(self, other: BBox | None) -> BBox:
        """Smallest box covering both; ``None`` is the empty box."""
        if other is None:
            return self
        return BBox(min(self.y0, other.y0), min(self.x0, other.x0), max(self.y1, other.y1), max(self.x1, other.x1))

    def offset(self, dy: int, dx: int) -> BBox:
        """The same box translated by ``(dy, dx)`` pixels."""
        return BBox(self.y0 + dy, self.x0 + dx, self.y1 + dy, self.x1 + dx)

    def clip(self, shape: tuple[int, int]) -> BBox | None:
        """Intersection with an image of ``shape = (H, W)``; ``None`` when it is empty."""
        y0, x0 = max(self.y0, 0), max(self.x0, 0)
        y1, x1 = min(self.y1, shape[0]), min(self.x1, shape[1])
        if y1 <= y0 or x1 <= x0:
            return None
        return BBox(y0, x0, y1, x1)

    @classmethod
    def around(cls, lo_xy: np.ndarray, hi_xy: np.ndarray) -> BBox:
        """Box of the pixel centres inside the float rectangle ``lo_xy``..``hi_xy`` (x, y)."""
        y0, x0 = int(np.ceil(lo_xy[1])), int(np.ceil(lo_xy[0]))
        return cls(
            y0, x0, max(y0, int(np.floor(hi_xy[1])) + 1), max(x0, int(np.floor(hi_xy[0])) + 1)
        )

    @classmethod
    def of(cls, array: np.ndarray) -> BBox | None:
        """Tight box around the true pixels of a 2-D boolean ``array``; ``None`` if none."""
        array = np.asarray(array)
        if array.ndim != 2:
            raise ValueError(f"BBox.of needs a 2-D array, got shape {array.shape}")
        rows = np.flatnonzero(array.any(axis=1))
        if rows.size == 0:
            return None
        cols = np.flatnonzero(array.any(axis=0))
        return cls(int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)


def union_all(boxes: Iterable[BBox | None]) -> BBox | None:
    """Union of several boxes, ignoring ``None``; ``None`` when all are ``None``."""
    out: BBox | None = None
    for box in boxes:
        if box is not None:
            out = box if out is None else out.union(box)
    return out


def check_mask(mask: np.ndarray, name: str = "mask", writable: bool = True) -> None:
    """Raise ``ValueError`` unless ``mask`` is an ``(H, W) uint8`` array, writable unless the
    caller only reads it (``writable=False``: a pure function that returns a new mask)."""
    if not isinstance(mask, np.ndarray) or mask.ndim != 2 or mask.dtype != np.uint8:
        shape = getattr(mask, "shape", None)
        dtype = getattr(mask, "dtype", type(mask).__name__)
        raise ValueError(f"{name} must be an (H, W) uint8 array, got shape {shape} dtype {dtype}")
    if writable and not mask.flags.writeable:
        raise ValueError(f"{name} is read-only; edits modify it in place")


def _check_label(label: int) -> int:
    label = int(label)
    if not 0 <= label <= 255:
        raise ValueError(f"label must be in 0..255, got {label}")
    return label


def _as_points(points: np.ndarray, name: str) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim == 1 and pts.shape == (2,):
        pts = pts[None, :]
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"{name} must be an (N, 2) array of x, y; got shape {pts.shape}")
    if not np.all(np.isfinite(pts)):
        raise ValueError(f"{name} contains NaN or infinite coordinates")
    return pts


def _write(mask: np.ndarray, box: BBox, select: np.ndarray, label: int) -> BBox | None:
    """Set ``mask[box][select] = label``; return the box of pixels that really changed."""
    patch = mask[box.slices]
    changed = select & (patch != label)
    tight = BBox.of(changed)
    if tight is None:
        return None
    patch[changed] = label
    return tight.offset(box.y0, box.x0)


def _segment_disk(box: BBox, a: np.ndarray, b: np.ndarray, radius: float) -> np.ndarray:
    """Pixels of ``box`` whose centre lies within ``radius`` of segment ``a-b`` (xy).

    The capsule (the segment grown by ``radius``) is convex, so each row of it is one run of
    pixels: the run's ends are found per row (the union of the two end disks' and the band's
    spans) and the rows filled between them. Cost: O(rows) arithmetic and one comparison per
    pixel, instead of a distance per pixel (a 1,000 px brush: milliseconds, not half a second).
    """
    r2 = radius * radius + _EPS
    ys = np.arange(box.y0, box.y1, dtype=np.float64) - a[1]
    dx, dy = (0.0 if abs(v) < _TINY else v for v in (float(b[0] - a[0]), float(b[1] - a[1])))
    lo = np.full(ys.shape, np.inf)
    hi = np.full(ys.shape, -np.inf)
    for cx, cy in ((0.0, 0.0), (dx, dy)):  # the disks around both ends
        inside = r2 - (ys - cy) ** 2
        ok = inside >= 0
        half = np.sqrt(np.where(ok, inside, 0.0))
        lo = np.where(ok, np.minimum(lo, cx - half), lo)
        hi = np.where(ok, np.maximum(hi, cx + half), hi)
    length2 = dx * dx + dy * dy
    if length2 > 0.0:  # the band: 0 <= p.d <= |d|^2 and |p x d| <= r |d|, each linear in x
        reach = np.sqrt(r2 * length2)
        band_lo = np.full(ys.shape, -np.inf)
        band_hi = np.full(ys.shape, np.inf)
        band_ok = np.ones(ys.shape, dtype=bool)
        for coef, rest, low, high in ((dx, ys * dy, 0.0, length2), (dy, -ys * dx, -reach, reach)):
            if coef == 0.0:  # the condition does not depend on x: the row is in or out
                band_ok &= (rest >= low) & (rest <= high)
                continue
            ends = np.sort(np.stack([(low - rest) / coef, (high - rest) / coef]), axis=0)
            band_lo = np.maximum(band_lo, ends[0])
            band_hi = np.minimum(band_hi, ends[1])
        band_ok &= band_lo <= band_hi
        lo = np.where(band_ok, np.minimum(lo, band_lo), lo)
        hi = np.where(band_ok, np.maximum(hi, band_hi), hi)
    xs = np.arange(box.x0, box.x1, dtype=np.float64) - a[0]
    return (xs[None, :] >= lo[:, None] - _EPS) & (xs[None, :] <= hi[:, None] + _EPS)


def paint_stroke(mask: np.ndarray, points: np.ndarray, radius: float, label: int) -> BBox | None:
    """Paint a round-brush stroke through ``points`` (the eraser is ``label=0``).

    Parameters
    ----------
    mask : (H, W) uint8
        Label mask, modified in place.
    points : (N, 2) float
        Pointer positions as ``x, y`` pixels; consecutive points are joined by straight
        segments, so the brush leaves no gaps however fast the pointer moved.
    radius : float
        Brush radius in pixels: a pixel is painted when its centre lies within ``radius`` of
        the polyline, and the pixel under each point always is. Radii below 0.5 act as 0.5, a
        one-pixel pen that leaves no gaps.
    label : int
        Label id written.

    Returns
    -------
    BBox or None
        Box of changed pixels. Cost is proportional to the stroke's own bounding box, never the
        whole image (well under 1 ms for a mouse-move segment with a 30 px brush).
    """
    check_mask(mask)
    label = _check_label(label)
    pts = _as_points(points, "points")
    if not np.isfinite(radius) or radius < 0:
        raise ValueError(f"radius must be a finite number >= 0, got {radius}")
    radius = max(float(radius), _MIN_RADIUS)
    if len(pts) == 0:
        return None
    if len(pts) == 1:
        pts = np.vstack([pts, pts])
    changed: BBox | None = None
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        box = BBox.around(np.minimum(a, b) - radius, np.maximum(a, b) + radius).clip(mask.shape)
        if box is None:
            continue
        changed = union_all([changed, _write(mask, box, _segment_disk(box, a, b, radius), label)])
    # The pixel under each point is painted whatever the radius: a small pen clicked near a
    # pixel's corner (its centre 0.5-0.71 away) used to paint nothing.
    h, w = mask.shape
    for x, y in pts:
        col, row = math.floor(x + 0.5), math.floor(y + 0.5)
        if 0 <= row < h and 0 <= col < w and mask[row, col] != label:
            mask[row, col] = label
            changed = union_all([changed, BBox(row, col, row + 1, col + 1)])
    return changed


def _polygons(vertices: np.ndarray) -> list[Polygon]:
    """Valid polygonal parts of the ring ``vertices`` (self-intersections resolved; vertices
    rounded to 1e-9 px: denormal coordinates such as 1e-178 made GEOS divide by zero)."""
    # shapely loads only when a polygon is drawn: training and GPU machines never need it.
    from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
    from shapely.validation import make_valid

    pts = np.round(_as_points(vertices, "vertices"), 9)
    if len(pts) < 3:
        return []
    stack = [make_valid(Polygon(pts))]
    out: list[Polygon] = []
    while stack:
        g = stack.pop()
        if isinstance(g, Polygon) and g.area > 0:
            out.append(g)
        elif isinstance(g, MultiPolygon | GeometryCollection):
            stack.extend(g.geoms)
    return out


#: How close a pixel centre must be to an edge to count as on the outline (pixels).
_ON_EDGE = 1e-9


def _rasterise(polys: list[Polygon], shape: tuple[int, int]) -> tuple[BBox, np.ndarray] | None:
    """Boolean raster of ``polys`` restricted to their bounding box within ``shape``: the
    pixels whose centre (integer ``x, y``) is inside a polygon or on its outline, a hole's
    outline included (it never eats the ring around it). Exact, by scanlines through the pixel
    centres: OpenCV's ``fillPoly`` also filled the pixels its outline crossed, about one pixel
    too many on the right and bottom edges."""
    if not polys:
        return None
    bounds = np.array([p.bounds for p in polys])
    box = BBox.around(bounds[:, :2].min(axis=0) - _ON_EDGE, bounds[:, 2:].max(axis=0) + _ON_EDGE).clip(shape)
    if box is None:
        return None
    inside = np.zeros(box.shape, dtype=bool)
    for poly in polys:
        # coordinates to 1e-9 px: an edge is then level or rises at least that much (a rise of
        # 1e-313 overflowed the crossings' division)
        rings = [np.round(np.asarray(poly.exterior.coords, np.float64)[:, :2], 9)]
        rings += [np.round(np.asarray(r.coords, np.float64)[:, :2], 9) for r in poly.interiors]
        edges = np.vstack([np.hstack([r[:-1], r[1:]]) for r in rings if len(r) > 1])
        _fill_between_crossings(inside, box, edges)
        _mark_outline(inside, box, edges)
    return box, inside


def _fill_between_crossings(inside: np.ndarray, box: BBox, edges: np.ndarray) -> None:
    """Even-odd scanlines: on each pixel row ``y``, fill the centres between pairs of crossings
    of the ``edges`` ``(E, 4)`` ``x0, y0, x1, y1`` (an edge counts where ``min y <= y < max y``)."""
    x0, y0, x1, y1 = edges.T
    ys = np.arange(box.y0, box.y1, dtype=np.float64)[:, None]
    crosses = (ys >= np.minimum(y0, y1)) & (ys < np.maximum(y0, y1))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        xs = np.where(crosses, x0 + (ys - y0) * (x1 - x0) / (y1 - y0), np.inf)
    xs.sort(axis=1)
    for row, count in enumerate(crosses.sum(axis=1)):
        pairs = xs[row, : count - count % 2].reshape(-1, 2) - box.x0
        for a, b in pairs:
            c0, c1 = max(math.ceil(a - _ON_EDGE), 0), min(math.floor(b + _ON_EDGE), inside.shape[1] - 1)
            if c0 <= c1:
                inside[row, c0 : c1 + 1] = True


def _mark_outline(inside: np.ndarray, box: BBox, edges: np.ndarray) -> None:
    """Add the pixels whose centre lies on one of ``edges`` (the scanlines leave out a row
    through a vertex or along a horizontal edge)."""
    h, w = inside.shape
    for x0, y0, x1, y1 in edges:
        if abs(y1 - y0) < _ON_EDGE:  # horizontal: its centres, if it runs along a pixel row
            row = round(y0)
            if abs(y0 - row) < _ON_EDGE and box.y0 <= row < box.y1:
                c0 = max(math.ceil(min(x0, x1) - _ON_EDGE) - box.x0, 0)
                c1 = min(math.floor(max(x0, x1) + _ON_EDGE) - box.x0, w - 1)
                if c0 <= c1:
                    inside[row - box.y0, c0 : c1 + 1] = True
            continue
        rows = np.arange(math.ceil(min(y0, y1) - _ON_EDGE), math.floor(max(y0, y1) + _ON_EDGE) + 1)
        rows = rows[(rows >= box.y0) & (rows < box.y1)]
        xs = x0 + (rows - y0) * (x1 - x0) / (y1 - y0)
        cols = np.round(xs)
        on = (np.abs(xs - cols) < _ON_EDGE) & (cols >= box.x0) & (cols < box.x1)
        inside[rows[on] - box.y0, cols[on].astype(np.int64) - box.x0] = True


def fill_polygon(mask: np.ndarray, vertices: np.ndarray, label: int) -> BBox | None:
    """Fill the polygon ``vertices`` with ``label``.

    Parameters
    ----------
    mask : (H, W) uint8
        Label mask, modified in place.
    vertices : (N, 2) float
        Ring of ``x, y`` vertices (closing vertex optional). Self-intersecting rings are
        repaired with shapely ``make_valid`` (a figure eight fills both lobes; enclosed loops
        become holes and are left untouched).
    label : int
        Label id written.

    Returns
    -------
    BBox or None
        Box of changed pixels; ``None`` for a degenerate polygon (fewer than 3 vertices or zero
        area) or one entirely outside the mask. Pixels whose centre is inside the polygon or on
        its outline are filled. Cost is proportional to the polygon's bounding box.
    """
    check_mask(mask)
    label = _check_label(label)
    raster = _rasterise(_polygons(vertices), mask.shape)
    if raster is None:
        return None
    box, inside = raster
    return _write(mask, box, inside, label)


def subtract_polygon(
    mask: np.ndarray, vertices: np.ndarray, label: int | None = None, background: int = 0
) -> BBox | None:
    """Set pixels inside the polygon to ``background``.

    Parameters
    ----------
    mask : (H, W) uint8
        Label mask, modified in place.
    vertices : (N, 2) float
        Ring of ``x, y`` vertices, repaired as in :func:`fill_polygon`.
    label : int or None
        Only pixels of this label are cleared; ``None`` clears every label.
    background : int
        Label written into the cleared pixels.

    Returns
    -------
    BBox or None
        Box of changed pixels.
    """
    check_mask(mask)
    background = _check_label(background)
    raster = _rasterise(_polygons(vertices), mask.shape)
    if raster is None:
        return None
    box, inside = raster
    if label is not None:  # only that label's pixels are cleared
        inside &= mask[box.slices] == _check_label(label)
    return _write(mask, box, inside, background)


def flood_fill(
    mask: np.ndarray, seed_xy: tuple[float, float], label: int, connectivity: int = 4
) -> BBox | None:
    """Relabel the connected same-label region containing ``seed_xy``.

    Parameters
    ----------
    mask : (H, W) uint8
        Label mask, modified in place.
    seed_xy : (float, float)
        Seed point ``x, y``; rounded to the nearest pixel centre.
    label : int
        Label id written.
    connectivity : {4, 8}
        Pixel neighbourhood.

    Returns
    -------
    BBox or None
        Box of changed pixels; ``None`` when the region already has ``label``.
    """
    check_mask(mask)
    label = _check_label(label)
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity}")
    x, y = (int(round(float(v))) for v in seed_xy)
    h, w = mask.shape
    if not (0 <= x < w and 0 <= y < h):
        raise ValueError(f"seed ({x}, {y}) lies outside the {w}x{h} mask")
    if mask[y, x] == label:
        return None
    region = np.zeros((h + 2, w + 2), dtype=np.uint8)
    flags = connectivity | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (1 << 8)
    _, _, _, (rx, ry, rw, rh) = cv2.floodFill(
        np.ascontiguousarray(mask), region, (x, y), 0, 0, 0, flags
    )
    box = BBox(ry, rx, ry + rh, rx + rw)
    select = region[1:-1, 1:-1][box.slices] > 0
    return _write(mask, box, select, label)


def assign_regions(
    mask: np.ndarray, regions: np.ndarray, region_ids: Iterable[int] | np.ndarray, label: int
) -> BBox | None:
    """Set every pixel of the given superpixel regions to ``label``.

    Parameters
    ----------
    mask : (H, W) uint8
        Label mask, modified in place.
    regions : (H, W) int32
        Region id per pixel (``0..n-1``), e.g. one level of a superpixel hierarchy.
    region_ids : iterable of int
        Regions to assign; ids absent from ``regions`` are ignored.
    label : int
        Label id written.

    Returns
    -------
    BBox or None
        Box of changed pixels. One lookup-table gather over the image (about 2 ms at
        1152x1728), then work only inside the selected regions' bounding box.
    """
    check_mask(mask)
    label = _check_label(label)
    regions = np.asarray(regions)
    if regions.shape != mask.shape:
        raise ValueError(f"regions shape {regions.shape} does not match mask shape {mask.shape}")
    if not np.issubdtype(regions.dtype, np.integer):
        raise ValueError(f"regions must be an integer array, got dtype {regions.dtype}")
    if regions.size and int(regions.min()) < 0:
        raise ValueError("regions contains negative ids")
    hi = int(regions.max()) if regions.size else -1
    ids = np.asarray(region_ids if isinstance(region_ids, np.ndarray) else list(region_ids))
    ids = ids.astype(np.int64).ravel()
    ids = ids[(ids >= 0) & (ids <= hi)]
    if ids.size == 0:
        return None
    lut = np.zeros(hi + 1, dtype=bool)
    lut[ids] = True
    select = lut[regions]
    box = BBox.of(select)
    if box is None:
        return None
    return _write(mask, box, select[box.slices], label)


def _components(binary: np.ndarray, connectivity: int) -> tuple[int, np.ndarray, np.ndarray]:
    n, comp, stats, _ = cv2.connectedComponentsWithStats(binary.view(np.uint8), connectivity=connectivity)
    return n, comp, stats


def remove_islands(mask: np.ndarray, min_size: int, connectivity: int = 8) -> BBox | None:
    """Relabel connected components smaller than ``min_size`` pixels.

    Each small component (of any label, background included) takes the most common label
    among the pixels touching it, smallest first; a component touching nothing else is kept.

    Parameters
    ----------
    mask : (H, W) uint8
        Label mask, modified in place.
    min_size : int
        Components with fewer pixels than this are removed.
    connectivity : {4, 8}
        Neighbourhood defining a component.

    Returns
    -------
    BBox or None
        Box of changed pixels. Cost: one connected-components pass over the mask (two when a
        small island held a smaller one).
    """
    check_mask(mask)
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity}")
    if min_size <= 1:
        return None
    changed: BBox | None = None
    for _ in range(4):  # one pass usually; a speck nested in a small island needs a second
        box = _islands_pass(mask, min_size, connectivity)
        if box is None:
            break
        changed = union_all([changed, box])
    return changed


def _islands_pass(mask: np.ndarray, min_size: int, connectivity: int) -> BBox | None:
    """One labelling pass of :func:`remove_islands`."""
    # One labelling pass over every label at once (skimage), sizes by one bincount: about 3x
    # faster than a component pass with statistics per label (7 labels at 1152x1728).
    from skimage.measure import label as label_components

    ids = label_components(mask, background=-1, connectivity=2 if connectivity == 8 else 1)
    sizes = np.bincount(ids.ravel())
    candidates = np.flatnonzero(sizes[1:] < min_size) + 1
    if candidates.size == 0:
        return None
    slices = ndimage.find_objects(ids)
    small: list[tuple[int, BBox, np.ndarray]] = []
    for i in candidates:
        rows, cols = slices[i - 1]
        box = BBox(rows.start, cols.start, rows.stop, cols.stop)
        small.append((int(sizes[i]), box, ids[box.slices] == i))
    small.sort(key=lambda s: s[0])
    shape = cv2.MORPH_RECT if connectivity == 8 else cv2.MORPH_CROSS
    kernel = cv2.getStructuringElement(shape, (3, 3))
    changed: BBox | None = None
    for _, box, pixels in small:
        grown = BBox(box.y0 - 1, box.x0 - 1, box.y1 + 1, box.x1 + 1).clip(mask.shape)
        assert grown is not None
        local = np.zeros(grown.shape, dtype=np.uint8)
        local[box.offset(-grown.y0, -grown.x0).slices] = pixels
        ring = (cv2.dilate(local, kernel) > 0) & (local == 0)
        around = mask[grown.slices][ring]
        if around.size == 0:
            continue
        new = int(np.bincount(around, minlength=256).argmax())
        changed = union_all([changed, _write(mask, grown, local > 0, new)])
    return changed


def fill_holes(
    mask: np.ndarray, label: int, max_size: int | None = None, *, background_only: bool = False
) -> BBox | None:
    """Fill the holes of ``label``'s region with ``label``.

    A hole is a 4-connected group of pixels of any other label that does not reach the image
    border and is enclosed by ``label``.

    Parameters
    ----------
    mask : (H, W) uint8
        Label mask, modified in place.
    label : int
        Label whose holes are filled.
    max_size : int or None
        Holes with more pixels than this are kept (a bag held over a coat); None fills all.
    background_only : bool
        Fill only a hole's background (id 0) pixels: other classes enclosed by ``label`` (a bag
        held over a coat, a buckle on a belt) keep their label.

    Returns
    -------
    BBox or None
        Box of changed pixels.
    """
    check_mask(mask)
    region = mask == _check_label(label)
    box = BBox.of(region)
    if box is None:
        return None
    local = region[box.slices]
    holes = ndimage.binary_fill_holes(local) & ~local
    if max_size is not None:
        n, comp, stats = _components(holes, 4)
        big = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] > max_size)
        big = big[big > 0]
        if big.size:
            holes &= ~np.isin(comp, big)
    if background_only:
        holes &= mask[box.slices] == 0
    return _write(mask, box, holes, label)
