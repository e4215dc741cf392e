"""Simulated operator and polygon baseline on synthetic masks with known costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.evaluation.effort import (
    MAX_ACTIONS,
    Operator,
    Target,
    iter_dataset,
    polygon_baseline,
    run_effort,
    target_for,
)

DICE = Target("dice", 0.98)


def square_gt(size: int = 100, lo: int = 30, hi: int = 70) -> np.ndarray:
    gt = np.zeros((size, size), np.uint8)
    gt[lo:hi, lo:hi] = 1
    return gt


def test_targets_follow_the_task_kind() -> None:
    assert target_for(2) == Target("dice", 0.98)
    assert target_for(7) == Target("pixel_accuracy", 0.97)
    gt = square_gt()
    assert DICE.score(gt, gt) == 1.0 and DICE.reached(gt, gt)
    assert not DICE.reached(np.zeros_like(gt), gt)
    assert Target("pixel_accuracy", 0.9).score(np.zeros_like(gt), gt) == pytest.approx(0.84)


def test_one_region_click_fixes_a_matching_region() -> None:
    gt = square_gt()
    regions = gt.astype(np.int32)
    outcome = Operator(gt, [regions], 2).run(np.zeros_like(gt), DICE)
    assert outcome.reached and outcome.actions == 1
    assert outcome.by_kind == {"region": 1, "polygon": 0, "brush": 0}


def test_a_square_costs_four_polygon_vertices() -> None:
    gt = square_gt()
    outcome = Operator(gt, [], 2, brush=False).run(np.zeros_like(gt), DICE)
    assert outcome.reached and outcome.actions == 4 and outcome.by_kind["polygon"] == 4


def test_a_thin_line_costs_one_stroke_per_50_pixels() -> None:
    gt = np.zeros((40, 200), np.uint8)
    gt[19:22, 20:180] = 1  # 160 pixels long, 3 wide
    outcome = Operator(gt, [], 2, polygons=False).run(np.zeros_like(gt), DICE)
    assert outcome.reached
    assert outcome.by_kind["brush"] == outcome.actions
    assert 3 <= outcome.actions <= 4


def test_start_is_left_alone_and_unreachable_targets_cost_the_budget() -> None:
    gt = square_gt()
    start = np.zeros_like(gt)
    outcome = Operator(gt, [], 2, polygons=False, brush=False).run(start, DICE)
    assert not outcome.reached and outcome.actions == MAX_ACTIONS
    assert not start.any()
    done = Operator(gt, [], 2).run(gt, DICE)
    assert done.reached and done.actions == 0


def test_greedy_corrects_a_parsing_mask_from_a_near_miss() -> None:
    gt = np.zeros((60, 60), np.uint8)
    gt[10:50, 10:30], gt[10:50, 30:50] = 1, 2
    start = gt.copy()
    start[10:50, 25:30] = 2  # a 5 px strip with the wrong label
    regions = np.arange(3600, dtype=np.int32).reshape(60, 60) // 60  # rows
    outcome = Operator(gt, [regions], 3).run(start, Target("pixel_accuracy", 0.999))
    assert outcome.reached and outcome.actions <= 4


def test_polygon_baseline_counts_vertices_of_outlines_and_background_holes() -> None:
    gt = square_gt()
    assert polygon_baseline(gt, DICE) == (4, True)
    holed = gt.copy()
    holed[40:60, 40:60] = 0
    assert polygon_baseline(holed, DICE) == (8, True)
    inner = holed.copy()
    inner[40:60, 40:60] = 2  # filled by another label: traced by its own polygon
    assert polygon_baseline(inner, Target("pixel_accuracy", 0.999)) == (8, True)
    speck = gt.copy()
    speck[5, 5] = 1  # one pixel too small to matter for the target
    assert polygon_baseline(speck, DICE) == (4, True)


def test_iter_dataset_maps_labels_and_follows_the_split(tiny_dataset: Path) -> None:
    data = tiny_dataset
    photos = list(iter_dataset(data, "garment"))
    assert [p.name for p in photos] == ["0001", "0002"]
    assert photos[0].rgb.shape == (80, 60, 3) and set(np.unique(photos[0].gt)) == {0, 1}
    with pytest.raises(ValueError, match="limit"):
        list(iter_dataset(data, "garment", limit=0))
    with pytest.raises(ValueError, match="taxonomies.json"):
        list(iter_dataset(data, "parsing7"))


def test_run_effort_without_a_model_reports_every_method(tiny_dataset: Path) -> None:
    data = tiny_dataset
    result = run_effort(data, "garment")
    assert result["task"] == "garment" and result["n_images"] == 2
    assert result["target"] == 0.98 and result["tool_start"] == "empty"
    for method in ("tool", "no_model", "polygon"):
        figures = result[method]
        assert figures["reached_share"] == 1.0
        assert 1 <= figures["median_actions"] <= figures["mean_actions"] * 2
    assert result["polygon"]["median_actions"] == 4  # one rectangle each
    assert result["ratio_tool_to_polygon"] == pytest.approx(result["tool"]["median_actions"] / 4)


def test_an_unreached_polygon_baseline_counts_the_finest_tolerance() -> None:
    """A code review: when no tolerance reached the target, the coarsest tolerance's (fewest)
    vertices were returned, not the finest's as documented: the polygon baseline shrank."""
    import cv2

    gt = np.zeros((200, 200), np.uint8)
    cv2.circle(gt, (100, 100), 70, 1, -1)
    impossible = Target("dice", 1.0 + 1e-9)
    vertices, reached = polygon_baseline(gt, impossible, tolerances=(8.0, 1.0))
    finest, _ = polygon_baseline(gt, impossible, tolerances=(1.0,))
    coarsest, _ = polygon_baseline(gt, impossible, tolerances=(8.0,))
    assert not reached and vertices == finest > coarsest
