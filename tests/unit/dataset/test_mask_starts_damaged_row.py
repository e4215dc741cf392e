"""One damaged proposal row (a path outside the project: a damaged or hostile index) leaves
only its image out: the Retrain count lists it as unreadable and the Review table gives its row
the problem, the other images counted and scored. Since the count and the scoring read every
image's proposals at once (``mask_starts``), the one row made both refuse the whole project."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from fashion_annotator.dataset.store import create_project, open_project
from fashion_annotator.dataset.training_set import select_training_masks
from fashion_annotator.qa.scores import score_project

SHAPE = (24, 32)


def _damaged(tmp_path: Path, write_photo) -> tuple[Path, list[int]]:
    """A folder project of three images with a proposal and a mask each, the second's proposal
    row naming a file outside the project."""
    root = tmp_path / "proj"
    mask = np.zeros(SHAPE, np.uint8)
    mask[4:20, 4:20] = 1
    with create_project(root, user="alice") as project:
        ids = [project.add_image(write_photo(tmp_path / f"{i}.png", SHAPE, seed=i)).id for i in range(3)]
        for image_id in ids:
            project.save_proposal(image_id, "garment", mask, "1")
            project.save_mask(image_id, "garment", mask, status="done")
    with sqlite3.connect(root / "project.sqlite") as conn:
        conn.execute("UPDATE proposals SET path = '../outside.png' WHERE image_id = ?", (ids[1],))
    return root, ids


def test_a_damaged_proposal_row_leaves_out_its_image_only(tmp_path, write_photo) -> None:
    root, ids = _damaged(tmp_path, write_photo)
    with open_project(root, user="bob") as project:
        names = {i: project.image(i).name for i in ids}
        selection = select_training_masks(project, "garment")
        assert [name for name, _ in selection.unreadable] == [names[ids[1]]]
        assert "not a mask of this project" in selection.unreadable[0][1]
        assert sorted(it.image_id for it in selection.items()) == [ids[0], ids[2]]

        rows = {r.image_id: r for r in score_project(project, "garment")}
        assert rows[ids[1]].problem.startswith(f"{names[ids[1]]}: ")
        assert "not a mask of this project" in rows[ids[1]].problem
        assert rows[ids[0]].score == 1.0 and rows[ids[2]].score == 1.0
        assert not rows[ids[0]].problem and not rows[ids[2]].problem
