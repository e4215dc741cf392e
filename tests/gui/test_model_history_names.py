"""Train > Model history names each model one way: its proposal-quality rows call a model by its
version ("v1 (3)", "shipped (20261204-134248)"), not by the stamp recorded with its proposals
alone (a hand test: "20261204-134248" beside v1-v4, nothing saying which it was), and as the
status bar, the promotion message and the Review tab do (``wording.model_label``; a code review:
Model history said "shipped (2026-12-04)" where they said "shipped (20261204-134250)")."""

from __future__ import annotations

import json

import numpy as np

from fashion_annotator.core.wording import model_label
from fashion_annotator.dataset.store import Project
from fashion_annotator.resources import resource_path
from fashion_annotator.ui.testing import PHOTOS, add_tiny_model
from fashion_annotator.ui.train.model_history import ModelHistoryDialog


def test_quality_rows_name_the_versions_as_the_versions_table(qtbot, tmp_path, ccp_dir) -> None:
    shipped = json.loads(resource_path("models", "garment.json").read_text(encoding="utf-8"))["version"]
    project = Project.create(tmp_path / "names", tasks=("garment",))
    add_tiny_model(project, tmp_path)  # v1, its file stamped "3"
    for stem, stamp in zip(PHOTOS, (shipped, "3", "20250101-000000"), strict=True):
        record = project.add_image(ccp_dir / "images" / f"{stem}.jpg")
        mask = np.zeros(record.shape, np.uint8)
        mask[10:60, 20:90] = 1
        project.save_proposal(record.id, "garment", mask, stamp)
        project.save_mask(record.id, "garment", mask, status="done")
    dialog = ModelHistoryDialog(project, "garment")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.quality_thread is None and dialog.quality.rowCount() == 3, timeout=30_000)
    assert dialog.models.item(0, 0).text() == "v1"
    cells = {dialog.quality.item(r, 0).text(): dialog.quality.item(r, 0).toolTip() for r in range(3)}
    assert cells == {
        f"shipped ({shipped})": f"Recorded with its proposals as {shipped}",
        "v1 (3)": "Recorded with its proposals as 3",
        "20250101-000000": "Recorded with its proposals as 20250101-000000",  # no model here carries it
    }
    assert {model_label(shipped, None), model_label("3", 1)} <= set(cells), "the status bar's names"
    dialog.close()
    project.close()
