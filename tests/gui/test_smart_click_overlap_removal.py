"""Two overlapping Smart clicks on the parsing mask taken back with Ctrl+click, in either order,
give back the mask from before them (a hand test's review)."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.ui.annotate.canvas import Canvas
from tests.gui.test_smart_click_parsing_removal import CTRL, canvas, click  # noqa: F401


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_two_overlapping_clicks_at_the_tops_edge_removed_in_either_order(canvas: Canvas, order) -> None:  # noqa: F811
    doc = canvas.document
    before = doc.masks["parsing7"].copy()
    spots = [(84.0, 300.0), (96.0, 304.0)]
    for x, y in spots:
        click(canvas, x, y)
    assert (doc.masks["parsing7"][300, 60:100] == 1).any()
    for i in order:
        click(canvas, *spots[i], CTRL)
    assert canvas._markers.count == 0
    m = doc.masks["parsing7"]
    diff = m != before
    assert not diff.any(), f"{int(diff.sum())} px differ: {np.unique(before[diff])} -> {np.unique(m[diff])}"
