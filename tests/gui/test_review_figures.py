"""The Review table's figures say what their columns claim: an unscored row ("-") sorts last
whichever the order, as spreadsheets sort blanks; an imported mask reads as imported, its effort
blank, not a person's 0 s; two empty masks have no foreground pixels, not 1."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.scores import MODEL
from fashion_annotator.ui.review.image import AgreementViewer
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (30, 40)


@pytest.fixture
def project(tmp_path: Path):
    """Three garment masks: two scored (1.000 and 0.5), one saved without a proposal."""
    rng = np.random.default_rng(2)
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[5:20, 5:25] = 1
    half = mask.copy()
    half[5:20, 15:25] = 0
    with Project.create(tmp_path / "proj", tasks=("garment",), user="rita") as proj:
        for name, proposal in (("same", mask), ("drawn", None), ("half", half)):
            path = tmp_path / f"{name}.png"
            Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
            image_id = proj.add_image(path).id
            if proposal is not None:
                proj.save_proposal(image_id, "garment", proposal, "v1")
            proj.save_mask(image_id, "garment", mask, seconds=10.0, actions=2, status="done")
        yield proj


def _column(view: ReviewView, column: int) -> list[str]:
    return [view.proxy.index(r, column).data() for r in range(view.proxy.rowCount())]


@pytest.mark.parametrize("column", [1, 2])
def test_unscored_rows_sort_last_in_both_orders(qtbot, project, column: int):
    view = ReviewView(project)
    qtbot.addWidget(view)
    view.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    assert _column(view, column)[-1] == "-", _column(view, column)
    view.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    shown = _column(view, column)
    assert shown[0] == "1.000" and shown[-1] == "-", f"best first lists the blank last: {shown}"


def test_an_imported_mask_reads_as_imported_not_0_seconds(qtbot, project):
    """carol's import: no person's effort logged, "-" (sorted last), not 0 s and 0 actions."""
    rng = np.random.default_rng(4)
    path = Path(project.root).parent / "imported.png"
    Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
    image_id = project.add_image(path).id
    with Project.open(project.root, user="carol") as other:
        other.save_import(image_id, "garment", np.ones(SHAPE, dtype=np.uint8))
    view = ReviewView(project)
    qtbot.addWidget(view)
    assert view.select_image(image_id)
    row = view.table.currentIndex().row()
    assert [view.proxy.index(row, c).data() for c in (3, 4, 5)] == ["carol (import)", "-", "-"]
    assert "carol (import), no effort logged" in view.title.text()
    for column in (4, 5):
        view.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
        assert _column(view, column)[-1] == "-" and "-" not in _column(view, column)[:-1]


def test_a_save_since_a_re_score_shows_who_saved_it_and_their_time(qtbot, project):
    """Against the current model, a row whose image got a new version since the re-score named
    the old version's operator and time beside "version 2 (olga) saved since this score"."""
    view = ReviewView(project)
    qtbot.addWidget(view)
    rows = [replace(r, reference=MODEL) for r in view.model.rows()]
    image_id = rows[0].image_id
    with Project.open(project.root, user="olga") as olga:
        olga.save_mask(image_id, "garment", np.ones(SHAPE, dtype=np.uint8), seconds=55.0, actions=9)
    view._model_rows[view.task] = (rows, "key", "model")  # noqa: SLF001 - as a re-score leaves them
    view.reference.setCurrentIndex(1)
    assert view.reference.currentData() == MODEL and view.select_image(image_id)
    row = view.table.currentIndex().row()
    assert [view.proxy.index(row, c).data() for c in (3, 4, 5)] == ["olga", "55", "9"]
    assert "olga, 55 s, 9 actions" in view.title.text()


def test_two_empty_masks_read_no_foreground_not_1_pixel(qtbot):
    """A photo without a garment, its mask saved empty as proposed: the caption counted "of 1
    foreground pixels"."""
    viewer = AgreementViewer()
    qtbot.addWidget(viewer)
    empty = np.zeros(SHAPE, dtype=np.uint8)
    colors = np.array([[0, 0, 0], [255, 0, 0]], dtype=np.uint8)
    viewer.show_image(np.zeros((*SHAPE, 3), dtype=np.uint8), empty, empty, colors, "Proposal")
    assert viewer.counts.text() == "no foreground pixels in either mask"
    mask = empty.copy()
    mask[0:10, 0:10] = 1
    viewer.show_image(np.zeros((*SHAPE, 3), dtype=np.uint8), mask, empty, colors, "Proposal")
    assert viewer.counts.text() == "saved mask only 100.0%  proposal only 0.0%  of 100 foreground pixels"
