"""A superpixel write takes along the slivers it cut off, and nothing a garment still holds.

The scene reproduces the studio mannequin: a proposal covers the garment (its own region) and
the torso above it (one region), and the torso's edge leaks a jagged band of pixels into the
background regions around it, as an anti-aliased edge does. Giving the torso background must
leave no piece of that band behind.
"""

from __future__ import annotations

import cv2
import numpy as np

from fashion_annotator.core.masks import assign_regions
from fashion_annotator.core.slivers import assign_regions_whole

H, W = 240, 200
TORSO = (slice(40, 120), slice(50, 150))
GARMENT = (slice(120, 200), slice(60, 140))
BG_LEFT, BG_RIGHT, TORSO_ID, GARMENT_ID = 0, 1, 2, 3


def _scene() -> tuple[np.ndarray, np.ndarray]:
    """``(mask, regions)``: (H, W) uint8 garment proposal and (H, W) int32 superpixels."""
    regions = np.full((H, W), BG_LEFT, np.int32)
    regions[:, W // 2 :] = BG_RIGHT
    regions[TORSO] = TORSO_ID
    regions[GARMENT] = GARMENT_ID
    torso = (regions == TORSO_ID).astype(np.uint8)
    band = (cv2.dilate(torso, np.ones((5, 5), np.uint8)) > 0) & (torso == 0)
    yy, xx = np.mgrid[:H, :W]
    band &= (xx + yy) // 6 % 3 != 0  # jagged: the edge breaks into pieces
    band &= yy < 117  # the pieces hang on the torso, not on the garment
    mask = ((regions == TORSO_ID) | (regions == GARMENT_ID) | band).astype(np.uint8)
    return mask, regions


def _pieces(mask: np.ndarray, label: int = 1) -> int:
    n, _ = cv2.connectedComponents((mask == label).astype(np.uint8), connectivity=8)
    return n - 1


def test_one_click_on_the_torso_leaves_no_sliver_of_its_edge() -> None:
    mask, regions = _scene()
    plain = mask.copy()
    assign_regions(plain, regions, [TORSO_ID], 0)
    assert _pieces(plain) > 10, "the scene leaves a ring of slivers with the plain write"
    box = assign_regions_whole(mask, regions, [TORSO_ID], 0)
    assert _pieces(mask) == 1
    assert np.array_equal(mask == 1, regions == GARMENT_ID)
    assert box is not None
    inside = np.zeros((H, W), bool)
    inside[box.slices] = True
    assert not (plain != mask)[~inside].any(), "the box covers every pixel changed"


def test_a_strap_joined_to_the_garment_stays() -> None:
    mask, regions = _scene()
    mask[60:120, 150:153] = 1  # a strap along the torso's side, running into the garment
    mask[118:122, 140:153] = 1
    strap = mask[60:120, 150:153].copy()
    assign_regions_whole(mask, regions, [TORSO_ID], 0)
    assert np.array_equal(mask[60:120, 150:153], strap)
    assert _pieces(mask) == 1


def test_pieces_never_joined_to_the_click_or_far_from_it_stay() -> None:
    mask, regions = _scene()
    mask[60:64, 40:44] = 1  # a button beside the torso, never touching it
    assign_regions_whole(mask, regions, [TORSO_ID], 0)
    assert mask[60:64, 40:44].all()
    mask, regions = _scene()
    mask[20:22, 100:200] = 1  # a line hung on the torso's top, reaching past the reach
    mask[22:40, 100:102] = 1
    assign_regions_whole(mask, regions, [TORSO_ID], 0)
    assert mask[20:22, 100:200].all()


def test_a_label_s_largest_piece_stays_though_the_click_cut_it_off() -> None:
    mask = np.zeros((H, W), np.uint8)
    regions = np.zeros((H, W), np.int32)
    regions[40:200, 40:160] = 1
    mask[40:200, 40:160] = 2  # a wrong "belt" over the body
    mask[100:104, 20:40] = 2  # the real belt's tip, joined to it only
    mask[150:152, 160:170] = 2  # a sliver of the wrong one
    mask[230:240:2, 0:200:2] = 2  # specks far away, more pixels than the tip but each smaller
    assign_regions_whole(mask, regions, [1], 0)
    assert mask[100:104, 20:40].all(), "the label's main body now"
    assert not mask[150:152, 160:170].any()
    assert np.count_nonzero(mask[230:240] == 2) == 500


def test_the_slivers_go_when_the_label_s_body_lies_far_from_the_click() -> None:
    mask, regions = _scene()
    body = (mask == 1) & (regions != TORSO_ID)
    big = np.zeros((600, W), np.uint8)  # the torso and its edge low in a taller photo
    big[360:] = mask
    far = np.zeros((600, W), np.int32)
    far[360:] = regions
    big[20:200, 40:160] = 1  # the garment, far above
    assign_regions_whole(big, far, [TORSO_ID], 0)
    assert big[20:200, 40:160].all() and _pieces(big) == 2
    assert np.array_equal(big[360:] == 1, body & (regions == GARMENT_ID))


def test_a_big_piece_cut_off_stays() -> None:
    mask, regions = _scene()
    mask[0:38, 60:140] = 1  # more than a tenth of the torso, hung on its top edge
    assign_regions_whole(mask, regions, [TORSO_ID], 0)
    assert mask[0:38, 60:140].all()
    assert _pieces(mask) == 2


def test_share_zero_is_the_plain_write() -> None:
    mask, regions = _scene()
    plain = mask.copy()
    assign_regions(plain, regions, [TORSO_ID], 0)
    assign_regions_whole(mask, regions, [TORSO_ID], 0, share=0.0)
    assert np.array_equal(mask, plain)


def _arm_and_body(gap: int) -> tuple[np.ndarray, np.ndarray]:
    """A body ``gap`` px right of an arm region, bridged above and below: a pocket between."""
    regions = np.zeros((H, W), np.int32)
    regions[40:200, 20:60] = 1  # the arm, given garment by the click
    mask = np.zeros((H, W), np.uint8)
    mask[40:200, 60 + gap : 180] = 1
    mask[98:100, 20:180] = mask[160:162, 20:180] = 1
    return mask, regions


def test_adding_a_region_fills_a_crack_to_the_garment_but_not_a_real_gap() -> None:
    mask, regions = _arm_and_body(2)
    assign_regions_whole(mask, regions, [1], 1)
    assert mask[100:160, 60:62].all(), "the crack is filled"
    assert not mask[40:98, 60:62].any() and _pieces(mask) == 1
    mask, regions = _arm_and_body(8)  # the gap between an arm and the body
    assign_regions_whole(mask, regions, [1], 1)
    assert not mask[100:160, 60:68].any(), "a real hole stays"
