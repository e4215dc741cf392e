"""The Smart-click tool on the real canvas: clicks, right clicks, boxes, undo, marker removal.

The click model here is a hand-set network (``disk_click_model``): a positive click makes its
disk foreground and a negative click its disk background, so where each click must change the
mask is known exactly; the inference path (crop, zoom, paste-back) is the shipped one.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from fashion_annotator.annotate.tools import smartclick as click_tool
from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.images import load_image
from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.core.masks import BBox
from fashion_annotator.segmentation.clicks import ClickPredictor
from fashion_annotator.ui.annotate.canvas import Canvas

LEFT, RIGHT, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton, Qt.MouseButton.NoButton
NOMOD = Qt.KeyboardModifier.NoModifier
SHIFT, CTRL = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier


def send(canvas: Canvas, kind, x, y, button=LEFT, buttons=LEFT, mods=NOMOD) -> None:
    pos = canvas.view_pos(x, y)
    vp = canvas.viewport()
    QApplication.sendEvent(
        vp, QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos.toPoint())), button, buttons, mods)
    )


def click(canvas: Canvas, x, y, button=LEFT, mods=NOMOD) -> None:
    send(canvas, QEvent.Type.MouseButtonPress, x, y, button, button, mods)
    send(canvas, QEvent.Type.MouseButtonRelease, x, y, button, NONE, mods)


def drag_box(canvas: Canvas, x0, y0, x1, y1) -> None:
    send(canvas, QEvent.Type.MouseButtonPress, x0, y0)
    for t in np.linspace(0, 1, 6)[1:]:
        send(canvas, QEvent.Type.MouseMove, x0 + t * (x1 - x0), y0 + t * (y1 - y0), NONE, LEFT)
    send(canvas, QEvent.Type.MouseButtonRelease, x1, y1, LEFT, NONE)


@pytest.fixture
def canvas(qtbot, ccp_dir, disk_click_model, monkeypatch):
    """A canvas on a real CCP photo, garment task, Smart-click tool with the disk model."""
    predictor = ClickPredictor(disk_click_model(-5.0))
    monkeypatch.setattr(click_tool, "shared_click_predictor", lambda path=None: predictor)
    rgb = load_image(ccp_dir / "images" / "0001.jpg").rgb
    return show(qtbot, AnnotationDocument("0001", rgb, {"garment": np.zeros(rgb.shape[:2], np.uint8)}))


def show(qtbot, doc: AnnotationDocument) -> Canvas:
    """A shown canvas on ``doc``, garment task, Smart-click tool."""
    view = Canvas()
    qtbot.addWidget(view)
    view.resize(500, 700)
    view.show()
    qtbot.waitExposed(view)
    view.set_document(doc, "garment", load_taxonomy("garment"))
    view.set_tool("smartclick")
    return view


def mask(canvas: Canvas) -> np.ndarray:
    return canvas.document.masks["garment"]


def markers(canvas: Canvas) -> int:
    return canvas._markers.count


def test_left_click_adds_right_and_shift_click_remove(canvas: Canvas) -> None:
    mask(canvas)[380:470, 140:360] = 1  # as if a proposal had been accepted
    edits = []
    canvas.edited.connect(edits.append)
    click(canvas, 200, 300)
    assert mask(canvas)[300, 200] == 1 and mask(canvas)[300, 450] == 0
    assert mask(canvas)[420, 160] == 1  # the current mask is kept
    assert markers(canvas) == 1
    click(canvas, 320, 420, button=RIGHT)
    assert mask(canvas)[420, 320] == 0 and mask(canvas)[420, 160] == 1
    click(canvas, 200, 455, mods=SHIFT)
    assert mask(canvas)[455, 200] == 0
    assert markers(canvas) == 3 and len(edits) == 3
    log = canvas.document.click_log["garment"]
    assert [e["positive"] for e in log] == [True, False, False]
    assert log[0]["y"] == pytest.approx(300, abs=1) and log[0]["x"] == pytest.approx(200, abs=1)


def _model_sees(canvas: Canvas, monkeypatch, method: str, fail: bool = False) -> list[tuple]:
    """Spy on the click model's ``method``: what the canvas shows when it starts (markers, their
    positions, the box preview, repaints so far, the override cursor); ``fail`` makes it raise."""
    predictor = canvas._tool.predictor()
    plain = getattr(predictor, method)
    seen: list[tuple] = []

    def spy(*args, **kwargs):
        cursor = QApplication.overrideCursor()
        dots = [(int(i.pos().x()), int(i.pos().y())) for i in canvas._markers._items if i.isVisible()]
        box = canvas._markers._box.isVisible()
        seen.append((dots, box, canvas.paint_count, None if cursor is None else cursor.shape()))
        if fail:
            raise RuntimeError("the click model failed")
        return plain(*args, **kwargs)

    monkeypatch.setattr(predictor, method, spy)
    return seen


def test_the_click_shows_and_the_cursor_is_busy_before_the_model_runs(canvas: Canvas, monkeypatch) -> None:
    """Found in a hand test: a click did visibly nothing for 0.7-4 s on a loaded machine, until
    the click model returned (inviting a second click). Its marker is drawn, the canvas
    repainted and the cursor busy before the model runs; the cursor comes back after, also when
    the model fails."""
    click(canvas, 150, 250)
    seen = _model_sees(canvas, monkeypatch, "predict")
    painted = canvas.paint_count
    click(canvas, 300, 500, button=RIGHT)
    assert seen == [([(150, 250), (300, 500)], False, seen[0][2], Qt.CursorShape.WaitCursor)]
    assert seen[0][2] > painted, "repainted before the model runs, not after"
    assert QApplication.overrideCursor() is None and markers(canvas) == 2
    boxes = _model_sees(canvas, monkeypatch, "predict_box")
    drag_box(canvas, 100, 150, 350, 600)
    assert boxes and boxes[0][1] and boxes[0][3] == Qt.CursorShape.WaitCursor, "the box stays shown"
    assert QApplication.overrideCursor() is None and not canvas._markers._box.isVisible()
    failing = _model_sees(canvas, monkeypatch, "predict_in_box", fail=True)
    before = mask(canvas).copy()
    with pytest.raises(RuntimeError, match="the click model failed"):  # PySide6 passes it on
        click(canvas, 200, 400)
    assert failing and failing[0][3] == Qt.CursorShape.WaitCursor
    assert QApplication.overrideCursor() is None, "the cursor comes back after a failure"
    assert markers(canvas) == 1 and np.array_equal(mask(canvas), before), "the failed click is not kept"


def test_a_click_where_the_mask_is_right_changes_nothing_and_says_so(canvas: Canvas) -> None:
    """A positive click inside the mask: no far-away slivers or specks, one status line."""
    mask(canvas)[380:470, 140:360] = 1
    before = mask(canvas).copy()
    messages: list[str] = []
    canvas.message.connect(messages.append)
    edits = []
    canvas.edited.connect(edits.append)
    click(canvas, 250, 420)  # the disk model says background everywhere but the click's disk
    assert np.array_equal(mask(canvas), before) and not edits
    assert messages == [click_tool.CLICK_ON_RIGHT]


def test_each_click_is_one_undo_step_and_undo_removes_its_marker(canvas: Canvas) -> None:
    click(canvas, 150, 250)
    after_first = mask(canvas).copy()
    click(canvas, 300, 500)
    assert mask(canvas)[500, 300] == 1 and markers(canvas) == 2
    canvas.undo()
    assert np.array_equal(mask(canvas), after_first) and markers(canvas) == 1
    canvas.undo()
    assert not mask(canvas).any() and markers(canvas) == 0


def test_ctrl_click_on_a_marker_removes_that_click(canvas: Canvas) -> None:
    click(canvas, 150, 250)
    click(canvas, 300, 500)
    click(canvas, 350, 200)
    assert mask(canvas)[500, 300] == 1
    click(canvas, 301, 499, mods=CTRL)  # near the second marker
    assert markers(canvas) == 2
    assert mask(canvas)[500, 300] == 0
    assert mask(canvas)[250, 150] == 1 and mask(canvas)[200, 350] == 1
    canvas.undo()  # the removal is one step
    assert mask(canvas)[500, 300] == 1


def _paint(canvas: Canvas, rows: slice, cols: slice, label: int = 1) -> None:
    """An edit by another tool (one undo step)."""

    def fn(m):
        m[rows, cols] = label
        return BBox(rows.start, cols.start, rows.stop, cols.stop)

    canvas.document.apply("garment", fn)


def test_a_click_undone_under_another_tool_stays_undone(canvas: Canvas) -> None:
    click(canvas, 150, 250)
    assert mask(canvas)[250, 150] == 1 and markers(canvas) == 1
    canvas.set_tool("brush")
    canvas.undo()  # the click, undone while the brush is the tool
    _paint(canvas, slice(600, 620), slice(50, 70))  # a new step: the history is as deep as before
    canvas.set_tool("smartclick")
    click(canvas, 300, 500)
    assert markers(canvas) == 1, "the undone click's marker does not come back"
    assert mask(canvas)[250, 150] == 0, "nor is the undone click sent to the model again"
    assert mask(canvas)[500, 300] == 1 and mask(canvas)[610, 60] == 1


def test_removing_a_marker_keeps_edits_away_from_the_clicks(canvas: Canvas) -> None:
    click(canvas, 150, 250)
    click(canvas, 300, 500)
    _paint(canvas, slice(650, 680), slice(20, 60))  # a brush stroke far from both clicks
    click(canvas, 151, 251, mods=CTRL)  # remove the first click
    assert markers(canvas) == 1 and mask(canvas)[250, 150] == 0 and mask(canvas)[500, 300] == 1
    assert (mask(canvas)[650:680, 20:60] == 1).all(), "the brush stroke stays"


def test_box_drag_fills_inside_the_box_only(canvas: Canvas, disk_click_model, monkeypatch) -> None:
    canvas._tool._predictor = ClickPredictor(disk_click_model(5.0))
    drag_box(canvas, 150, 200, 350, 600)
    m = mask(canvas)
    assert m[400, 250] == 1
    assert not m[:199].any() and not m[601:].any() and not m[:, :149].any() and not m[:, 351:].any()
    assert markers(canvas) == 1  # the virtual click
    logged = canvas.document.click_log["garment"][0]
    assert logged["kind"] == "box"
    y0, x0, y1, x1 = logged["box"]  # the box itself, for the click trainer (photo pixels)
    assert abs(y0 - 200) <= 2 and abs(x0 - 150) <= 2 and abs(y1 - 600) <= 2 and abs(x1 - 350) <= 2


def test_a_flat_or_off_photo_box_is_refused_and_keeps_the_clicks(canvas: Canvas, disk_click_model) -> None:
    canvas._tool._predictor = ClickPredictor(disk_click_model(5.0))
    click(canvas, 200, 300)
    click(canvas, 220, 320)
    before, log = mask(canvas).copy(), list(canvas.document.click_log["garment"])
    h, w = before.shape
    messages: list[str] = []
    canvas.message.connect(messages.append)
    drag_box(canvas, 100, 400, 300, 401)  # 200 px wide, 1 px high
    drag_box(canvas, w - 0.6, 100, w + 60, 300)  # from the last column out of the photo
    assert np.array_equal(mask(canvas), before) and canvas.document.click_log["garment"] == log
    assert markers(canvas) == 2, "the click session is not wiped"
    assert len(messages) == 2 and all("Box too thin or outside the photo" in m for m in messages)


def test_a_box_dragged_from_the_margin_is_clipped_to_the_photo(canvas: Canvas, disk_click_model) -> None:
    """Found in a hand test: a box started on the dark margin beside the photo and dragged
    across the garment did nothing, while one dragged out of the photo was clipped to it. A
    plain click on the margin still does nothing."""
    canvas._tool._predictor = ClickPredictor(disk_click_model(5.0))
    assert canvas.view_pos(-8, 200).x() > 0, "the press lands on the canvas's margin"
    messages: list[str] = []
    canvas.message.connect(messages.append)
    click(canvas, -8, 300)
    assert not mask(canvas).any() and markers(canvas) == 0 and messages == []
    drag_box(canvas, -8, 200, 200, 600)
    m = mask(canvas)
    assert m[400, 100] == 1 and m[400, 0] == 1, "filled from the photo's first column"
    assert not m[:199].any() and not m[601:].any() and not m[:, 201:].any()
    assert markers(canvas) == 1
    y0, x0, y1, x1 = canvas.document.click_log["garment"][0]["box"]
    assert x0 == 0 and abs(y0 - 200) <= 2 and abs(y1 - 600) <= 2 and abs(x1 - 200) <= 2


def test_a_box_says_what_it_changed_or_how_to_redo_it_from_the_box(canvas: Canvas, disk_click_model) -> None:
    """Found in a hand test: a box that filled the mask left an older status line, and a box
    over a mask with a strip erased from the object said "the mask has this object"."""
    from fashion_annotator.ui.annotate.refine_menu import COMMANDS

    canvas._tool._predictor = ClickPredictor(disk_click_model(5.0))
    messages: list[str] = []
    canvas.message.connect(messages.append)
    drag_box(canvas, 150, 200, 350, 600)
    assert messages == [f"Box: {int(mask(canvas).sum()):,} px added (Ctrl+Z undoes)"]
    _paint(canvas, slice(200, 600), slice(240, 250), label=0)  # the operator erases a strip
    before = mask(canvas).copy()
    drag_box(canvas, 150, 200, 350, 600)
    assert np.array_equal(mask(canvas), before), "a box around what the mask has keeps it"
    assert messages[-1] == click_tool.BOX_UNCHANGED and "the mask has this object" not in messages[-1]
    assert "nothing changed" in messages[-1].lower()
    (clear,) = [text.replace("&", "") for name, text, _, _ in COMMANDS if name == "refine_clear"]
    assert f"Refine > {clear.split(' (')[0]}" in messages[-1], "the menu command it names exists"


def test_clicks_after_a_box_use_the_box_until_the_next_session(canvas: Canvas, monkeypatch) -> None:
    seen: list = []
    predictor = canvas._tool.predictor()
    plain_predict = predictor.predict_in_box

    def spy(mask, clicks, box):
        seen.append(box)
        return plain_predict(mask, clicks, box)

    monkeypatch.setattr(predictor, "predict_in_box", spy)
    drag_box(canvas, 150, 200, 350, 600)
    click(canvas, 250, 450, button=RIGHT)  # a correction inside the box
    assert len(seen) == 1 and seen[0] == pytest.approx((200, 150, 600, 350), abs=1)
    assert mask(canvas)[450, 250] == 0 and markers(canvas) == 2
    click(canvas, 251, 451, mods=CTRL)  # removing the last correction replays nothing
    assert markers(canvas) == 1 and len(seen) == 1 and mask(canvas)[450, 250] == 1
    click(canvas, 100, 100)  # outside the box: the predictor falls back to a plain click
    assert len(seen) == 2 and mask(canvas)[100, 100] == 1
    drag_box(canvas, 380, 100, 480, 300)  # a new box starts a new session
    click(canvas, 430, 200, button=RIGHT)
    assert seen[-1] == pytest.approx((100, 380, 300, 480), abs=1) and markers(canvas) == 2


def test_a_first_click_on_a_proposed_object_takes_that_object(
    qtbot, ccp_dir, disk_click_model, monkeypatch
) -> None:
    """The first positive click on an empty mask takes the proposal of its class as it is, all
    of its parts; one undo step takes it back."""
    predictor = ClickPredictor(disk_click_model(-3.0))
    monkeypatch.setattr(click_tool, "shared_click_predictor", lambda path=None: predictor)
    rgb = load_image(ccp_dir / "images" / "0001.jpg").rgb
    proposal = np.zeros(rgb.shape[:2], np.uint8)
    proposal[380:470, 140:360] = 1  # the proposed garment under the first click
    proposal[100:150, 50:100] = 1  # another proposed object
    view = show(qtbot, AnnotationDocument("0001", rgb, {"garment": np.zeros(rgb.shape[:2], np.uint8)},
                                          proposals={"garment": proposal}))  # fmt: skip
    click(view, 200, 420)
    got = mask(view)
    assert got[385, 350] == 1 and got[465, 145] == 1  # the far corners of the proposed object
    assert got[125, 75] == 1 and got[104, 54] == 1  # its other part
    assert got[300, 250] == 0 and got[600, 400] == 0  # nothing beyond the proposal
    assert np.array_equal(got, proposal)
    view.undo()
    assert not mask(view).any()
    click(view, 450, 100)  # a first click off the proposal: the network alone
    assert mask(view)[100, 450] == 1 and mask(view)[385, 350] == 0


def test_a_correction_click_does_not_spread_where_the_proposal_is_sure(
    qtbot, ccp_dir, disk_click_model, monkeypatch
) -> None:
    """A network that calls everything foreground would add the whole photo around a positive
    click beside the accepted proposal; the proposal vetoes the spread beyond the click's reach
    where it is sure (``guide_veto``: ``GUIDE_REACH`` and ``GUIDE_DEPTH`` times the long side of
    this 832x550 photo: 55 px reach, 8 px depth)."""
    from fashion_annotator.segmentation.click_guide import GUIDE_REACH

    predictor = ClickPredictor(disk_click_model(30.0))
    monkeypatch.setattr(click_tool, "shared_click_predictor", lambda path=None: predictor)
    rgb = load_image(ccp_dir / "images" / "0001.jpg").rgb
    proposal = np.zeros(rgb.shape[:2], np.uint8)
    proposal[380:470, 140:360] = 1
    view = show(qtbot, AnnotationDocument("0001", rgb, {"garment": proposal.copy()},
                                          proposals={"garment": proposal}))  # fmt: skip
    click(view, 372, 420)  # 12 px right of the proposed garment
    added = (mask(view) == 1) & (proposal == 0)
    assert added[420, 372]
    ys, xs = np.nonzero(added)
    band = (xs >= 131) & (xs < 369) & (ys >= 371) & (ys < 479)  # unsure: beside the proposal
    reach = GUIDE_REACH * max(rgb.shape[:2]) + 1
    assert ((np.hypot(ys - 420, xs - 372) <= reach) | band).all()
    assert added.sum() < 2 * np.pi * reach**2  # a disk of the reach and the band, not the photo
    view.undo()
    assert np.array_equal(mask(view), proposal)


def test_other_tools_edit_the_same_mask_between_clicks(canvas: Canvas) -> None:
    click(canvas, 150, 250)
    canvas.set_tool("brush")
    canvas.set_brush_radius(10)
    send(canvas, QEvent.Type.MouseButtonPress, 400, 100)
    send(canvas, QEvent.Type.MouseButtonRelease, 400, 100, LEFT, NONE)
    assert mask(canvas)[100, 400] == 1
    canvas.set_tool("smartclick")
    click(canvas, 300, 500)
    m = mask(canvas)
    assert m[100, 400] == 1 and m[250, 150] == 1 and m[500, 300] == 1


def test_right_click_does_not_paint_with_the_brush(canvas: Canvas) -> None:
    canvas.set_tool("brush")
    click(canvas, 200, 300, button=RIGHT)
    assert not mask(canvas).any()


def test_without_a_click_model_the_tool_says_so(qtbot, ccp_dir, monkeypatch) -> None:
    monkeypatch.setattr(click_tool, "shared_click_predictor", lambda path=None: None)
    rgb = load_image(ccp_dir / "images" / "0001.jpg").rgb
    view = Canvas()
    qtbot.addWidget(view)
    view.resize(400, 500)
    view.show()
    view.set_document(
        AnnotationDocument("0001", rgb, {"garment": np.zeros(rgb.shape[:2], np.uint8)}),
        "garment", load_taxonomy("garment"),
    )
    view.set_tool("smartclick")
    messages = []
    view.message.connect(messages.append)
    click(view, 200, 300)
    assert not view.document.masks["garment"].any()
    assert messages and "click model" in messages[0]


def test_window_shortcut_c_and_click_log_saved_with_the_mask_version(
    qtbot, tmp_path, ccp_dir, isolated_settings, disk_click_model, monkeypatch
) -> None:
    from fashion_annotator.dataset.click_logs import read_click_log
    from fashion_annotator.ui import testing

    predictor = ClickPredictor(disk_click_model(-5.0))
    monkeypatch.setattr(click_tool, "shared_click_predictor", lambda path=None: predictor)
    root = testing.copy_project(testing.make_template(tmp_path, ccp_dir), tmp_path / "p")
    window, project = testing.open_window(qtbot, root, isolated_settings, testing.Answers())
    window.set_task("garment")
    testing.press_key(qtbot, window, Qt.Key.Key_C)
    assert window.canvas.tool == "smartclick"
    testing.click(window, 200, 300)
    assert testing.shown_mask(window)[300, 200] == 1
    assert window.save()
    image_id = int(window.session.current.doc.image_id)
    latest = project.mask_versions(image_id, "garment")[-1]
    clicks = read_click_log(latest.path)
    assert len(clicks) == 1 and clicks[0]["positive"] and clicks[0]["kind"] == "click"
    assert window.session.current.doc.click_log == {}


def test_bench_ui_measures_smart_clicks(qapp, tmp_path, disk_click_model, monkeypatch) -> None:
    import json

    from fashion_annotator.ui import bench

    predictor = ClickPredictor(disk_click_model(-5.0))
    monkeypatch.setattr(click_tool, "shared_click_predictor", lambda path=None: predictor)
    monkeypatch.setattr(bench, "STROKE_MOVES", 4)
    monkeypatch.setattr(bench, "SWITCHES", 1)
    monkeypatch.setattr(bench, "CLICKS", 3)
    monkeypatch.setattr(bench, "REVIEW_ROWS", 100)
    monkeypatch.setattr(bench, "REVIEW_SWITCH_MASKS", 12)
    from fashion_annotator.segmentation import clicks

    guided = []  # the clicks after the first are guided by a proposal, as in the window
    veto = clicks.guide_veto
    monkeypatch.setattr(clicks, "guide_veto", lambda *a: guided.append(1) or veto(*a))
    results = bench.main(tmp_path / "ui.json")
    assert guided
    assert json.loads((tmp_path / "ui.json").read_text()) == results
    for res in ("ccp", "studio", "backdrop"):
        assert results[f"{res}_click_ms_median"] >= results[f"{res}_click_model_ms_median"] > 0
    assert results["click_ms_median"] == results["studio_click_ms_median"]
    box = results["backdrop_box_click_ms_median"]
    assert box == results["box_click_ms_median"] >= results["backdrop_box_click_model_ms_median"] > 0
