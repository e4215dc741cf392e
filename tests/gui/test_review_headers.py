"""The Review table's headers say what their figures are (a parsing task's "mIoU" read as
the mean over every class, background included; Time (s) of a parsing row as its own time)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from fashion_annotator.ui.review.table import SCORE_COLUMN, ScoreTableModel

TIP = Qt.ItemDataRole.ToolTipRole
ACROSS = Qt.Orientation.Horizontal


@pytest.mark.parametrize(("metric", "says"), [("mIoU", "foreground classes present in either mask"),
                                              ("Dice", "Dice of the foreground pixels")])  # fmt: skip
def test_the_score_header_says_what_the_score_is(qapp, metric, says):
    model = ScoreTableModel()
    model.set_rows([], np.zeros(0, dtype=bool), metric)
    tip = model.headerData(SCORE_COLUMN, ACROSS, TIP)
    assert says in tip
    assert "1 when both masks are empty" in tip
    assert model.headerData(SCORE_COLUMN, ACROSS) == metric


def test_time_and_actions_headers_say_they_count_every_task_of_the_image(qapp):
    model = ScoreTableModel()
    assert "every task of the image" in model.headerData(4, ACROSS, TIP)
    assert "every task of the image" in model.headerData(5, ACROSS, TIP)
    assert model.headerData(0, ACROSS, TIP) is None
    assert model.headerData(4, Qt.Orientation.Vertical, TIP) is None
