"""The Review tab shown again: a refresh whose rows did not change leaves the table's model
alone (a reset re-laid out all 704 rows of a scale test: 1-2.8 s of a frozen window at each
visit), a visit with nothing committed since reads nothing, and the table sorts without asking
Python for each comparison, blanks last in both orders and ties in their order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QCoreApplication, QEvent, Qt

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.review import table as table_module
from fashion_annotator.ui.review.table import SCORE_COLUMN, SORT_ROLE, ScoreTableModel
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (40, 60)
#: Each image's saved mask's right edge against a 10:30 proposal; None: no proposal (unscored).
EDGES = (30, 24, None, 24, 50, 16, None)


def _mask(x1: int) -> np.ndarray:
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[10:30, 10:x1] = 1
    return mask


@pytest.fixture
def project(tmp_path: Path):
    with Project.create(tmp_path / "proj", tasks=("garment",), user="rita") as proj:
        for i, x1 in enumerate(EDGES):
            path = tmp_path / "src" / f"m{i}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((*SHAPE, 3), 40 * i, np.uint8)).save(path)
            image_id = proj.add_image(path).id
            if x1 is not None:
                proj.save_proposal(image_id, "garment", _mask(30), "v1")
            proj.save_mask(image_id, "garment", _mask(x1 or 40), seconds=10.0 * (i + 1), actions=i, status="done")
        yield proj


@pytest.fixture
def view(qtbot, project):
    widget = ReviewView(project)
    qtbot.addWidget(widget)
    return widget


def _signals(model: ScoreTableModel) -> dict[str, list]:
    seen: dict[str, list] = {"reset": [], "changed": [], "layout": []}
    model.modelAboutToBeReset.connect(lambda: seen["reset"].append(1))
    model.dataChanged.connect(lambda a, b, *_: seen["changed"].append((a.row(), b.row())))
    model.layoutChanged.connect(lambda *_: seen["layout"].append(1))
    return seen


def _names(view: ReviewView) -> list[str]:
    return [view.proxy.index(r, 0).data() for r in range(view.proxy.rowCount())]


def test_a_refresh_of_unchanged_rows_leaves_the_model_alone(view):
    assert view.model.rowCount() == len(EDGES)
    seen = _signals(view.model)
    view.refresh()
    assert seen == {"reset": [], "changed": [], "layout": []}


def test_a_changed_row_is_updated_in_place_not_by_a_reset(view, project):
    seen = _signals(view.model)
    image_id = next(r.image_id for r in view.model.rows() if r.name == "m0.png")
    with Project.open(project.root, user="olga") as olga:
        olga.save_mask(image_id, "garment", _mask(30), seconds=5.0, actions=1, status="done")
    view.refresh()
    assert seen["reset"] == []
    row = next(r for r in view.model.rows() if r.image_id == image_id)
    assert row.operator == "olga"
    assert any(a <= view.model.rows().index(row) <= b for a, b in seen["changed"])


def test_a_visit_with_nothing_committed_reads_nothing(view, project, count_reads):
    view.show_again()  # the first visit reads (an instance panel attached since follows it)
    seen = _signals(view.model)
    with count_reads(project) as reads:
        view.show_again()
    assert reads["images"] == 0 and reads["mask_versions"] == 0
    assert seen == {"reset": [], "changed": [], "layout": []}
    image_id = view.model.rows()[0].image_id
    with Project.open(project.root, user="olga") as olga:  # a colleague's save: read again
        olga.save_mask(image_id, "garment", _mask(30), seconds=5.0, actions=1, status="done")
    with count_reads(project) as reads:
        view.show_again()
    assert reads["images"] == 1
    assert next(r for r in view.model.rows() if r.image_id == image_id).operator == "olga"


def test_sorting_asks_python_for_no_comparison(qtbot, project, monkeypatch):
    asked = []
    real = ScoreTableModel.data

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == SORT_ROLE:
            asked.append(index.row())
        return real(self, index, role)

    monkeypatch.setattr(ScoreTableModel, "data", data)
    view = ReviewView(project)
    try:
        for column in range(len(table_module.COLUMNS)):
            for order in (Qt.SortOrder.DescendingOrder, Qt.SortOrder.AscendingOrder):
                view.table.sortByColumn(column, order)
        view.refresh()
        assert view.proxy.rowCount() == len(EDGES)
        assert asked == []
    finally:  # gone before its model's data is restored (a live table then crashed a later test)
        view.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_scores_sort_with_blanks_last_and_ties_in_order(view):
    scores = {r.name: r.score for r in view.model.rows()}
    blank = [n for n in scores if not np.isfinite(scores[n])]
    assert sorted(blank) == ["m2.png", "m6.png"]
    assert scores["m1.png"] == scores["m3.png"]  # a tie
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        view.table.sortByColumn(SCORE_COLUMN, order)
        names = _names(view)
        figures = [scores[n] for n in names[: -len(blank)]]
        assert sorted(names[-len(blank):]) == blank  # blanks last in both orders
        assert figures == sorted(figures, reverse=order == Qt.SortOrder.DescendingOrder)
        assert names.index("m1.png") == names.index("m3.png") - 1 or names.index("m3.png") == names.index("m1.png") - 1
    view.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert _names(view) == sorted(scores, reverse=True)
    view.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)  # time: a number, not its text
    assert _names(view) == [f"m{i}.png" for i in range(len(EDGES))]


def test_the_selection_follows_its_row_through_a_sort(view):
    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert view.select_image(view.model.rows()[2].image_id)
    chosen = view.selected_row()
    view.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert view.selected_row() == chosen
    assert _names(view)[view.table.currentIndex().row()] == chosen.name
