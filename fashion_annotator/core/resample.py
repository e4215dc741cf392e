"""Bilinear reads of a low-resolution grid at chosen full-resolution pixels.

A network's outputs (logits, filter coefficients) live on a grid a few times coarser than the
photo. Enlarging every channel to the photo's size costs memory and time where only a few per
cent of the pixels (those near class edges) need the enlarged values; these functions give
exactly the values OpenCV's ``INTER_LINEAR`` resize would, at the pixels asked for.
"""

from __future__ import annotations

import numpy as np


def source_axis(idx: np.ndarray, src: int, dst: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OpenCV ``INTER_LINEAR`` along one axis of ``src`` cells enlarged to ``dst``.

    Parameters
    ----------
    idx : (n,) integer array
        Destination indices.
    src, dst : int
        Source and destination lengths.

    Returns
    -------
    i0, i1 : (n,) intp
        The first and second source index (pixel centres aligned, edges clamped).
    frac : (n,) float32
        The weight of the second.
    """
    f = (idx + 0.5) * (src / dst) - 0.5
    i0 = np.floor(f).astype(np.intp)
    frac = (f - i0).astype(np.float32)
    frac[i0 < 0] = 0.0
    frac[i0 >= src - 1] = 0.0
    i0 = np.clip(i0, 0, src - 1)
    return i0, np.minimum(i0 + 1, src - 1), frac


def sample_bilinear(
    pixels: np.ndarray, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Values of channel-last ``pixels`` enlarged bilinearly to ``shape``, at some pixels.

    Parameters
    ----------
    pixels : (h, w, C) float32 array
        The low-resolution grid, channels last (one contiguous vector per gather).
    rows, cols : (n,) integer arrays
        Full-resolution pixel coordinates.
    shape : (H, W)
        The full resolution.

    Returns
    -------
    (n, C) float32
        What ``cv2.resize(pixels, (W, H), interpolation=cv2.INTER_LINEAR)`` holds at
        ``(rows, cols)``.
    """
    h, w = pixels.shape[:2]
    return _sample(pixels, source_axis(rows, h, shape[0]), source_axis(cols, w, shape[1]))


def sample_rows_cols(
    pixels: np.ndarray,
    rows: tuple[np.ndarray, np.ndarray, np.ndarray],
    cols: tuple[np.ndarray, np.ndarray, np.ndarray],
    ys: np.ndarray,
    xs: np.ndarray,
) -> np.ndarray:
    """:func:`sample_bilinear` with the axes' :func:`source_axis` computed once for every row
    (``rows``) and column (``cols``) of the full resolution, for repeated reads of one grid
    size: ``(n, C) float32`` at pixels ``(ys, xs)``."""
    (y0, y1, fy), (x0, x1, fx) = rows, cols
    return _sample(pixels, (y0[ys], y1[ys], fy[ys]), (x0[xs], x1[xs], fx[xs]))


def _sample(
    pixels: np.ndarray,
    ry: tuple[np.ndarray, np.ndarray, np.ndarray],
    rx: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    (y0, y1, fy), (x0, x1, fx) = ry, rx
    w = pixels.shape[1]
    flat = pixels.reshape(-1, pixels.shape[2])
    fx, fy = fx[:, None], fy[:, None]
    r0, r1 = y0 * w, y1 * w  # flat indices: one 1-d take per corner
    top = np.take(flat, r0 + x0, axis=0)
    top += (np.take(flat, r0 + x1, axis=0) - top) * fx
    bottom = np.take(flat, r1 + x0, axis=0)
    bottom += (np.take(flat, r1 + x1, axis=0) - bottom) * fx
    top += (bottom - top) * fy
    return top
