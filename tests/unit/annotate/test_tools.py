"""The tool registry, without a display: every tool edits through the document's history."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.annotate.tools import TOOL_NAMES, TOOLS, Pointer, ToolContext, make_tool
from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.masks import BBox


def _ctx() -> ToolContext:
    doc = AnnotationDocument(
        1, np.zeros((40, 60, 3), np.uint8), {"garment": np.zeros((40, 60), np.uint8)}
    )
    return ToolContext(doc, "garment", label=1, radius=3.0)


def test_registry_names_every_tool_once() -> None:
    assert TOOL_NAMES == ("brush", "eraser", "polygon", "superpixel", "fill", "pick", "smartclick")
    assert set(TOOLS) == set(TOOL_NAMES)
    assert {make_tool(n).name for n in TOOL_NAMES} == set(TOOL_NAMES)
    with pytest.raises(ValueError, match="unknown tool 'lasso'"):
        make_tool("lasso")


def test_a_stroke_and_a_fill_are_one_undo_step_each() -> None:
    ctx = _ctx()
    changes = []
    ctx.document.subscribe(lambda task, box, committed: committed and changes.append(box))
    brush = make_tool("brush")
    brush.press(ctx, Pointer(10, 10))
    brush.move(ctx, Pointer(30, 10))
    result = brush.release(ctx, Pointer(30, 10))
    assert result.committed and ctx.mask[10, 20] == 1 and len(changes) == 1
    fill = make_tool("fill")
    ctx.label = 2
    assert fill.press(ctx, Pointer(50, 30, shift=True)).committed  # Shift: fill the big background
    assert ctx.mask[30, 50] == 2 and ctx.document.actions == 2 and len(changes) == 2
    assert make_tool("pick").press(ctx, Pointer(20, 10)).picked == 1
    ctx.document.undo("garment")
    assert ctx.mask[30, 50] == 0 and ctx.mask[10, 20] == 1


def test_an_edit_landing_mid_stroke_ends_it_and_the_drag_goes_on() -> None:
    ctx = _ctx()
    brush = make_tool("brush")
    brush.press(ctx, Pointer(10, 10))
    brush.move(ctx, Pointer(20, 10))

    def accept(mask):  # Accept, a refinement or the instance dock, while the button is held
        mask[30:35, 50:55] = 1
        return BBox(30, 50, 35, 55)

    ctx.document.apply("garment", accept)
    brush.move(ctx, Pointer(40, 10))  # raised RuntimeError: extend_stroke without begin_stroke
    assert brush.release(ctx, Pointer(40, 10)).committed
    assert ctx.mask[10, 15] == 1 and ctx.mask[10, 30] == 1 and ctx.mask[10, 39] == 1
    for _ in range(3):  # the first part, the edit, the rest of the drag: each undoes exactly
        ctx.document.undo("garment")
    assert not ctx.mask.any()


def test_a_region_drag_is_an_open_stroke_until_released() -> None:
    ctx = _ctx()
    ctx.regions = np.repeat(np.arange(6, dtype=np.int32)[None, :], 40, axis=0).repeat(10, axis=1)
    tool = make_tool("superpixel")
    tool.press(ctx, Pointer(5, 5))
    assert ctx.document.in_stroke("garment"), "a proposal arriving now leaves the mask alone"
    tool.move(ctx, Pointer(25, 5))
    assert tool.release(ctx, Pointer(25, 5)).committed
    assert not ctx.document.in_stroke("garment") and ctx.mask[:, :30].all() and not ctx.mask[:, 30:].any()
    ctx.document.undo("garment")
    assert not ctx.mask.any()


def test_a_region_click_before_the_regions_exist_says_so() -> None:
    ctx = _ctx()
    assert ctx.regions is None
    result = make_tool("superpixel").press(ctx, Pointer(5, 5))
    assert result.message is not None and "still being computed" in result.message and not ctx.mask.any()


def test_a_smart_click_removal_gives_pixels_back_to_the_classes_around_them() -> None:
    """A negative "skin" click on a sleeve's cuff wrongly painted skin: the cuff becomes "top"
    again (the class around it), not background; skin beside the background goes to it."""
    from fashion_annotator.annotate.tools.click_write import write_object

    top, skin = 3, 1
    mask = np.zeros((40, 40), np.uint8)
    mask[5:30, 5:20] = top  # a sleeve
    mask[25:35, 10:16] = skin  # its cuff (rows 25-29) and the hand below it (30-34) as skin
    obj = mask == skin
    obj[25:30] = False  # the click says: not skin on the cuff...
    obj[33:35] = False  # ...nor at the hand's tip, on the background
    box = write_object(mask, obj, (0, 40, 0, 40), skin)
    assert box is not None
    assert (mask[25:30, 10:16] == top).all()
    assert (mask[33:35, 10:16] == 0).all() and (mask[30:33, 10:16] == skin).all()
    cutout = np.zeros((10, 10), np.uint8)
    cutout[2:8, 2:8] = 1
    keep = cutout == 1
    keep[2:4] = False
    write_object(cutout, keep, (0, 10, 0, 10), 1)
    assert (cutout[2:4] == 0).all() and cutout[4:8, 2:8].all()


def test_a_removal_takes_classes_beyond_the_crop_and_none_from_far_away() -> None:
    """Review of the refill: it looked only inside the click's crop, and filled pixels farther
    than its reach than any other class with that class anyway."""
    from fashion_annotator.annotate.tools.click_write import REFILL_REACH, write_object

    top, skin = 3, 1
    mask = np.zeros((40, 120), np.uint8)
    mask[:, :10] = top  # outside the crop below
    mask[:, 10:] = skin  # a wide wrong region
    obj = np.zeros_like(mask, bool)
    write_object(mask, obj, (0, 40, 10, 120), skin)  # not skin anywhere in the crop
    assert (mask[:, 10 : 10 + REFILL_REACH] == top).all()  # near the top beside the crop
    assert (mask[:, 10 + REFILL_REACH + 1 :] == 0).all()  # beyond the reach: background


@pytest.mark.parametrize(("shape", "drag"), [((4000, 6000), (120, 0, 5880, 3.5)), ((200, 20000), (100, 90, 19900, 94))])
def test_smart_click_refuses_a_box_too_thin_for_grabcut_with_the_box_message(
    shape, drag, disk_click_model, monkeypatch
) -> None:
    """A box 3.5 px tall across a 6000 px photo passed MIN_BOX_PX, then GrabCut's shrunk copy
    had no rows and cv2.error reached the crash dialog; now the box is refused in words."""
    from fashion_annotator.annotate.tools import smartclick
    from fashion_annotator.segmentation.clicks import ClickPredictor

    predictor = ClickPredictor(disk_click_model(5.0))
    monkeypatch.setattr(smartclick, "shared_click_predictor", lambda path=None: predictor)
    doc = AnnotationDocument(1, np.zeros((*shape, 3), np.uint8), {"garment": np.zeros(shape, np.uint8)})
    ctx = ToolContext(doc, "garment", label=1, radius=3.0)
    tool = make_tool("smartclick")
    x0, y0, x1, y1 = drag
    tool.press(ctx, Pointer(x0, y0))
    tool.move(ctx, Pointer((x0 + x1) / 2, (y0 + y1) / 2))
    result = tool.move(ctx, Pointer(x1, y1))
    result = tool.release(ctx, Pointer(x1, y1))
    assert result.message == smartclick.BOX_TOO_THIN and result.message.startswith("Box too thin")
    assert not doc.masks["garment"].any() and not doc.history["garment"].can_undo


@pytest.mark.parametrize("num_classes", [7, 2])
def test_a_parsing_click_where_the_proposal_is_sure_and_wrong_is_not_cut_to_a_disc(
    num_classes, disk_click_model, monkeypatch
) -> None:
    """A hand test: "top" clicked on a blouse the proposal called a dress painted a round disc
    (the proposal's veto, sure there is no top there, cut the click to its reach). On a parsing
    mask such a click contradicts the proposal and the veto stands down; a cutout keeps it."""
    from fashion_annotator.annotate.tools import smartclick
    from fashion_annotator.segmentation.click_guide import GUIDE_REACH, contradicts
    from fashion_annotator.segmentation.clicks import Click, ClickPredictor

    predictor = ClickPredictor(disk_click_model(30.0))  # calls everything the object: bleeds
    monkeypatch.setattr(smartclick, "shared_click_predictor", lambda path=None: predictor)
    label = 3 if num_classes == 7 else 1  # top; the cutout's foreground
    proposal = np.zeros((300, 200), np.uint8)
    proposal[40:280, 30:170] = 6 if num_classes == 7 else 0  # a "dress" (a cutout: background)
    proposal[0:12, 0:12] = label  # the clicked class, far away
    doc = AnnotationDocument(1, np.full((300, 200, 3), 128, np.uint8), {"t": proposal.copy()},
                             proposals={"t": proposal})  # fmt: skip
    tool = make_tool("smartclick")
    tool.num_classes = num_classes
    ctx = ToolContext(doc, "t", label=label, radius=3.0)
    assert contradicts(proposal == label, Click(160, 100, True))
    assert not contradicts(proposal == label, Click(20, 14, True))  # beside the proposed object
    tool.press(ctx, Pointer(100, 160))
    tool.release(ctx, Pointer(100, 160))
    added = (doc.masks["t"] == label) & (proposal != label)
    disc = np.pi * (GUIDE_REACH * 300 + 1) ** 2
    if num_classes == 7:
        assert added.sum() > 4 * disc
    else:
        assert 0 < added.sum() < disc


def test_a_region_click_takes_the_proposal_edge_left_in_the_next_regions_in_one_step() -> None:
    # a torso region proposed as garment, its edge leaking a broken band into the background
    regions = np.zeros((40, 60), np.int32)
    regions[5:25, 10:50] = 1
    regions[25:40, 15:45] = 2  # the garment
    mask = np.isin(regions, (1, 2)).astype(np.uint8)
    mask[3:5, 8:52:3] = mask[3:5, 9:52:3] = 1  # edge pixels in the background region
    mask[5:25:4, 8:10] = mask[5:25:4, 50:52] = 1
    doc = AnnotationDocument(1, np.zeros((40, 60, 3), np.uint8), {"garment": mask.copy()})
    ctx = ToolContext(doc, "garment", label=0, radius=3.0, regions=regions)
    tool = make_tool("superpixel")
    tool.press(ctx, Pointer(30, 15))
    assert tool.release(ctx, Pointer(30, 15)).committed
    assert np.array_equal(ctx.mask, (regions == 2).astype(np.uint8)), "no sliver left behind"
    ctx.document.undo("garment")
    assert np.array_equal(ctx.mask, mask)
