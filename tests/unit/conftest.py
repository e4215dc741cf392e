"""Fixtures of the segmentation tests: a tiny plain mask-folder dataset."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest


@pytest.fixture
def tiny_dataset(tmp_path: Path) -> Path:
    """Three 60x80 photos of a red rectangle on grey; CCP-style id 5 is the garment.

    ``splits.json`` puts the first photo in train and the other two in val.
    """
    root = tmp_path / "ds"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    rng = np.random.default_rng(3)
    names = []
    for i in range(3):
        mask = np.zeros((80, 60), np.uint8)
        y, x = rng.integers(5, 30, 2)
        mask[y : y + 40, x : x + 25] = 5  # source id 5 -> garment
        rgb = np.full((80, 60, 3), 128, np.uint8)
        rgb[mask == 5] = (200, 40, 40)
        name = f"{i:04d}"
        cv2.imwrite(str(root / "images" / f"{name}.png"), rgb[..., ::-1])
        cv2.imwrite(str(root / "masks" / f"{name}.png"), mask)
        names.append(name)
    tax = {"garment": {"classes": ["background", "garment"], "from_ccp": {"0": 0, "5": 1}}}
    (root / "taxonomies.json").write_text(json.dumps(tax))
    (root / "splits.json").write_text(json.dumps({"train": names[:1], "val": names[1:]}))
    return root
