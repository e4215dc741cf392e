"""The Retrain dialog says when the refit on every mask it announced did not happen."""

from __future__ import annotations

from fashion_annotator.ui.testing import wait_counted
from fashion_annotator.ui.train.training_dialog import RetrainDialog

COMPARISON = {"new": {"median_dice": 0.9803}, "current": {"median_dice": 0.9820},
              "paired": {"n": 5, "better": 1, "worse": 4, "median_gain": -0.0017}, "images": 5}  # fmt: skip


def _run(dialog: RetrainDialog, events: list[dict]) -> str:
    for event in events:
        dialog.handle_event(event)
    return dialog.comparison_label.text()


def test_a_refit_skipped_by_the_time_bound_is_said_under_the_comparison(qtbot, loop_project):
    """A hand test (24 masks, 1 min at most): the dialog read 'Training on 19, holding 5 for
    validation, then once more on all 24 for the epochs chosen' and, at the end, nothing but a
    line in the log said the refit was skipped and the registered model never saw the 5 val masks."""
    dialog = RetrainDialog(loop_project, "garment")
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    assert "then once more on all" in dialog.masks_label.text()
    text = _run(dialog, [
        {"event": "start", "train_images": 19, "val_images": 5},
        {"event": "info", "message": "refit skipped: the time bound is spent; the held-out model is kept"},
        {"event": "done", "version": 1, "comparison": COMPARISON, "promoted": False},
    ])  # fmt: skip
    assert ("Not refit on every mask (refit skipped: the time bound is spent; the held-out model is "
            "kept): the registered model learnt from its 19 training masks only") in text  # fmt: skip


def test_a_run_that_refit_says_nothing_of_a_skipped_refit(qtbot, loop_project):
    dialog = RetrainDialog(loop_project, "garment")
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    text = _run(dialog, [
        {"event": "start", "train_images": 19, "val_images": 5},
        {"event": "info", "message": "refit: 1 epoch on all 24 masks", "refit": {"epochs": 1, "images": 24}},
        {"event": "done", "version": 1, "comparison": COMPARISON, "refit": {"epochs": 1, "images": 24}},
    ])  # fmt: skip
    assert "Not refit" not in text and "before refit" in text
