"""The Review tab's instance panel says what its figures are out of: categories changed of the
instances with a proposed category; an image with none proposed reads "-", not 0."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from qa_synth import banded_instances

from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.ui.review.instances import COLUMNS, InstanceReviewPanel

SHAPE = (60, 40)


def _set(insts: list[Instance]) -> InstanceSet:
    return banded_instances(insts, SHAPE)


def _panel(qtbot, tmp_path: Path, sets: dict[str, list[Instance]]) -> InstanceReviewPanel:
    rng = np.random.default_rng(0)
    project = Project.create(tmp_path / "p", tasks=("garment", "parsing7"), user="ann")
    for name, insts in sets.items():
        path = tmp_path / name
        Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
        project.save_instances(project.add_image(path).id, _set(insts))
    panel = InstanceReviewPanel(project)
    qtbot.addWidget(panel)
    panel.refresh()
    return panel


def _cell(panel: InstanceReviewPanel, name: str, column: str) -> str:
    for r in range(panel.table.rowCount()):
        if Path(panel.table.item(r, 0).toolTip()).name == name:
            return panel.table.item(r, COLUMNS.index(column)).text()
    raise AssertionError(f"no row {name}")


def test_categories_changed_are_counted_of_those_proposed(qtbot, tmp_path: Path):
    panel = _panel(qtbot, tmp_path, {
        "proposed.png": [Instance(1, 3, "blouse", "blouse"), Instance(2, 5, "pants", "skirt")],
        "drawn.png": [Instance(1, 3, "coat"), Instance(2, 5, "jeans")],
    })  # fmt: skip
    text = panel.summary.text()
    assert "4 instances on 2 images" in text
    assert "category changed vs proposed: 1 of 2 proposed (50%)" in text, text
    assert _cell(panel, "proposed.png", "Category changed") == "1"
    assert _cell(panel, "drawn.png", "Category changed") == "-", "nothing proposed: nothing to change"
    panel.project.close()


def test_no_category_proposed_reads_none_not_0_percent(qtbot, tmp_path: Path):
    panel = _panel(qtbot, tmp_path, {"drawn.png": [Instance(1, 3, "coat")]})
    assert "category changed vs proposed: none proposed" in panel.summary.text()
    panel.project.close()


def test_attributes_the_model_proposed_and_nobody_changed_are_not_filled(qtbot, tmp_path: Path):
    proposed = {"pattern": "floral", "sleeve": "long"}
    panel = _panel(qtbot, tmp_path, {
        "accepted.png": [Instance(1, 3, "blouse", "blouse", 0.9, dict(proposed), dict(proposed))],
        "set.png": [Instance(1, 3, "coat", None, None, {"fabric": "denim", "fit": "loose", "sleeve": "long"})],
    })  # fmt: skip
    text = panel.summary.text()  # 2 instances x 6 groups: 3 slots set by a person, 2 kept
    assert "attributes filled by a person: 25% (the model's values kept: 17%)" in text, text
    assert _cell(panel, "accepted.png", "Attributes filled") == "0%"
    assert _cell(panel, "set.png", "Attributes filled") == "50%"
    tip = panel.table.model().headerData(COLUMNS.index("Attributes filled"), Qt.Orientation.Horizontal,
                                         Qt.ItemDataRole.ToolTipRole)  # fmt: skip
    assert "a person set" in tip
    panel.project.close()


def test_an_image_without_a_parsing_mask_is_not_checked_rather_than_consistent(qtbot, tmp_path: Path):
    panel = _panel(qtbot, tmp_path, {"drawn.png": [Instance(1, 3, "coat")]})
    assert _cell(panel, "drawn.png", "Inconsistent px") == "-"
    text = panel.summary.text()
    assert "images inconsistent with their parsing mask: 0 (1 without a parsing mask, not checked)" in text, text
    panel.project.close()


def test_a_blank_cell_sorts_last_in_both_orders(qtbot, tmp_path: Path):
    panel = _panel(qtbot, tmp_path, {
        "drawn.png": [Instance(1, 3, "coat")],
        "kept.png": [Instance(1, 3, "blouse", "blouse")],
        "changed.png": [Instance(1, 3, "pants", "skirt")],
    })  # fmt: skip
    column = COLUMNS.index("Category changed")
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        panel.table.sortByColumn(column, order)
        shown = [panel.table.item(r, column).text() for r in range(panel.table.rowCount())]
        assert shown == (["0", "1", "-"] if order == Qt.SortOrder.AscendingOrder else ["1", "0", "-"]), shown
    panel.project.close()
