"""Train > Retrain click model: a real run through the dialog, promotion, Smart click takes it."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt

from fashion_annotator.annotate.tools.smartclick import active_click_predictor, use_click_model
from fashion_annotator.segmentation.clicks import default_click_model_path
from fashion_annotator.ui.train.training_dialog import RetrainDialog, describe_comparison
from training.click_retrain import CLICK_TASK, current_click_model, source_task

# a quarter of a minute on one thread, batches of 2: a real run of a few seconds of steps
FAST = ["--max-minutes", "0.25", "--threads", "1", "--batch-size", "2"]


@pytest.fixture(autouse=True)
def shipped_click_model_after():
    yield
    use_click_model(None)


def test_the_click_model_learns_from_the_cutout_task(loop_project):
    assert source_task(loop_project) == "garment"
    assert current_click_model(loop_project) == default_click_model_path()


def test_retrain_click_model_through_the_dialog(qtbot, loop_project):
    project = loop_project
    dialog = RetrainDialog(project, CLICK_TASK, extra_args=FAST)
    qtbot.addWidget(dialog)
    assert dialog.masks_label.text().startswith("The click model learns from 7 corrected garment")
    assert "holding 5 for validation" in dialog.masks_label.text()
    assert "once more on all" not in dialog.masks_label.text()  # the click trainer does not refit
    assert dialog.start_button.isEnabled()
    assert not dialog.epochs_spin.isVisibleTo(dialog)  # a time-budgeted trainer
    dialog.device_combo.setCurrentText("cpu")
    with qtbot.waitSignal(dialog.trainingFinished, timeout=300_000) as signal:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["done"], dialog.log.toPlainText()
    kinds = [e["event"] for e in dialog.events]
    assert kinds[0] == "start" and kinds[-1] == "done" and kinds.count("done") == 1
    assert "step" in kinds and "val" in kinds
    done = dialog.events[-1]
    new, current = done["comparison"]["new"], done["comparison"]["current"]
    # both models scored by NoC on the same held-out photos
    # the split the dialog announced: 5 of the 8 usable masks held for validation
    assert new["source_task"] == "garment" and new["n"] == current["n"] == 5
    assert 1 <= new["noc90"] <= 20 and 1 <= current["noc90"] <= 20
    assert "noc90 new" in describe_comparison(done["comparison"])
    assert dialog.table.rowCount() >= 4
    assert dialog.plot.left and dialog.plot.right  # loss per step, NoC@90 per validation
    assert dialog.progress.value() == dialog.progress.maximum()
    version = done["version"]
    assert [m.version for m in project.models(CLICK_TASK)] == [version]
    assert project.active_model(CLICK_TASK) is None  # not promoted without --promote-if-better
    with qtbot.waitSignal(dialog.modelPromoted) as promoted:
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert promoted.args == [CLICK_TASK, version]
    record = project.active_model(CLICK_TASK)
    assert record is not None and current_click_model(project) == record.path


def test_the_window_uses_the_projects_active_click_model(opened, tmp_path):
    window, project = opened
    assert active_click_predictor().path == default_click_model_path()
    copy = tmp_path / "click-v1.safetensors"
    shutil.copy(default_click_model_path(), copy)
    shutil.copy(default_click_model_path().with_suffix(".json"), copy.with_suffix(".json"))
    record = project.models.register(CLICK_TASK, copy, {"noc90": 5.0}, [], activate=True)
    window._model_promoted(CLICK_TASK, record.version)
    assert active_click_predictor().path == project.active_model(CLICK_TASK).path
    assert "Now proposing with click model" in window.statusBar().currentMessage()
    assert window.actions_by_name["train_clicks"] in window.train_menu.actions()
