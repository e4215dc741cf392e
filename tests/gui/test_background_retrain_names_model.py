"""Train > Background retrain names the model it retrains: it said "this project's proposal
model" in a project of two tasks (garment cutout and parsing), leaving the ML lead to guess
which one the count of corrected masks would retrain (a hand test)."""

from __future__ import annotations

from fashion_annotator.ui.train.loop_menu import background_dialog


def test_the_background_retrain_question_names_the_model(opened):
    window, project = opened
    assert len(project.tasks) > 1
    dialog = background_dialog(window)
    text = dialog.labelText()
    assert window.retrainer.task == "garment"
    assert text.startswith("Retrain this project's Garment cutout model in the background after")
    assert "proposal model" not in text
