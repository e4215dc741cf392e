"""Fixtures for the instance tests: a real CCP photo with its fine labels, parsing7 mask."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.images import load_image
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import mapping_from_taxonomies_json


@pytest.fixture(scope="session")
def ccp_photo(ccp_dir: Path) -> dict:
    """CCP val photo 0019: rgb, fine labels (CCP ids), parsing7 mask, label names."""
    rgb = load_image(ccp_dir / "images" / "0019.jpg").rgb
    labels = load_mask(ccp_dir / "masks" / "0019.png", shape=rgb.shape[:2])
    mapping = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "parsing7")
    names = {int(k): v for k, v in json.loads((ccp_dir / "labels.json").read_text()).items()}
    return {"rgb": rgb, "labels": labels, "parsing": mapping.lut[labels], "names": names}


def make_two_shoes(gap: int) -> np.ndarray:
    """A 120x200 parsing7 mask: a top, a bottom and two shoes ``|gap|`` px apart (joined by a thin strap if ``gap < 0``)."""
    m = np.zeros((120, 200), np.uint8)
    m[5:50, 60:140] = 3
    m[50:95, 70:130] = 5
    half = abs(gap) // 2
    m[100:115, 60 : 100 - half] = 4
    m[100:115, 100 + half : 140] = 4
    if gap < 0:
        m[108:112, 95:105] = 4
    return m


@pytest.fixture(name="two_shoes")
def two_shoes_fixture():
    """The :func:`make_two_shoes` helper (test modules import no conftest by name)."""
    return make_two_shoes
