"""The Retrain dialog while its first epoch is timed, and its ETA at the end: a hand test saw a
busy bar and "ETA --" for 40 s after the start (nothing said what it did), and "ETA 0 s" cut off
at the dialog's right edge once the run ended."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from fashion_annotator.ui.testing import wait_counted
from fashion_annotator.ui.train.training_dialog import RetrainDialog


def _settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def test_the_first_epoch_says_it_is_being_timed(qtbot, loop_project) -> None:
    dialog = RetrainDialog(loop_project, "garment")
    qtbot.addWidget(dialog)
    dialog.show()
    wait_counted(qtbot, dialog)
    dialog.epochs_total = 3
    dialog.handle_event({"event": "start", "device": "cpu", "train_images": 3, "val_images": 5})
    assert dialog.status_label.text().startswith("Epoch 1 of 3 on cpu: first epoch, timing its steps")
    assert (dialog.progress.minimum(), dialog.progress.maximum(), dialog.progress.value()) == (0, 3, 0), \
        "a bar of the epochs, not a busy one"
    assert dialog.eta_label.text() == "ETA: timing…"
    dialog.handle_event({"event": "step", "epoch": 1, "step": 1, "steps": 4, "loss": 0.9, "eta_s": 70})
    assert dialog.status_label.text() == "Epoch 1/3, step 1/4, loss 0.9000"
    assert (dialog.progress.value(), dialog.progress.maximum()) == (1, 12)


def test_the_eta_keeps_its_width_and_is_never_squeezed(qtbot, loop_project) -> None:
    dialog = RetrainDialog(loop_project, "garment")
    qtbot.addWidget(dialog)
    dialog.show()
    wait_counted(qtbot, dialog)
    dialog.epochs_total = 1
    widths = set()
    for event in ({"event": "start", "device": "cpu"},
                  {"event": "step", "epoch": 1, "step": 1, "steps": 2, "loss": 0.2, "eta_s": 3 * 3600 + 120},
                  {"event": "step", "epoch": 1, "step": 2, "steps": 2, "loss": 0.1, "eta_s": 0},
                  {"event": "done", "version": 1, "model_path": "m", "comparison": {}}):  # fmt: skip
        dialog.handle_event(event)
        _settle()
        label = dialog.eta_label
        assert label.width() >= label.fontMetrics().horizontalAdvance(label.text()), label.text()
        widths.add((label.width(), dialog.progress.width()))
    assert dialog.eta_label.text() == "ETA 0 s"
    assert len(widths) == 1, f"the ETA and the bar changed width with the text: {widths}"
