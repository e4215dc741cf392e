"""The selection highlight: fill plus white and black rings along the selection's inner edge."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.ui.annotate.overlay import SELECTION_FILL, SELECTION_RINGS, selection_rgba


def test_rings_follow_the_inner_edge_and_the_box_edge() -> None:
    sel = np.zeros((20, 30), bool)
    sel[:, 5:25] = True  # touches the top and bottom of its box
    rgba = selection_rgba(sel, ring=2)
    assert rgba.shape == (20, 30, 4) and rgba.dtype == np.uint8
    assert not rgba[~sel].any()  # nothing drawn outside the selection
    white, black = SELECTION_RINGS
    assert tuple(rgba[10, 5]) == white and tuple(rgba[10, 6]) == white  # left edge: two pixels
    assert tuple(rgba[10, 7]) == black and tuple(rgba[10, 8]) == black
    assert tuple(rgba[10, 15]) == SELECTION_FILL
    assert tuple(rgba[0, 15]) == white  # the box edge is an edge too
    assert tuple(rgba[19, 15]) == white


def test_thin_selections_are_all_ring() -> None:
    sel = np.zeros((10, 10), bool)
    sel[4:6, 2:8] = True
    rgba = selection_rgba(sel, ring=3)
    assert (rgba[sel] == SELECTION_RINGS[0]).all()
    with pytest.raises(ValueError, match=r"\(h, w\)"):
        selection_rgba(np.zeros((2, 2, 2), bool))
