"""The Review tab's histogram and table read in the light and the dark theme (palette colours)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from fashion_annotator.qa.scores import ImageScore
from fashion_annotator.ui.review.histogram import ScoreHistogram
from fashion_annotator.ui.review.table import ScoreTableModel
from fashion_annotator.ui.theme import contrast_ratio, is_dark


def _row(name: str, score: float) -> ImageScore:
    return ImageScore(1, name, "garment", "done", "olga", 10.0, 3, 1, 0.0, score=score)


def test_histogram_paints_palette_colours_that_contrast_with_its_background(qtbot, theme):
    hist = ScoreHistogram()
    qtbot.addWidget(hist)
    hist.resize(420, 170)
    hist.set_values([0.55, 0.9, 0.91, 0.92, 0.95, 0.97], threshold=0.8, metric="Dice")
    hist.set_selected(0.6)
    hist.show()
    qtbot.waitExposed(hist)
    assert is_dark(hist.palette()) == (theme == "dark")
    colors = hist.colors()
    background = colors["background"]
    assert contrast_ratio(colors["text"], background) >= 4.5
    for key in ("bars", "threshold", "selection"):
        assert contrast_ratio(colors[key], background) >= 3.0, key
    # What is painted is those colours: the tallest bar's middle and an empty corner.
    shot = hist.grab().toImage()
    r = hist.plot_rect()
    peak = int(np.argmax(hist.counts))
    bar_x = int(r.left() + (peak + 0.5) * r.width() / hist.BINS)
    assert QColor(shot.pixel(bar_x, int(r.bottom()) - 3)) == colors["bars"]
    assert QColor(shot.pixel(hist.width() - 3, 3)) == background
    assert contrast_ratio(QColor(shot.pixel(bar_x, int(r.bottom()) - 3)), background) >= 3.0


def test_outlier_rows_keep_the_palette_text_readable(qtbot, theme):
    model = ScoreTableModel()
    model.set_rows([_row("a.jpg", 0.95), _row("b.jpg", 0.4)], np.array([False, True]), "Dice")
    palette = QApplication.instance().palette()
    text = palette.color(palette.ColorRole.Text)
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    tint = model.index(1, 0).data(Qt.ItemDataRole.BackgroundRole).color()
    assert contrast_ratio(text, tint) >= 4.5
    assert tint != palette.color(palette.ColorRole.Base)  # still tinted, visibly red-ish
    assert tint.red() > tint.green() and tint.red() > tint.blue()


def test_the_outlier_label_is_not_crossed_by_a_bar(qtbot):
    """A bar just right of the threshold runs up to the top: the label beside the line keeps a
    box of the background colour, and nothing of the bar shows through its text."""
    hist = ScoreHistogram()
    qtbot.addWidget(hist)
    hist.resize(400, 170)
    values = [0.951] * 4 + [0.97, 0.98]
    hist.set_values(values, threshold=0.947, metric="Dice")
    hist.show()
    qtbot.waitExposed(hist)
    box = hist.label_rect()
    r = hist.plot_rect()
    assert r.left() <= box.left() and box.right() <= r.right()
    shot = hist.grab().toImage()
    bars = hist.colors()["bars"]
    inside = [QColor(shot.pixel(x, y)) for x in range(int(box.left()) + 1, int(box.right()) - 1)
              for y in range(int(box.top()) + 1, int(box.bottom()) - 1)]  # fmt: skip
    assert inside and bars not in inside
    peak = int(np.argmax(hist.counts))  # the tall bar does sit under the label's box
    bar_left = r.left() + peak * r.width() / hist.BINS
    assert box.left() < bar_left + r.width() / hist.BINS and bar_left < box.right()
