"""One Superpixel click in the real window takes a wrong region out with its edge slivers.

A hand test on a studio mannequin: the garment proposal covered the torso, its edge leaking
into the neighbouring regions; Superpixel, background, one click on the torso took the torso
out but left a jagged ring of slivers (the cutout exported as 51 pieces).
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import Qt

from fashion_annotator.core.masks import BBox
from fashion_annotator.ui.testing import click, press_key, shown_mask

TASK = "garment"
CTRL = Qt.KeyboardModifier.ControlModifier


def _pieces(mask: np.ndarray) -> int:
    return cv2.connectedComponents((mask == 1).astype(np.uint8), connectivity=8)[0] - 1


def test_a_background_click_on_a_proposed_region_leaves_no_ring(qtbot, opened) -> None:
    window, _ = opened
    window.set_task(TASK)
    regions = window.canvas.regions
    h, w = regions.shape
    ids, sizes = np.unique(regions, return_counts=True)
    border = np.unique(np.concatenate([regions[0], regions[-1], regions[:, 0], regions[:, -1]]))
    inner = [(s, i) for i, s in zip(ids.tolist(), sizes.tolist(), strict=True) if i not in border]
    region = max(inner)[1]
    torso = (regions == region).astype(np.uint8)
    band = (cv2.dilate(torso, np.ones((3, 3), np.uint8)) > 0) & (torso == 0)
    yy, xx = np.mgrid[:h, :w]
    band &= (xx + yy) // 6 % 3 != 0  # an anti-aliased edge: broken into pieces
    proposal = (torso > 0) | band
    ys, xs = np.nonzero(torso)
    cy = 0 if ys.mean() > h / 2 else h - 60  # the garment, in the corner away from the torso
    cx = 0 if xs.mean() > w / 2 else w - 60
    garment = (slice(cy, cy + 60), slice(cx, cx + 60))
    assert not proposal[cy - 1 if cy else 0 : cy + 61, cx - 1 if cx else 0 : cx + 61].any()
    proposal[garment] = True
    assert _pieces((proposal & (torso == 0)).astype(np.uint8)) > 10, "the torso's ring"

    def propose(mask: np.ndarray) -> BBox:
        mask[:] = proposal
        return BBox(0, 0, h, w)

    window.canvas.document.apply(TASK, propose)
    before = shown_mask(window).copy()
    press_key(qtbot, window, Qt.Key.Key_S)
    window.set_label(0)
    y, x = int(ys[len(ys) // 2]), int(xs[len(xs) // 2])
    assert regions[y, x] == region
    click(window, x, y)
    after = shown_mask(window)
    assert (after[garment] == 1).all()
    assert _pieces(after) == 1, "the ring of slivers went with the click"
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    np.testing.assert_array_equal(shown_mask(window), before)
