"""Halved line maps keep every line pixel: a pixel is set where any of its 2 x 2 block is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fashion_annotator.core.line_maps import any_halving, line_pyramid


@pytest.mark.parametrize("shape", [(8, 6), (7, 5), (1, 1), (3, 10), (10, 3)])
def test_halving_is_the_or_of_each_block(shape):
    lines = np.random.default_rng(2).random(shape) < 0.2
    h, w = shape
    padded = np.pad(lines, ((0, h % 2), (0, w % 2)))
    expected = padded[0::2, 0::2] | padded[1::2, 0::2] | padded[0::2, 1::2] | padded[1::2, 1::2]
    halved = any_halving(lines)
    assert halved.dtype == bool and halved.shape == ((h + 1) // 2, (w + 1) // 2)
    np.testing.assert_array_equal(halved, expected)


def test_a_thin_curve_stays_one_connected_line_at_every_level():
    """A one-pixel circle keeps one 8-connected component and stays thin when halved."""
    lines = np.zeros((1000, 1400), np.uint8)
    cv2.circle(lines, (700, 500), 400, 1, thickness=1)
    levels = line_pyramid(lines.astype(bool), min_side=20)
    assert [lv.shape for lv in levels][:3] == [(1000, 1400), (500, 700), (250, 350)]
    assert max(levels[-1].shape) <= 20 < max(levels[-2].shape)
    for level in levels[1:-2]:
        count, _ = cv2.connectedComponents(level.astype(np.uint8), connectivity=8)
        assert count == 2  # the background and the circle
        # thin: a scan line through the centre meets the circle in at most two short runs
        row = level[level.shape[0] // 2]
        assert 2 <= row.sum() <= 6


def test_bad_maps_are_refused():
    with pytest.raises(ValueError, match="bool line map"):
        any_halving(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="bool line map"):
        line_pyramid(np.zeros(4, bool))
    with pytest.raises(ValueError, match="min_side"):
        line_pyramid(np.zeros((4, 4), bool), min_side=0)
