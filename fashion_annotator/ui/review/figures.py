"""The Review tab's figures pane: the score histogram beside the summary statistics and the
throughput per operator (these two scroll where the pane is short or narrow)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from fashion_annotator.ui.review.histogram import ScoreHistogram

if TYPE_CHECKING:
    from fashion_annotator.ui.review.view import ReviewView

__all__ = ["build_figures"]


def build_figures(view: ReviewView) -> QWidget:
    """Make the figures pane of ``view``, setting its ``histogram``, ``summary`` and
    ``throughput`` widgets as ``view``'s attributes; return the pane.

    The histogram and the texts share the pane's width evenly: at 1280x720 the throughput table
    (two fifths of it) was clipped behind the scroll bars. Both texts wrap their lines (a long
    line, not scored yet or what a throughput column counts, must not widen the tab)."""
    view.histogram = ScoreHistogram()
    view.summary = QLabel()
    view.throughput = QLabel()
    for label in (view.summary, view.throughput):
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setWordWrap(True)
    pane = QWidget()
    row = QHBoxLayout(pane)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(view.histogram, 1)
    texts = QWidget()
    column = QVBoxLayout(texts)
    column.setContentsMargins(0, 0, 0, 0)
    column.addWidget(view.summary)
    column.addWidget(view.throughput)
    column.addStretch(1)
    # the figures scroll where the pane is short (a "not scored" line was cut off unseen)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setWidget(texts)
    row.addWidget(scroll, 1)
    return pane
