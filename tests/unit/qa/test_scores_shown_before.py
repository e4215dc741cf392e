"""QA scores a mask only against a proposal shown before its first version: ``qa-report`` and
the Review tab scored imported masks against proposals made after the import (a model perhaps
refit on those very masks), while Model history rightly left such proposals out."""

from __future__ import annotations

import math

import pytest
from qa_synth import add_photo, square

from fashion_annotator.qa.model_history import proposal_quality
from fashion_annotator.qa.scores import (
    LATER_ONLY,
    NONE_SHOWN,
    PROPOSAL,
    score_project,
    shown_proposal,
)


def test_a_proposal_made_after_the_mask_is_not_what_it_is_scored_against(project, tmp_path) -> None:
    imported = add_photo(project, tmp_path / "src", "imported.png", 1)
    project.save_mask(imported, "garment", square(2, 2, 10, 10), source="import", status="done")
    project.save_proposal(imported, "garment", square(2, 2, 10, 10), "after-import")  # a later model's
    drawn = add_photo(project, tmp_path / "src", "drawn.png", 2)
    project.save_mask(drawn, "garment", square(2, 2, 10, 10), status="done")  # no proposal at all
    shown = add_photo(project, tmp_path / "src", "shown.png", 3)
    project.save_proposal(shown, "garment", square(2, 2, 10, 8), "before")
    project.save_mask(shown, "garment", square(2, 2, 10, 10), status="done")
    rows = {r.image_id: r for r in score_project(project, "garment")}
    assert set(rows) == {imported, drawn, shown}, "every masked image is listed"
    assert math.isnan(rows[imported].score) and rows[imported].reference is None
    assert rows[imported].unscored == LATER_ONLY and rows[imported].problem == ""
    assert math.isnan(rows[drawn].score) and rows[drawn].unscored == NONE_SHOWN
    assert rows[shown].reference == PROPOSAL and rows[shown].unscored == ""
    assert rows[shown].score == pytest.approx(2 * 48 / (48 + 64))
    assert shown_proposal(project, imported, "garment") is None, "the Review overlay draws none either"
    assert shown_proposal(project, shown, "garment") is not None
    # the same rule as Model history: the later proposal counts for nothing there
    assert [q.model_version for q in proposal_quality(project, "garment")] == ["before"]
    memo: dict = {}
    score_project(project, "garment", memo=memo)
    again = {r.image_id: r for r in score_project(project, "garment", memo=memo)}
    assert again[imported].unscored == LATER_ONLY, "kept through the Review tab's memo"


def test_a_proposal_recorded_after_scoring_changes_the_reason_through_the_memo(project, tmp_path) -> None:
    """The Review tab scores again and again with one memo: an image listed as "no proposal
    shown" kept that reason after a later model's proposal was recorded (the memo's key held
    the saved versions and the shown proposal, not whether later ones exist)."""
    image = add_photo(project, tmp_path / "src", "imported.png", 1)
    project.save_mask(image, "garment", square(2, 2, 10, 10), source="import", status="done")
    memo: dict = {}
    (first,) = score_project(project, "garment", memo=memo)
    assert first.unscored == NONE_SHOWN
    project.save_proposal(image, "garment", square(2, 2, 10, 10), "after-import")
    (again,) = score_project(project, "garment", memo=memo)
    assert again.unscored == LATER_ONLY
    assert math.isnan(again.score) and again.reference is None
