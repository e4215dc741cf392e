"""Train > Background retrain names the models it retrains: it said "this project's proposal
model" in a project of two tasks (garment cutout and parsing), leaving the ML lead to guess
which one the count of corrected masks would retrain (a hand test), then named only the task
shown at the window's start although each task's corrections retrain its own model."""

from __future__ import annotations

from fashion_annotator.ui.train.loop_menu import background_dialog


def test_the_background_retrain_question_names_every_task_model(opened):
    window, project = opened
    assert project.tasks == ("garment", "parsing7") and window.task == "garment"
    dialog = background_dialog(window)
    text = dialog.labelText()
    assert text.startswith(
        "Retrain each task's model (Garment cutout, Parsing) in the background after this many "
        "newly corrected masks of that task (0: off"
    )
    assert "proposal model" not in text
