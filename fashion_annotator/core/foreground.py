"""Colour decontamination of a cutout's soft edge: the foreground's colour where alpha is partial.

A partly transparent edge pixel of a photo holds the garment's colour mixed with the backdrop's,
``I = a F + (1 - a) B``. A cutout that keeps ``I`` shows the backdrop as a halo on any new
background (a dark garment's edge lighter on white and on black). :func:`estimate_foreground`
takes ``B`` from the nearby fully transparent pixels and the garment's colour ``N`` from the
nearby fully opaque ones, finds the pixel's share of garment from where its colour lies between
the two (the cutout's alpha where they are alike), and solves the mix for ``F`` with a pull
towards ``N`` (strong where the share is small and the solve divides by little), as Photoshop's
"Decontaminate Colors" does. Pure numpy + OpenCV.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

#: Gaussian sigma (pixels) of the neighbourhoods that give the backdrop's and the garment's
#: colour beside an edge pixel: the soft band is 2 px wide, so both lie within a few pixels.
FOREGROUND_SIGMA = 2.5
#: Weight of the pull towards the nearby opaque colour against the mix's equation (whose
#: weight is the squared share of garment): at a share of 0.22 both count the same.
FOREGROUND_PRIOR = 0.05
#: Weight of the cutout's alpha in a pixel's share of garment, in squared levels: a garment
#: 30 levels per channel off its backdrop's colour weighs as much as the alpha.
FOREGROUND_TRUST = 3 * 30.0**2
#: The smallest share of garment a partly transparent pixel is solved with.
MIN_SHARE = 0.05
#: Transparent pixels closer than this (pixels) to the cutout are not taken for the backdrop:
#: the garment's blur reaches them (half-covered pixels outside a mask cut at half).
BACKDROP_GAP = 3
#: Pixels a tile must reach beyond the pixels it decides (the Gaussian's truncated kernel).
FOREGROUND_HALO = int(math.ceil(4 * FOREGROUND_SIGMA)) + BACKDROP_GAP + 2


def _near_mean(image: np.ndarray, where: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """The Gaussian-weighted mean of ``image`` over the pixels ``where`` holds, around each pixel.

    Parameters
    ----------
    image : (H, W, 3) float32
    where : (H, W) float32, 0 or 1
    sigma : float
        Pixels.

    Returns
    -------
    mean : (H, W, 3) float32
        0 where no pixel of ``where`` is near.
    weight : (H, W) float32
        The Gaussian weight of ``where`` around each pixel (0 to 1).
    """
    weight = cv2.GaussianBlur(where, (0, 0), sigma)
    total = cv2.GaussianBlur(image * where[..., None], (0, 0), sigma)
    mean = total / np.maximum(weight, 1e-6)[..., None]
    return mean, weight


def estimate_foreground(
    rgb: np.ndarray,
    alpha: np.ndarray,
    sigma: float = FOREGROUND_SIGMA,
    prior: float = FOREGROUND_PRIOR,
    trust: float = FOREGROUND_TRUST,
) -> np.ndarray:
    """The photo with each partly transparent pixel's colour replaced by the foreground's.

    Per pixel with ``0 < alpha < 255``: ``B`` is the mean colour of the fully transparent
    pixels near it (those at least :data:`BACKDROP_GAP` pixels off the cutout, which the
    garment's blur does not reach) and ``N`` that of the fully opaque ones a pixel in from the
    partly transparent band (all opaque ones where a part is too thin for that); Gaussian
    weights of ``sigma``. The pixel's share of garment ``t`` is where its colour ``I`` lies between ``B``
    and ``N``, pulled towards the cutout's alpha ``a`` with weight ``trust`` (so where garment and
    backdrop are alike, ``a`` decides): ``t = (<I - B, N - B> + trust a) / (|N - B|**2 + trust)``.
    ``F`` then minimises ``|t F + (1 - t) B - I|**2 + prior |F - N|**2``, clipped to 0 .. 255.
    Without a transparent pixel near, ``B`` is the pixel's own colour; without an opaque one,
    ``N`` is. Pixels with alpha 0 or 255 are returned unchanged.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
        The photo (sRGB levels).
    alpha : (H, W) uint8
        The cutout's alpha.
    sigma : float
        Neighbourhood Gaussian sigma in pixels.
    prior : float
        Weight of the pull towards the nearby opaque colour (against ``t**2``).
    trust : float
        Weight of the cutout's alpha in ``t``, in squared levels (against ``|N - B|**2``).

    Returns
    -------
    (H, W, 3) uint8
        A new array.
    """
    out = np.array(rgb, dtype=np.uint8, copy=True)
    edge = (alpha > 0) & (alpha < 255)
    if not edge.any():
        return out
    image = rgb.astype(np.float32)
    gap = np.ones((2 * BACKDROP_GAP - 1, 2 * BACKDROP_GAP - 1), np.uint8)
    backdrop = (alpha == 0) & ~(cv2.dilate((alpha > 0).view(np.uint8), gap) > 0)
    back, back_weight = _near_mean(image, backdrop.astype(np.float32), sigma)
    opaque = (alpha == 255).view(np.uint8)
    inner = cv2.erode(opaque, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)
    near, near_weight = _near_mean(image, inner.astype(np.float32), sigma)
    mixed = image[edge]
    n = near[edge]
    thin = near_weight[edge] <= 1e-4
    if thin.any():  # a strap or a fringe too thin for opaque pixels off the band
        near, near_weight = _near_mean(image, opaque.astype(np.float32), sigma)
        n[thin] = np.where(near_weight[edge][thin][:, None] > 1e-4, near[edge][thin], mixed[thin])
    a = alpha[edge].astype(np.float32) / 255.0
    b = np.where(back_weight[edge][:, None] > 1e-4, back[edge], mixed)
    apart = n - b
    share = ((mixed - b) * apart).sum(axis=1) + trust * a
    t = np.clip(share / ((apart * apart).sum(axis=1) + trust), MIN_SHARE, 1.0)[:, None]
    solved = (t * (mixed - (1.0 - t) * b) + prior * n) / (t * t + prior)
    out[edge] = np.clip(np.rint(solved), 0, 255).astype(np.uint8)
    return out
