"""A parsing mask that agrees with the photo's cutouts (person, garment).

The cutout models are far better at their one question than a parsing model is at the same
boundary (CCP val: person mIoU 0.964 and garment median Dice 0.962, while parsing7 confuses skin
with garments and paints garments onto the background). Where a parsing pixel's class cannot lie
under a cutout's answer (a "top" pixel outside the garment cutout, "skin" inside it, anything
but background outside the person), it takes the most probable class that can.

Which classes can lie under which cutout value is not written by hand: it comes from a labelling
both tasks are mapped from (the shipped CCP mapping, ``resources/taxonomies/mappings/ccp.json``):
parsing class ``k`` may lie under cutout value ``v`` when some source label maps to both
(:func:`compatibility`). Measured (parsing7 with its class biases at 448 + flip, shipped person
and garment models, masks as the networks give them): CCP val mIoU 0.663 -> 0.673, pixel
accuracy 0.933 -> 0.936 (garment alone 0.671, person alone 0.669); first 100 CCP train photos
0.669 -> 0.684.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from fashion_annotator.core.labels import UNMAPPED, available_mappings, load_mapping, load_taxonomy

__all__ = ["SOURCE", "compatibility", "disagreeing", "make_consistent"]

#: The labelling the compatibility of two tasks is read from.
SOURCE = "ccp"


@lru_cache(maxsize=32)
def _table(parsing_task: str, cutout_task: str, source: str) -> np.ndarray | None:
    if source not in available_mappings():
        return None
    try:
        if load_taxonomy(cutout_task).num_classes != 2:
            return None
        parsing = load_mapping(source, parsing_task).lut
        cutout = load_mapping(source, cutout_task).lut
        k = load_taxonomy(parsing_task).num_classes
    except (ValueError, OSError):
        return None
    both = (parsing != UNMAPPED) & (cutout != UNMAPPED)
    table = np.zeros((2, k), bool)
    table[cutout[both], parsing[both]] = True
    table.setflags(write=False)
    return table


def compatibility(parsing_task: str, cutout_task: str, source: str = SOURCE) -> np.ndarray | None:
    """Which classes of ``parsing_task`` may lie under each value of ``cutout_task``.

    Parameters
    ----------
    parsing_task, cutout_task : str
        Shipped taxonomy names; ``cutout_task`` must be binary (background + one class).
    source : str
        A shipped source labelling both tasks are mapped from.

    Returns
    -------
    (2, K) bool array or None
        Row ``v``, column ``k``: class ``k`` may lie where the cutout says ``v`` (read-only).
        None when the two are not both mapped from ``source``, the cutout is not binary, or
        the table would constrain nothing (every class allowed everywhere).
    """
    table = _table(parsing_task, cutout_task, source)
    if table is None or table.all():
        return None
    return table


def _checked(
    parsing: np.ndarray, cutouts: Sequence[tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """The code of each pixel's cutout values ``(H, W) uint8`` (bit ``i``: cutout ``i``) and
    the classes each code allows ``(2 ** n, K) bool``, after checking the inputs."""
    parsing = np.asarray(parsing)
    if parsing.ndim != 2 or parsing.dtype != np.uint8:
        raise ValueError(f"parsing must be an (H, W) uint8 mask, got {parsing.dtype} {parsing.shape}")
    k = cutouts[0][1].shape[1]
    if int(parsing.max(initial=0)) >= k:
        raise ValueError(f"parsing mask has class {int(parsing.max())}; the tables have {k} classes")
    combo = np.zeros(parsing.shape, np.uint8)
    allowed = np.ones((1 << len(cutouts), k), bool)
    for bit, (mask, table) in enumerate(cutouts):
        if mask.shape != parsing.shape:
            raise ValueError(f"cutout {mask.shape} and parsing mask {parsing.shape} differ in shape")
        if table.shape != (2, k):
            raise ValueError(f"compatibility table {table.shape}, expected (2, {k})")
        combo |= np.asarray(mask, bool).astype(np.uint8) << bit
        allowed &= table[(np.arange(1 << len(cutouts)) >> bit) & 1]
    return combo, allowed


def disagreeing(parsing: np.ndarray, cutouts: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The pixels ``(H, W) bool`` whose class a cutout forbids, where some class is allowed.

    Parameters
    ----------
    parsing : (H, W) uint8
        The parsing mask.
    cutouts : sequence of ((H, W) bool, (2, K) bool)
        Each cutout's foreground and its :func:`compatibility` table (at least one).
    """
    combo, allowed = _checked(parsing, cutouts)
    return _wrong(parsing, combo, allowed)


def _wrong(parsing: np.ndarray, combo: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    some = np.asarray(allowed.any(axis=1))
    return ~allowed[combo, parsing] & some[combo]


def make_consistent(
    parsing: np.ndarray,
    cutouts: Sequence[tuple[np.ndarray, np.ndarray]],
    scores: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Relabel the pixels whose class disagrees with a cutout to the likeliest class that agrees.

    Parameters
    ----------
    parsing : (H, W) uint8
        The parsing mask (class ids ``0..K-1``).
    cutouts : sequence of ((H, W) bool, (2, K) bool)
        Each cutout's foreground and its :func:`compatibility` table.
    scores : callable ``scores(where) -> (K, n) float``
        The parsing model's class scores of the ``n`` pixels of a ``(H, W) bool`` mask, in
        row-major order: probabilities, or anything ordered like them per pixel (logits).
        Called at most once, for the pixels that have more than one class to choose from.

    Returns
    -------
    (H, W) uint8
        A new mask; pixels whose cutout values allow no class at all keep theirs.
    """
    parsing = np.asarray(parsing)
    if parsing.ndim != 2 or parsing.dtype != np.uint8:
        raise ValueError(f"parsing must be an (H, W) uint8 mask, got {parsing.dtype} {parsing.shape}")
    out = parsing.copy()
    if not cutouts:
        return out
    combo, allowed = _checked(parsing, cutouts)
    wrong = _wrong(parsing, combo, allowed)
    choice = np.asarray(allowed.sum(axis=1))[combo] > 1
    for code in np.unique(combo[wrong & ~choice]):  # one class allowed: no scores needed
        out[wrong & ~choice & (combo == code)] = np.flatnonzero(allowed[code])[0]
    choose = wrong & choice
    if choose.any():
        # The likeliest allowed class: scores of the disallowed ones pushed below every other.
        pixel_scores = np.array(scores(choose), dtype=np.float32)
        forbidden = ~allowed[combo[choose]].T
        pixel_scores[forbidden] = -np.inf
        out[choose] = np.argmax(pixel_scores, axis=0)
    return out
