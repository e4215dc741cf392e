"""Derived-array cache of a project (superpixels, probabilities), keyed by photo content.

Mixed into :class:`fashion_annotator.dataset.store.Project`. Entries live in
``cache/<photo sha256>/KEY.npz``, so a different photo never reads a stale entry; an unreadable
entry reads as absent, since it can always be recomputed.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from fashion_annotator.dataset.atomic import atomic_write_bytes
from fashion_annotator.dataset.records import ProjectError

_CACHE_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class CacheMixin:
    """``save_cache`` / ``load_cache``; needs ``root`` and ``image(image_id)``."""

    def _cache_path(self, image_id: int, key: str) -> Path:
        if not _CACHE_KEY.match(key):
            raise ValueError(f"cache key {key!r} must be 1-100 of A-Z a-z 0-9 _ . -")
        return self.root / "cache" / self.image(image_id).sha256 / f"{key}.npz"

    def save_cache(self, image_id: int, key: str, array: np.ndarray) -> None:
        """Store a derived array for the photo, keyed by its content hash and ``key``."""
        path = self._cache_path(image_id, key)
        buf = io.BytesIO()
        np.savez_compressed(buf, array=np.asarray(array))
        try:
            atomic_write_bytes(path, buf.getvalue())
        except OSError as exc:
            raise ProjectError(f"{path}: cannot write the cache: {exc.strerror or exc}") from exc

    def load_cache(self, image_id: int, key: str) -> np.ndarray | None:
        """Return a cached array, or None when absent or unreadable (it is recomputed)."""
        path = self._cache_path(image_id, key)
        try:
            with np.load(path, allow_pickle=False) as data:
                return data["array"]
        except (OSError, ValueError, KeyError, EOFError):
            return None
