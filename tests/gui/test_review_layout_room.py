"""The Review tab's left column at 1280x720, a QA hand test: the throughput table was clipped
behind the figures' scroll bars and the empty Instances table took a third of the column. The
figures share the pane's width with the histogram evenly, and the Instances panel folds to its
line while no image has instances (its table unfolds with the first)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QScrollArea

from fashion_annotator.ui.testing import Answers, copy_project, open_window
from tests.gui.test_review_decision_in_sight import _scored


def _scroll_of(widget) -> QScrollArea:
    while not isinstance(widget, QScrollArea):
        widget = widget.parentWidget()
    return widget


def test_the_figures_and_the_table_have_room_at_1280x720(qtbot, template, ccp_dir, tmp_path: Path):
    root = copy_project(template, tmp_path / "project")
    _scored(root, ccp_dir)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        window.resize(1280, 720)
        qtbot.waitUntil(lambda: (window.width(), window.height()) == (1280, 720))
        window.tabs.setCurrentIndex(1)
        review, panel = window.review, window.instance_review
        qtbot.waitUntil(lambda: review.proxy.rowCount() >= 1, timeout=30_000)
        review.select_proxy_row(0)
        qtbot.waitUntil(lambda: panel.reading is None and "instances" in panel.summary.text(), timeout=30_000)
        qtbot.wait(300)  # the tab's layout settles
        figures = _scroll_of(review.throughput)
        assert not figures.horizontalScrollBar().isVisible(), "the throughput table is whole across"
        assert panel.isVisible() and panel.table.isHidden(), "no empty instance table"
        assert panel.summary.text().startswith("No instances saved yet")
        assert panel.height() <= 3 * panel.fontMetrics().height() + 30, "the panel is one line"
        rows = review.table.viewport().height() // review.table.verticalHeader().defaultSectionSize()
        assert rows >= 12, f"the scored masks' table shows {rows} rows"
    finally:
        window.close()
        project.close()
