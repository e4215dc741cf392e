"""The colour guided filter (He, Sun and Tang, ECCV 2010) and what is built on it here.

:func:`guided_filter` smooths a source (a mask, probabilities) so its edges follow a photo's;
:class:`GuideFit` keeps the photo's side of it for several sources. The segmentation
refinements (:mod:`fashion_annotator.segmentation.refine`) decide mask pixels with it;
:func:`soft_edge_alpha` turns a cutout's hard edge into partial transparency for exports.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Soft edges of exported cutouts: the band (pixels inside the mask's edge) whose alpha the
#: photo decides, and the guided filter's window radius and regularisation there.
SOFT_EDGE_PX = 2
SOFT_EDGE_RADIUS = 3
SOFT_EDGE_EPS = 1e-3


def _box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    size = 2 * radius + 1
    return cv2.boxFilter(x, -1, (size, size), normalize=True, borderType=cv2.BORDER_REFLECT)


class GuideFit:
    """The guide's side of the colour guided filter, shared by every source filtered with it:
    window means of the colour and the per-pixel 3x3 colour covariance (plus ``eps``) inverted
    by its cofactors, all elementwise."""

    def __init__(self, guide: np.ndarray, radius: int, eps: float) -> None:
        self.guide, self.radius = guide, radius
        self.mean = [_box_mean(guide[..., c], radius) for c in range(3)]

        def var(i: int, j: int) -> np.ndarray:
            return _box_mean(guide[..., i] * guide[..., j], radius) - self.mean[i] * self.mean[j]

        a11, a12, a13 = var(0, 0) + eps, var(0, 1), var(0, 2)
        a22, a23, a33 = var(1, 1) + eps, var(1, 2), var(2, 2) + eps
        i11, i12, i13 = a22 * a33 - a23 * a23, a13 * a23 - a12 * a33, a12 * a23 - a13 * a22
        i22, i23, i33 = a11 * a33 - a13 * a13, a12 * a13 - a11 * a23, a11 * a22 - a12 * a12
        det = a11 * i11 + a12 * i12 + a13 * i13
        self.inverse = ((i11 / det, i12 / det, i13 / det), (i12 / det, i22 / det, i23 / det),
                        (i13 / det, i23 / det, i33 / det))  # fmt: skip

    def coefficients(self, src: np.ndarray) -> list[np.ndarray]:
        """Window means of the three colour slopes and of the offset fitted to ``src``
        ``(H, W) float32``: the filtered ``src`` is ``sum(slope_c * guide_c) + offset``."""
        r = self.radius
        mean_src = _box_mean(src, r)
        cov = [_box_mean(self.guide[..., c] * src, r) - self.mean[c] * mean_src for c in range(3)]
        slope = [sum(row[c] * cov[c] for c in range(3)) for row in self.inverse]
        offset = mean_src - sum(slope[c] * self.mean[c] for c in range(3))
        return [_box_mean(x, r) for x in (*slope, offset)]


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """The colour guided filter of He, Sun and Tang (ECCV 2010): ``src`` smoothed so its edges
    follow those of ``guide``.

    In each ``(2 radius + 1)``-pixel window the output is a linear function of the guide's
    colour fitted to ``src`` by ridge regression (``eps``); the fits of the windows covering a
    pixel are averaged. Cost: 19 box filters, independent of ``radius``.

    Parameters
    ----------
    guide : (H, W, 3) float32 array
        The photo, values in [0, 1].
    src : (H, W) float32 array
        What is filtered (a mask as 0.0 / 1.0, or probabilities).
    radius : int
        Window radius in pixels.
    eps : float
        Regularisation: larger values smooth more across weak edges (colour variance units).

    Returns
    -------
    (H, W) float32 array
    """
    *slope, offset = GuideFit(guide, radius, eps).coefficients(src)
    out = offset
    for c in range(3):
        out += slope[c] * guide[..., c]
    return out


def soft_edge_alpha(rgb: np.ndarray, mask: np.ndarray, width: int = SOFT_EDGE_PX) -> np.ndarray:
    """Alpha of a cutout with soft edges: 255 inside ``mask``, 0 outside, and on the mask's
    pixels within ``width`` of its edge the mask guided-filtered by the photo (hair and fur
    edges fade as the photo's colours do; a hard staircase becomes anti-aliased).

    Only the mask's own pixels get partial alpha, so ``alpha > 0`` is the mask exactly (an
    alpha import gives back the same mask); they keep at least 1.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
        The photo.
    mask : (H, W) bool or integer
        The cutout (non-zero: kept).
    width : int
        Band width in pixels; 0 gives the hard 0 / 255 alpha.

    Returns
    -------
    (H, W) uint8
    """
    keep = np.asarray(mask) > 0
    alpha = np.where(keep, 255, 0).astype(np.uint8)
    if width <= 0 or not keep.any() or keep.all():
        return alpha
    kernel = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
    band = keep & ~(cv2.erode(keep.view(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE) > 0)
    ys, xs = np.nonzero(band)
    margin = width + 2 * SOFT_EDGE_RADIUS + 1  # the filter's windows around the band
    y0, y1 = max(0, ys.min() - margin), min(keep.shape[0], ys.max() + margin + 1)
    x0, x1 = max(0, xs.min() - margin), min(keep.shape[1], xs.max() + margin + 1)
    guide = rgb[y0:y1, x0:x1].astype(np.float32) / 255.0
    soft = guided_filter(guide, keep[y0:y1, x0:x1].astype(np.float32), SOFT_EDGE_RADIUS, SOFT_EDGE_EPS)
    inner = band[y0:y1, x0:x1]
    values = np.clip(np.rint(soft[inner] * 255.0), 1, 255).astype(np.uint8)
    alpha[y0:y1, x0:x1][inner] = values
    return alpha
