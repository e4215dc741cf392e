"""Superpixel hierarchy on real CCP photos: few regions that still fit the parsing labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.evaluation.effort import iter_dataset
from fashion_annotator.evaluation.superpixel_quality import hierarchy_quality
from fashion_annotator.segmentation.superpixels import (
    DEFAULT_LEVEL,
    compute_superpixels,
    superpixels_from_arrays,
    superpixels_to_arrays,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def photos(ccp_dir: Path) -> list:
    return list(iter_dataset(ccp_dir, "parsing7", split="val", limit=3))


def test_default_level_fits_parsing7_with_few_regions(photos: list) -> None:
    for photo in photos:
        hierarchy = compute_superpixels(photo.rgb)
        assert hierarchy.shape == photo.gt.shape
        rows = hierarchy_quality(hierarchy, photo.gt)
        default = rows[DEFAULT_LEVEL]
        assert default["regions"] < 400
        assert default["asa"] > 0.97, photo.name
        assert rows[0]["boundary_recall"] > 0.9, photo.name
        asa = [r["asa"] for r in rows]
        regions = [r["regions"] for r in rows]
        assert asa == sorted(asa, reverse=True)  # nested levels never fit better
        assert regions == sorted(regions, reverse=True) and len(rows) >= 4


def test_cached_arrays_restore_the_hierarchy(photos: list) -> None:
    hierarchy = compute_superpixels(photos[0].rgb)
    arrays = superpixels_to_arrays(hierarchy)
    restored = superpixels_from_arrays(arrays)
    assert sum(a.nbytes for a in arrays.values()) < 1.2 * hierarchy.levels[0].nbytes
    for a, b in zip(hierarchy.levels, restored.levels, strict=True):
        np.testing.assert_array_equal(a, b)
