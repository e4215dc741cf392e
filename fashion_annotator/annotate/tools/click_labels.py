"""The labels a replayed Smart click gives back when it is taken back in its turn.

Ctrl+click on a click's marker replays the clicks after it (:mod:`.smartclick`). A click taken
back gives its pixels their labels from before it (its ``was``); the replayed clicks had none,
so taking back the second of two overlapping clicks after the first refilled its pixels from
the labels around them, and a garment's outline under the clicks moved (a hand test's review:
271 px at the edge of a top). :func:`unwind` and :func:`label_replayed` give them theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["label_replayed", "unwind"]


def unwind(mask: np.ndarray, entries: Sequence[Any]) -> np.ndarray:
    """``mask`` with the clicks ``entries`` (oldest first) taken back where their labels are
    known (``entry.labels()``) and the pixels not painted since: the labels from before them.

    Returns
    -------
    ndarray
        A new ``(H, W)`` array.
    """
    under = mask.copy()
    for entry in reversed(entries):
        known = entry.labels()
        if known is None:
            continue
        changed, was, gave = known
        labels = under[changed]
        kept = labels == gave
        labels[kept] = was[kept]
        under[changed] = labels
    return under


def label_replayed(entries: Iterable[Any], under: np.ndarray, final: np.ndarray) -> None:
    """Set ``was`` and ``gave`` of the replayed clicks ``entries`` (oldest first): the labels
    of their changed pixels in ``under`` (:func:`unwind`, updated here as each click applies)
    and in ``final``, the mask the replay wrote."""
    for entry in entries:
        changed = entry.changed_mask()
        entry.was, entry.gave = under[changed], final[changed]
        under[changed] = entry.gave
