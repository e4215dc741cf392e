"""Bilinear reads at chosen pixels equal OpenCV's full resize there."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fashion_annotator.core.resample import sample_bilinear, sample_rows_cols, source_axis


@pytest.mark.parametrize("small, big", [((45, 30), (173, 115)), ((20, 30), (13, 17)), ((7, 5), (7, 5))])
def test_samples_equal_the_opencv_resize_at_those_pixels(small, big):
    rng = np.random.default_rng(1)
    grid = rng.normal(size=(*small, 6)).astype(np.float32)
    full = cv2.resize(grid, (big[1], big[0]), interpolation=cv2.INTER_LINEAR)
    ys = rng.integers(0, big[0], 500)
    xs = rng.integers(0, big[1], 500)
    got = sample_bilinear(grid, ys, xs, big)
    assert got.shape == (500, 6) and got.dtype == np.float32
    np.testing.assert_allclose(got, full[ys, xs], atol=1e-4)
    rows = source_axis(np.arange(big[0]), small[0], big[0])
    cols = source_axis(np.arange(big[1]), small[1], big[1])
    np.testing.assert_array_equal(sample_rows_cols(grid, rows, cols, ys, xs), got)


def test_source_axis_clamps_the_edges():
    i0, i1, frac = source_axis(np.arange(8), 4, 8)
    assert i0.min() == 0 and i1.max() == 3
    assert frac[0] == 0 and frac[-1] == 0
    assert ((frac >= 0) & (frac < 1)).all()
