"""A decision made in the Review tab clears only the banner's notice that a decision left, never
another one: "Not refreshed" (the table is older than the project) stays until a refresh goes
through. A code review: every decision that went through hid whatever the banner said."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (40, 60)
MESSAGE = "server closed the connection unexpectedly"


def _away(*_args, **_kwargs):
    raise ProjectError(MESSAGE)


@pytest.fixture
def view(qtbot, tmp_path: Path):
    """A Review tab of three garment masks a colleague saved (approving them asks nothing)."""
    with Project.create(tmp_path / "proj", tasks=("garment",), user="rita") as project:
        with Project.open(project.root, user="olga") as olga:
            for i in range(3):
                path = tmp_path / "src" / f"look{i}.png"
                path.parent.mkdir(exist_ok=True)
                Image.fromarray(np.full((*SHAPE, 3), 40 * i, np.uint8)).save(path)
                image_id = olga.add_image(path).id
                mask = np.zeros(SHAPE, np.uint8)
                mask[10:30, 10:20 + i] = 1
                olga.save_mask(image_id, "garment", mask, seconds=5.0, actions=1, status="done")
        widget = ReviewView(project)
        qtbot.addWidget(widget)
        widget.show()
        qtbot.waitExposed(widget)
        yield widget
        widget.mask_checks.stop()


def test_a_decision_keeps_the_not_refreshed_notice(view, monkeypatch):
    monkeypatch.setattr(view.project, "images", _away)
    assert not view.refresh_shown()
    assert view.away.isVisible() and view.away.text().startswith(f"Not refreshed: {MESSAGE}.")
    monkeypatch.undo()
    view.select_proxy_row(0)
    assert view.approve_selected()
    assert view.project.decisions.last(view.model.rows()[0].image_id, view.task) is not None
    assert view.away.isVisible() and view.away.text().startswith(f"Not refreshed: {MESSAGE}."), \
        "the table is still older than the project"
    assert view.refresh_shown() and not view.away.isVisible()


def test_a_decision_clears_the_notice_a_refused_decision_left(view, monkeypatch):
    view.select_proxy_row(0)
    row = view.selected_row()
    monkeypatch.setattr(view.project, "decisions", type("Away", (), {"__getattr__": lambda self, name: _away})())
    assert not view.approve_selected()
    assert view.away.text().startswith(f"Not approved: {row.name}: {MESSAGE}.")
    monkeypatch.undo()
    view._settling.stop()
    assert view.approve_selected()
    assert not view.away.isVisible()
