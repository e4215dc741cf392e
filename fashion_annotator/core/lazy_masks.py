"""The label masks of one document, some read from the store only on first use.

A 50-megapixel label PNG takes ~200-300 ms to read, so switching to a large photo that
already has saved masks should read only the shown task's mask. :class:`LazyMasks` is the
document's ``task -> mask`` mapping: a task given as a reader is read the first time anything
asks for its mask (``masks[task]``, ``get``, ``values``, ``items``), under a lock, so the
canvas, a save, undo or an export always see the saved mask and never an empty stand-in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping

import numpy as np

from .masks import check_mask

__all__ = ["LazyMasks", "MaskReader"]

#: ``reader()`` -> (H, W) uint8: a new array the document may keep and modify.
MaskReader = Callable[[], np.ndarray]


class LazyMasks(Mapping[str, np.ndarray]):
    """``task -> (H, W) uint8`` label mask, read on first use for the tasks given as readers.

    Parameters
    ----------
    owner : str
        Named in errors (e.g. ``"image 12"``).
    shape : (int, int)
        ``(H, W)`` every mask must have.
    masks : dict of task name -> (H, W) uint8 array or :data:`MaskReader`
        In task order. A reader is called once, on the first access, and its array kept
        without a copy.
    copy : bool
        Copy the given arrays (default), so the caller's are never modified; False keeps them
        (a caller that has just read them, sparing a 50 MB copy per task at 50 megapixels).

    Raises
    ------
    ValueError
        A mask (given, or returned by its reader on first use) is not (H, W) uint8.
    """

    def __init__(
        self,
        owner: str,
        shape: tuple[int, int],
        masks: Mapping[str, np.ndarray | MaskReader],
        copy: bool = True,
    ) -> None:
        self._owner = owner
        self._shape = tuple(shape)
        self._order = list(masks)
        self._masks: dict[str, np.ndarray] = {}
        self._readers: dict[str, MaskReader] = {}
        self._lock = threading.Lock()
        for task, mask in masks.items():
            if callable(mask):
                self._readers[task] = mask
            else:
                given = (
                    np.array(mask, copy=True) if copy else np.require(mask, requirements=["C", "W"])
                )
                self._masks[task] = self._checked(task, given)

    def _checked(self, task: str, mask: np.ndarray) -> np.ndarray:
        check_mask(mask, f"{self._owner} task {task!r} mask")
        if mask.shape != self._shape:
            raise ValueError(
                f"{self._owner} task {task!r}: mask shape {mask.shape} "
                f"does not match photo shape {self._shape}"
            )
        return mask

    def __getitem__(self, task: str) -> np.ndarray:
        mask = self._masks.get(task)
        if mask is not None:
            return mask
        if task not in self._readers:
            raise KeyError(task)
        with self._lock:
            if task not in self._masks:  # another thread may have read it meanwhile
                mask = np.require(self._readers[task](), requirements=["C", "W"])
                self._masks[task] = self._checked(task, mask)
                del self._readers[task]
            return self._masks[task]

    def __contains__(self, task: object) -> bool:
        return task in self._masks or task in self._readers

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def is_read(self, task: str) -> bool:
        """Whether ``task``'s mask is in memory (given, or already read by its reader)."""
        return task in self._masks
