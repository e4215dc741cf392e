"""A photo's superpixels, computed at most once, by whichever thread needs them first.

A proposal whose refinements work on superpixels (``snap``, ``consensus``) must always be
refined with them, whether they were cached or are still being computed: otherwise the same
photo gets another proposal at its next opening, once they are cached. The window's superpixel
job and its proposal job share one :class:`PhotoRegions`: the network runs while the superpixels
are computed, and the proposal waits for them only when its refinements start (or computes them
itself when the superpixel job has not started).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from fashion_annotator.segmentation import superpixels as sp

__all__ = ["PhotoRegions"]


class PhotoRegions:
    """The superpixel hierarchy of one photo, computed on first use (thread-safe).

    Calling it gives the default level's regions, so it stands wherever the proposal pipeline
    takes regions to be read when needed (:func:`~.pipeline.propose`).

    Parameters
    ----------
    rgb : (H, W, 3) uint8
        The photo.
    hierarchy : SuperpixelHierarchy, optional
        The photo's hierarchy when it is known already (the project cache); one of another
        shape is ignored (computed again).
    compute : callable, optional
        ``rgb -> SuperpixelHierarchy``; default :func:`~.superpixels.compute_superpixels`.
    """

    def __init__(
        self,
        rgb: np.ndarray,
        hierarchy: sp.SuperpixelHierarchy | None = None,
        compute: Callable[[np.ndarray], sp.SuperpixelHierarchy] | None = None,
    ) -> None:
        self.rgb = rgb
        fits = hierarchy is not None and hierarchy.shape == rgb.shape[:2]
        self._hierarchy = hierarchy if fits else None
        self._compute = compute
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Whether the hierarchy is known (asking for it returns at once)."""
        return self._hierarchy is not None

    def hierarchy(self) -> sp.SuperpixelHierarchy:
        """The photo's hierarchy: computed by the first caller, the others wait for it."""
        with self._lock:
            if self._hierarchy is None:
                self._hierarchy = (self._compute or sp.compute_superpixels)(self.rgb)
            return self._hierarchy

    def __call__(self) -> np.ndarray:
        """The ``(H, W) int32`` regions of :data:`~.superpixels.DEFAULT_LEVEL`."""
        return self.hierarchy().levels[sp.DEFAULT_LEVEL]
