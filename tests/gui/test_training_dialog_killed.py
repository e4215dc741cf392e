"""The Retrain dialog when things go wrong: a child killed from outside is said as such, and
"Use this model" refuses a model file that does not load, in words.

A hand test: the trainer SIGKILLed mid-epoch (as the kernel's out-of-memory killer does) left
"Training failed (exit code 9); see the log below" over an empty log: 9 was the signal, and
nothing said the process had been killed.
"""

from __future__ import annotations

import sys

from fashion_annotator.ui.testing import wait_counted
from fashion_annotator.ui.train.training_dialog import RetrainDialog

KILLS_ITSELF = "import os, signal, sys; sys.stdout.write('{\"event\": \"start\"}\\n'); sys.stdout.flush(); os.kill(os.getpid(), signal.SIGKILL)"
FAILS = "import sys; print('{\"event\": \"error\", \"message\": \"no masks\"}'); sys.exit(1)"


def _run(qtbot, project, code: str) -> RetrainDialog:
    dialog = RetrainDialog(project, "garment")
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
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


def test_use_this_model_refuses_a_damaged_file_in_words(qtbot, loop_project, tmp_path) -> None:
    """"Use this model" made a version active without loading it (Model history's Make
    active refuses a damaged file), and a ProjectError (a locked or read-only index) reached
    the crash dialog."""
    from fashion_annotator.ui.testing import add_tiny_model

    (tmp_path / "m").mkdir()
    add_tiny_model(loop_project, tmp_path / "m")
    record = loop_project.models("garment")[-1]
    loop_project.models.set_active("garment", None)
    record.path.write_bytes(b"\x00" * 64)
    dialog = RetrainDialog(loop_project, "garment")
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    dialog.outcome = {"event": "done", "version": record.version}
    dialog.use_button.setEnabled(True)
    with qtbot.assertNotEmitted(dialog.modelPromoted):
        dialog.use_model()
    assert loop_project.models.active("garment") is None
    text = dialog.status_label.text()
    assert text.startswith(f"Not changed: version {record.version} of garment not activated: {record.path}"), text
    assert dialog.use_button.isEnabled()
