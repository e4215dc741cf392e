"""The canvas driven by real mouse, wheel and key events on its viewport (offscreen Qt)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.images import load_image
from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.segmentation.superpixels import compute_superpixels, region_boundaries
from fashion_annotator.ui.annotate.canvas import Canvas
from fashion_annotator.ui.annotate.overlay import label_lut

LEFT, MIDDLE, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton, Qt.MouseButton.NoButton
SHIFT, NOMOD = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.NoModifier
H, W = 240, 320


def mouse(canvas: Canvas, kind: QEvent.Type, pos: QPointF, button=LEFT, buttons=LEFT, mods=NOMOD):
    """Send one mouse event to the viewport, as the window system would."""
    vp = canvas.viewport()
    global_pos = QPointF(vp.mapToGlobal(pos.toPoint()))
    QApplication.sendEvent(vp, QMouseEvent(kind, pos, global_pos, button, buttons, mods))


def press(canvas, x, y, mods=NOMOD, button=LEFT):
    mouse(canvas, QEvent.Type.MouseButtonPress, canvas.view_pos(x, y), button, button, mods)


def move(canvas, x, y, buttons=LEFT, mods=NOMOD):
    mouse(canvas, QEvent.Type.MouseMove, canvas.view_pos(x, y), NONE, buttons, mods)


def release(canvas, x, y, mods=NOMOD, button=LEFT):
    mouse(canvas, QEvent.Type.MouseButtonRelease, canvas.view_pos(x, y), button, NONE, mods)


def drag(canvas, points, mods=NOMOD):
    """Press at the first point, move through the others, release at the last."""
    press(canvas, *points[0], mods=mods)
    for x, y in points[1:]:
        move(canvas, x, y, mods=mods)
    release(canvas, *points[-1], mods=mods)


def key(canvas, k, mods=NOMOD, kind=QEvent.Type.KeyPress):
    QApplication.sendEvent(canvas, QKeyEvent(kind, k, mods))


def make_doc(rgb: np.ndarray, mask: np.ndarray | None = None) -> AnnotationDocument:
    mask = np.zeros(rgb.shape[:2], np.uint8) if mask is None else mask
    return AnnotationDocument("img", rgb, {"parsing7": mask}, {"parsing7": None})


@pytest.fixture
def taxonomy():
    return load_taxonomy("parsing7")


@pytest.fixture
def canvas(qtbot, taxonomy):
    view = Canvas()
    qtbot.addWidget(view)
    view.resize(480, 400)
    view.show()
    qtbot.waitExposed(view)
    rng = np.random.default_rng(0)
    view.set_document(
        make_doc(rng.integers(0, 255, (H, W, 3), dtype=np.uint8)), "parsing7", taxonomy
    )
    return view


def mask_of(canvas: Canvas) -> np.ndarray:
    return canvas.document.masks["parsing7"]


def overlay_is_consistent(canvas: Canvas, taxonomy) -> bool:
    buffer = canvas._overlay.pixels()
    return np.array_equal(buffer, label_lut(taxonomy.colors)[mask_of(canvas)])


def test_brush_stroke_paints_disc_swept_path_as_one_undo_step(canvas, taxonomy, qtbot):
    canvas.set_tool("brush")
    canvas.set_label(3)
    canvas.set_brush_radius(6)
    progress, edited = [], []
    canvas.strokeProgress.connect(progress.append)
    canvas.edited.connect(edited.append)
    drag(canvas, [(40, 100), (80, 100), (120, 100), (160, 100)])
    mask = mask_of(canvas)
    assert (mask[100, 40:161] == 3).all()
    assert (mask[94:107, 100] == 3).all()
    assert mask[92, 100] == 0 and mask[108, 100] == 0 and mask[100, 30] == 0
    assert set(np.unique(mask)) == {0, 3}
    assert len(progress) >= 3 and len(edited) == 1
    box = edited[0]
    assert (box.x0, box.x1) == (34, 167) and (box.y0, box.y1) == (94, 107)
    assert overlay_is_consistent(canvas, taxonomy)

    assert canvas.undo() == box
    assert not mask.any() and overlay_is_consistent(canvas, taxonomy)
    assert len(edited) == 2
    assert canvas.redo() == box
    assert (mask[100, 40:161] == 3).all() and overlay_is_consistent(canvas, taxonomy)


def test_eraser_clears_to_background(canvas, taxonomy):
    mask_of(canvas)[:] = 5
    canvas.refresh_overlay()
    canvas.set_tool("eraser")
    canvas.set_label(5)
    canvas.set_brush_radius(4)
    drag(canvas, [(100, 50), (100, 150)])
    mask = mask_of(canvas)
    assert (mask[50:151, 100] == 0).all() and (mask[100, 96:105] == 0).all()
    assert mask[100, 94] == 5 and mask[40, 100] == 5
    assert overlay_is_consistent(canvas, taxonomy)
    canvas.document.undo("parsing7")
    assert (mask == 5).all()


def test_undo_via_document_then_refresh_overlay(canvas, taxonomy):
    canvas.set_label(2)
    drag(canvas, [(20, 20), (60, 60)])
    box = canvas.document.undo("parsing7")
    assert box is not None and not mask_of(canvas).any()
    canvas.refresh_overlay(box)
    assert overlay_is_consistent(canvas, taxonomy)


def test_brush_radius_sets_stroke_width_and_outline(canvas):
    radii = []
    canvas.brushRadiusChanged.connect(radii.append)
    for radius, row in ((2, 60), (12, 160)):
        canvas.set_brush_radius(radius)
        drag(canvas, [(100, row), (200, row)])
        column = mask_of(canvas)[:, 150]
        painted = np.flatnonzero(column[row - 20 : row + 21]) + row - 20
        assert painted.min() == row - radius and painted.max() == row + radius
    assert radii == [2.0, 12.0]
    canvas.adjust_brush_radius(1)
    assert canvas.brush_radius == pytest.approx(15.0)
    canvas.set_brush_radius(0.0)
    assert canvas.brush_radius == 0.5
    canvas.set_brush_radius(10)
    move(canvas, 50, 50, buttons=NONE)
    assert canvas._outline.isVisible()
    assert canvas._outline.rect().width() == pytest.approx(20.0)
    assert canvas._outline.rect().center().x() == pytest.approx(50.5, abs=0.05)
    canvas.set_tool("fill")
    assert not canvas._outline.isVisible()


def test_polygon_fill_subtract_and_cancel(canvas, taxonomy):
    canvas.set_tool("polygon")
    canvas.set_label(4)
    square = [(50, 50), (150, 50), (150, 150), (50, 150)]
    for x, y in square:
        press(canvas, x, y)
        release(canvas, x, y)
    assert mask_of(canvas).sum() == 0, "nothing is drawn before the polygon is closed"
    edited = []
    canvas.edited.connect(edited.append)
    key(canvas, Qt.Key.Key_Return)
    mask = mask_of(canvas)
    assert (mask[50:151, 50:151] == 4).all() and mask.sum() == 4 * 101 * 101
    assert len(edited) == 1

    # Shift-clicked vertices cut a hole out of the current label.
    for x, y in [(80, 80), (120, 80), (120, 120), (80, 120)]:
        press(canvas, x, y, mods=SHIFT)
        release(canvas, x, y, mods=SHIFT)
    key(canvas, Qt.Key.Key_Enter)
    assert (mask[80:121, 80:121] == 0).all() and mask[70, 70] == 4
    assert overlay_is_consistent(canvas, taxonomy)

    # Esc drops the open polygon.
    before = mask.copy()
    for x, y in [(10, 10), (200, 10), (200, 200)]:
        press(canvas, x, y)
    assert canvas._polygon_item.path().elementCount() > 0
    messages: list[str] = []
    canvas.message.connect(messages.append)
    key(canvas, Qt.Key.Key_Escape)
    assert canvas._polygon_item.path().elementCount() == 0
    assert messages == ["The open polygon (3 vertices) was dropped: Enter closes a polygon"]
    press(canvas, 10, 10)
    canvas.finish_edit()  # another image, a save: the same, said the same way
    assert messages[-1] == "The open polygon (1 vertex) was dropped: Enter closes a polygon"
    key(canvas, Qt.Key.Key_Return)
    assert np.array_equal(mask, before) and len(edited) == 2

    # One undo removes the hole, a second the square.
    canvas.undo()
    assert (mask[80:121, 80:121] == 4).all()
    canvas.undo()
    assert not mask.any()


def test_polygon_with_two_vertices_does_nothing(canvas):
    canvas.set_tool("polygon")
    press(canvas, 10, 10)
    press(canvas, 100, 100)
    key(canvas, Qt.Key.Key_Return)
    assert not mask_of(canvas).any()


def grid_regions(block: int = 40) -> np.ndarray:
    rows, cols = np.mgrid[0:H, 0:W]
    return ((rows // block) * (W // block) + cols // block).astype(np.int32)


def test_superpixel_click_and_drag(canvas, taxonomy):
    regions = grid_regions()
    canvas.set_regions(regions)
    canvas.set_tool("superpixel")
    canvas.set_label(6)
    press(canvas, 50, 50)
    release(canvas, 50, 50)
    mask = mask_of(canvas)
    assert (mask[40:80, 40:80] == 6).all() and mask.sum() == 6 * 40 * 40

    # A fast drag (two events far apart) assigns every region the line crosses.
    canvas.set_label(1)
    drag(canvas, [(10, 210), (300, 210)])
    assert (mask[200:240, :] == 1).all()
    assert mask[199, 10] == 0
    assert overlay_is_consistent(canvas, taxonomy)
    canvas.undo()
    assert not mask[200:240].any() and (mask[40:80, 40:80] == 6).all()


def test_superpixel_tool_without_regions_is_inert(canvas):
    canvas.set_tool("superpixel")
    drag(canvas, [(10, 10), (100, 100)])
    assert not mask_of(canvas).any()


def test_fill_relabels_connected_area(canvas, taxonomy):
    mask = mask_of(canvas)
    mask[20:60, 20:60] = 2
    mask[100:120, 100:120] = 2
    canvas.refresh_overlay()
    canvas.set_tool("fill")
    canvas.set_label(5)
    press(canvas, 30, 30)
    release(canvas, 30, 30)
    assert (mask[20:60, 20:60] == 5).all() and (mask[100:120, 100:120] == 2).all()
    assert overlay_is_consistent(canvas, taxonomy)


def test_pick_label(canvas, qtbot):
    mask_of(canvas)[70:90, 30:50] = 6
    canvas.set_tool("pick")
    with qtbot.waitSignal(canvas.labelPicked) as blocker:
        press(canvas, 40, 80)
    assert blocker.args == [6] and canvas.label == 6
    assert canvas.label_at(40, 80) == 6 and canvas.label_at(0, 0) == 0
    assert canvas.label_at(-1, 0) is None and canvas.label_at(W, 0) is None


def test_wheel_zoom_keeps_point_under_cursor(canvas):
    pos = QPointF(300, 120)
    before = canvas.mapToScene(pos.toPoint())
    zoom = canvas.zoom
    for _ in range(3):
        wheel = QWheelEvent(
            pos,
            QPointF(canvas.viewport().mapToGlobal(pos.toPoint())),
            QPoint(),
            QPoint(0, 120),
            NONE,
            NOMOD,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(canvas.viewport(), wheel)
    assert canvas.zoom == pytest.approx(zoom * 1.25**3)
    after = canvas.mapToScene(pos.toPoint())
    assert abs(after.x() - before.x()) <= 1.5 / canvas.zoom + 0.5
    assert abs(after.y() - before.y()) <= 1.5 / canvas.zoom + 0.5
    canvas.fit_to_window()
    assert canvas.zoom == pytest.approx(zoom)


def test_pan_with_middle_button_and_space_drag(canvas):
    canvas.zoom_at(2.0, QPointF(240, 200))
    start = QPointF(200, 200)
    for mods_button, space in ((MIDDLE, False), (LEFT, True)):
        origin = canvas.mapToScene(QPoint(0, 0))
        if space:
            key(canvas, Qt.Key.Key_Space)
        mouse(canvas, QEvent.Type.MouseButtonPress, start, mods_button, mods_button)
        mouse(canvas, QEvent.Type.MouseMove, start + QPointF(-40, -30), NONE, mods_button)
        mouse(canvas, QEvent.Type.MouseButtonRelease, start + QPointF(-40, -30), mods_button, NONE)
        if space:
            key(canvas, Qt.Key.Key_Space, kind=QEvent.Type.KeyRelease)
        shifted = canvas.mapToScene(QPoint(0, 0))
        assert shifted.x() - origin.x() == pytest.approx(40 / canvas.zoom, abs=1)
        assert shifted.y() - origin.y() == pytest.approx(30 / canvas.zoom, abs=1)
    assert not mask_of(canvas).any(), "panning must not paint"


def test_cursor_moved_reports_image_pixel(canvas):
    seen = []
    canvas.cursorMoved.connect(lambda x, y: seen.append((x, y)))
    move(canvas, 123, 45, buttons=NONE)
    assert seen[-1] == (123, 45)
    mouse(canvas, QEvent.Type.MouseMove, QPointF(2, 2), NONE, NONE)
    assert seen[-1] == (-1, -1)


def test_tool_switch_signals_and_rejects_unknown(canvas):
    names = []
    canvas.toolChanged.connect(names.append)
    for name in ("eraser", "polygon", "superpixel", "fill", "pick", "brush"):
        canvas.set_tool(name)
        assert canvas.tool == name
    assert names == ["eraser", "polygon", "superpixel", "fill", "pick", "brush"]
    with pytest.raises(ValueError, match="lasso"):
        canvas.set_tool("lasso")


def test_overlay_opacity_visibility_and_render(canvas, taxonomy):
    mask_of(canvas)[:] = 3
    canvas.refresh_overlay()
    canvas.set_overlay_opacity(1.0)
    top = QColor(*taxonomy.colors[3])
    canvas.fit_to_window()
    centre = canvas.view_pos(W / 2, H / 2).toPoint()
    assert canvas.grab().toImage().pixelColor(centre) == top
    canvas.set_overlay_visible(False)
    assert not canvas.overlay_visible
    assert canvas.grab().toImage().pixelColor(centre) != top
    canvas.set_overlay_visible(True)
    canvas.set_overlay_opacity(0.5)
    assert canvas.overlay_opacity == 0.5
    assert canvas.grab().toImage().pixelColor(centre) != top


def test_set_task_switches_mask_and_colours(canvas, taxonomy):
    garment = load_taxonomy("garment")
    masks = {"parsing7": np.zeros((H, W), np.uint8), "garment": np.ones((H, W), np.uint8)}
    doc = AnnotationDocument("two", canvas.document.rgb, masks)
    canvas.set_document(doc, "parsing7", taxonomy)
    canvas.set_task("garment", garment)
    assert canvas.task == "garment"
    assert np.array_equal(canvas._overlay.pixels(), label_lut(garment.colors)[doc.masks["garment"]])
    canvas.set_label(1)
    canvas.set_tool("eraser")
    drag(canvas, [(10, 10), (20, 10)])
    assert doc.masks["garment"][10, 15] == 0 and not doc.masks["parsing7"].any()
    with pytest.raises(KeyError, match="person"):
        canvas.set_task("person", load_taxonomy("person"))


def test_ccp_photo_boundaries_and_stroke(qtbot, ccp_dir: Path, taxonomy, tmp_path):
    image = load_image(ccp_dir / "images" / "0001.jpg")
    regions = compute_superpixels(image.rgb).levels[1]
    view = Canvas()
    qtbot.addWidget(view)
    view.resize(500, 700)
    view.show()
    qtbot.waitExposed(view)
    view.set_document(make_doc(image.rgb), "parsing7", taxonomy)
    view.set_regions(regions)
    view.set_boundaries_visible(True)
    assert view.boundaries_visible
    edges = view._boundary_item._keep[0] != 0
    assert np.array_equal(edges, region_boundaries(regions))
    with pytest.raises(ValueError, match="regions shape"):
        view.set_regions(regions[:-1])

    view.set_tool("superpixel")
    view.set_label(3)
    x, y = 275, 400
    press(view, x, y)
    release(view, x, y)
    mask = view.document.masks["parsing7"]
    assert np.array_equal(mask == 3, regions == regions[y, x])
    view.grab().save(str(tmp_path / "canvas.png"))
    assert (tmp_path / "canvas.png").stat().st_size > 0


def test_set_document_none_clears(canvas):
    canvas.set_document(None)
    assert canvas.document is None and canvas.label_at(0, 0) is None
    drag(canvas, [(10, 10), (20, 20)])
    canvas.grab()


def test_many_emits_keep_true_alive(canvas):
    import sys

    before = sys.getrefcount(True)
    for i in range(500):
        move(canvas, i % W, 10, buttons=NONE)
    assert sys.getrefcount(True) >= before - 50


def test_bench_ui_writes_medians(qapp, monkeypatch, tmp_path):
    import json

    from fashion_annotator.ui import bench

    monkeypatch.setattr(bench, "STROKE_MOVES", 6)
    monkeypatch.setattr(bench, "SWITCHES", 2)
    monkeypatch.setattr(bench, "REVIEW_ROWS", 100)
    monkeypatch.setattr(bench, "REVIEW_SWITCH_MASKS", 12)
    out = tmp_path / "ui.json"
    results = bench.main(out)
    assert json.loads(out.read_text()) == results
    assert results["studio_shape"] == [1728, 1152]
    for key in ("stroke_ms_median", "switch_ms_median", "ccp_stroke_full_rebuild_ms_median",
                "studio_max_brush_stroke_ms_median", "review_table_refill_ms_median",
                "review_table_sort_all_rows_ms_median"):  # fmt: skip
        assert results[key] > 0
    assert results["review_table_rows"] == 100
    assert results["review_switch_masks"] == 12 and results["review_switch_changed_ms_median"] > 0
    assert results["review_switch_ms_median"] >= 0


def test_double_click_closes_polygon(canvas):
    canvas.set_tool("polygon")
    canvas.set_label(2)
    for x, y in [(20, 20), (100, 20)]:
        press(canvas, x, y)
        release(canvas, x, y)
    press(canvas, 60, 90)
    release(canvas, 60, 90)
    mouse(canvas, QEvent.Type.MouseButtonDblClick, canvas.view_pos(60, 90))
    mask = mask_of(canvas)
    assert mask[40, 60] == 2 and mask[80, 20] == 0
    assert not canvas._tool.active


def shortcut_override_taken(canvas: Canvas, k: Qt.Key) -> bool:
    """Whether the canvas claims ``k`` before the window's shortcuts see it."""
    event = QKeyEvent(QEvent.Type.ShortcutOverride, k, NOMOD)
    event.ignore()
    QApplication.sendEvent(canvas, event)
    return event.isAccepted()


def test_polygon_keys_win_over_window_shortcuts(canvas):
    keys = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape, Qt.Key.Key_Backspace)
    canvas.set_tool("polygon")
    assert not any(shortcut_override_taken(canvas, k) for k in keys)
    assert shortcut_override_taken(canvas, Qt.Key.Key_Space)
    press(canvas, 10, 10)
    assert all(shortcut_override_taken(canvas, k) for k in keys)
    assert not shortcut_override_taken(canvas, Qt.Key.Key_B)
    key(canvas, Qt.Key.Key_Backspace)
    assert not canvas._tool.active


def test_resize_keeps_photo_fitted_until_user_zooms(canvas):
    canvas.resize(800, 700)
    fitted = canvas.zoom
    assert fitted == pytest.approx(min(798 / W, 698 / H), rel=0.02)
    canvas.zoom_at(1.25, QPointF(100, 100))
    canvas.resize(480, 400)
    assert canvas.zoom == pytest.approx(fitted * 1.25)


def test_label_lut_and_bbox_update(taxonomy):
    from fashion_annotator.core.masks import BBox
    from fashion_annotator.ui.annotate.overlay import LabelOverlay, pack_premultiplied

    lut = label_lut(taxonomy.colors)
    assert lut[0] == 0
    r, g, b = taxonomy.colors[3]
    assert lut[3] == (0xFF << 24) | (int(r) << 16) | (int(g) << 8) | int(b)
    assert (lut[7:] >> 24 == 0xFF).all() and np.array_equal(lut, label_lut(taxonomy.colors))
    assert pack_premultiplied(np.array([200, 100, 50, 128], np.uint8)) == (
        (128 << 24) | (100 << 16) | (50 << 8) | 25
    )
    mask = np.zeros((20, 30), np.uint8)
    overlay = LabelOverlay(mask, taxonomy.colors)
    mask[5:8, 10:12] = 2  # edited in place: the overlay shows it as it is
    overlay.update(mask, BBox(5, 10, 8, 12))
    assert (overlay.pixels()[5:8, 10:12] == lut[2]).all()
    assert (overlay.pixels() != 0).sum() == 6
    assert overlay.image.pixel(10, 5) == lut[2]
    with pytest.raises(ValueError, match=r"mask shape \(3, 3\)"):
        overlay.update(np.zeros((3, 3), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        LabelOverlay(np.zeros((3, 3), np.int32), taxonomy.colors)


def test_cutout_preview_shows_the_masks_pixels_alone_and_zoom_to_mask_frames_them(canvas, taxonomy):
    """A hand test: checking a cutout meant a flat silhouette at full opacity and wheel zooming
    to each small garment. The preview shows the photo where the mask keeps it and an opaque
    grey elsewhere, whatever the opacity setting; Zoom to the mask frames it."""
    from fashion_annotator.ui.annotate.overlay import CUTOUT_BACKDROP

    mask = mask_of(canvas)
    mask[H // 2 : H // 2 + 20, W // 2 : W // 2 + 10] = 3  # a small garment
    canvas.refresh_overlay()
    canvas.set_overlay_opacity(0.4)
    canvas.fit_to_window()
    fitted = canvas.zoom
    canvas.set_cutout_preview(True)
    assert canvas._overlay_item.opacity() == 1.0 and canvas.overlay_opacity == 0.4
    shot = canvas.grab().toImage()
    inside = canvas.view_pos(W / 2 + 5, H / 2 + 10).toPoint()
    outside = canvas.view_pos(5, 5).toPoint()
    assert shot.pixelColor(outside) == QColor(*CUTOUT_BACKDROP)
    near = canvas.document.rgb[H // 2 + 9 : H // 2 + 12, W // 2 + 4 : W // 2 + 7].reshape(-1, 3)
    seen = shot.pixelColor(inside)
    assert (seen.red(), seen.green(), seen.blue()) in {tuple(int(v) for v in p) for p in near}  # the photo
    canvas.set_task("parsing7", taxonomy)  # another image or task keeps the preview
    assert canvas.grab().toImage().pixelColor(outside) == QColor(*CUTOUT_BACKDROP)
    canvas.set_cutout_preview(False)
    assert canvas._overlay_item.opacity() == pytest.approx(0.4)
    assert overlay_is_consistent(canvas, taxonomy)
    assert canvas.zoom_to_mask()
    assert canvas.zoom > 3 * fitted
    visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    assert visible.contains(QPointF(W / 2, H / 2)) and visible.contains(QPointF(W / 2 + 10, H / 2 + 20))
    mask[:] = 0
    assert not canvas.zoom_to_mask()


def test_page_keys_never_scroll_the_photo_out_of_sight(canvas):
    """PgUp / PgDn are the window's image keys; when its shortcuts do not fire (the window not
    active) the view must not page the photo away (it looked as if the image had closed)."""
    canvas.zoom_at(4.0, QPointF(240, 200))
    bar = canvas.verticalScrollBar()
    assert bar.maximum() > 0
    start = bar.value()
    key(canvas, Qt.Key.Key_PageDown)
    key(canvas, Qt.Key.Key_PageUp)
    key(canvas, Qt.Key.Key_PageDown)
    assert bar.value() == start
    key(canvas, Qt.Key.Key_Down)  # the arrows still move the view
    assert bar.value() != start
