"""A project's cached superpixels: read, written, or computed and cached (the window's and the
pipeline's, :mod:`~fashion_annotator.segmentation.pipeline`, which re-exports them)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.segmentation import superpixels as sp

__all__ = ["cached_superpixels", "project_superpixels", "store_superpixels", "superpixel_cache_paths"]


def cached_superpixels(project: ProjectStore, image_id: int) -> sp.SuperpixelHierarchy | None:
    """The photo's superpixel hierarchy from the project cache, or None (absent or stale)."""
    arrays = {}
    for name in sp.CACHED_ARRAYS:
        value = project.cache.load(image_id, f"{sp.CACHE_KEY}-{name}")
        if value is None:
            return None
        arrays[name] = value
    try:
        return sp.superpixels_from_arrays(arrays)
    except ValueError:
        return None


def store_superpixels(
    project: ProjectStore, image_id: int, hierarchy: sp.SuperpixelHierarchy
) -> None:
    """Write a hierarchy to the project cache (raises ``ProjectError`` when it cannot)."""
    for name, array in sp.superpixels_to_arrays(hierarchy).items():
        project.cache.save(image_id, f"{sp.CACHE_KEY}-{name}", array)


def superpixel_cache_paths(project: ProjectStore, image_id: int) -> dict[str, Path]:
    """Where the image's superpixel arrays are cached (name -> ``.npz`` path)."""
    return {name: project.cache.path(image_id, f"{sp.CACHE_KEY}-{name}") for name in sp.CACHED_ARRAYS}


def project_superpixels(
    project: ProjectStore, image_id: int, rgb: np.ndarray
) -> sp.SuperpixelHierarchy:
    """The photo's hierarchy: cached, else computed and cached (what the window does)."""
    hierarchy = cached_superpixels(project, image_id)
    if hierarchy is None or hierarchy.shape != rgb.shape[:2]:
        hierarchy = sp.compute_superpixels(rgb)
        with contextlib.suppress(ProjectError):  # a cache that cannot be written is recomputed
            store_superpixels(project, image_id, hierarchy)
    return hierarchy
