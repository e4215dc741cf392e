"""ASA and boundary recall on hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.evaluation.superpixel_quality import (
    achievable_segmentation_accuracy,
    boundary_recall,
    hierarchy_quality,
    region_label_counts,
)
from fashion_annotator.segmentation.superpixels import SuperpixelHierarchy


def test_asa_gives_each_region_its_majority_label() -> None:
    gt = np.zeros((4, 4), np.uint8)
    gt[:, 2:] = 1
    gt[0, 1] = 2
    regions = np.zeros((4, 4), np.int32)
    regions[:, 3:] = 1
    # region 0 holds 8 zeros, 3 ones and one 2; region 1 holds 4 ones.
    np.testing.assert_array_equal(region_label_counts(regions, gt), [[7, 4, 1], [0, 4, 0]])
    assert achievable_segmentation_accuracy(regions, gt) == pytest.approx(11 / 16)
    assert achievable_segmentation_accuracy(np.arange(16).reshape(4, 4), gt) == 1.0


def test_boundary_recall_counts_boundaries_within_tolerance() -> None:
    gt = np.zeros((20, 20), np.uint8)
    gt[:, 10:] = 1
    shifted = np.zeros((20, 20), np.int32)
    shifted[:, 12:] = 1
    assert boundary_recall(shifted, gt, tolerance=2) == 1.0
    assert boundary_recall(shifted, gt, tolerance=1) == 0.0
    assert boundary_recall(np.zeros((20, 20), np.int32), gt) == 0.0
    assert boundary_recall(shifted, np.zeros((20, 20), np.uint8)) == 1.0


def test_hierarchy_quality_reports_every_level() -> None:
    gt = np.zeros((8, 8), np.uint8)
    gt[4:] = 1
    fine = np.arange(64, dtype=np.int32).reshape(8, 8) // 8
    coarse = np.zeros((8, 8), np.int32)
    rows = hierarchy_quality(SuperpixelHierarchy([fine, coarse]), gt)
    assert [r["regions"] for r in rows] == [8, 1]
    assert [r["asa"] for r in rows] == [1.0, 0.5]
    assert [r["boundary_recall"] for r in rows] == [1.0, 0.0]


def test_mismatched_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="equal 2-D shapes"):
        achievable_segmentation_accuracy(np.zeros((3, 3), np.int32), np.zeros((3, 4), np.uint8))
