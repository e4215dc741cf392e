"""A photo's superpixels, computed at most once, by whichever thread needs them first.

A proposal whose refinements work on superpixels (``snap``, ``consensus``) must always be
refined with them, whether they were cached or are still being computed: otherwise the same
photo gets another proposal at its next opening, once they are cached. The window's superpixel
job and its proposal job share one :class:`PhotoRegions`: the network runs while the superpixels
are computed, and the proposal waits for them only when its refinements start (or computes them
itself when the superpixel job has not started). When computing them fails, the failure is
kept: every later caller gets the same exception at once, and nothing is computed again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np

from fashion_annotator.segmentation import large_photos as large
from fashion_annotator.segmentation import superpixels as sp

__all__ = ["PhotoRegions", "read_regions"]

log = logging.getLogger(__name__)


def read_regions(regions: Callable[[], np.ndarray]) -> np.ndarray | None:
    """The ``(H, W) int32`` regions ``regions()`` gives, or None when computing them failed
    (logged: the proposal then leaves out the refinements that need them, as it did before they
    were waited for; the window's superpixel job shows the failure itself)."""
    try:
        return regions()
    except Exception as exc:  # MemoryError on a huge photo, a damaged cache...
        log.warning("proposal without the refinements that need superpixels: %s", exc)
        return None


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
        self._failure: Exception | None = None
        self._copies: dict[tuple[int, int], PhotoRegions] = {}
        self._copies_lock = threading.Lock()  # not ``_lock``: never waits for the photo's own

    @property
    def ready(self) -> bool:
        """Whether the hierarchy is known (asking for it returns at once)."""
        return self._hierarchy is not None

    def hierarchy(self) -> sp.SuperpixelHierarchy:
        """The photo's hierarchy: computed by the first caller, the others wait for it.

        Raises
        ------
        Exception
            What computing them raised (a MemoryError on a huge photo, for example): raised
            again to every caller, without computing them again.
        """
        with self._lock:
            if self._failure is not None:
                raise self._failure
            if self._hierarchy is None:
                try:
                    self._hierarchy = (self._compute or sp.compute_superpixels)(self.rgb)
                except Exception as exc:
                    self._failure = exc
                    raise
            return self._hierarchy

    def shrunk(self, shape: tuple[int, int]) -> PhotoRegions:
        """The regions of the photo's copy of ``shape`` ``(h, w)`` (:func:`.large_photos.shrink_photo`)
        on which a very large photo's proposals are computed: its own superpixels, computed on
        the copy when first needed (seconds, where the photo's take half a minute), never the
        photo's shrunk, so a proposal never waits for those. One per shape, shared by the
        photo's proposals."""
        with self._copies_lock:
            if shape not in self._copies:
                self._copies[shape] = PhotoRegions(large.shrink_photo(self.rgb, shape), compute=self._compute)
            return self._copies[shape]

    def __call__(self) -> np.ndarray:
        """The ``(H, W) int32`` regions of :data:`~.superpixels.DEFAULT_LEVEL`."""
        return self.hierarchy().levels[sp.DEFAULT_LEVEL]
