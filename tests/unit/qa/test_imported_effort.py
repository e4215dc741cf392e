"""An imported mask's row reads as imported, not as a person's work of 0 s and 0 actions: its
operator names the import and its effort is blank in the table, the CSV and the report."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.report import build_html, write_csv
from fashion_annotator.qa.scores import score_project

SHAPE = (30, 40)


@pytest.fixture
def project(tmp_path: Path):
    """``drawn``: alice's mask, 30 s and 4 actions; ``imported``: carol's import."""
    rng = np.random.default_rng(3)
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[5:20, 5:25] = 1
    ids = {}
    with Project.create(tmp_path / "proj", tasks=("garment",), user="alice") as proj:
        for name in ("drawn", "imported"):
            path = tmp_path / f"{name}.png"
            Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
            ids[name] = proj.add_image(path).id
        proj.save_mask(ids["drawn"], "garment", mask, seconds=30.0, actions=4, status="done")
    with Project.open(tmp_path / "proj", user="carol") as proj:
        proj.save_import(ids["imported"], "garment", mask)
        yield proj, ids


def test_an_imported_row_names_the_import_and_logs_no_effort(project):
    proj, ids = project
    rows = {r.image_id: r for r in score_project(proj, "garment")}
    drawn, imported = rows[ids["drawn"]], rows[ids["imported"]]
    assert (drawn.operator, drawn.effort_logged, drawn.effort_text) == ("alice", True, "30 s, 4 actions")
    assert imported.operator == "carol (import)"
    assert not imported.effort_logged and imported.effort_text == "no effort logged"


def test_the_csv_and_report_leave_an_imports_effort_blank(project, tmp_path: Path):
    proj, ids = project
    scores = score_project(proj, "garment")
    with write_csv(scores, tmp_path / "t.csv", "Dice").open(newline="") as fh:
        rows = {int(r["image_id"]): r for r in csv.DictReader(fh)}
    assert (rows[ids["drawn"]]["seconds"], rows[ids["drawn"]]["actions"]) == ("30.0", "4")
    imported = rows[ids["imported"]]
    assert (imported["operator"], imported["seconds"], imported["actions"]) == ("carol (import)", "", "")
    document = build_html(proj, "garment", scores)
    assert '<td class="l">carol (import)</td><td></td><td></td>' in document
    assert '<td class="l">alice</td><td>30</td><td>4</td>' in document
