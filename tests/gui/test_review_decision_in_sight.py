"""The Review tab's decision at first sight: Approve and Reject in sight without scrolling.

A hand test at 1280x720: the Review tab opened scrolled to its top with the decision panel below
the fold; the reviewer scrolled down to reach Approve and Reject, the buttons the tab is for.
The tab's scroll area made its content as tall as the content preferred (the photo's full
height, the instance table's rows), not as tall as the window: it scrolled at 1600x1000 too.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QScrollArea, QWidget

from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import mapping_from_taxonomies_json
from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.testing import Answers, copy_project, open_window


def _scored(root: Path, ccp_dir: Path) -> None:
    """Save each photo's parsing and garment masks over the model's proposals, which the
    garment masks disagree with on a band (every mask scored, below 1)."""
    p7 = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "parsing7")
    garment = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "garment")
    with Project.open(root) as project:
        for record in project.images():
            labels = load_mask(ccp_dir / "masks" / f"{record.stem}.png", shape=record.shape)
            proposal = garment.lut[labels]
            proposal[: record.shape[0] // 3] = 0
            project.save_proposal(record.id, "garment", proposal, "v1")
            project.save_mask(record.id, "garment", garment.lut[labels], seconds=30.0, actions=2)
            project.save_mask(record.id, "parsing7", p7.lut[labels])


def _in_page(widget: QWidget, window: QWidget, page: QScrollArea) -> bool:
    """Whether all of ``widget`` lies inside ``window`` and inside the part of ``page`` shown."""
    in_window = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    in_page = QRect(widget.mapTo(page.viewport(), QPoint(0, 0)), widget.size())
    return widget.isVisible() and window.rect().contains(in_window) and page.viewport().rect().contains(in_page)


def _shown_whole(widget: QWidget, window: QWidget, page: QScrollArea) -> bool:
    """Whether ``widget`` is :func:`_in_page` with nothing of it clipped."""
    return _in_page(widget, window, page) and widget.visibleRegion().boundingRect().size() == widget.size()


@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)])
def test_approve_and_reject_are_in_sight_without_scrolling(qtbot, template, ccp_dir, tmp_path, size):
    root = copy_project(template, tmp_path / "project")
    _scored(root, ccp_dir)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        window.resize(*size)
        qtbot.waitUntil(lambda: (window.width(), window.height()) == size)
        window.tabs.setCurrentIndex(1)
        review = window.review
        assert review is not None
        qtbot.waitUntil(lambda: review.proxy.rowCount() >= 1, timeout=30_000)
        review.select_proxy_row(0)
        row = review.selected_row()
        assert row is not None and math.isfinite(row.score) and row.score < 1, "a scored mask is shown"
        qtbot.wait(300)  # the tab's layout settles with the photo shown
        page = window.tabs.currentWidget()
        assert isinstance(page, QScrollArea)
        assert page.verticalScrollBar().value() == 0, "nobody scrolled"
        decision = {"Approve": review.approve_button, "Reject": review.reject_button,
                    "the reason box": review.reason, "the Why field": review.reason_text}  # fmt: skip
        for name, widget in decision.items():
            assert _shown_whole(widget, window, page), f"{name}: below the fold"
        assert review.viewer.height() >= 200, "the photo keeps its room"
        if size == (1600, 1000):  # room for all of the tab: none of it scrolls
            assert page.verticalScrollBar().maximum() == 0
            assert _in_page(window.instance_review, window, page)
    finally:
        window.close()
        project.close()
