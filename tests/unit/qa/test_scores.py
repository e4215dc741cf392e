import math

import numpy as np
import pytest
from qa_synth import SHAPE, add_photo, save_as_the_window, square

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.dataset.store import Project
from fashion_annotator.qa.scores import (
    ScoreMemo,
    rescore_with_model,
    score_masks,
    score_project,
    shown_proposal,
    worst_first,
)
from fashion_annotator.segmentation.proposals import Proposal


def test_dice_of_known_binary_masks():
    garment = load_taxonomy("garment")
    saved = square(5, 5, 15, 15)
    assert score_masks(saved, saved, garment).score == 1.0
    assert score_masks(square(5, 5, 15, 10), saved, garment).score == pytest.approx(2 / 3)
    assert score_masks(square(0, 20, 5, 30), saved, garment).score == 0.0
    half = score_masks(square(5, 5, 15, 10), saved, garment)
    assert half.pixel_accuracy == pytest.approx(1 - 50 / (20 * 30))


def test_parsing_scores_foreground_mean_iou():
    parsing = load_taxonomy("parsing7")
    saved = square(0, 0, 10, 30, label=3)
    saved[10:20, :] = 5
    swapped = saved.copy()
    swapped[10:20, :15] = 6  # half of the bottom class labelled as dress
    pair = score_masks(swapped, saved, parsing)
    # classes 3: IoU 1; 5: 150 / 300 = 0.5; 6: 0 / 150 = 0 -> mean over present fg classes
    assert pair.score == pytest.approx((1.0 + 0.5 + 0.0) / 3)
    assert pair.pixel_accuracy == pytest.approx(0.75)
    assert np.isnan(pair.per_class_iou[1]) and pair.per_class_iou[3] == 1.0


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="shape"):
        score_masks(
            np.zeros((4, 4), np.uint8), np.zeros((4, 5), np.uint8), load_taxonomy("garment")
        )


def test_project_scores_against_the_shown_proposal(scored_project):
    project, ids = scored_project
    rows = {r.image_id: r for r in score_project(project, "garment")}
    assert ids["unsaved"] not in rows
    assert rows[ids["same"]].score == 1.0
    assert rows[ids["half"]].score == pytest.approx(2 / 3)
    assert rows[ids["disjoint"]].score == 0.0
    assert np.isnan(rows[ids["unproposed"]].score)
    half = rows[ids["half"]]
    assert (half.operator, half.seconds, half.actions, half.status) == ("alice", 60.0, 3, "done")
    assert half.reference == "proposal"
    order = [r.image_id for r in worst_first(rows.values())]
    assert order == [ids["disjoint"], ids["half"], ids["same"], ids["unproposed"]]


def test_a_proposal_recorded_after_the_save_is_not_the_shown_one(scored_project):
    project, ids = scored_project
    image_id = ids["half"]
    project.save_proposal(image_id, "garment", square(5, 5, 15, 15), "test-v2")
    shown = shown_proposal(project, image_id, "garment")
    np.testing.assert_array_equal(shown, square(5, 5, 15, 10))
    assert score_project(project, "garment", [image_id])[0].score == pytest.approx(2 / 3)


def test_a_memo_scores_again_only_what_changed(scored_project, monkeypatch):
    # The Review tab scores at every visit: with its memo an image is decoded and scored again
    # only after a new mask version (or another shown proposal); statuses are read afresh.
    project, ids = scored_project
    loads: list[int] = []
    real = project.load_mask
    monkeypatch.setattr(project, "load_mask", lambda i, t, *a, **k: loads.append(i) or real(i, t, *a, **k))
    memo: ScoreMemo = {}

    def scores(rows):
        return {r.image_id: (round(r.score, 6), r.status) for r in rows if not np.isnan(r.score)}

    first = score_project(project, "garment", memo=memo)
    assert len(loads) == 4
    loads.clear()
    project.set_status(ids["same"], "in_progress")
    again = score_project(project, "garment", memo=memo)
    assert loads == [], "nothing new saved: nothing decoded"
    assert scores(again) == {**scores(first), ids["same"]: (1.0, "in_progress")}
    assert scores(again) == scores(score_project(project, "garment"))
    project.save_mask(ids["half"], "garment", square(5, 5, 15, 10))  # now the proposal itself
    loads.clear()
    third = score_project(project, "garment", memo=memo)
    assert loads == [ids["half"]]
    assert scores(third)[ids["half"]][0] == 1.0
    assert scores(third) == scores(score_project(project, "garment"))


def test_a_row_shows_the_image_effort_up_to_its_newest_save(project, tmp_path):
    # versions store the image's running totals: summing them counted alice's minute twice
    image_id = add_photo(project, tmp_path / "src", "a.png", 0)
    project.save_mask(image_id, "garment", square(5, 5, 15, 15), seconds=60.0, actions=10, edited=True)
    project.save_mask(image_id, "parsing7", square(5, 5, 15, 15), seconds=60.0, actions=10, edited=True)
    with Project.open(project.root, user="bob") as bob:
        save_as_the_window(bob, image_id, tmp_path / "journal", seconds=5.0)
        garment, = score_project(bob, "garment")
        parsing, = score_project(bob, "parsing7")
    assert (garment.operator, garment.seconds, garment.actions, garment.versions) == ("bob", 65.0, 11, 2)
    assert (parsing.operator, parsing.seconds, parsing.actions) == ("alice", 60.0, 10)


class ShiftPredictor:
    """Predicts the saved square moved right by ``shift`` columns, and counts the photos seen.

    Its task has no task spec, so the proposal pipeline applies no refinements to it.
    """

    task = "shifted-square"

    def __init__(self, shift: int) -> None:
        self.shift = shift
        self.photos = 0

    def set_image(self, rgb):
        assert rgb.shape == (*SHAPE, 3)
        self.photos += 1

    def predict(self):
        mask = square(5, 5 + self.shift, 15, 15 + self.shift)
        return Proposal(mask, None, self.task, "shift")


def test_rescore_with_model_batches_and_reports_progress(scored_project):
    project, ids = scored_project
    predictor = ShiftPredictor(shift=5)
    seen = []
    rows = rescore_with_model(project, "garment", predictor, batch_size=3,
                              progress=lambda d, t: seen.append((d, t)))  # fmt: skip
    assert predictor.photos == 4
    assert seen == [(0, 4), (3, 4), (4, 4)]
    assert all(r.reference == "model" for r in rows)
    assert all(r.score == pytest.approx(0.5) for r in rows)  # 50 of 100 pixels overlap


def test_rescore_stops_when_cancelled(scored_project):
    project, _ = scored_project
    predictor = ShiftPredictor(shift=0)
    rows = rescore_with_model(project, "garment", predictor, batch_size=2,
                              cancelled=lambda: predictor.photos >= 1)  # fmt: skip
    # heard between images, not only between batches (a hand test: 70 s to take effect)
    assert predictor.photos == 1
    # every image stays listed (a code review: the scored row read as the whole project in
    # the table, its statistics and its exports); the others say why they have no score
    assert len(rows) == 4 and [math.isnan(r.score) for r in rows] == [False, True, True, True]
    assert all("not re-scored (the re-score was cancelled)" in r.problem for r in rows[1:])


def test_parsing_task_without_masks_scores_nothing(project, tmp_path):
    add_photo(project, tmp_path, "a.png", 0)
    assert score_project(project, "parsing7") == []
