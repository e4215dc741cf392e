"""Helpers for the QA tests: synthetic photos and masks of known agreement (unique module name,
imported by the tests' folder on sys.path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fashion_annotator.annotate.session import (
    OpenImage,
    latest_versions,
    load_document,
    save_open_image,
)
from fashion_annotator.core.journal import RecoveryJournal
from fashion_annotator.core.masks import BBox
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.model import Instance, InstanceSet

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


def save_as_the_window(project: Project, image_id: int, journal_dir: Path, seconds: float,
                       rows: slice = slice(0, 2)) -> None:  # fmt: skip
    """Open the image as the window does (its effort clock starts at the image's totals so
    far), paint garment on ``rows`` (one action), spend ``seconds`` and save."""
    doc, fresh = load_document(project, image_id)

    def paint(mask: np.ndarray) -> BBox:
        mask[rows, :] = 1
        return BBox(rows.start, 0, rows.stop, SHAPE[1])

    doc.apply("garment", paint)
    doc.seconds += seconds
    opened = OpenImage(doc=doc, base_versions=latest_versions(project, image_id), fresh=fresh)
    save_open_image(project, opened, RecoveryJournal(journal_dir))


def banded_instances(insts: list[Instance], shape: tuple[int, int]) -> InstanceSet:
    """An instance map of ``shape`` with one band of rows per instance (rows ``10k .. 10k+8``,
    columns 5..35), in list order."""
    m = np.zeros(shape, np.uint8)
    for k, inst in enumerate(insts):
        m[10 * k : 10 * k + 8, 5:35] = inst.id
    return InstanceSet(m, {i.id: i for i in insts})
