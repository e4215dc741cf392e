"""Superpixel hierarchy on synthetic images with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.segmentation.superpixels import (
    DEFAULT_LEVEL,
    SuperpixelHierarchy,
    SuperpixelParams,
    compute_superpixels,
    merge_hierarchy,
    region_adjacency,
    region_boundaries,
    superpixels_from_arrays,
    superpixels_to_arrays,
)

RED, RED2, BLUE, BLUE2 = (200, 30, 30), (190, 40, 35), (30, 40, 200), (40, 30, 190)


def blocks(colors: list[tuple[int, int, int]], size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """A 2x2 grid of flat colour blocks and its block ids."""
    rgb = np.zeros((2 * size, 2 * size, 3), np.uint8)
    ids = np.zeros((2 * size, 2 * size), np.int32)
    for k, color in enumerate(colors):
        y, x = divmod(k, 2)
        rgb[y * size : (y + 1) * size, x * size : (x + 1) * size] = color
        ids[y * size : (y + 1) * size, x * size : (x + 1) * size] = k
    return rgb, ids


def stripes(colors: list[tuple[int, int, int]], width: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """Vertical flat colour stripes, 48 pixels high, and their stripe ids."""
    ids = np.repeat(np.repeat(np.arange(len(colors), dtype=np.int32), width)[None, :], 48, axis=0)
    return np.asarray(colors, np.uint8)[ids], ids


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """True when ``a`` and ``b`` split the pixels identically (ids may differ)."""
    pairs = np.unique(np.stack([a.ravel(), b.ravel()]), axis=1)
    return len(np.unique(pairs[0])) == pairs.shape[1] == len(np.unique(pairs[1]))


def test_flat_blocks_give_exactly_those_regions() -> None:
    rgb, ids = blocks([RED, (30, 200, 30), BLUE, (220, 220, 40)])
    hierarchy = compute_superpixels(rgb, SuperpixelParams(level_counts=(4, 2)))
    assert hierarchy.num_regions(0) == 4
    assert same_partition(hierarchy.levels[0], ids)


def test_coarsest_level_merges_similar_blocks() -> None:
    rgb, ids = stripes([RED, RED2, BLUE, BLUE2])
    hierarchy = compute_superpixels(rgb, SuperpixelParams(level_counts=(3, 2), scale=1.0))
    assert same_partition(hierarchy.levels[0], ids)
    assert hierarchy.num_regions(1) == 3 and hierarchy.num_regions(2) == 2
    assert same_partition(hierarchy.levels[2], ids // 2)


def test_levels_nest_and_are_consecutive_at_full_resolution() -> None:
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (12, 8, 3), dtype=np.uint8)
    rgb = np.kron(small, np.ones((25, 25, 1), np.uint8))
    params = SuperpixelParams(working_size=120, level_counts=(40, 10, 3))
    hierarchy = compute_superpixels(rgb, params)
    assert hierarchy.shape == (300, 200)
    assert hierarchy.num_levels == 4
    counts = [hierarchy.num_regions(k) for k in range(4)]
    assert counts[1:] == [40, 10, 3] and counts[0] > 40
    for k, level in enumerate(hierarchy.levels):
        assert level.dtype == np.int32 and level.shape == (300, 200)
        np.testing.assert_array_equal(np.unique(level), np.arange(counts[k]))
    for fine, coarse in zip(hierarchy.levels[:-1], hierarchy.levels[1:], strict=True):
        pairs = np.unique(np.stack([fine.ravel(), coarse.ravel()]), axis=1)
        assert len(np.unique(pairs[0])) == pairs.shape[1]
    assert 0 <= DEFAULT_LEVEL < hierarchy.num_levels


def test_region_adjacency_counts_shared_boundary() -> None:
    labels = np.array([[0, 0, 1], [0, 0, 1], [2, 2, 2]], np.int32)
    image = labels[..., None].astype(np.float32)
    sizes, sums, edges, lengths, contrast = region_adjacency(labels, image)
    np.testing.assert_array_equal(sizes, [4, 2, 3])
    np.testing.assert_array_equal(sums[:, 0], [0, 2, 6])
    np.testing.assert_array_equal(edges, [[0, 1], [0, 2], [1, 2]])
    np.testing.assert_array_equal(lengths, [2, 2, 1])
    np.testing.assert_array_equal(contrast, [2, 4, 1])


def test_merge_hierarchy_merges_the_closest_neighbours_first() -> None:
    labels = np.repeat(np.arange(4, dtype=np.int32)[None, :], 3, axis=0)
    image = np.array([0.0, 1.0, 10.0, 30.0], np.float32)[labels][..., None]
    luts = merge_hierarchy(labels, image, (3, 2, 1))
    assert luts[0].tolist() == [0, 0, 1, 2]
    assert luts[1].tolist() == [0, 0, 0, 1]
    assert luts[2].tolist() == [0, 0, 0, 0]


def test_region_boundaries_marks_label_changes() -> None:
    regions = np.array([[0, 0, 1], [0, 0, 1], [2, 2, 2]])
    expected = np.array([[0, 1, 0], [1, 1, 1], [0, 0, 0]], bool)
    np.testing.assert_array_equal(region_boundaries(regions), expected)


def test_arrays_round_trip() -> None:
    rgb, _ = stripes([RED, BLUE, BLUE2, RED2])
    hierarchy = compute_superpixels(rgb, SuperpixelParams(level_counts=(3, 2), scale=1.0))
    arrays = superpixels_to_arrays(hierarchy)
    assert set(arrays) == {"fine", "luts"} and arrays["luts"].shape == (2, 4)
    restored = superpixels_from_arrays(arrays)
    for a, b in zip(hierarchy.levels, restored.levels, strict=True):
        np.testing.assert_array_equal(a, b)


def test_bad_cache_arrays_are_refused() -> None:
    with pytest.raises(ValueError, match="luts"):
        superpixels_from_arrays({"fine": np.zeros((4, 4), np.int32)})
    with pytest.raises(ValueError, match="do not match"):
        superpixels_from_arrays({"fine": np.full((4, 4), 5), "luts": np.zeros((1, 3))})


@pytest.mark.parametrize(
    "rgb",
    [np.zeros((8, 8), np.uint8), np.zeros((8, 8, 3), np.float32), np.zeros((1, 8, 3), np.uint8)],
)
def test_bad_photos_are_refused(rgb: np.ndarray) -> None:
    with pytest.raises(ValueError, match="photo"):
        compute_superpixels(rgb)


def test_bad_params_and_levels_are_refused() -> None:
    with pytest.raises(ValueError, match="decreasing"):
        SuperpixelParams(level_counts=(10, 20))
    with pytest.raises(ValueError, match="working_size"):
        SuperpixelParams(working_size=4)
    with pytest.raises(ValueError, match="shape"):
        SuperpixelHierarchy([np.zeros((4, 4), np.int32), np.zeros((4, 5), np.int32)])


def test_a_flat_photo_is_one_region_at_every_level() -> None:
    hierarchy = compute_superpixels(np.full((30, 20, 3), 90, np.uint8))
    assert [hierarchy.num_regions(k) for k in range(hierarchy.num_levels)] == [1, 1, 1, 1]
    assert all((level == 0).all() for level in hierarchy.levels)
