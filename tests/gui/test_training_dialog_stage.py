"""The Retrain dialog while the trainer scores both models after its last step: a hand test on
a CPU saw 100 %, "ETA 0 s" and "Epoch 1/1, step 2/2, loss 0.1597" for three minutes, as if the
run hung, until the comparison appeared."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from fashion_annotator.ui.testing import wait_counted
from fashion_annotator.ui.train.training_dialog import RetrainDialog

TINY = ["--model-size", "tiny", "--input-size", "64", "48", "--init", "scratch"]


def test_after_the_last_step_the_dialog_says_it_compares_the_models(qtbot, loop_project):
    dialog = RetrainDialog(loop_project, "garment", extra_args=TINY)
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    dialog.epochs_spin.setValue(1)
    dialog.device_combo.setCurrentText("cpu")
    seen: list[tuple[str, str, int, str]] = []  # event, status, bar maximum, ETA after each
    handle = dialog.handle_event

    def recording(event: dict[str, Any]) -> None:
        handle(event)
        seen.append((event["event"], dialog.status_label.text(), dialog.progress.maximum(),
                     dialog.eta_label.text()))  # fmt: skip

    dialog.handle_event = recording  # type: ignore[method-assign]
    with qtbot.waitSignal(dialog.trainingFinished, timeout=120_000) as signal:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["done"], dialog.log.toPlainText()
    kinds = [kind for kind, *_ in seen]
    last_step = max(i for i, kind in enumerate(kinds) if kind == "step")
    after = seen[last_step + 1 :]
    comparing = [s for s in after if s[0] == "stage"]
    assert comparing, f"nothing said between the last step and the end: {kinds}"
    kind, status, maximum, eta = comparing[0]
    assert status == "Comparing the new model with the current one on the 5 val photos"
    assert maximum == 0 and eta == "ETA --", "the bar is busy, no ETA, while both are scored"
    assert kinds.index("stage") < kinds.index("done")
    assert dialog.status_label.text().startswith("Done: model v")
    assert dialog.progress.maximum() == dialog.progress.value() == 1
