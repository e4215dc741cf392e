"""The Instances panel's check of the parsing mask waits for the stroke being drawn.

A code review: the check ran 0.4 s after a committed parsing stroke even when the operator had
started the next one meanwhile (strokes paint the mask in place): it read a half-drawn mask,
recorded an instance step inside the stroke and could remove instances for pixels still being
painted over. It now runs once the stroke ends.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent

from fashion_annotator.ui.annotate.parsing_watch import SETTLE_MS
from fashion_annotator.ui.testing import LEFT, NONE, drag, instance_of, mouse

SKIN = 1  # parsing7


@pytest.fixture
def template(masks_template: Path) -> Path:
    """The photos with their ground-truth masks saved: the conftest's ``opened`` opens a copy."""
    return masks_template


def test_the_panel_waits_for_the_stroke_being_drawn(opened, qtbot):
    window, _project = opened
    dock = window.instances
    doc = window.session.current.doc
    dress = instance_of(window, "dress")
    ys, xs = np.nonzero(dock.doc.map == dress)
    cy, cx = float(np.median(ys)), float(np.median(xs))
    window.set_task("parsing7")
    window.set_label(SKIN)
    window.canvas.set_tool("brush")
    checks: list[bool] = []  # per check of the panel: whether a stroke was open
    dock.changed.connect(lambda: checks.append(doc.in_stroke("parsing7")))
    drag(window, [(cx - 30, cy - 40), (cx + 30, cy - 40)])  # committed: the check is due in 0.4 s
    mouse(window, QEvent.Type.MouseButtonPress, cx - 30, cy + 40, LEFT, LEFT)  # the next stroke
    mouse(window, QEvent.Type.MouseMove, cx, cy + 40, NONE, LEFT)
    qtbot.wait(SETTLE_MS + 300)  # the operator still drawing, slowly
    assert doc.in_stroke("parsing7")
    assert checks == [], "the panel was checked against a half-drawn stroke"
    mouse(window, QEvent.Type.MouseMove, cx + 30, cy + 40, NONE, LEFT)
    mouse(window, QEvent.Type.MouseButtonRelease, cx + 30, cy + 40, LEFT, NONE)
    qtbot.waitUntil(lambda: bool(checks), timeout=3000)
    assert checks == [False]
    painted = doc.masks["parsing7"] == SKIN
    rows = np.arange(painted.shape[0])[:, None]
    second = painted & (rows > cy + 20) & (rows < cy + 60)
    assert second.sum() > 100
    assert not (dock.doc.map[second] == dress).any(), "the whole second stroke left the dress"


def test_a_check_put_off_by_a_stroke_that_changed_nothing_still_runs(qtbot):
    """A stroke that paints nothing ends without a change to announce: the check put off while
    it was open is tried again, not dropped."""
    from PySide6.QtCore import QObject

    from fashion_annotator.core.document import AnnotationDocument
    from fashion_annotator.ui.annotate.parsing_watch import ParsingWatch

    doc = AnnotationDocument(1, np.zeros((40, 40, 3), np.uint8), {"parsing7": np.zeros((40, 40), np.uint8)})
    checks: list[bool] = []
    parent = QObject()
    watch = ParsingWatch(lambda: checks.append(doc.in_stroke("parsing7")), parent)
    watch.watch(doc, "parsing7")
    doc.begin_stroke("parsing7", SKIN, 2.0)
    doc.extend_stroke("parsing7", np.array([[5.0, 5.0], [10.0, 5.0]]))
    doc.end_stroke("parsing7")  # committed: the check is due
    doc.begin_stroke("parsing7", SKIN, 2.0)  # the next stroke, still open when it falls due
    qtbot.wait(SETTLE_MS + 200)
    assert checks == [] and watch.pending
    assert not doc.end_stroke("parsing7")  # it painted nothing: no change is announced
    qtbot.waitUntil(lambda: bool(checks), timeout=3000)
    assert checks == [False]
