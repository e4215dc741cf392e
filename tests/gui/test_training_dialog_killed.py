"""A retrain child killed from outside is said as such in the Retrain dialog.

A hand test: the trainer SIGKILLed mid-epoch (as the kernel's out-of-memory killer does) left
"Training failed (exit code 9); see the log below" over an empty log: 9 was the signal, and
nothing said the process had been killed.
"""

from __future__ import annotations

import sys

from fashion_annotator.ui.train.training_dialog import RetrainDialog

KILLS_ITSELF = "import os, signal, sys; sys.stdout.write('{\"event\": \"start\"}\\n'); sys.stdout.flush(); os.kill(os.getpid(), signal.SIGKILL)"
FAILS = "import sys; print('{\"event\": \"error\", \"message\": \"no masks\"}'); sys.exit(1)"


def _run(qtbot, project, code: str) -> RetrainDialog:
    dialog = RetrainDialog(project, "garment")
    qtbot.addWidget(dialog)
    dialog.command = lambda: [sys.executable, "-c", code]  # type: ignore[method-assign]
    with qtbot.waitSignal(dialog.trainingFinished, timeout=30_000) as finished:
        dialog.start()
    assert finished.args == ["failed"]
    return dialog


def test_a_killed_trainer_is_said_to_be_killed(qtbot, loop_project) -> None:
    text = _run(qtbot, loop_project, KILLS_ITSELF).status_label.text()
    assert text.startswith("Training failed: the training process was killed"), text
    assert "exit code" not in text and "memory" in text


def test_a_trainer_that_reports_an_error_still_shows_it(qtbot, loop_project) -> None:
    text = _run(qtbot, loop_project, FAILS).status_label.text()
    assert text == "Training failed (exit code 1): no masks"
