"""The open-image rules without a display: load, save, the journal and restore."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fashion_annotator.annotate.session import (
    OpenImage,
    load_document,
    restore_entry,
    save_open_image,
    tasks_to_save,
)
from fashion_annotator.annotate.tools import Pointer, ToolContext, make_tool
from fashion_annotator.core.journal import RecoveryJournal
from fashion_annotator.dataset.store import Project


def _project(tmp_path: Path) -> tuple[Project, int]:
    photo = tmp_path / "a.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)).save(photo)
    project = Project.create(tmp_path / "p", tasks=("garment", "parsing7"), user="olga")
    image_id = project.add_image(photo).id
    proposal = np.zeros((40, 30), np.uint8)
    proposal[5:20, 5:20] = 1
    project.save_proposal(image_id, "garment", proposal, "v1")
    return project, image_id


def test_a_fresh_image_starts_from_its_proposal_and_saves_what_was_edited(tmp_path: Path) -> None:
    project, image_id = _project(tmp_path)
    journal = RecoveryJournal(tmp_path / "p" / "journal")
    with project:
        doc, fresh = load_document(project, image_id)
        assert fresh == {"garment", "parsing7"}
        assert doc.masks["garment"].sum() == 15 * 15 and not doc.dirty  # not an operator edit
        opened = OpenImage(doc, fresh=fresh)
        assert tasks_to_save(opened, None) == []
        brush = make_tool("brush")
        ctx = ToolContext(doc, "garment", label=1, radius=2.0)
        brush.press(ctx, Pointer(25, 30))
        brush.release(ctx, Pointer(25, 30))
        assert opened.edited == {"garment"}
        journal.record(image_id, "garment", doc.masks["garment"], seconds=3.0, actions=1)
        assert save_open_image(project, opened, journal) == ["garment"]
        assert not doc.dirty and not journal.entries()
        assert project.image(image_id).status == "in_progress"
        np.testing.assert_array_equal(project.load_mask(image_id, "garment"), doc.masks["garment"])
        # Marking it done writes every task, the never-edited one included.
        assert save_open_image(project, opened, journal, status="done") == ["parsing7"]
        assert project.image(image_id).status == "done"


def test_restore_saves_a_journalled_mask_as_recovered(tmp_path: Path) -> None:
    project, image_id = _project(tmp_path)
    journal = RecoveryJournal(tmp_path / "p" / "journal")
    with project:
        mask = np.zeros((40, 30), np.uint8)
        mask[0:4, 0:4] = 1
        journal.record(image_id, "garment", mask, seconds=9.0, actions=4)
        (entry,) = journal.entries()
        restore_entry(project, entry)
        assert not journal.entries()
        version = project.mask_versions(image_id, "garment")[-1]
        assert (version.source, version.actions) == ("recovered", 4)
        assert project.image(image_id).status == "in_progress"
