"""Thin-line maps (region boundaries) reduced for display without losing their lines.

A view that shrinks a one-pixel line map tenfold keeps about one pixel in ten of it: a
boundary becomes scattered dots. :func:`line_pyramid` halves the map again and again, each
pixel set where any pixel of its 2 x 2 block is, so every line stays connected and at most
two pixels wide at every level; the viewer draws the level whose pixels cover at least one
screen pixel (:class:`fashion_annotator.ui.annotate.image_view.LineMapItem`).

Cost notes: one halving of a 24-megapixel map costs about 25 ms (two strided copies and two
element-wise ORs), all of them together a third more; the levels hold a third of the full
map's pixels.
"""

from __future__ import annotations

import numpy as np

__all__ = ["any_halving", "line_pyramid"]


def any_halving(lines: np.ndarray) -> np.ndarray:
    """Halve a line map: each pixel is set where any pixel of its 2 x 2 block is.

    Parameters
    ----------
    lines : (H, W) bool
        The map.

    Returns
    -------
    (ceil(H / 2), ceil(W / 2)) bool
        Pixel ``(y, x)`` covers ``lines[2y:2y + 2, 2x:2x + 2]``; an odd last row or column
        makes a block of its own (as if padded with False).
    """
    if lines.ndim != 2 or lines.dtype != bool:
        raise ValueError(f"expected an (H, W) bool line map, got {lines.shape} {lines.dtype}")
    h, w = lines.shape
    rows = lines[0::2].copy()  # an odd last row is a block of its own
    np.logical_or(rows[: h // 2], lines[1::2], out=rows[: h // 2])
    halved = rows[:, 0::2].copy()
    np.logical_or(halved[:, : w // 2], rows[:, 1::2], out=halved[:, : w // 2])
    return halved


def line_pyramid(lines: np.ndarray, min_side: int = 16) -> list[np.ndarray]:
    """A line map and its successive :func:`any_halving` halvings.

    Parameters
    ----------
    lines : (H, W) bool
        The full-resolution map (the first level, not copied).
    min_side : int
        Halving stops at the first level whose longer side is at most this many pixels.

    Returns
    -------
    list of bool arrays
        Level ``k`` has one pixel per ``2**k x 2**k`` block of ``lines``.
    """
    if lines.ndim != 2 or lines.dtype != bool:
        raise ValueError(f"expected an (H, W) bool line map, got {lines.shape} {lines.dtype}")
    if min_side < 1:
        raise ValueError(f"min_side must be at least 1, got {min_side}")
    levels = [lines]
    while max(levels[-1].shape) > min_side:
        levels.append(any_halving(levels[-1]))
    return levels
