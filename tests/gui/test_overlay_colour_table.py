"""The label overlay drawn through a colour table over the mask itself (offscreen Qt).

Showing a 6000x9000 mask used to recolour it whole into an ARGB buffer on the GUI thread
(seconds); the overlay is now an Indexed8 view of the mask. What the canvas shows must be what
the recoloured buffer showed, pixel for pixel.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent, QTransform
from PySide6.QtWidgets import QApplication

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.core.masks import BBox
from fashion_annotator.ui.annotate.canvas import Canvas
from fashion_annotator.ui.annotate.overlay import LabelOverlay, cutout_lut, label_lut

H, W = 120, 161  # an odd width: the mask's rows are not 4-byte aligned


def _stripes(num_classes: int) -> np.ndarray:
    """Vertical stripes of every class, with a stray id (200) the taxonomy lacks."""
    mask = (np.arange(W)[None, :] * num_classes // W).astype(np.uint8).repeat(H, axis=0)
    mask[50:60, 70:90] = 200
    return np.ascontiguousarray(mask)


@pytest.fixture
def canvas(qtbot):
    taxonomy = load_taxonomy("parsing7")
    view = Canvas()
    qtbot.addWidget(view)
    view.resize(420, 340)
    view.show()
    qtbot.waitExposed(view)
    rgb = np.empty((H, W, 3), np.uint8)
    rgb[:] = (90, 140, 200)  # flat: a blended pixel's colour depends on its label alone
    mask = _stripes(taxonomy.num_classes)
    view.set_document(AnnotationDocument("img", rgb, {"parsing7": mask}, {"parsing7": None}), "parsing7", taxonomy)
    return view


def _pixels(image: QImage) -> np.ndarray:
    """``(h, w) uint32`` copy of an RGB32 / ARGB32 image's pixels."""
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    bits = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    rows = bits.reshape(image.height(), image.bytesPerLine())[:, : 4 * image.width()]
    return rows.copy().view(np.uint32)


def _shown_as_argb_buffer(canvas: Canvas, lut: np.ndarray) -> np.ndarray:
    """The canvas drawn with the overlay as it was: the mask recoloured into a premultiplied
    ARGB32 buffer through ``lut``."""
    buffer = np.ascontiguousarray(lut[canvas.document.masks["parsing7"]])
    image = QImage(buffer.data, W, H, buffer.strides[0], QImage.Format.Format_ARGB32_Premultiplied)
    item, shown = canvas._overlay_item, canvas._overlay.image
    item.set_image(image, buffer)
    try:
        return _pixels(canvas.grab().toImage())
    finally:
        item.set_image(shown, canvas._overlay)


def _same_but_for_edges(shown: np.ndarray, expected: np.ndarray) -> None:
    """Equal, but for pixels on a class edge that the other way samples one screen pixel over
    (nearest-neighbour rounding at a fractional zoom): each such pixel shows a neighbour's
    expected colour, and they are a small share."""
    padded = np.pad(expected, 1, mode="edge")
    for y, x in np.argwhere(shown != expected):
        assert shown[y, x] in padded[y : y + 3, x : x + 3], (y, x)
    assert (shown != expected).mean() < 0.002


@pytest.mark.parametrize("opacity", [1.0, 0.37, 0.0])
@pytest.mark.parametrize("zoom", [1.0, 2.0, 3.0, 0.5, None])
def test_canvas_shows_each_class_as_the_recoloured_buffer_did(canvas, opacity, zoom):
    canvas.set_overlay_opacity(opacity)
    if zoom is not None:  # None: fitted to the window, a fractional zoom
        canvas.setTransform(QTransform.fromScale(zoom, zoom))
    shown = _pixels(canvas.grab().toImage())
    expected = _shown_as_argb_buffer(canvas, label_lut(canvas._taxonomy.colors))
    if zoom is not None and zoom >= 1:
        np.testing.assert_array_equal(shown, expected)
    else:
        _same_but_for_edges(shown, expected)
    if opacity == 1.0 and zoom == 1.0:  # every class (and the stray id) is on screen in its colour
        colours = {int(c) & 0xFFFFFF for c in label_lut(canvas._taxonomy.colors)[[*range(1, 7), 200]]}
        assert colours <= {int(c) & 0xFFFFFF for c in np.unique(shown)}


def test_cutout_preview_and_hidden_overlay_show_as_before(canvas):
    canvas.set_cutout_preview(True)
    _same_but_for_edges(_pixels(canvas.grab().toImage()), _shown_as_argb_buffer(canvas, cutout_lut()))
    canvas.set_cutout_preview(False)
    canvas.set_overlay_opacity(0.6)
    _same_but_for_edges(
        _pixels(canvas.grab().toImage()), _shown_as_argb_buffer(canvas, label_lut(canvas._taxonomy.colors))
    )
    canvas.set_overlay_visible(False)
    hidden = _pixels(canvas.grab().toImage())
    canvas._overlay_item.set_image(None)
    np.testing.assert_array_equal(hidden, _pixels(canvas.grab().toImage()))  # no label colour at all


def test_a_brush_stroke_repaints_its_colour_inside_its_box_only(canvas, qtbot):
    before = _pixels(canvas.grab().toImage())
    canvas.set_tool("brush")
    canvas.set_label(3)
    canvas.set_brush_radius(4)
    edited: list[BBox] = []
    canvas.edited.connect(edited.append)
    vp = canvas.viewport()
    points = [canvas.view_pos(x, 30.0) for x in (20.0, 60.0, 100.0)]
    for kind, pos, buttons in ((QEvent.Type.MouseButtonPress, points[0], Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseMove, points[1], Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseMove, points[2], Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseButtonRelease, points[2], Qt.MouseButton.NoButton)):  # fmt: skip
        button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
        QApplication.sendEvent(vp, QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos.toPoint())), button,
                                               buttons, Qt.KeyboardModifier.NoModifier))  # fmt: skip
    assert len(edited) == 1
    box = edited[0]
    qtbot.wait(1)
    after = _pixels(canvas.grab().toImage())
    changed = np.argwhere(after != before)
    assert len(changed)
    top_left, bottom_right = canvas.view_pos(box.x0, box.y0), canvas.view_pos(box.x1, box.y1)
    assert (changed[:, 0] >= top_left.y() - 1).all() and (changed[:, 0] <= bottom_right.y() + 1).all()
    assert (changed[:, 1] >= top_left.x() - 1).all() and (changed[:, 1] <= bottom_right.x() + 1).all()
    _same_but_for_edges(after, _shown_as_argb_buffer(canvas, label_lut(canvas._taxonomy.colors)))


def test_overlay_views_the_mask_and_follows_a_replaced_one():
    colors = load_taxonomy("parsing7").colors
    mask = np.zeros((30, 41), np.uint8)
    overlay = LabelOverlay(mask, colors)
    assert overlay.image.format() == QImage.Format.Format_Indexed8
    assert overlay.mask is mask  # the mask's own memory: nothing recoloured, nothing copied
    mask[5, 7] = 3
    assert overlay.image.pixel(7, 5) == overlay.lut[3]  # an edit in place is in the image
    other = np.full_like(mask, 2)
    overlay.update(other, BBox(0, 0, 1, 1))
    assert overlay.mask is other and overlay.image.pixel(40, 29) == overlay.lut[2]
    strided = np.zeros((30, 82), np.uint8)[:, ::2]
    overlay.update(strided)
    strided[1:3, 4:6] = 5
    strided[20, 20] = 6  # outside the box told: the copy keeps what it had
    overlay.update(strided, BBox(1, 4, 3, 6))
    np.testing.assert_array_equal(overlay.pixels()[1:3, 4:6], overlay.lut[5])
    assert overlay.image.pixel(20, 20) == overlay.lut[0] and (overlay.pixels() != 0).sum() == 4
    overlay.set_lut(cutout_lut(), strided)
    assert overlay.image.pixel(0, 0) == cutout_lut()[0] and overlay.image.pixel(4, 1) == 0


def test_bench_overlay_prints_both_ways_medians_and_their_ratio(tmp_path, capsys):
    import json

    from fashion_annotator.cli import main

    assert main(["bench", "overlay", "--size", "200x300", "--runs", "2", "--json", str(tmp_path / "o.json")]) == 0
    out = capsys.readouterr().out
    assert "200x300 mask" in out and out.count("old/new") == 3
    figures = json.loads((tmp_path / "o.json").read_text())
    assert set(figures["old_over_new"]) == {"show", "paint_fit", "paint_1to1"}
    assert all(len(v) == 2 for v in figures["times_ms"].values()) and len(figures["times_ms"]) == 6
