"""Retrain children yield the CPU to the window: Train > Retrain starts at the lowest priority."""

from __future__ import annotations

import os
import shutil

import pytest
from PySide6.QtCore import Qt

from fashion_annotator.ui.testing import wait_counted
from fashion_annotator.ui.train import child_process
from fashion_annotator.ui.train.child_process import NICENESS, low_priority
from fashion_annotator.ui.train.training_dialog import RetrainDialog

TINY = ["--model-size", "tiny", "--input-size", "64", "48", "--init", "scratch"]


def test_low_priority_wraps_in_nice_where_it_exists_and_leaves_the_command_elsewhere(monkeypatch):
    monkeypatch.setattr(child_process.shutil, "which", lambda name: "/usr/bin/nice")
    assert low_priority("python", ["-m", "x"]) == (
        "/usr/bin/nice",
        ["-n", "19", "python", "-m", "x"],
    )
    monkeypatch.setattr(child_process.shutil, "which", lambda name: None)  # Windows
    assert low_priority("python", ("-m", "x")) == ("python", ["-m", "x"])


@pytest.mark.skipif(shutil.which("nice") is None, reason="no nice on this system")
def test_the_retrain_dialog_trains_at_the_lowest_priority(qtbot, loop_project):
    # A trainer at the normal priority made each Smart click 1,188 ms instead of 101 ms on a
    # busy 2-core machine; the background retrain was already niced, the dialog's was not.
    dialog = RetrainDialog(loop_project, "garment", extra_args=TINY)
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    dialog.epochs_spin.setValue(500)
    dialog.device_combo.setCurrentText("cpu")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    process = dialog.process
    assert process is not None
    assert process.program() == shutil.which("nice")
    assert process.arguments()[:3] == ["-n", str(NICENESS), dialog.command()[0]]
    assert process.arguments()[3:] == dialog.command()[1:]
    pid = process.processId()
    qtbot.waitUntil(lambda: os.getpriority(os.PRIO_PROCESS, pid) == NICENESS, timeout=10_000)
    with qtbot.waitSignal(dialog.trainingFinished, timeout=60_000):
        dialog.cancel()
