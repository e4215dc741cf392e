"""The Retrain dialog remembers a project's last retrain settings: it set Epochs from the mask
count at every opening, so a run with 1 epoch offered 27 again next time (a hand test)."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt

from fashion_annotator.ui.testing import wait_counted
from fashion_annotator.ui.train.training_dialog import RetrainDialog
from training.recipe import MAX_MINUTES


def _opened(qtbot, project, task: str = "garment") -> RetrainDialog:
    dialog = RetrainDialog(project, task)
    qtbot.addWidget(dialog)
    dialog.show()
    wait_counted(qtbot, dialog)
    return dialog


def test_epochs_time_and_device_come_back_at_the_next_opening(qtbot, loop_project, monkeypatch) -> None:
    first = _opened(qtbot, loop_project)
    suggested = first.epochs_spin.value()
    assert suggested != 1 and first.minutes_spin.value() == int(MAX_MINUTES)
    first.epochs_spin.setValue(1)
    first.minutes_spin.setValue(5)
    first.device_combo.setCurrentText("cpu")
    # a trainer that ends at once: what is remembered is what Start ran with
    monkeypatch.setattr(first, "command", lambda: [sys.executable, "-c", "pass"])
    with qtbot.waitSignal(first.trainingFinished, timeout=60_000):
        qtbot.mouseClick(first.start_button, Qt.MouseButton.LeftButton)
    first.close()
    again = _opened(qtbot, loop_project)
    assert (again.epochs_spin.value(), again.minutes_spin.value(), again.device_combo.currentText()) == (1, 5, "cpu")
    again.exclude_check.setChecked(True)  # the count changes: the chosen epochs stay
    assert again.epochs_spin.value() == 1
    again.close()
    click = _opened(qtbot, loop_project, "click")  # another model: its own settings
    assert click.minutes_spin.value() == int(MAX_MINUTES)
    click.close()
