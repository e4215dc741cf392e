"""Review > Instances' summary line in a 1280 px window: whole on screen, wrapped onto more
lines where the tab is narrower than it (it was cut at the right, whole only in its tooltip)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt


@pytest.fixture
def template(masks_template: Path) -> Path:
    """Photos with parsing masks, so instances and their figures: the summary's longest text."""
    return masks_template


def test_the_instances_summary_is_whole_in_a_1280x720_window(qtbot, opened):
    window, _ = opened
    window.resize(1280, 720)
    assert window.mark_done()  # the photo's proposed instances saved: figures to sum up
    window.tabs.setCurrentIndex(1)
    panel = window.instance_review
    qtbot.waitUntil(lambda: " on 1 image;" in panel.summary.text())  # not "on 1 images"
    label = panel.summary
    text = label.text()
    qtbot.waitUntil(lambda: label.contentsRect().height() > label.fontMetrics().height())
    box = label.contentsRect()  # as the tab's layout settled (the panel lies in a splitter)
    needed = label.fontMetrics().boundingRect(
        QRect(0, 0, box.width(), 10_000), int(Qt.TextFlag.TextWordWrap), text
    )
    assert label.fontMetrics().horizontalAdvance(text) > box.width(), "longer than one line here"
    assert needed.width() <= box.width()
    assert needed.height() <= label.contentsRect().height(), "every line of it shows"
    review_scroller = window.tabs.currentWidget()
    assert not review_scroller.horizontalScrollBar().isVisible(), "and the tab does not scroll sideways"
