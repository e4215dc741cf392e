"""Helpers for the QA tests: synthetic photos and masks of known agreement (unique module name,
imported by the tests' folder on sys.path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fashion_annotator.dataset.store import Project

SHAPE = (20, 30)


def square(y0: int, x0: int, y1: int, x1: int, label: int = 1) -> np.ndarray:
    """A ``SHAPE`` mask with ``label`` on rows y0:y1 and columns x0:x1."""
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[y0:y1, x0:x1] = label
    return mask


def add_photo(project: Project, folder: Path, name: str, seed: int) -> int:
    """Add a random photo of ``SHAPE`` and return its image id."""
    rng = np.random.default_rng(seed)
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
    return project.add_image(path).id
