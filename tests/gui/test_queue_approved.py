"""The image list's Approved count in a project of several tasks (a QA hand test: "Approved 0"
after QA approved four garment masks, because their parsing masks were not reviewed yet)."""

from __future__ import annotations

import numpy as np

from fashion_annotator.core.tasks import task_title
from fashion_annotator.qa.decisions import approve


def _counts(window) -> str:
    return window.queue.counts.text().replace("&nbsp;", " ")


def test_the_image_list_says_its_approved_count_is_of_all_tasks_and_counts_each_task(qtbot, opened) -> None:
    window, project = opened
    assert len(project.tasks) > 1
    ids = [r.id for r in project.images()][:2]
    parsing = next(t for t in project.tasks if t != "garment")
    for image_id in ids:
        mask = np.zeros(project.image(image_id).shape, np.uint8)
        mask[10:60, 10:40] = 1
        project.save_mask(image_id, parsing, mask)
        project.save_mask(image_id, "garment", mask, status="done")
        approve(project, image_id, "garment")  # the parsing masks wait for review
    window.reload_queue()
    assert [project.image(i).status for i in ids] == ["done", "done"]
    titles = [task_title(t) for t in project.tasks]
    assert "All tasks approved <b>0</b>" in _counts(window)
    per_task = ", ".join(f"{t} <b>{2 if t == 'Garment cutout' else 0}</b>" for t in titles)
    assert f"<br>QA approved: {per_task}" in _counts(window)
    tip = window.queue.counts.toolTip()
    assert "only once QA approved the saved mask of every task" in tip and "per task" in tip
    approve(project, ids[0], parsing)
    window.reload_queue()
    assert "All tasks approved <b>1</b>" in _counts(window)
    assert f"{task_title(parsing)} <b>1</b>" in _counts(window)
