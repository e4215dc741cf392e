"""Review tab, a QA hand test: a reviewer rejected 0003's mask (version 1), the operator fixed
it (version 2), and QA could not compare the fix with the rejected version; History did not say
v2 was the one shown. "vs version QA rejected" scores the current mask against the version
rejected, says "no rejected version" of a photo never rejected, and History names v2 shown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.decisions import reject
from fashion_annotator.qa.report import build_html
from fashion_annotator.qa.scores import score_masks
from fashion_annotator.qa.since_reject import (
    NO_REJECT,
    REJECTED,
    rejected_version,
    score_since_reject,
)
from fashion_annotator.ui.review.table import ROW_ROLE, SCORE_COLUMN
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (40, 60)


def _mask(x1: int) -> np.ndarray:
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[10:30, 10:x1] = 1
    return mask


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """0001..0003 saved by alice; bob rejects 0003 at v1, alice fixes it (v2, Done)."""
    rng = np.random.default_rng(0)
    with Project.create(tmp_path / "proj", tasks=("garment",), user="alice") as alice:
        for i in range(1, 4):
            path = tmp_path / "src" / f"000{i}.jpg"
            path.parent.mkdir(exist_ok=True)
            Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
            image_id = alice.add_image(path).id
            alice.save_proposal(image_id, "garment", _mask(30), "v1")
            alice.save_mask(image_id, "garment", _mask(20), seconds=30.0, actions=3)
            alice.set_status(image_id, "done")
        root = Path(alice.root)
    with Project.open(root, user="bob") as bob:
        third = bob.images(search="0003")[0].id
        reject(bob, third, "garment", "missed_area", "sleeve lost", seen_version=1)
    with Project.open(root, user="alice") as alice:
        alice.save_mask(third, "garment", _mask(30), seconds=60.0, actions=6)
        alice.set_status(third, "done")
    return root


def test_core_scores_the_fix_against_the_version_rejected(project):
    with Project.open(project, user="carol") as proj:
        rows = {r.name: r for r in score_since_reject(proj, "garment")}
        fixed = rows["0003.jpg"]
        expected = score_masks(_mask(20), _mask(30), proj.taxonomy("garment")).score
        assert fixed.reference == REJECTED and fixed.score == pytest.approx(expected)
        assert fixed.compared == "v2 against v1, rejected by bob"
        assert np.isnan(rows["0001.jpg"].score) and rows["0001.jpg"].unscored == NO_REJECT
        decided = proj.decisions(fixed.image_id, "garment")
        versions = proj.mask_versions(fixed.image_id, "garment")
        found = rejected_version(decided, versions)
        assert found is not None and found.version == 1 and found.decision.user == "bob"


def test_review_tab_compares_with_the_rejected_version(project, qtbot):
    taxonomy = load_taxonomy("garment")
    expected = score_masks(_mask(20), _mask(30), taxonomy).score
    assert expected < 0.9  # the fix changed the mask: a score of 1 would say nothing changed
    with Project.open(project, user="carol") as proj:
        view = ReviewView(proj)
        qtbot.addWidget(view)
        view.resize(1400, 800)
        view.show()
        qtbot.waitExposed(view)
        index = view.reference.findData(REJECTED)
        assert index >= 0 and view.reference.itemText(index) == "vs version QA rejected"
        view.reference.setCurrentIndex(index)
        rows = {}
        for r in range(view.proxy.rowCount()):
            row = view.proxy.index(r, 0).data(ROW_ROLE)
            rows[row.name] = (r, row)
        r, fixed = rows["0003.jpg"]
        assert fixed.score == pytest.approx(expected)
        assert view.proxy.index(r, SCORE_COLUMN).data() == f"{expected:.3f}"
        tip = view.proxy.index(r, SCORE_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
        assert tip == "v2 against v1, rejected by bob"
        other, _ = rows["0001.jpg"]
        assert view.proxy.index(other, SCORE_COLUMN).data() == "-"
        assert view.proxy.index(other, SCORE_COLUMN).data(Qt.ItemDataRole.ToolTipRole) == "no rejected version"

        view.select_image(fixed.image_id)
        history = view.history.text()
        assert history.startswith("v2 shown; ") and "v1 rejected (Missed area) by bob: sleeve lost" in history
        assert view.viewer.has_image and view.viewer.model_caption.text() == "Version 1 (rejected)"
        assert "v2 against v1" in view.title.text()
        view.select_image(rows["0001.jpg"][1].image_id)
        assert view.history.text() == "v1 shown; no decision yet"


def test_html_report_of_these_rows_says_what_they_were_compared_with(project):
    with Project.open(project, user="carol") as proj:
        rows = score_since_reject(proj, "garment")
        report = build_html(proj, "garment", rows)
    assert "against the version QA last rejected" in report
    assert "the proposal the operator was shown" not in report
