"""The Review table's cutout and parsing flag keeps each pair of tasks' figures apart."""

from __future__ import annotations

import numpy as np
from PIL import Image

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (40, 60)


def square(x0: int, x1: int, label: int = 1) -> np.ndarray:
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[10:30, x0:x1] = label
    return mask


def test_each_parsing_task_shows_its_own_agreement_with_the_cutout(qtbot, tmp_path):
    """A code review: the figures were kept by image, versions and cutout task, not the parsing
    task; with a second parsing task compared with the garment cutout (parsing18: every parsing
    task with a compatibility table is), shown Parsing, then Parsing18 (every mask at version 1),
    the Parsing18 row showed Parsing's flag."""
    with Project.create(tmp_path / "two", tasks=("garment", "parsing7", "parsing18"), user="rita") as proj:
        path = tmp_path / "look.png"
        Image.fromarray(np.full((*SHAPE, 3), 90, dtype=np.uint8)).save(path)
        image_id = proj.add_image(path).id
        stand = square(10, 30, label=6)  # parsing7 "dress" where the garment is
        stand[30:40, 19:21] = 4  # "shoes" below the garment, outside the cutout: the stand
        masks = {"garment": square(10, 30), "parsing7": stand, "parsing18": square(10, 30, label=7)}  # "dress"
        for task, mask in masks.items():
            proj.save_proposal(image_id, task, mask, "v1")
            proj.save_mask(image_id, task, mask)
            assert proj.mask_versions(image_id, task)[-1].version == 1
        view = ReviewView(proj)
        qtbot.addWidget(view)
        view.set_task("parsing7")
        qtbot.waitUntil(lambda: view.model.flag(image_id) is not None and view.mask_checks.worker is None,
                        timeout=20000)  # fmt: skip
        assert view.model.flag(image_id).startswith("Garment cutout and Parsing disagree on 5.0%")
        view.set_task("parsing18")
        qtbot.waitUntil(lambda: view.mask_checks.worker is None, timeout=20000)
        qtbot.wait(50)
        assert view.model.flag(image_id) is None  # parsing18's dress lies inside the cutout
        view.mask_checks.stop()
