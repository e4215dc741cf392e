"""Review > Instances in a cutout-only project: no parsing task, so no instances can exist; the
panel hides and its share of the left column goes to the table and figures (it showed "0
instances on 0 images" over half the column), and comes back once a parsing task is added."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.testing import open_window


def test_a_cutout_only_project_hides_the_instances_panel_until_a_parsing_task_is_added(
    qtbot, tmp_path: Path, ccp_dir: Path, answers
):
    root = tmp_path / "cutouts"
    with Project.create(root, tasks=("garment",)) as project:
        record = project.add_image(ccp_dir / "images" / "0001.jpg")
        mask = np.zeros(record.shape, np.uint8)
        mask[100:300, 80:200] = 1
        project.save_proposal(record.id, "garment", mask, "test")
        project.save_mask(record.id, "garment", mask, status="done")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    try:
        window.resize(1280, 720)
        window.tabs.setCurrentIndex(1)
        qtbot.waitUntil(lambda: window.review is not None and window.review.proxy.rowCount() == 1)
        panel = window.instance_review
        assert not panel.isVisible()
        table = window.review.table
        assert table.isVisible() and table.height() > 200, "the table takes the column instead"

        project.add_task("parsing7")
        window.review.refresh()
        qtbot.waitUntil(panel.isVisible)
    finally:
        window.close()
        project.close()
