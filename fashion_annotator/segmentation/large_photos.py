"""Proposals of very large photos on a copy: what is shrunk, and how the results are enlarged.

A 6000x9000 photo's proposal took 91 s in the window (three networks, then snap, GrabCut band,
guided filter, the parsing mask's agreement with the cutouts and its islands, every one over
54 million pixels), though every input it decides from is at most :data:`PROPOSE_MAX_SIDE`
long: the networks see 448-512 pixels, the superpixels 640, the guided filter already ran on a
copy of that side. :func:`~fashion_annotator.segmentation.pipeline.propose` therefore runs on a
copy of long side :data:`PROPOSE_MAX_SIDE` (the photo shrunk by area, the refinements on the
copy's own superpixels, never waiting for the photo's) and enlarges the masks (nearest, pixel-centred); the class scores are read on the
copy. Photos up to that side are proposed as before, pixel for pixel.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

#: Longest side (pixels) a proposal is computed at; longer photos are proposed on a copy of
#: this side. The guided filter's own copy side (``refine.GUIDED_MAX_SIDE``), so a studio
#: photo's proposal (1152x1728) is unchanged.
PROPOSE_MAX_SIDE = 2048


def working_shape(shape: tuple[int, int]) -> tuple[int, int] | None:
    """The ``(h, w)`` a photo of ``shape`` ``(H, W)`` is proposed at, or None when it is
    proposed as it is (long side at most :data:`PROPOSE_MAX_SIDE`)."""
    h, w = int(shape[0]), int(shape[1])
    if max(h, w) <= PROPOSE_MAX_SIDE:
        return None
    f = PROPOSE_MAX_SIDE / max(h, w)
    return max(1, round(h * f)), max(1, round(w * f))


def shrink_photo(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(H, W, 3) uint8`` photo shrunk by area to ``size`` ``(h, w)``."""
    return cv2.resize(rgb, (size[1], size[0]), interpolation=cv2.INTER_AREA)


def resize_labels(labels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(H, W)`` labels (uint8, bool or int32) resized pixel-centred by nearest to ``size``
    ``(h, w)``, same dtype. A mask enlarged from a copy and shrunk back to it is that copy's
    mask exactly (each copy pixel picks a pixel of its own enlarged block)."""
    if labels.shape == tuple(size):
        return labels.copy()
    src = labels.view(np.uint8) if labels.dtype == bool else labels
    out = cv2.resize(src, (size[1], size[0]), interpolation=cv2.INTER_NEAREST_EXACT)
    return out.view(bool) if labels.dtype == bool else out


def nearest_source(idx: np.ndarray, src: int, dst: int) -> np.ndarray:
    """``(n,) intp``: the copy's index (of ``src``) that ``INTER_NEAREST_EXACT`` enlarging to
    ``dst`` gives the destination indices ``idx``, as :func:`resize_labels` enlarges the mask.

    OpenCV's own index map, read off a resized index ramp: the formula
    ``floor((i + 0.5) * src / dst)`` it approximates in fixed point picks the neighbouring
    index where the centre falls on or next to a pixel border (13 of 6000 rows of a 2048 copy
    enlarged to 6000), and a pixel's scores then were not those of the copy pixel its mask
    label came from.
    """
    ramp = np.arange(src, dtype=np.int32).reshape(-1, 1)
    taken = cv2.resize(ramp, (1, dst), interpolation=cv2.INTER_NEAREST_EXACT).reshape(-1)
    return taken.astype(np.intp)[idx]


def enlarged_scores(
    scores_at: Callable[[np.ndarray], np.ndarray], small: tuple[int, int], shape: tuple[int, int]
) -> Callable[[np.ndarray], np.ndarray]:
    """Class scores of full-resolution pixels read on the copy (nearest).

    Parameters
    ----------
    scores_at : callable
        The copy's proposal's ``scores_at``: ``(h, w) bool`` -> ``(K, n) float32``, row-major.
    small, shape : (h, w), (H, W)
        The copy's and the photo's sizes.

    Returns
    -------
    callable
        ``(H, W) bool`` -> ``(K, n) float32``: each pixel's scores are those of its copy pixel,
        in the row-major order of the full-resolution pixels.
    """
    h, w = small

    def read(where: np.ndarray) -> np.ndarray:
        rows, cols = np.nonzero(where)
        flat = nearest_source(rows, h, shape[0]) * w + nearest_source(cols, w, shape[1])
        need = np.zeros(h * w, bool)
        need[flat] = True
        order = np.cumsum(need) - 1  # a needed copy pixel's place among those read
        return scores_at(need.reshape(h, w))[:, order[flat]]

    return read


def enlarge_probs(probs: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``(K, h, w) float32`` probabilities enlarged bilinearly to ``(K, H, W)`` (``shape``)."""
    big = cv2.resize(np.ascontiguousarray(probs.transpose(1, 2, 0)), (shape[1], shape[0]),
                     interpolation=cv2.INTER_LINEAR)  # fmt: skip
    if big.ndim == 2:
        big = big[:, :, None]
    return np.ascontiguousarray(big.transpose(2, 0, 1))
