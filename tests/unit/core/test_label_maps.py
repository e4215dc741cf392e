"""Whole label maps: the area-vote resize and the object crop (core.label_maps)."""

import numpy as np
import pytest

from fashion_annotator.core.label_maps import object_crop, resize_labels
from fashion_annotator.core.masks import BBox


def test_object_crop_adds_a_margin_of_the_longer_side_and_clips():
    fg = np.zeros((200, 100), bool)
    assert object_crop(fg) is None
    fg[50:90, 40:60] = True  # 40 x 20: margin 4 on every side
    assert object_crop(fg) == BBox(46, 36, 94, 64)
    fg[:] = False
    fg[0:40, 0:20] = True  # at the corner: clipped to the photo
    assert object_crop(fg) == BBox(0, 0, 44, 24)


def test_object_crop_refuses_crops_with_nothing_to_zoom():
    fg = np.zeros((100, 100), bool)
    fg[5:95, 5:95] = True  # the crop would cover the whole photo
    assert object_crop(fg) is None
    assert object_crop(fg, max_area=1.0) == BBox(0, 0, 100, 100)
    fg[:] = False
    fg[50, 10:60] = True  # one row: 50 x 1 plus 5 each side is 11 rows, not 12
    assert object_crop(fg, min_side=12) is None


def test_resize_labels_votes_by_area_without_a_shift() -> None:
    # Every 2x2 block of the left half is label 3 in three of its four pixels: the vote says 3
    # wherever nearest sampling would read the block's top-left (0) or bottom-right pixel.
    labels = np.zeros((8, 8), np.uint8)
    labels[:, 4:] = 5
    labels[:, :4] = 3
    labels[::2, 0:4:2] = 0
    out = resize_labels(labels, (4, 4))
    np.testing.assert_array_equal(out, np.array([[3, 3, 5, 5]] * 4, np.uint8))
    # A centred square stays centred at every factor, even ones (2, 4).
    square = np.zeros((48, 48), np.uint8)
    square[12:36, 12:36] = 1
    for side in (24, 16, 12, 10):
        small = resize_labels(square, (side, side))
        ys, xs = np.nonzero(small)
        assert abs(ys.mean() - (side - 1) / 2) < 0.01 and abs(xs.mean() - (side - 1) / 2) < 0.01
    np.testing.assert_array_equal(resize_labels(square, (96, 96))[::2, ::2], square)
    assert resize_labels(np.full((5, 7), 9, np.uint8), (3, 2)).tolist() == [[9, 9]] * 3
    np.testing.assert_array_equal(resize_labels(square, (48, 48)), square)


def test_resize_labels_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="uint8"):
        resize_labels(np.zeros((4, 4), np.int32), (2, 2))
    with pytest.raises(ValueError, match="positive"):
        resize_labels(np.zeros((4, 4), np.uint8), (0, 2))
