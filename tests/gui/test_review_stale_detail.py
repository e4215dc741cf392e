"""The Review tab's picture, title and decision buttons follow the table: a refresh that hides
the selected row (its filter no longer matches) leaves nothing shown for it (a hand test: under
the Rejected filter, the operator fixed the image and F5 emptied the table, yet the pane still
showed the old mask, "rejected" and its history, with Approve and Reject enabled and doing
nothing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.decisions import reject
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (40, 60)


def _square(x1: int) -> np.ndarray:
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[10:30, 10:x1] = 1
    return mask


@pytest.fixture
def project(tmp_path: Path):
    """Two done garment masks, the first rejected."""
    with Project.create(tmp_path / "proj", tasks=("garment",), user="rita") as proj:
        ids = []
        for i in range(2):
            path = tmp_path / "src" / f"m{i}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            pixels = np.random.default_rng(i).integers(0, 256, (*SHAPE, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(path)
            image_id = proj.add_image(path).id
            proj.save_proposal(image_id, "garment", _square(40), "v1")
            proj.save_mask(image_id, "garment", _square(20 + 10 * i), seconds=30.0, actions=1, status="done")
            ids.append(image_id)
        reject(proj, ids[0], "garment", "bad_ground_truth", "misses the top", seen_version=1)
        yield proj


def test_a_refresh_that_filters_the_selected_row_out_clears_the_decision_pane(qtbot, project):
    view = ReviewView(project)
    qtbot.addWidget(view)
    view.status_filter.setCurrentIndex(view.status_filter.findText("Rejected"))
    assert view.proxy.rowCount() == 1
    view.select_proxy_row(0)
    rejected = view.selected_row()
    assert rejected is not None and "m0.png" in view.title.text()
    assert view.approve_button.isEnabled()

    # The operator corrects it and marks it done: it waits for review again.
    project.save_mask(rejected.image_id, "garment", _square(45), seconds=20.0, actions=2, status="done")
    view.refresh()

    assert view.proxy.rowCount() == 0
    assert view.selected_row() is None
    assert view.title.text() == ""
    assert view.history.text() == ""
    for button in (view.approve_button, view.reject_button, view.open_button):
        assert not button.isEnabled(), button.text()


def test_a_filter_that_hides_the_selected_row_clears_the_decision_pane(qtbot, project):
    view = ReviewView(project)
    qtbot.addWidget(view)
    view.select_image(view.model.rows()[1].image_id)
    assert view.title.text()
    view.status_filter.setCurrentIndex(view.status_filter.findText("Approved"))
    assert view.proxy.rowCount() == 0
    assert view.title.text() == ""
    assert not view.approve_button.isEnabled()


def test_changing_k_keeps_the_selected_row_and_its_picture(qtbot, project):
    view = ReviewView(project)
    qtbot.addWidget(view)
    image_id = view.model.rows()[1].image_id
    view.select_image(image_id)
    title = view.title.text()
    view.k_spin.setValue(view.k_spin.value() + 1.0)
    row = view.selected_row()
    assert row is not None and row.image_id == image_id
    assert view.title.text() == title
    assert view.approve_button.isEnabled()
