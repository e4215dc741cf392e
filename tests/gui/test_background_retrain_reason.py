"""The background retrain's status bar says why a new model was not promoted, in figures that
agree with the words."""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import QProcess
from PySide6.QtWidgets import QStatusBar

from fashion_annotator.ui.train.background_retrain import BackgroundRetrainer


def _finish_with(qtbot, done: dict) -> str:
    """Run the retrainer's end of run on a child that prints ``done`` as the trainer would; return
    the status bar's message."""
    bar = QStatusBar()
    qtbot.addWidget(bar)
    retrainer = BackgroundRetrainer(None, "garment", bar)
    process = QProcess(retrainer)
    process.readyReadStandardOutput.connect(retrainer._read)
    process.finished.connect(retrainer._finished)
    retrainer.process = process
    with qtbot.waitSignal(retrainer.finished, timeout=30_000):
        process.start(sys.executable, ["-c", f"print({json.dumps(json.dumps(done))})"])
    return bar.currentMessage()


def test_a_model_better_on_every_val_photo_but_within_the_margin_is_not_called_not_better(qtbot):
    """A hand test: 'v2 not better on the same val images (median_dice 0.981 vs 0.980 ...)' for a
    model better on 5 of the 5 val photos, whose median Dice was within the 0.002 margin."""
    comparison = {"new": {"median_dice": 0.9808}, "current": {"median_dice": 0.9803},
                  "paired": {"n": 5, "better": 5, "worse": 0, "median_gain": 0.0004}}  # fmt: skip
    message = _finish_with(qtbot, {"event": "done", "version": 2, "promoted": False, "comparison": comparison})
    assert "not better" not in message
    assert "v2 not promoted" in message
    assert "its median_dice 0.9808 is within 0.002 of the current model's 0.9803" in message
    assert "the current model stays" in message


def test_a_worse_model_says_on_how_many_val_photos_it_lost(qtbot):
    """The figures of a worse model with as many decimals as the dialog's, and its reason."""
    comparison = {"new": {"median_dice": 0.9812}, "current": {"median_dice": 0.9790},
                  "paired": {"n": 5, "better": 1, "worse": 4, "median_gain": -0.001}}  # fmt: skip
    message = _finish_with(qtbot, {"event": "done", "version": 3, "promoted": False, "comparison": comparison})
    assert "v3 not promoted" in message
    assert "it is worse on 4 of the 5 val images and better on 1" in message
