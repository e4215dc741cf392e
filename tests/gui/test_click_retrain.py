"""Train > Retrain click model: a real run through the dialog, promotion, Smart click takes it."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt

from fashion_annotator.dataset.store import Project
from fashion_annotator.segmentation.clicks import default_click_model_path
from fashion_annotator.ui.testing import wait_counted
from fashion_annotator.ui.train.selection_text import describe_comparison
from fashion_annotator.ui.train.training_dialog import RetrainDialog
from training.click_retrain import CLICK_TASK, current_click_model, source_task

# a quarter of a minute on one thread, batches of 2: a real run of a few seconds of steps
FAST = ["--max-minutes", "0.25", "--threads", "1", "--batch-size", "2"]


def test_the_click_model_learns_from_the_cutout_task(loop_project):
    assert source_task(loop_project) == "garment"
    assert current_click_model(loop_project) == default_click_model_path()


def test_retrain_click_model_through_the_dialog(qtbot, loop_project):
    project = loop_project
    dialog = RetrainDialog(project, CLICK_TASK, extra_args=FAST)
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    assert dialog.masks_label.text().startswith("The click model learns from 7 corrected Garment cutout masks")
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


def _click_model_copy(path):
    shutil.copy(default_click_model_path(), path)
    shutil.copy(default_click_model_path().with_suffix(".json"), path.with_suffix(".json"))
    return path


def _smart_click_model(window):
    """The click model file the window's Smart click runs."""
    window.canvas.set_tool("smartclick")
    return window.canvas._tool.predictor().path  # noqa: SLF001 - the tool the canvas holds


def test_the_window_uses_the_projects_active_click_model(opened, tmp_path):
    window, project = opened
    assert _smart_click_model(window) == default_click_model_path()
    copy = _click_model_copy(tmp_path / "click-v1.safetensors")
    record = project.models.register(CLICK_TASK, copy, {"noc90": 5.0}, [], activate=True)
    window._model_promoted(CLICK_TASK, record.version)
    assert _smart_click_model(window) == project.active_model(CLICK_TASK).path
    assert "Now proposing with Smart click model" in window.statusBar().currentMessage()
    assert window.actions_by_name["train_clicks"] in window.train_menu.actions()


def test_two_windows_click_with_their_own_projects_click_models(qtbot, tmp_path, ccp_dir, answers):
    """File > Open server project opens a second window in the same process: each window's
    Smart click keeps its own project's click model."""
    from fashion_annotator.ui.testing import open_window

    roots = []
    for name in ("p1", "p2"):
        with Project.create(tmp_path / name, tasks=("garment",)) as p:
            p.add_image(ccp_dir / "images" / "0014.jpg")
            if name == "p1":  # project 1 retrained its click model
                copy = _click_model_copy(tmp_path / "p1-click.safetensors")
                p.models.register(CLICK_TASK, copy, {}, [], activate=True)
        roots.append(tmp_path / name)
    w1, p1 = open_window(qtbot, roots[0], tmp_path / "s1.ini", answers)
    w2, p2 = open_window(qtbot, roots[1], tmp_path / "s2.ini", answers)
    try:
        assert _smart_click_model(w1) == p1.active_model(CLICK_TASK).path
        assert _smart_click_model(w2) == default_click_model_path()
        assert _smart_click_model(w1) == p1.active_model(CLICK_TASK).path
    finally:
        for w, p in ((w1, p1), (w2, p2)):
            w.close()
            p.close()


def test_a_cancel_after_the_last_step_registers_nothing(loop_project):
    """A code review: Cancel (SIGTERM) while the click trainer ran its final evaluation and
    scored the current model, after its last step: the new model was registered anyway (and
    with --promote-if-better could have become the active one)."""
    from training.loop import TrainingCancelled
    from training.request import TrainRequest
    from training.runner import run

    events: list[dict] = []

    def cancelled() -> bool:  # Cancel arrives once the final validation has begun
        return any(e["event"] == "val" and e.get("progress") == 1.0 for e in events)

    request = TrainRequest(project=loop_project.root, task=CLICK_TASK, max_minutes=0.1, device="cpu",
                           batch_size=2, threads=1, promote_if_better=True)  # fmt: skip
    with pytest.raises(TrainingCancelled):
        run(request, events.append, cancelled)
    assert cancelled(), [e["event"] for e in events]  # the cancel came after the last step
    assert loop_project.models(CLICK_TASK) == []
    assert loop_project.active_model(CLICK_TASK) is None
