"""GrabCut for the box prompt and the clicks that follow it (OpenCV, numpy in and out, no Qt).

- :func:`grabcut_box`: GrabCut started from a box, the baseline box prompt and the box
  prompt's starting mask;
- :func:`grabcut_seeded`: GrabCut started from the current mask inside a box, with the session's
  clicks as sure fore- and background: what a correction click after a box means on a plain
  backdrop (a positive click on a missed hem brings in the hem as far as its colour goes);
- :func:`surround_busyness` and :func:`plainness`: how plain the photo is around a box, which
  decides how far the click network's logits lean towards GrabCut's answer
  (:mod:`fashion_annotator.segmentation.clicks`);
- :func:`box_contrast`: the strongest edges inside a box; a box without any (:data:`FLAT_BOX`)
  holds nothing to cut out (a box dragged over plain backdrop).

Both GrabCut functions run on the box's surroundings shrunk to :data:`GRABCUT_SIDE` pixels on
the long side, seed OpenCV's generator (the same input always gives the same mask) and never
return foreground outside the box.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import cv2
import numpy as np

from fashion_annotator.core.label_maps import resize_labels

#: Median gradient magnitude (grey levels per pixel, Sobel) around a box below which its
#: surroundings count as plain (:func:`plainness` 1) and above which as busy (0), linear in
#: between. Measured around ground-truth garment boxes: mannequin-framed photos 0 / 0 / 0
#: (10th / 50th / 90th percentile), CCP street photos 11.6 / 18.4 / 34.5.
PLAIN_BELOW = 2.0
BUSY_ABOVE = 10.0
#: Long side of the photo GrabCut runs on (its cost grows with the pixel count).
GRABCUT_SIDE = 360
GRABCUT_ITERATIONS = 4
#: :func:`grabcut_seeded` runs on every correction click after a box, so it gets a budget of
#: its own. Median Dice after the box and 1 / 2 / 3 clicks on 70 mannequin-framed CCP val
#: photos (GrabCut alone 0.979), and the click's model update at 1152x1728 (script, 36 clicks
#: on 12 of them; a plain click 41-47 ms): 360 px, 4 iterations 0.982 / 0.984 / 0.985, 107 ms;
#: 2 iterations 0.982 / 0.984 / 0.985, 92 ms; 1 iteration 0.983 / 0.984 / 0.985, 70 ms; 300 px,
#: 1 iteration 0.981 / 0.984 / 0.984 (mean 0.957 / 0.964 / 0.970, the best); 260 px, 4
#: iterations 0.980 / 0.983 / 0.984. ``bench ui``'s click inside a box (plain backdrop, press
#: to repaint): 103 ms at 360 px, 86-124 ms at 300 px over 7 runs on a shared 2-core machine,
#: 1.7-1.85x a plain click of the same run (goal 100).
SEEDED_SIDE = 300
SEEDED_ITERATIONS = 1
#: Thinnest box side (pixels of the shrunk photo GrabCut runs on) a box prompt may have: a
#: thinner one (a drag of a few pixels across a wide photo) leaves GrabCut nothing to work on.
MIN_SHRUNK_BOX_PX = 2.0
#: Radius (pixels of the shrunk photo, about 5x at 1152x1728) of the sure disk around a click.
SEED_RADIUS = 4
#: :func:`box_contrast` below which a box holds nothing (Sobel magnitude, grey levels per pixel;
#: a sharp edge of contrast ``d`` measures about ``3 d``). Measured on 9 studio photos (``bench
#: studio``: mannequin, upper-body, knees-up framings): boxes of plain backdrop and of the floor's
#: soft shadow 3-7, a street photo's plain wall 13, boxes around the garment 400-620.
FLAT_BOX = 10.0
#: Long side (pixels) the box is shrunk to for :func:`box_contrast` (its cost stays small on a
#: 50 MP photo).
CONTRAST_SIDE = 512


class PointClick(Protocol):
    """A click: photo pixels ``y``, ``x`` and whether it adds (``positive``)."""

    @property
    def y(self) -> float: ...

    @property
    def x(self) -> float: ...

    @property
    def positive(self) -> bool: ...


def clip_box(box: Sequence[float], shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """``(y0, x0, y1, x1)`` in any corner order -> integer pixels inside ``shape``, end-exclusive."""
    y0, x0, y1, x1 = (float(v) for v in box)
    y0, y1 = sorted((y0, y1))
    x0, x1 = sorted((x0, x1))
    return (
        int(np.clip(np.floor(y0), 0, shape[0])), int(np.clip(np.floor(x0), 0, shape[1])),
        int(np.clip(np.ceil(y1), 0, shape[0])), int(np.clip(np.ceil(x1), 0, shape[1])),
    )  # fmt: skip


def _surroundings(box: tuple[int, int, int, int], shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """``box`` with a quarter of its size (and 2 pixels) around it, inside ``shape``."""
    y0, x0, y1, x1 = box
    my, mx = (y1 - y0) // 4 + 2, (x1 - x0) // 4 + 2
    return max(0, y0 - my), max(0, x0 - mx), min(shape[0], y1 + my), min(shape[1], x1 + mx)


def shrunk_box_size(
    box: tuple[float, float, float, float], shape: tuple[int, int], side: int = GRABCUT_SIDE
) -> tuple[float, float]:
    """The height and width ``box`` has on the photo GrabCut runs on (shrunk to ``side``).

    Parameters
    ----------
    box : (y0, x0, y1, x1)
        Photo pixels, in any corner order; clipped to the photo.
    shape : (H, W)
        The photo's size.
    side : int
        The long side of the box's surroundings after shrinking.

    Returns
    -------
    (float, float)
        The box's height and width there; a side under :data:`MIN_SHRUNK_BOX_PX` is too thin
        for a box prompt.
    """
    y0, x0, y1, x1 = clip_box(box, shape)
    ry0, rx0, ry1, rx1 = _surroundings((y0, x0, y1, x1), shape)
    f = min(1.0, side / max(ry1 - ry0, rx1 - rx0, 1))
    return (y1 - y0) * f, (x1 - x0) * f


class _Region:
    """The box with a quarter of its size around it, shrunk for GrabCut."""

    def __init__(self, rgb: np.ndarray, box: tuple[int, int, int, int], side: int = GRABCUT_SIDE) -> None:
        y0, x0, y1, x1 = box
        self.y0, self.x0, self.y1, self.x1 = _surroundings(box, rgb.shape[:2])
        sub = rgb[self.y0 : self.y1, self.x0 : self.x1]
        self.f = min(1.0, side / max(sub.shape[:2]))
        small = sub
        if self.f < 1 and min(round(n * self.f) for n in sub.shape[:2]) >= 1:
            small = cv2.resize(sub, None, fx=self.f, fy=self.f, interpolation=cv2.INTER_AREA)
        elif self.f < 1:  # a very thin region would shrink to nothing: one pixel at least
            size = (max(1, round(sub.shape[1] * self.f)), max(1, round(sub.shape[0] * self.f)))
            small = cv2.resize(sub, size, interpolation=cv2.INTER_AREA)
        self.bgr = np.ascontiguousarray(small[..., ::-1])
        f = self.f
        rx, ry, rw, rh = (int((x0 - self.x0) * f), int((y0 - self.y0) * f),
                          max(2, int((x1 - x0) * f)), max(2, int((y1 - y0) * f)))  # fmt: skip
        if rx <= 0 and ry <= 0 and rx + rw >= self.bgr.shape[1] and ry + rh >= self.bgr.shape[0]:
            # a box over the whole photo leaves GrabCut no background to learn from (it gives
            # up): the photo's outer 2 % stands in for it
            iy, ix = max(1, round(0.02 * self.bgr.shape[0])), max(1, round(0.02 * self.bgr.shape[1]))
            rx, ry, rw, rh = ix, iy, max(2, self.bgr.shape[1] - 2 * ix), max(2, self.bgr.shape[0] - 2 * iy)
        self.rect = (rx, ry, rw, rh)

    def shrink(self, mask: np.ndarray) -> np.ndarray:
        """A photo-sized bool mask on the shrunk region."""
        sub = mask[self.y0 : self.y1, self.x0 : self.x1].astype(np.uint8)
        size = (self.bgr.shape[1], self.bgr.shape[0])
        return resize_labels(sub, (size[1], size[0])) > 0

    def grow(self, gc: np.ndarray, box: tuple[int, int, int, int], shape: tuple[int, int]) -> np.ndarray:
        """GrabCut's labels on the shrunk region -> the photo's foreground inside ``box``."""
        fg = ((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)).astype(np.uint8)
        big = cv2.resize(fg, (self.x1 - self.x0, self.y1 - self.y0), interpolation=cv2.INTER_LINEAR) > 0
        out = np.zeros(shape, bool)
        y0, x0, y1, x1 = box
        out[y0:y1, x0:x1] = big[y0 - self.y0 : y1 - self.y0, x0 - self.x0 : x1 - self.x0]
        return out


def _run(bgr: np.ndarray, gc: np.ndarray, rect: tuple[int, int, int, int] | None, iterations: int,
         mode: int) -> bool:  # fmt: skip
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    # GrabCut seeds its colour models with k-means on OpenCV's global random generator: seed it
    # so that the same input always gives the same mask.
    cv2.setRNGSeed(0)
    try:
        cv2.grabCut(bgr, gc, rect, bgd, fgd, iterations, mode)
    except cv2.error:
        return False
    return True


def grabcut_box(
    rgb: np.ndarray, box: tuple[float, float, float, float], iterations: int = GRABCUT_ITERATIONS
) -> np.ndarray:
    """GrabCut started from a box: the baseline box prompt.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
    box : (y0, x0, y1, x1)
        Photo pixels, end-exclusive.

    Returns
    -------
    (H, W) bool
        The foreground, never outside the box (empty when GrabCut fails, e.g. on a flat photo,
        or when the box is thinner than :data:`MIN_SHRUNK_BOX_PX` on the shrunk photo).
    """
    h, w = rgb.shape[:2]
    y0, x0, y1, x1 = clip_box(box, (h, w))
    if y1 - y0 < 2 or x1 - x0 < 2 or min(shrunk_box_size((y0, x0, y1, x1), (h, w))) < MIN_SHRUNK_BOX_PX:
        return np.zeros((h, w), bool)
    region = _Region(rgb, (y0, x0, y1, x1))
    gc = np.zeros(region.bgr.shape[:2], np.uint8)
    if not _run(region.bgr, gc, region.rect, iterations, cv2.GC_INIT_WITH_RECT):
        return np.zeros((h, w), bool)
    return region.grow(gc, (y0, x0, y1, x1), (h, w))


def grabcut_seeded(
    rgb: np.ndarray,
    mask: np.ndarray,
    box: tuple[float, float, float, float],
    clicks: Sequence[PointClick],
    iterations: int = SEEDED_ITERATIONS,
    side: int = SEEDED_SIDE,
) -> np.ndarray:
    """GrabCut from the current mask inside a box, the clicks as sure fore- / background.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
    mask : (H, W) bool
        The current mask: "probably foreground" inside the box, the rest of the box "probably
        background"; outside the box is sure background.
    box : (y0, x0, y1, x1)
        The session's box prompt, photo pixels, end-exclusive.
    clicks : sequence of clicks
        Every click of the session: a disk of :data:`SEED_RADIUS` (shrunk pixels) around each
        is sure foreground (positive) or background (negative), later clicks winning.

    Returns
    -------
    (H, W) bool
        The foreground, never outside the box; ``mask`` inside the box when GrabCut has nothing
        to learn from (no foreground left, or nothing else) or fails.
    """
    h, w = rgb.shape[:2]
    mask = np.asarray(mask, bool)
    y0, x0, y1, x1 = clip_box(box, (h, w))
    inside = np.zeros((h, w), bool)
    inside[y0:y1, x0:x1] = True
    if y1 - y0 < 2 or x1 - x0 < 2:
        return mask & inside
    region = _Region(rgb, (y0, x0, y1, x1), side)
    gc = np.where(region.shrink(mask & inside), cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    gc[~region.shrink(inside)] = cv2.GC_BGD
    for c in clicks:
        centre = (int((c.x - region.x0) * region.f), int((c.y - region.y0) * region.f))
        cv2.circle(gc, centre, SEED_RADIUS, int(cv2.GC_FGD if c.positive else cv2.GC_BGD), -1)
    sure_or_likely = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
    if not sure_or_likely.any() or sure_or_likely.all():
        return mask & inside
    if not _run(region.bgr, gc, None, iterations, cv2.GC_INIT_WITH_MASK):
        return mask & inside
    return region.grow(gc, (y0, x0, y1, x1), (h, w))


def surround_busyness(rgb: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """How busy the photo is around ``box``: the median gradient magnitude in a ring outside it.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
    box : (y0, x0, y1, x1)
        Photo pixels, end-exclusive, inside the photo.

    Returns
    -------
    float
        Median Sobel gradient magnitude (grey levels per pixel) over a ring 1/8 of the box's
        size wide (at least 4 pixels) around the box; 0 for a plain backdrop, 10-35 for street
        scenes. ``inf`` when the box leaves no ring (it covers the photo): nothing says the
        surroundings are plain, so nothing leans on GrabCut (:func:`plainness` 0).
    """
    h, w = rgb.shape[:2]
    y0, x0, y1, x1 = box
    my, mx = max(4, (y1 - y0) // 8), max(4, (x1 - x0) // 8)
    oy0, ox0, oy1, ox1 = max(0, y0 - my), max(0, x0 - mx), min(h, y1 + my), min(w, x1 + mx)
    grey = cv2.cvtColor(np.ascontiguousarray(rgb[oy0:oy1, ox0:ox1]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    mag = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    ring = np.ones(grey.shape, bool)
    ring[y0 - oy0 : y1 - oy0, x0 - ox0 : x1 - ox0] = False
    if not ring.any():
        return float("inf")
    return float(np.median(mag[ring]))


def plainness(rgb: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """1 where the box's surroundings are plain (:data:`PLAIN_BELOW`), 0 where busy
    (:data:`BUSY_ABOVE`), linear in between (:func:`surround_busyness`)."""
    busy = surround_busyness(rgb, box)
    return float(np.clip((BUSY_ABOVE - busy) / (BUSY_ABOVE - PLAIN_BELOW), 0.0, 1.0))


def box_contrast(rgb: np.ndarray, box: Sequence[float]) -> float:
    """The strongest edges inside ``box``: the 99.9th percentile of the Sobel gradient magnitude
    of its grey levels, shrunk to :data:`CONTRAST_SIDE` on the long side and smoothed (3x3
    Gaussian) so that sensor and JPEG noise do not count.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
    box : (y0, x0, y1, x1)
        Photo pixels, clipped to the photo.

    Returns
    -------
    float
        Grey levels per pixel; below :data:`FLAT_BOX` the box holds nothing but plain backdrop
        (0 for a box that leaves no pixel).
    """
    y0, x0, y1, x1 = clip_box(box, rgb.shape[:2])
    if y1 <= y0 or x1 <= x0:
        return 0.0
    grey = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    scale = CONTRAST_SIDE / max(grey.shape)
    if scale < 1.0:
        size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    smooth = cv2.GaussianBlur(grey.astype(np.float32), (3, 3), 0)
    mag = cv2.magnitude(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
    return float(np.percentile(mag, 99.9))
