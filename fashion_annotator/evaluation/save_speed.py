"""Timing of the store's save path, for ``fashion-annotator bench`` (prints medians).

The baseline, measured in the same run, is the PNG encoding alone: the ratio says what the
durable save (temp file, fsync, rename, folder fsync, SQLite commit) adds on this disk.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from fashion_annotator.core.label_images import encode_mask_png
from fashion_annotator.dataset.store import Project


def blocky_mask(
    rng: np.random.Generator, shape: tuple[int, int], classes: int, block: int = 40
) -> np.ndarray:
    """A ``shape`` (H, W) uint8 mask of random ``block``-pixel squares of ``0..classes-1``.

    Blocky masks compress like real parsing masks, unlike per-pixel noise.
    """
    small = rng.integers(0, classes, (shape[0] // block + 1, shape[1] // block + 1))
    return np.kron(small, np.ones((block, block)))[: shape[0], : shape[1]].astype(np.uint8)


def bench_save(
    n: int = 30,
    shape: tuple[int, int] = (830, 550),
    task: str = "parsing7",
    folder: Path | None = None,
) -> dict[str, float]:
    """Save ``n`` random-blob parsing masks of ``shape`` (H, W) into a scratch project.

    Returns
    -------
    dict
        ``save_median_ms`` (one ``save_mask``), ``encode_median_ms`` (PNG encoding alone),
        ``ratio`` (save / encode) and ``n``.
    """
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        photo = Path(tmp) / "photo.png"
        Image.fromarray(rng.integers(0, 256, (*shape, 3), dtype=np.uint8)).save(photo)
        with Project.create(Path(tmp) / "project", tasks=(task,)) as project:
            record = project.add_image(photo)
            classes = project.taxonomy(task).num_classes
            palette = project.taxonomy(task).colors
            saves, encodes = [], []
            for _ in range(n):
                # One mask at a time: a long run (``--runs`` in the millions, stopped with
                # Ctrl+C) must not hold every mask in memory.
                mask = blocky_mask(rng, shape, classes)
                start = time.perf_counter()
                encode_mask_png(mask, palette)
                encodes.append(time.perf_counter() - start)
                start = time.perf_counter()
                project.save_mask(record.id, task, mask)
                saves.append(time.perf_counter() - start)
    save_ms = statistics.median(saves) * 1000
    encode_ms = statistics.median(encodes) * 1000
    return {
        "n": float(n),
        "save_median_ms": save_ms,
        "encode_median_ms": encode_ms,
        "ratio": save_ms / encode_ms,
    }


if __name__ == "__main__":
    for key, value in bench_save().items():
        print(f"{key}: {value:.2f}")
