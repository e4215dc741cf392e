"""Derived-array cache of a project (superpixels, probabilities), keyed by photo content.

``project.cache`` of :class:`fashion_annotator.dataset.store.Project`. Entries live in
``cache/<photo sha256>/KEY.npz``, so a different photo never reads a stale entry; an unreadable
entry reads as absent, since it can always be recomputed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fashion_annotator.core.atomic import atomic_write_bytes
from fashion_annotator.dataset.records import ProjectError

_CACHE_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class Cache:
    """``project.cache``: ``save`` / ``load`` derived arrays of a photo.

    Parameters
    ----------
    root : Path
        The project folder.
    photo_sha256 : callable
        ``photo_sha256(image_id) -> str``, the photo's content hash (raises for unknown ids).
    """

    def __init__(self, root: Path, photo_sha256: Callable[[int], str]) -> None:
        self._root = root
        self._sha = photo_sha256

    def path(self, image_id: int, key: str) -> Path:
        """Where the entry ``key`` of the image's photo lies (``.npz``)."""
        if not _CACHE_KEY.match(key):
            raise ValueError(f"cache key {key!r} must be 1-100 of A-Z a-z 0-9 _ . -")
        return self._root / "cache" / self._sha(image_id) / f"{key}.npz"

    def save(self, image_id: int, key: str, array: np.ndarray) -> None:
        """Store a derived array for the photo, keyed by its content hash and ``key``."""
        write_entry(self.path(image_id, key), array)

    def load(self, image_id: int, key: str) -> np.ndarray | None:
        """Return a cached array, or None when absent or unreadable (it is recomputed)."""
        path = self.path(image_id, key)
        try:
            with np.load(path, allow_pickle=False) as data:
                return np.asarray(data["array"])
        except (OSError, ValueError, KeyError, EOFError):
            return None


def write_entry(path: Path, array: np.ndarray) -> None:
    """Write one cache entry at ``path`` (a :meth:`Cache.path`): compressed, atomically.

    Files only, no store access: a worker thread may write the entries whose paths the GUI
    thread looked up (compressing a photo's superpixels takes about 100 ms).

    Raises
    ------
    ProjectError
        The file cannot be written (the message names it).
    """
    buf = io.BytesIO()
    np.savez_compressed(buf, array=np.asarray(array))
    try:
        atomic_write_bytes(path, buf.getvalue())
    except OSError as exc:
        raise ProjectError(f"{path}: cannot write the cache: {exc.strerror or exc}") from exc
