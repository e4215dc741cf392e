"""A Smart-click box or click on a parsing mask relabels the garment, not its neighbours.

Found in a hand test: a "bottom" box over a tulle skirt turned both hands, the bag and the
ankles (skin, bag) into bottom too. The click model here is a stand-in whose object is the whole
box (or a square around the click), so every neighbour inside it is at stake.
"""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.annotate.tools.base import Pointer, ToolContext
from fashion_annotator.annotate.tools.click_write import keep_others
from fashion_annotator.annotate.tools.smartclick import SmartClickTool, kept_message
from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.segmentation.clicks import Click, ClickUpdate

H, W = 200, 160
SKIN, BAG, DRESS, BOTTOM = 1, 4, 5, 6
NAMES = ["background", "skin", "hair", "top", "bag", "dress", "bottom"]


class _BoxModel:
    """A click model whose object is the box (clipped to the photo), or a 41 px square around a
    positive click; it writes the object over the whole square/box area."""

    version = "stand-in"

    def set_image(self, rgb: np.ndarray) -> None:
        self.shape = rgb.shape[:2]

    def _update(self, mask: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> ClickUpdate:
        out = mask.copy()
        out[y0:y1, x0:x1] = True
        return ClickUpdate(out, (y0, y1, x0, x1), int((out != mask).sum()), None)

    def predict_box(self, box, mask):
        y0, x0, y1, x1 = (int(round(v)) for v in box)
        return self._update(mask, y0, y1, x0, x1), Click((y0 + y1) / 2, (x0 + x1) / 2, True)

    def predict(self, mask, clicks, guide=None):
        c = clicks[-1]
        y, x = int(c.y), int(c.x)
        return self._update(mask, max(0, y - 20), y + 21, max(0, x - 20), x + 21)


def _photo() -> tuple[AnnotationDocument, np.ndarray]:
    """A skirt mislabelled "dress" (rows 60-140), a hand and a bag of 20x20 over it, and an
    ankle of skin below it; a textured photo so the box is not refused as empty."""
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    mask = np.zeros((H, W), np.uint8)
    mask[60:140, 40:120] = DRESS
    mask[80:100, 40:60] = SKIN  # a hand on the skirt
    mask[100:120, 100:120] = BAG  # a bag in front of it
    mask[140:150, 70:90] = SKIN  # an ankle just under it
    return AnnotationDocument("p", rgb, {"parsing7": mask}), mask.copy()


def _tool(num_classes: int = 7) -> SmartClickTool:
    tool = SmartClickTool(_BoxModel())
    tool.num_classes, tool.names = num_classes, NAMES[:num_classes] if num_classes > 2 else None
    return tool


def _drag(tool: SmartClickTool, ctx: ToolContext, alt: bool = False):
    tool.press(ctx, Pointer(30, 50, alt=alt))
    tool.move(ctx, Pointer(130, 155, alt=alt))
    return tool.release(ctx, Pointer(130, 155, alt=alt))


def test_a_box_relabels_the_boxed_garment_and_keeps_hands_bag_and_ankles() -> None:
    doc, before = _photo()
    ctx = ToolContext(doc, "parsing7", BOTTOM, 5.0)
    result = _drag(_tool(), ctx)
    m = doc.masks["parsing7"]
    assert (m[before == DRESS] == BOTTOM).all(), "the mislabelled skirt is bottom now"
    assert (m[before == SKIN] == SKIN).all(), "hands and ankles stay skin"
    assert (m[before == BAG] == BAG).all(), "the bag stays bag"
    box = np.zeros_like(before, bool)
    box[50:155, 30:130] = True
    assert (m[box & (before == 0)] == BOTTOM).all(), "background in the box is taken"
    kept = int((before == SKIN).sum() + (before == BAG).sum())
    assert result.message is not None and f"kept {kept:,} px of skin, bag" in result.message
    assert "Alt+drag" in result.message


def test_alt_drag_paints_over_every_class() -> None:
    doc, before = _photo()
    ctx = ToolContext(doc, "parsing7", BOTTOM, 5.0)
    result = _drag(_tool(), ctx, alt=True)
    m = doc.masks["parsing7"]
    assert (m[50:155, 30:130] == BOTTOM).all()
    assert result.message is not None and "kept" not in result.message


def test_a_single_click_on_the_parsing_mask_keeps_other_classes_too() -> None:
    doc, before = _photo()
    ctx = ToolContext(doc, "parsing7", BOTTOM, 5.0)
    tool = _tool()
    tool.press(ctx, Pointer(55, 90))
    result = tool.release(ctx, Pointer(55, 90))
    m = doc.masks["parsing7"]
    assert (m[80:100, 40:60] == SKIN).all(), "the hand under the click's square stays skin"
    assert (m[70:111, 60:76] == BOTTOM).all(), "the skirt around the click is bottom"
    assert result.message is not None and "of skin:" in result.message
    tool.press(ctx, Pointer(55, 90, alt=True))
    tool.release(ctx, Pointer(55, 90, alt=True))
    assert (m[80:100, 40:60] == BOTTOM).all(), "Alt+click paints over the hand"


def test_a_cutout_box_takes_every_pixel_in_it() -> None:
    """Binary cutouts are unchanged: 0/1 only, the object is the foreground."""
    rgb = np.random.default_rng(1).integers(0, 255, (H, W, 3), dtype=np.uint8)
    mask = np.zeros((H, W), np.uint8)
    mask[80:100, 40:60] = 1
    doc = AnnotationDocument("p", rgb, {"garment": mask})
    result = _drag(_tool(2), ToolContext(doc, "garment", 1, 5.0))
    assert (doc.masks["garment"][50:155, 30:130] == 1).all()
    assert result.message is not None and "kept" not in result.message


@pytest.mark.parametrize("majority", [0, SKIN])
def test_keep_others_takes_background_and_the_class_it_mostly_covers(majority: int) -> None:
    mask = np.full((10, 10), majority, np.uint8)
    mask[0, :3] = BAG
    obj = np.ones((10, 10), bool)
    kept = keep_others(mask, obj, (0, 10, 0, 10), BOTTOM)
    assert kept.counts == {BAG: 3}
    assert not kept.obj[0, :3].any() and kept.obj[1:].all()
    assert kept_message(kept.counts, None) == "kept 3 px of class 4: Alt+drag paints over them"


def test_a_mislabelled_garment_is_relabelled_though_background_is_most_of_the_object() -> None:
    """A review: a skirt of 1,200 px labelled skin in an object of 1,800 px background took
    background as the class relabelled and kept the whole mislabelled skirt."""
    mask = np.zeros((60, 50), np.uint8)
    mask[:24] = SKIN  # 1,200 px of the garment, mislabelled
    mask[24, :5] = BAG
    obj = np.ones((60, 50), bool)
    kept = keep_others(mask, obj, (0, 60, 0, 50), BOTTOM)
    assert kept.counts == {BAG: 5}
    assert kept.obj[:24].all(), "the mislabelled garment is relabelled"
    assert not kept.obj[24, :5].any() and kept.obj[25:].all()
