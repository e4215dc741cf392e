"""Mask editing operations on tiny synthetic masks with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.core.masks import (
    BBox,
    assign_regions,
    fill_holes,
    fill_polygon,
    flood_fill,
    paint_stroke,
    remove_islands,
    subtract_polygon,
)


def test_bbox_basics():
    a = BBox(1, 2, 4, 6)
    assert a.area == 12
    assert a.shape == (3, 4)
    assert a.slices == (slice(1, 4), slice(2, 6))
    assert a.union(BBox(0, 5, 2, 9)) == BBox(0, 2, 4, 9)
    assert a.union(None) == a
    assert BBox(-3, -3, 2, 50).clip((10, 10)) == BBox(0, 0, 2, 10)
    assert BBox(20, 20, 30, 30).clip((10, 10)) is None
    with pytest.raises(ValueError, match="negative extent"):
        BBox(5, 0, 4, 1)


def test_bbox_of():
    arr = np.zeros((5, 7), bool)
    assert BBox.of(arr) is None
    arr[1, 2] = arr[3, 5] = True
    assert BBox.of(arr) == BBox(1, 2, 4, 6)


def test_paint_single_dab_is_disk():
    mask = np.zeros((11, 11), np.uint8)
    box = paint_stroke(mask, np.array([[5.0, 5.0]]), 2.0, 3)
    yy, xx = np.mgrid[:11, :11]
    expected = (xx - 5) ** 2 + (yy - 5) ** 2 <= 4
    np.testing.assert_array_equal(mask == 3, expected)
    assert box == BBox(3, 3, 8, 8)


def test_paint_stroke_interpolates_between_points():
    mask = np.zeros((10, 40), np.uint8)
    paint_stroke(mask, np.array([[2.0, 5.0], [37.0, 5.0]]), 0.0, 1)
    # radius 0 acts as a one-pixel pen: one row, no gaps
    np.testing.assert_array_equal(np.flatnonzero(mask[5]), np.arange(2, 38))
    assert mask.sum() == 36


def test_a_subnormal_step_between_points_paints_like_a_straight_one():
    # Found by the undo property test: a y step of 2e-311 px overflowed the row ends.
    tilted, straight = np.zeros((6, 6), np.uint8), np.zeros((6, 6), np.uint8)
    paint_stroke(tilted, np.array([[0.0, 0.0], [1.0, 2.225073858507e-311]]), 0.0, 1)
    paint_stroke(straight, np.array([[0.0, 0.0], [1.0, 0.0]]), 0.0, 1)
    np.testing.assert_array_equal(tilted, straight)
    assert tilted.sum() == 2


def test_paint_stroke_changed_bbox_and_eraser():
    mask = np.zeros((20, 20), np.uint8)
    mask[:, :10] = 2
    # painting label 2 over the area that is already 2 changes only the right half
    box = paint_stroke(mask, np.array([[5.0, 10.0], [14.0, 10.0]]), 1.0, 2)
    assert box == BBox(9, 10, 12, 16)
    erased = paint_stroke(mask, np.array([[0.0, 0.0]]), 1.5, 0)
    assert erased == BBox(0, 0, 2, 2)
    assert mask[0, 0] == mask[1, 1] == 0
    assert paint_stroke(mask, np.array([[0.0, 0.0]]), 1.5, 0) is None


def test_paint_stroke_paints_exactly_the_pixels_within_the_radius_of_the_path():
    # The definition, pixel by pixel: a centre within `radius` of a segment is painted (and the
    # pixel under each point). The
    # stroke is painted row by row (runs between computed ends); this checks every pixel of
    # random segments, axis-aligned, diagonal and zero-length, against the distance itself.
    rng = np.random.default_rng(7)
    for i in range(400):
        a = rng.uniform(5, 45, 2)
        step = [rng.uniform(-25, 25, 2), np.zeros(2), np.array([rng.uniform(-25, 25), 0.0]),
                np.array([0.0, rng.uniform(-25, 25)])][i % 4]  # fmt: skip
        if i % 5 == 0:
            a = np.round(a)
        b = a + step
        radius = float(rng.choice([0.5, 1.0, 2.0, 3.0, rng.uniform(0.5, 12.0)]))
        mask = np.zeros((60, 60), np.uint8)
        paint_stroke(mask, np.stack([a, b]), radius, 1)
        yy, xx = np.mgrid[:60, :60].astype(np.float64)
        d = b - a
        t = np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / max(float(d @ d), 1e-300), 0, 1)
        dist2 = (xx - a[0] - t * d[0]) ** 2 + (yy - a[1] - t * d[1]) ** 2
        expected = dist2 <= radius * radius + 1e-6
        for x, y in (a, b):  # and the pixel under each point, whatever the radius
            row, col = int(np.floor(y + 0.5)), int(np.floor(x + 0.5))
            if 0 <= row < 60 and 0 <= col < 60:
                expected[row, col] = True
        differ = (mask == 1) != expected
        assert np.all(np.abs(dist2[differ] - radius * radius) < 1e-4), (a, b, radius)


def test_paint_stroke_outside_and_clipped():
    mask = np.zeros((8, 8), np.uint8)
    assert paint_stroke(mask, np.array([[-50.0, -50.0]]), 3, 1) is None
    box = paint_stroke(mask, np.array([[-1.0, 4.0]]), 2, 1)
    assert box == BBox(3, 0, 6, 2)
    assert mask.sum() == 4  # (0,3..5) partially: x=0 rows 3,4,5 and x=1 row 4


def test_paint_stroke_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        paint_stroke(np.zeros((4, 4), np.int32), np.zeros((1, 2)), 1, 1)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        paint_stroke(np.zeros((4, 4), np.uint8), np.zeros((3, 3)), 1, 1)
    with pytest.raises(ValueError, match="radius"):
        paint_stroke(np.zeros((4, 4), np.uint8), np.zeros((1, 2)), -1, 1)
    with pytest.raises(ValueError, match="label"):
        paint_stroke(np.zeros((4, 4), np.uint8), np.zeros((1, 2)), 1, 300)
    with pytest.raises(ValueError, match="NaN"):
        paint_stroke(np.zeros((4, 4), np.uint8), np.array([[np.nan, 1.0]]), 1, 1)


def test_fill_polygon_square_includes_outline():
    mask = np.zeros((10, 10), np.uint8)
    box = fill_polygon(mask, np.array([[2, 3], [6, 3], [6, 7], [2, 7]], float), 5)
    expected = np.zeros((10, 10), bool)
    expected[3:8, 2:7] = True
    np.testing.assert_array_equal(mask == 5, expected)
    assert box == BBox(3, 2, 8, 7)


def test_fill_polygon_self_intersecting_fills_both_lobes():
    mask = np.zeros((21, 21), np.uint8)
    bowtie = np.array([[2, 2], [18, 18], [18, 2], [2, 18]], float)
    fill_polygon(mask, bowtie, 1)
    assert mask[10, 4] == 1 and mask[10, 16] == 1  # left and right lobes
    assert mask[4, 10] == 0 and mask[16, 10] == 0  # top and bottom wedges outside
    np.testing.assert_array_equal(mask, mask[:, ::-1])


def test_fill_polygon_loop_becomes_hole():
    # A ring drawn as one self-touching outline: outer square then inner square reversed.
    outer = [[0, 0], [20, 0], [20, 20], [0, 20], [0, 0]]
    inner = [[5, 5], [5, 15], [15, 15], [15, 5], [5, 5]]
    mask = np.zeros((21, 21), np.uint8)
    fill_polygon(mask, np.array(outer + inner, float), 1)
    assert mask[2, 2] == 1 and mask[18, 18] == 1
    assert mask[10, 10] == 0
    assert mask[5, 10] == 1  # the hole's outline stays filled


def test_fill_polygon_degenerate():
    mask = np.zeros((5, 5), np.uint8)
    assert fill_polygon(mask, np.array([[0, 0], [3, 3]], float), 1) is None
    assert fill_polygon(mask, np.array([[0, 0], [2, 2], [4, 4]], float), 1) is None
    assert fill_polygon(mask, np.array([[50, 50], [60, 50], [60, 60]], float), 1) is None
    assert mask.sum() == 0


def test_fill_polygon_with_denormal_vertices_fills_without_a_geos_warning():
    """CI's property test drew vertices such as -3.5e-178: GEOS divided by zero repairing the
    ring (a RuntimeWarning, an error under the test settings)."""
    m = np.zeros((20, 20), np.uint8)
    ring = np.array([(-4.946662326678643e-30, 0.0), (0.0, 15.0), (1.0, 0.0), (-3.462272220528378e-178, 1.0),
                     (-6.110801551814226e-225, 0.0), (1.0, 1.0)])  # fmt: skip
    box = fill_polygon(m, ring, 1)
    assert box is not None and m[:, 0].sum() == 16 and m.sum() == 17  # the column x=0 and one more


def test_subtract_polygon_label_filter():
    mask = np.zeros((10, 10), np.uint8)
    mask[:, :5] = 1
    mask[:, 5:] = 2
    square = np.array([[3, 3], [7, 3], [7, 7], [3, 7]], float)
    box = subtract_polygon(mask, square, label=2)
    assert box == BBox(3, 5, 8, 8)
    assert (mask[3:8, 3:5] == 1).all() and (mask[3:8, 5:8] == 0).all()
    box = subtract_polygon(mask, square, background=9)
    assert box == BBox(3, 3, 8, 8)
    assert (mask[3:8, 3:8] == 9).all()


def test_flood_fill_connectivity():
    mask = np.zeros((5, 5), np.uint8)
    mask[0, 0] = mask[1, 1] = mask[2, 2] = 4
    box = flood_fill(mask, (0, 0), 7, connectivity=4)
    assert box == BBox(0, 0, 1, 1) and mask[1, 1] == 4
    box = flood_fill(mask, (1.2, 0.8), 7, connectivity=8)
    assert box == BBox(1, 1, 3, 3) and mask[2, 2] == 7
    assert flood_fill(mask, (0, 0), 7) is None
    box = flood_fill(mask, (4, 0), 1)
    assert (mask == 1).sum() == 22 and box == BBox(0, 0, 5, 5)
    with pytest.raises(ValueError, match="outside"):
        flood_fill(mask, (5, 0), 1)


def test_flood_fill_on_non_contiguous_view():
    base = np.zeros((6, 12), np.uint8)
    view = base[:, ::2]
    view[:, 3] = 1
    assert flood_fill(view, (0, 0), 2) == BBox(0, 0, 6, 3)
    assert (base[:, 0:6:2] == 2).all() and (base[:, 1::2] == 0).all()


def test_assign_regions():
    regions = np.arange(36, dtype=np.int32).reshape(6, 6) // 6  # row index
    mask = np.zeros((6, 6), np.uint8)
    mask[2] = 3
    box = assign_regions(mask, regions, [2, 4, 99], 3)
    assert box == BBox(4, 0, 5, 6)
    assert (mask[[2, 4]] == 3).all() and mask.sum() == 36
    assert assign_regions(mask, regions, [], 1) is None
    assert assign_regions(mask, regions, np.array([2]), 3) is None
    with pytest.raises(ValueError, match="shape"):
        assign_regions(mask, regions[:3], [1], 1)


def test_remove_islands_takes_surrounding_label():
    mask = np.full((12, 12), 1, np.uint8)
    mask[:, 8:] = 2
    mask[3:5, 3:5] = 5  # 4-pixel island inside label 1
    mask[9, 9] = 0  # 1-pixel hole inside label 2
    box = remove_islands(mask, min_size=5)
    assert box == BBox(3, 3, 10, 10)
    assert (mask[:, :8] == 1).all() and (mask[:, 8:] == 2).all()
    assert remove_islands(mask, min_size=5) is None


def test_remove_islands_keeps_big_and_uniform():
    mask = np.zeros((10, 10), np.uint8)
    mask[2:6, 2:6] = 1
    assert remove_islands(mask, min_size=16) is None
    assert remove_islands(np.ones((4, 4), np.uint8), min_size=100) is None


def test_fill_holes():
    mask = np.zeros((10, 10), np.uint8)
    mask[1:9, 1:9] = 1
    mask[3:5, 3:5] = 0  # small hole
    mask[6, 6] = 2  # other label enclosed
    mask[1:4, 8] = 0  # notch open to the outside: not a hole
    box = fill_holes(mask, 1, max_size=3)
    assert box == BBox(6, 6, 7, 7)
    assert (mask[3:5, 3:5] == 0).all()
    box = fill_holes(mask, 1)
    assert box == BBox(3, 3, 5, 5)
    assert (mask[1:4, 8] == 0).all()
    assert fill_holes(mask, 7) is None


def test_thin_sloped_stroke_has_no_gaps():
    import cv2

    mask = np.zeros((40, 40), np.uint8)
    paint_stroke(mask, np.array([[1.0, 2.0], [37.0, 29.5]]), 0.2, 1)
    n, _ = cv2.connectedComponents(mask, connectivity=8)
    assert n == 2  # background + one connected line
    assert mask[2, 1] == 1 and mask[29:31, 37].any()


def test_a_small_pen_clicked_near_a_pixel_corner_paints_that_pixel():
    """Pixel (r, c) spans [c - 0.5, c + 0.5) x [r - 0.5, r + 0.5): a one-pixel pen clicked 0.45
    px off the centre in both directions (0.64 from it) used to paint nothing."""
    for dx, dy in ((-0.45, -0.45), (0.45, 0.45), (0.45, -0.45), (0.0, 0.0)):
        mask = np.zeros((8, 8), np.uint8)
        box = paint_stroke(mask, np.array([[3 + dx, 5 + dy]]), 0.5, 1)
        assert mask[5, 3] == 1 and mask.sum() == 1, (dx, dy)
        assert box == BBox(5, 3, 6, 4)


def test_fill_polygon_fills_exactly_the_pixel_centres_inside_or_on_the_outline():
    """A code review: OpenCV's fillPoly also filled the pixels its outline crossed, about one
    pixel too many on the right and bottom (a Shift-subtract removed an extra row)."""
    import shapely

    mask = np.zeros((7, 9), np.uint8)
    fill_polygon(mask, np.array([[1.5, 1.5], [5.5, 1.5], [5.5, 4.5], [1.5, 4.5]]), 1)  # pixel corners
    assert np.argwhere(mask).min(axis=0).tolist() == [2, 2] and np.argwhere(mask).max(axis=0).tolist() == [4, 5]
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:40, 0:50]
    centres = shapely.points(xx.ravel().astype(float), yy.ravel().astype(float))
    for _ in range(40):
        vertices = rng.uniform(-5, 55, (int(rng.integers(3, 9)), 2)) * [1.0, 0.8]
        mask = np.zeros((40, 50), np.uint8)
        fill_polygon(mask, vertices, 1)
        shape = shapely.make_valid(shapely.Polygon(vertices))
        want = shapely.covers(shape, centres).reshape(40, 50)
        near = shapely.distance(shape.boundary, centres).reshape(40, 50) < 1e-6
        assert np.array_equal((mask == 1) | near, want | near), "only centres on the outline may differ"


def test_remove_islands_leaves_no_speck_of_an_island_nested_in_a_small_island():
    """A code review: a speck inside a small island merged into it, then the island moved to
    its surroundings without the speck, which was left as a new island under a new label."""
    from skimage.measure import label as label_components

    mask = np.ones((40, 40), np.uint8)
    mask[10:17, 10:17] = 2  # a small island (49 px)
    mask[12:15, 12:15] = 3  # with a speck in it (9 px)
    remove_islands(mask, 64)
    sizes = np.bincount(label_components(mask, background=-1, connectivity=2).ravel())[1:]
    assert (mask == 1).all() and sizes.min() >= 64


def test_fill_polygon_with_an_edge_that_rises_by_a_denormal_is_level():
    """Found by the undo/redo property test: an edge rising by 2e-313 px overflowed the
    scanline crossings' division."""
    import warnings

    mask = np.zeros((5, 5), np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fill_polygon(mask, np.array([(0.0, 0.0), (0.0, 1.0), (1.0, 2.2250738585e-313)]), 1)
    assert mask[0, 0] == mask[1, 0] == mask[0, 1] == 1 and mask.sum() == 3


def test_fill_holes_max_size_counts_holes_4_connected() -> None:
    """Two one-pixel holes touching only at a corner are two holes (the docstring's
    4-connectivity), each small enough to fill; read 8-connected they were one of two pixels."""
    mask = np.full((6, 6), 1, np.uint8)
    mask[2, 2] = 0
    mask[3, 3] = 0
    box = fill_holes(mask, 1, max_size=1)
    assert box is not None
    assert (mask == 1).all()
