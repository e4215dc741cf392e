"""The polygon tool as CVAT, labelme and Photoshop users expect it, driven by mouse events.

A click on the first vertex closes the polygon (highlighted under the pointer); an open
polygon is closed, never silently dropped, when the operator moves on; its edges lie where the
operator clicked at any zoom.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QApplication

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.core.masks import fill_polygon
from fashion_annotator.ui.annotate.canvas import Canvas
from fashion_annotator.ui.testing import click, press_key, shown_canvas, shown_mask

LEFT, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
SHIFT, NOMOD = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.NoModifier
H, W = 240, 320
TRIANGLE = [(100, 60), (200, 60), (200, 160)]


@pytest.fixture
def canvas(qtbot):
    rgb = np.random.default_rng(0).integers(0, 255, (H, W, 3), dtype=np.uint8)
    masks = {"parsing7": np.zeros((H, W), np.uint8), "garment": np.zeros((H, W), np.uint8)}
    view = shown_canvas(qtbot, AnnotationDocument("img", rgb, masks), "parsing7")
    view.set_tool("polygon")
    view.set_label(4)
    return view


def mouse(canvas: Canvas, kind: QEvent.Type, pos: QPointF, button=LEFT, buttons=LEFT, mods=NOMOD) -> None:
    vp = canvas.viewport()
    global_pos = QPointF(vp.mapToGlobal(QPoint(0, 0))) + pos
    QApplication.sendEvent(vp, QMouseEvent(kind, pos, global_pos, button, buttons, mods))


def click_at(canvas: Canvas, pos: QPointF, mods=NOMOD) -> None:
    """A left click at viewport position ``pos``."""
    mouse(canvas, QEvent.Type.MouseButtonPress, pos, mods=mods)
    mouse(canvas, QEvent.Type.MouseButtonRelease, pos, LEFT, NONE, mods)


def hover(canvas: Canvas, pos: QPointF) -> None:
    mouse(canvas, QEvent.Type.MouseMove, pos, NONE, NONE)


def key(canvas: Canvas, k: Qt.Key) -> None:
    QApplication.sendEvent(canvas, QKeyEvent(QEvent.Type.KeyPress, k, NOMOD))


def place(canvas: Canvas, vertices, mods=NOMOD) -> None:
    for x, y in vertices:
        click_at(canvas, canvas.view_pos(x, y), mods)


def filled(vertices, shape=(H, W), label: int = 4) -> np.ndarray:
    """What a polygon through exactly ``vertices`` fills."""
    mask = np.zeros(shape, np.uint8)
    fill_polygon(mask, np.array(vertices, float), label)
    return mask


@pytest.mark.parametrize("zoom", [None, 12.0], ids=["fitted", "zoomed-in"])
def test_a_click_on_the_first_vertex_closes_the_polygon_at_any_zoom(canvas, zoom):
    """Found in a hand test: a click on the first point added a vertex there (as CVAT and
    labelme users click to close) and left the polygon open."""
    vertices = [(150, 100), (158, 100), (158, 108)] if zoom else TRIANGLE
    if zoom:
        canvas.zoom_at(zoom / canvas.zoom, canvas.view_pos(154, 104))
    mask = canvas.document.masks["parsing7"]
    edited = []
    canvas.edited.connect(edited.append)
    place(canvas, vertices[:2])
    click_at(canvas, canvas.view_pos(*vertices[0]) + QPointF(2, 1))
    assert len(canvas._tool.vertices) == 3, "two vertices close nothing: the click is a vertex"
    key(canvas, Qt.Key.Key_Backspace)  # Backspace takes it back
    assert len(canvas._tool.vertices) == 2 and not mask.any()
    place(canvas, vertices[2:])
    far = canvas.view_pos(*vertices[0]) + QPointF(-12, 0)  # 12 screen pixels: a new vertex
    click_at(canvas, far)
    key(canvas, Qt.Key.Key_Backspace)
    near = canvas.view_pos(*vertices[0]) + QPointF(5, -4)  # a few screen pixels off: closes
    click_at(canvas, near)
    assert not canvas._tool.active, "the click closed the polygon"
    np.testing.assert_array_equal(mask, filled(vertices))  # through the vertices, no extra one
    assert len(edited) == 1
    canvas.undo()
    assert not mask.any(), "one polygon is one undo step"


def test_the_first_vertex_is_highlighted_while_a_click_there_would_close(canvas):
    place(canvas, TRIANGLE)
    first = canvas.view_pos(*TRIANGLE[0])
    beside = (first + QPointF(-4, 0)).toPoint()  # left of the first vertex: no edge passes

    def shown() -> tuple[int, int, int]:
        color = canvas.grab().toImage().pixelColor(beside)
        return color.red(), color.green(), color.blue()

    hover(canvas, first + QPointF(14, 14))
    away = shown()
    hover(canvas, first + QPointF(4, 4))
    assert shown() != away, "the first vertex grows under the pointer"
    assert canvas._polygon.hovered
    hover(canvas, first + QPointF(14, 14))
    assert shown() == away and not canvas._polygon.hovered
    key(canvas, Qt.Key.Key_Backspace)  # two vertices left: nothing to close, nothing shown
    hover(canvas, first + QPointF(4, 4))
    assert not canvas._polygon.hovered


def test_a_polygon_around_pixel_corners_fills_exactly_the_pixels_inside(canvas):
    """Zoomed in to 32 screen pixels per photo pixel, the operator clicks the grid's corners
    around a 3 x 2 pixel block (whole device pixels, as a real pointer) and closes on the first."""
    canvas.zoom_at(32.0 / canvas.zoom, canvas.view_pos(60, 60))
    x0, y0, x1, y1 = 59, 60, 61, 61  # the block's first and last pixels
    corners = [(x0 - 0.5, y0 - 0.5), (x1 + 0.5, y0 - 0.5), (x1 + 0.5, y1 + 0.5), (x0 - 0.5, y1 + 0.5)]

    def on_screen(x: float, y: float) -> QPointF:  # the device pixel whose corner is there
        return QPointF(canvas.viewportTransform().map(QPointF(x + 0.5, y + 0.5)).toPoint())

    for corner in corners + corners[:1]:
        click_at(canvas, on_screen(*corner))
    mask = canvas.document.masks["parsing7"]
    expected = np.zeros_like(mask)
    expected[y0 : y1 + 1, x0 : x1 + 1] = 4
    np.testing.assert_array_equal(mask, expected)
    # clicked on the pixels' centres instead, the vertices' pixels are inside (on the outline)
    canvas.undo()
    place(canvas, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    key(canvas, Qt.Key.Key_Return)
    np.testing.assert_array_equal(mask, expected)


def test_a_shift_polygon_closed_on_its_first_vertex_subtracts_as_one_step(canvas):
    mask = canvas.document.masks["parsing7"]
    mask[:] = 4
    canvas.refresh_overlay()
    place(canvas, TRIANGLE, mods=SHIFT)
    click_at(canvas, canvas.view_pos(*TRIANGLE[0]))  # Shift on any vertex subtracts
    np.testing.assert_array_equal(mask, 4 - filled(TRIANGLE))
    canvas.undo()
    assert (mask == 4).all()


@pytest.mark.parametrize("leave", ["tool", "task", "finish_edit"])
def test_moving_on_closes_the_open_polygon_and_says_so(canvas, leave):
    """Found in a hand test: a half-drawn polygon vanished without a word when the operator
    switched tool, task or image (the window's finish_edit). Closed as Enter closes it (as
    the brush commits a stroke), it is one undo step and the status bar says so."""
    messages: list[str] = []
    canvas.message.connect(messages.append)
    mask = canvas.document.masks["parsing7"]
    place(canvas, TRIANGLE + [(300, 230)])
    key(canvas, Qt.Key.Key_Backspace)  # the stray vertex
    {"tool": lambda: canvas.set_tool("brush"),
     "task": lambda: canvas.set_task("garment", load_taxonomy("garment")),
     "finish_edit": canvas.finish_edit}[leave]()  # fmt: skip
    np.testing.assert_array_equal(mask, filled(TRIANGLE))
    assert messages == ["The open polygon (3 vertices) was closed and filled: Esc drops a polygon"]
    assert canvas._polygon_item.path().isEmpty()
    assert canvas.document.undo("parsing7") is not None and not mask.any()


def test_esc_still_drops_the_open_polygon_and_two_vertices_are_dropped_on_leaving(canvas):
    messages: list[str] = []
    canvas.message.connect(messages.append)
    mask = canvas.document.masks["parsing7"]
    place(canvas, TRIANGLE)
    key(canvas, Qt.Key.Key_Escape)
    place(canvas, TRIANGLE[:2])
    canvas.set_tool("brush")
    assert not mask.any()
    assert messages == [
        "The open polygon (3 vertices) was dropped: Enter closes a polygon",
        "The open polygon (2 vertices) was dropped: Enter closes a polygon",
    ]
    canvas.set_tool("polygon")
    place(canvas, TRIANGLE, mods=SHIFT)
    mask[:] = 4
    canvas.set_tool("fill")  # a subtracting polygon is closed as a cut
    assert messages[-1] == "The open polygon (3 vertices) was closed and cut out: Esc drops a polygon"
    np.testing.assert_array_equal(mask, 4 - filled(TRIANGLE))


def test_an_open_polygon_is_saved_with_the_image_when_the_operator_pages_on(qtbot, opened):
    window, project = opened
    first, second = [r.id for r in project.images()][:2]
    press_key(qtbot, window, Qt.Key.Key_P)
    label = window.canvas.label
    for x, y in ((50, 50), (250, 50), (250, 150), (50, 150)):
        click(window, x, y)
    press_key(qtbot, window, Qt.Key.Key_PageDown)
    assert window.session.image_id == second
    saved = project.load_mask(first, window.task)
    assert (saved[60:140, 60:240] == label).all() and saved[170, 150] == 0


def test_an_open_polygon_is_saved_when_the_window_closes(qtbot, opened):
    window, project = opened
    first = window.session.image_id
    press_key(qtbot, window, Qt.Key.Key_P)
    label = window.canvas.label
    for x, y in ((50, 50), (250, 50), (250, 150)):
        click(window, x, y)
    assert not shown_mask(window).any() or shown_mask(window)[60, 240] != label
    assert window.close()
    saved = project.load_mask(first, window.task)
    assert saved[60, 240] == label and saved[140, 60] != label


def test_an_open_polygon_is_saved_before_an_import_closes_the_image(qtbot, opened, monkeypatch):
    """File > Import closes the open image first; its open polygon was left out of the save
    and later reported as closed into an image no longer shown."""
    from fashion_annotator.dataset.formats.common import ImportSummary
    from fashion_annotator.ui import file_menu

    window, project = opened
    first = window.session.image_id
    monkeypatch.setattr(file_menu, "import_source", lambda *args, **kwargs: ImportSummary())
    press_key(qtbot, window, Qt.Key.Key_P)
    label = window.canvas.label
    for x, y in ((50, 50), (250, 50), (250, 150)):
        click(window, x, y)
    job = window.files.import_masks(project.root, "plain")
    assert job is not None
    saved = project.load_mask(first, window.task)
    assert saved is not None and saved[60, 240] == label
    qtbot.waitUntil(lambda: not job.isRunning() and window.session.image_id == first, timeout=10_000)
    assert shown_mask(window)[60, 240] == label


@pytest.mark.parametrize("leave", ["page", "done"])
def test_the_status_bar_still_says_the_polygon_was_closed_after_the_image_switch(qtbot, opened, leave):
    """PgDn (or Done) with a polygon open: the window said "The open polygon (4 vertices) was
    closed and filled" and at once, in the same key press, "Saved 0001.jpg at ...": the operator
    never read that the polygon went into the image just left."""
    window, _project = opened
    first = window.session.image_id
    press_key(qtbot, window, Qt.Key.Key_P)
    for x, y in ((50, 50), (250, 50), (250, 150), (50, 150)):
        click(window, x, y)
    if leave == "page":
        press_key(qtbot, window, Qt.Key.Key_PageDown)
    else:
        window.mark_done()
    assert window.session.image_id != first
    said = "The open polygon (4 vertices) was closed and filled: Esc drops a polygon"
    qtbot.waitUntil(lambda: window.status.currentMessage() == said, timeout=2000)
    assert said in window.status.toolTip()  # the whole of it where the window is narrow
