"""Refine > Clean islands and holes: the smallest part kept grows with the photo."""

from __future__ import annotations

import numpy as np

from fashion_annotator.segmentation.refine import apply_refinements, clean_mask

SHAPE = (1728, 1152)  # a portrait 1152x1728 photo, (H, W)


def _photo_mask() -> np.ndarray:
    mask = np.zeros(SHAPE, np.uint8)
    mask[300:1500, 400:800] = 1  # the person
    mask[1600:1650, 500:560] = 2  # a 3000-px shoe, apart from the person
    mask[100:120, 1000:1014] = 1  # a stray 280-px island far from the person
    mask[100, 1014] = 1  # 281 px
    return mask


def test_clean_removes_a_281_px_island_on_a_full_size_photo_and_keeps_a_shoe() -> None:
    mask = _photo_mask()
    assert int((mask[90:130, 990:1030] == 1).sum()) == 281
    out = clean_mask(mask)
    assert not out[90:130, 990:1030].any()
    assert (out[1600:1650, 500:560] == 2).all()
    assert (out[300:1500, 400:800] == 1).all()
    np.testing.assert_array_equal(apply_refinements(["clean"], mask), out)


def test_explicit_and_small_image_sizes_still_apply() -> None:
    mask = _photo_mask()
    kept = clean_mask(mask, min_island=64)
    assert int((kept[90:130, 990:1030] == 1).sum()) == 281
    small = np.zeros((40, 40), np.uint8)
    small[5:35, 5:35] = 1
    small[1:3, 37:39] = 2  # 4 px: below the 64-px floor of a small image
    small[36:40, 0:20] = 2  # 80 px, above the floor: kept
    out = clean_mask(small)
    assert not out[1:3, 37:39].any() and (out[36:40, 0:20] == 2).all()
