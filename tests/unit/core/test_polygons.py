"""Masks to polygons and back: exact outlines, holes, keyholes, simplification bounds."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fashion_annotator.core.polygons import (
    keyhole,
    label_polygons,
    mask_to_polygons,
    paint_shapes,
    rasterize,
    ring_area,
)


def _blobs(seed: int, shape: tuple[int, int] = (60, 80)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.random(shape), (0, 0), 2.5) > 0.5


def _union(polygons, shape, use_keyhole: bool) -> np.ndarray:
    out = np.zeros(shape, bool)
    for poly in polygons:
        out |= rasterize([keyhole(poly)] if use_keyhole else poly.rings, shape)
    return out


@pytest.mark.parametrize("use_keyhole", [False, True])
@pytest.mark.parametrize("seed", range(12))
def test_unsimplified_outline_gives_back_every_pixel(seed: int, use_keyhole: bool) -> None:
    mask = _blobs(seed) if seed % 2 else np.random.default_rng(seed).random((30, 30)) > 0.55
    polygons = mask_to_polygons(mask, tolerance=0)
    np.testing.assert_array_equal(_union(polygons, mask.shape, use_keyhole), mask)
    assert sum(p.area for p in polygons) == pytest.approx(mask.sum())


def test_holes_and_islands_in_holes_survive() -> None:
    mask = np.zeros((40, 40), np.uint8)
    mask[5:35, 5:35] = 3
    mask[12:28, 12:28] = 0
    mask[17:23, 17:23] = 3
    polygons = mask_to_polygons(mask == 3, tolerance=0)
    assert [len(p.holes) for p in polygons] == [1, 0]
    assert polygons[0].area == 30 * 30 - 16 * 16
    ring = keyhole(polygons[0])
    np.testing.assert_array_equal(rasterize([ring], mask.shape), (mask == 3) & ~(_square(17, 23)))


def _square(lo: int, hi: int, n: int = 40) -> np.ndarray:
    out = np.zeros((n, n), bool)
    out[lo:hi, lo:hi] = True
    return out


def test_outline_runs_on_pixel_edges() -> None:
    mask = np.zeros((6, 6), bool)
    mask[2:4, 1:4] = True
    (poly,) = mask_to_polygons(mask, tolerance=0)
    assert {tuple(p) for p in poly.exterior.tolist()} == {(1, 2), (4, 2), (4, 4), (1, 4)}


@pytest.mark.parametrize(("tolerance", "min_iou"), [(0.7, 0.98), (1.0, 0.94), (2.0, 0.85)])
def test_simplified_outline_stays_within_tolerance(tolerance: float, min_iou: float) -> None:
    mask = _blobs(3, (120, 160))
    exact = mask_to_polygons(mask, tolerance=0)
    simple = mask_to_polygons(mask, tolerance=tolerance)
    assert sum(len(p.exterior) for p in simple) < sum(len(p.exterior) for p in exact)
    contours = [b.exterior.astype(np.float32).reshape(-1, 1, 2) for b in simple]
    for a in exact:
        # Every exact vertex lies within the tolerance of a simplified outline.
        for v in a.exterior:
            point = tuple(map(float, v))
            gap = min(abs(cv2.pointPolygonTest(c, point, True)) for c in contours)
            assert gap <= tolerance + 1e-6
    back = _union(simple, mask.shape, True)
    assert (back & mask).sum() / (back | mask).sum() > min_iou


def test_tiny_regions_keep_their_outline() -> None:
    mask = np.zeros((10, 10), bool)
    mask[3, 3] = True
    mask[6:8, 6] = True
    polygons = mask_to_polygons(mask, tolerance=2.0)
    np.testing.assert_array_equal(_union(polygons, mask.shape, True), mask)


def test_label_polygons_paint_back_a_label_mask_in_any_order() -> None:
    rng = np.random.default_rng(5)
    mask = np.zeros((50, 70), np.uint8)
    for label in (1, 2, 3, 4):
        mask[_blobs(label, mask.shape)] = label
    shapes = label_polygons(mask, tolerance=0)
    assert {label for label, _ in shapes} == {1, 2, 3, 4}
    items = [(label, [keyhole(poly)]) for label, poly in shapes]
    np.testing.assert_array_equal(paint_shapes(items, mask.shape), mask)
    order = rng.permutation(len(items))
    np.testing.assert_array_equal(paint_shapes([items[i] for i in order], mask.shape), mask)


def test_rasterize_float_polygons_by_pixel_centre() -> None:
    triangle = np.array([[0.0, 0.0], [4.2, 0.0], [0.0, 4.2]])
    got = rasterize([triangle], (5, 5))
    centres = np.add.outer(np.arange(5), np.arange(5)) + 1.0  # x + y at pixel centres
    np.testing.assert_array_equal(got, centres < 4.2)
    assert ring_area(triangle) == pytest.approx(4.2 * 4.2 / 2)
    outside = rasterize([triangle + [-10, -10]], (5, 5))
    assert not outside.any()


def test_empty_and_bad_input() -> None:
    assert mask_to_polygons(np.zeros((4, 4), bool)) == []
    assert not rasterize([], (3, 3)).any()
    with pytest.raises(ValueError, match="2-D"):
        mask_to_polygons(np.zeros((2, 3, 3), bool))


@pytest.mark.parametrize("bad", [np.nan, np.inf, 1e308])
def test_rasterize_refuses_coordinates_it_cannot_paint(bad: float) -> None:
    """Non-finite or overflowing coordinates were cast to INT64_MIN (an IndexError) or painted
    a streak to the right edge."""
    ring = np.array([[0.0, 0.5], [bad, 10.5], [-1e308, 20.5]])
    with pytest.raises(ValueError, match="polygon coordinates"):
        rasterize([ring], (30, 40))
