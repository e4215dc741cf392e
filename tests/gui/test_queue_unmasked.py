"""A task added to a project whose photos were done: the image list counts the done photos
without a mask of it and its filter "Done, no mask of TITLE" shows them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.testing import open_window, wait_ready


def _counts(window) -> str:
    return window.queue.counts.text().replace("&nbsp;", " ")


def test_the_image_list_shows_the_done_photos_without_a_mask_of_an_added_task(
    qtbot, tmp_path: Path, ccp_dir: Path, label_set_file: Path, answers
) -> None:
    root = tmp_path / "proj"
    with Project.create(root, tasks=["garment"]) as project:
        ids = [project.add_image(ccp_dir / "images" / f"{n}.jpg").id for n in ("0001", "0002", "0003")]
        for image_id in ids[:2]:
            mask = np.zeros(project.image(image_id).shape, np.uint8)
            mask[10:60, 10:40] = 1
            project.save_mask(image_id, "garment", mask, status="done")
        project.add_task(label_set_file)
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    try:
        box = window.queue.status_filter
        texts = [box.itemText(i) for i in range(box.count())]
        assert texts[-2:] == ["Done, no mask of Garment cutout", "Done, no mask of Garment parts"]
        assert "<br>Done, no mask of Garment parts <b>2</b>" in _counts(window)
        assert "of Garment cutout" not in _counts(window)
        box.setCurrentIndex(box.findText("Done, no mask of Garment parts"))
        assert window.queue.unmasked_task == "garment_parts" and window.queue.status is None
        assert [r.id for r in window.queue.model.records()] == ids[:2]
        box.setCurrentIndex(box.findText("Done, no mask of Garment cutout"))
        assert window.queue.model.records() == []
        box.setCurrentIndex(box.findText("Done, no mask of Garment parts"))
        with Project.open(root, user="bob") as bob:  # a colleague paints the new task of one
            bob.save_mask(ids[0], "garment_parts", np.zeros(bob.image(ids[0]).shape, np.uint8), status="done")
        window.reload_queue(only_if_changed=True)
        assert [r.id for r in window.queue.model.records()] == ids[1:2]
        assert "<br>Done, no mask of Garment parts <b>1</b>" in _counts(window)
        asked: list = []
        real = project.label_sets.without_mask
        project.label_sets.without_mask = lambda ids=None: asked.append(ids) or real(ids)  # type: ignore[method-assign]
        assert window.open_image(ids[1])
        window.set_task("garment_parts")
        wait_ready(qtbot, window)
        assert window.mark_done(), window.status.currentMessage()  # saves every task: it has its mask now
        assert window.queue.model.records() == [] and "no mask" not in _counts(window)
        assert None not in asked and [ids[1]] in asked  # the saved image asked again, not all
    finally:
        window.close()
        project.close()
