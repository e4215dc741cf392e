"""Region boundaries drawn over a large photo stay lines when the view is zoomed far out."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.segmentation.superpixels import region_boundaries
from fashion_annotator.ui.annotate.canvas import Canvas

#: A 12-megapixel photo in a 400 x 300 view: fitted, one screen pixel shows 10 x 10 photo pixels.
H, W = 3000, 4000
#: The disk region's centre and radius, in image pixels.
CX, CY, R = 2600, 1500, 800
#: The diagonal between the two left regions: ``y = SLOPE * x``.
SLOPE = 1.1


def _regions() -> np.ndarray:
    """Three flat regions: below and above a diagonal on the left, and a disk on the right."""
    yy, xx = np.mgrid[:H, :W]
    regions = np.where(yy > SLOPE * xx, 1, 0).astype(np.int32)
    regions[(xx - CX) ** 2 + (yy - CY) ** 2 <= R**2] = 2
    return regions


@pytest.fixture
def fitted(qtbot) -> tuple[Canvas, np.ndarray]:
    """A 400 x 300 canvas showing a flat-coloured 4000 x 3000 photo fitted, with boundaries on."""
    regions = _regions()
    colours = np.array([(20, 40, 120), (30, 90, 40), (110, 30, 30)], np.uint8)
    view = Canvas()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    doc = AnnotationDocument("img", colours[regions], {"parsing7": np.zeros((H, W), np.uint8)})
    view.set_document(doc, "parsing7", load_taxonomy("parsing7"))
    view.set_regions(regions)
    view.set_boundaries_visible(True)
    assert view.zoom < 0.11
    return view, regions


def _yellow(shot: QImage, x: float, y: float, reach: int = 1) -> bool:
    """Whether the boundary colour (yellow over the dark photo) is within ``reach`` screen
    pixels of viewport position ``(x, y)``."""
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            px, py = round(x) + dx, round(y) + dy
            if 0 <= px < shot.width() and 0 <= py < shot.height():
                c = shot.pixelColor(px, py)
                if c.red() > 170 and c.green() > 170 and c.blue() < 100:
                    return True
    return False


def test_boundaries_stay_connected_lines_at_fit_zoom(fitted):
    """Fitted (zoom 0.1), the diagonal and the disk's outline are drawn along their whole
    length (they used to show as a few scattered dots: the one-pixel boundary image was shrunk
    tenfold by the view, which kept one photo pixel in ten); the flat regions stay clear."""
    view, _ = fitted
    shot = view.viewport().grab().toImage()

    def share(points: list[tuple[float, float]]) -> float:
        return float(np.mean([_yellow(shot, *view.view_pos(x, y).toTuple()) for x, y in points]))

    diagonal = [(y / SLOPE, float(y)) for y in range(20, int(SLOPE * CX) - R, 10)]
    angles = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    circle = [(CX + R * np.cos(a), CY + R * np.sin(a)) for a in angles]
    assert share(diagonal) > 0.95
    assert share(circle) > 0.95
    inside = [(CX + d, CY + e) for d in range(-500, 501, 100) for e in range(-500, 501, 100)]
    away = [(x, SLOPE * x - 300.0) for x in range(500, 1500, 50)]
    assert share(inside) == 0.0 and share(away) == 0.0


def test_boundaries_stay_one_photo_pixel_when_zoomed_in(fitted):
    """At 100 % and above the boundary is drawn from the full-resolution map: one photo pixel
    wide, exactly where :func:`region_boundaries` puts it."""
    view, regions = fitted
    view.zoom_at(2.0 / view.zoom, view.view_pos(CX - R, CY))
    shot = view.viewport().grab().toImage()
    x, y = CX - R, CY  # the disk's leftmost pixel: a boundary pixel of the region left of it
    assert region_boundaries(regions)[y, x - 1]
    on = view.view_pos(x - 1, y)
    assert _yellow(shot, on.x(), on.y(), reach=0)
    for off in (-3, 3):  # 1.5 photo pixels either side: clear
        side = view.view_pos(x - 1 + off, y)
        assert not _yellow(shot, side.x(), side.y(), reach=0)
