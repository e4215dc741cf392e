"""The retrain dialog: events turned into progress, plot and table; real training runs and cancel."""

from __future__ import annotations

import os
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from fashion_annotator.runtime.child import PARENT_ENV, cli_command
from fashion_annotator.ui.testing import add_tiny_model, wait_counted
from fashion_annotator.ui.train.selection_text import (
    describe_comparison,
    describe_refinements,
    format_eta,
    worse_reason,
)
from fashion_annotator.ui.train.training_dialog import RetrainDialog
from training.finetune import retrain_command
from training.recipe import epochs_for

# A tiny network on 64x48 inputs, from scratch (not from a shipped default's size), keeps a real
# training run to a few seconds.
TINY = ["--model-size", "tiny", "--input-size", "64", "48", "--init", "scratch"]


@pytest.fixture
def project(loop_project):
    """The loop project: 8 usable garment masks (7 corrected, 1 unchanged proposal)."""
    return loop_project


def test_format_eta():
    assert format_eta(None) == "ETA --"
    assert format_eta(float("nan")) == "ETA --"
    assert format_eta(42.4) == "ETA 42 s"
    assert format_eta(125) == "ETA 2 min 05 s"
    assert format_eta(3 * 3600 + 120) == "ETA 3 h 02 min"


def test_dialog_states_which_masks_count(qtbot, project):
    dialog = RetrainDialog(project, "garment", extra_args=TINY)
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    text = dialog.masks_label.text()
    assert "7 corrected Garment cutout masks (6 done, 1 in progress)" in text
    assert "1 accepted proposal saved unchanged (included)" in text
    assert "Training on 3, holding 5 for validation" in text
    assert text.endswith(", then once more on all 8 for the epochs chosen.")
    dialog.show()
    dialog.resize(420, 300)  # shorter than it wants: the plot and table give way, not the sentence
    qtbot.waitUntil(lambda: dialog.masks_label.width() < 420)
    label = dialog.masks_label
    assert label.height() >= label.heightForWidth(label.width()) > label.fontMetrics().height() * 2
    assert dialog.exclude_check.isVisible() or not dialog.isVisible()
    assert dialog.epochs_spin.value() == epochs_for(3)
    assert dialog.start_button.isEnabled()
    assert dialog.command() == [*cli_command(), *retrain_command(
        project.root, "garment", 8, minutes=dialog.minutes_spin.value(), epochs=epochs_for(3),
        extra=TINY)]  # fmt: skip
    dialog.exclude_check.setChecked(True)
    text = dialog.masks_label.text()
    assert "(left out)" in text and "needs at least 8 masks (5 held for validation)" in text
    assert not dialog.start_button.isEnabled()
    assert "--exclude-unchanged" in dialog.command()


def test_a_long_result_does_not_squeeze_the_sentences(qtbot, project):
    """A comparison of two lines or more arriving at the end makes room for itself; the masks
    sentence at the top kept its height but the form's rows moved up over its last line (a hand
    test at 1280x720)."""
    dialog = RetrainDialog(project, "garment", extra_args=TINY)
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    dialog.show()
    dialog.resize(440, dialog.minimumSizeHint().height())
    qtbot.waitUntil(lambda: dialog.masks_label.width() < 440)
    comparison = {"new": {"median_dice": 0.9737}, "current": {"median_dice": 0.9705},
                  "paired": {"n": 5, "better": 4, "worse": 1, "median_gain": 0.003},
                  "current_trained_on": 1}  # fmt: skip
    dialog.handle_event({"event": "done", "version": 1, "model_path": "m", "comparison": comparison})
    label, result = dialog.masks_label, dialog.comparison_label
    below = dialog.exclude_check if dialog.exclude_check.isVisible() else dialog.epochs_spin

    def whole() -> None:
        assert result.height() >= result.heightForWidth(result.width()) > result.fontMetrics().height()
        assert result.geometry().bottom() < dialog.log.geometry().top()
        assert label.height() >= label.heightForWidth(label.width())
        assert label.geometry().bottom() < below.geometry().top()

    qtbot.waitUntil(whole)
    result.clear()  # a new run in the same dialog: the old comparison's lines go with it
    assert result.minimumHeight() == 0


def test_events_drive_progress_plot_and_table(qtbot, project, tmp_path):
    for _ in range(3):
        add_tiny_model(project, tmp_path)
    project.models.set_active("garment", 1)
    dialog = RetrainDialog(project, "garment", extra_args=TINY)
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    dialog.epochs_spin.setValue(2)
    assert dialog.command()[dialog.command().index("--epochs") + 1] == "2"
    dialog.epochs_total = 2
    dialog.handle_event({"event": "start", "epochs": 2, "device": "CPU"})
    assert "CPU" in dialog.status_label.text()
    dialog.handle_event(
        {"event": "step", "epoch": 1, "step": 2, "steps": 4, "loss": 0.9, "eta_s": 70}
    )
    assert (dialog.progress.value(), dialog.progress.maximum()) == (2, 8)
    assert dialog.eta_label.text() == "ETA 1 min 10 s"
    dialog.handle_event(
        {"event": "epoch", "epoch": 1, "loss": 0.8, "val": {"miou": 0.4, "dice": 0.5}, "eta_s": 30}
    )
    dialog.handle_event(
        {"event": "step", "epoch": 2, "step": 1, "steps": 4, "loss": 0.7, "eta_s": 20}
    )
    assert dialog.progress.value() == 5
    # Trainers of several heads nest the figures by task.
    dialog.handle_event(
        {"event": "epoch", "epoch": 2, "loss": 0.6, "val": {"garment": {"miou": 0.5}}, "eta_s": 0}
    )
    assert dialog.plot.left == [(1.0, 0.8), (2.0, 0.6)]
    assert dialog.plot.right == [(1.0, 0.4), (2.0, 0.5)]
    assert dialog.plot.right_label == "val miou"
    # the refit on every mask after the held-out run: its own progress, the plot untouched
    dialog.handle_event({"event": "info", "message": "refit: 2 epochs on all 8 masks",
                         "refit": {"epochs": 2, "images": 8}})  # fmt: skip
    dialog.handle_event(
        {"event": "refit_step", "epoch": 2, "step": 3, "steps": 5, "loss": 0.5, "eta_s": 5}
    )
    assert (dialog.progress.value(), dialog.progress.maximum()) == (8, 10)
    assert dialog.status_label.text().startswith("Refit on every mask: epoch 2/2, step 3/5")
    assert "refit: 2 epochs on all 8 masks" in dialog.log.toPlainText()
    assert dialog.plot.left == [(1.0, 0.8), (2.0, 0.6)]
    dialog.plot.grab()  # paints without error
    comparison = {"new": {"miou": 0.5, "dice": 0.6}, "current": {"miou": 0.45, "dice": None},
                  "paired": {"n": 5, "better": 3, "worse": 1, "median_gain": 0.01}}  # fmt: skip
    dialog.handle_event(
        {"event": "done", "version": 3, "model_path": "m", "comparison": comparison}
    )
    cells = [
        [dialog.table.item(r, c).text() for c in range(3)] for r in range(dialog.table.rowCount())
    ]
    assert cells == [["miou", "0.4500", "0.5000"], ["dice", "-", "0.6000"]]
    assert dialog.comparison_label.text() == (
        "miou new 0.5000 vs current 0.4500; new better on 3 of 5 val images, worse on 1")
    assert describe_comparison({**comparison, "left_out": 4}).endswith(
        "(4 val images left out: the current model trained on them)")
    assert describe_comparison({**comparison, "current_trained_on": 5}).endswith(
        "(the current model trained on 5 of them)")
    chosen = {"refinements": ["guided"],
              "refinements_val": {"median_dice": {"raw": 0.98, "snap+grabcut": 0.982, "guided": 0.985},
                                  "images": 6}}  # fmt: skip
    dialog.handle_event({"event": "done", "version": 3, "model_path": "m", "comparison": comparison, **chosen})
    assert dialog.log.toPlainText().splitlines()[-2] == (
        "Proposals refined with guided filter: val median Dice 0.9850, none 0.9800")
    assert dialog.log.toPlainText().splitlines()[-1] == (
        "refinements, median Dice on 6 val images: guided filter 0.9850, superpixel snap + "
        "GrabCut band 0.9820, none 0.9800")
    assert describe_refinements({"refinements": ["guided"]}) == ""  # no figures: no line
    with qtbot.waitSignal(dialog.modelPromoted) as signal:
        dialog.use_model()
    assert signal.args == ["garment", 3]
    assert project.active_model("garment").version == 3


def test_unparseable_lines_go_to_the_log(qtbot, project):
    dialog = RetrainDialog(project, "garment")
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    dialog._handle_line("Traceback (most recent call last):")
    dialog._handle_line('{"no_event": 1}')
    assert dialog.events == []
    dialog._handle_line('{"event": "info", "message": "no current garment model; from scratch"}')
    assert [e["event"] for e in dialog.events] == ["info"]
    log = dialog.log.toPlainText()
    assert "Traceback" in log and "info: no current garment model" in log


def test_failing_process_reports_failure(qtbot, project):
    dialog = RetrainDialog(project, "garment", extra_args=["--no-such-option"])
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    with qtbot.waitSignal(dialog.trainingFinished, timeout=60_000) as signal:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["failed"]
    assert "failed" in dialog.status_label.text()
    assert "--no-such-option" in dialog.log.toPlainText()
    assert not dialog.use_button.isEnabled() and dialog.start_button.isEnabled()


def _says_what_its_figures_are(qtbot, dialog: RetrainDialog, project, version: int) -> None:
    """A hand test: the dialog's figures were neither the window's proposals nor said to be, and
    the New figures and Model history's "Val figure" described weights the refit then replaced
    (trained on those very val photos); only the metadata's ``metrics_of`` said so."""
    from fashion_annotator.ui.train.model_history import ModelHistoryDialog

    assert dialog.outcome is not None and dialog.outcome.get("refit"), dialog.log.toPlainText()
    scored = dialog.outcome["comparison"]["figures_of"]
    assert scored == ("each model's network as it predicts (full photos; its threshold, crop pass "
                      "and flips), before the window's refinements")  # fmt: skip
    caption = dialog.comparison_label.text()
    assert f"Figures: {scored}." in caption
    assert "measured before its refit on every mask" in caption
    assert dialog.table.horizontalHeaderItem(2).text() == f"New (v{version}, before refit)"
    (record,) = project.models("garment")
    assert record.metrics["before_refit"] is True and record.metrics["figures_of"] == scored
    history = ModelHistoryDialog(project, "garment")
    qtbot.addWidget(history)
    figure = history.models.item(0, 3)
    assert figure.text().startswith("median_dice ") and figure.text().endswith(", before refit")
    assert figure.toolTip().startswith(f"Scored as: {scored}. Measured before the refit on every mask")
    headings = [w.text() for w in history.findChildren(QLabel)]
    assert any("before the window's refinements" in t and "before refit" in t for t in headings)


def test_real_training_run_then_use_this_model(qtbot, project):
    dialog = RetrainDialog(project, "garment", extra_args=TINY)
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    dialog.epochs_spin.setValue(2)
    dialog.device_combo.setCurrentText("cpu")
    with qtbot.waitSignal(dialog.trainingFinished, timeout=120_000) as signal:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        assert not dialog.start_button.isEnabled() and dialog.cancel_button.isEnabled()
        # the child stops with the window (runtime.child.watch_parent) if the window dies
        assert dialog.process.processEnvironment().value(PARENT_ENV) == str(os.getpid())
    assert signal.args == ["done"], dialog.log.toPlainText()
    kinds = [e["event"] for e in dialog.events]
    assert kinds.index("start") < kinds.index("step") and kinds[-1] == "done"
    assert "step" in kinds and kinds.count("epoch") == 2
    assert len(dialog.plot.left) == 2
    assert dialog.progress.value() == dialog.progress.maximum()
    assert dialog.table.rowCount() > 0
    assert "better on" in dialog.comparison_label.text()
    assert dialog.events[-1]["comparison"]["paired"]["n"] == 5  # the same 5 val images for both
    version = dialog.outcome["version"]
    assert [m.version for m in project.models("garment")] == [version]
    _says_what_its_figures_are(qtbot, dialog, project, version)
    assert dialog.use_button.isEnabled()
    worse = worse_reason(dialog.events[-1]["comparison"])  # a 2-epoch model may well be worse
    assert (dialog.use_button.text() == "Use this model anyway") == (worse is not None)
    assert worse is None or worse in dialog.status_label.text()
    with qtbot.waitSignal(dialog.modelPromoted) as promoted:
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert promoted.args == ["garment", version]
    assert project.active_model("garment").version == version


def test_cancel_ends_the_process_and_registers_nothing(qtbot, project):
    dialog = RetrainDialog(project, "garment", extra_args=TINY)
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    dialog.epochs_spin.setValue(500)
    dialog.device_combo.setCurrentText("cpu")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(e["event"] == "step" for e in dialog.events), timeout=60_000)
    # Esc (or the title bar's close) asks first: a stray Esc cancelled a running retrain
    asked: list[str] = []
    dialog.ask_stop = lambda message: asked.append(message) or False
    dialog.show()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    dialog.close()
    assert len(asked) == 2 and "Garment cutout retrain is running" in asked[0]
    assert dialog.process is not None and dialog.isVisible() and dialog.state != "cancelled"
    with qtbot.waitSignal(dialog.trainingFinished, timeout=60_000) as signal:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["cancelled"]
    assert dialog.events[-1]["event"] == "cancelled"  # a clean stop on SIGTERM, not a kill
    assert dialog.process is None
    assert "no model was registered" in dialog.status_label.text()
    assert project.models("garment") == []
    assert project.active_model("garment") is None
    assert not dialog.use_button.isEnabled()


def test_a_cancel_too_late_to_stop_the_trainer_reports_the_registered_model(qtbot, project, monkeypatch):
    """A code review: Cancel clicked while the click trainer scored the models after its last
    step; the trainer registered v1 and said so (``done``), yet the dialog said "Cancelled; no
    model was registered". A stand-in trainer answers SIGTERM as that one did."""
    import json

    done = {"event": "done", "version": 1, "model_path": "v1.safetensors", "promoted": False,
            "comparison": {"new": {"noc90": 5.0}, "current": {"noc90": 6.0}}}  # fmt: skip
    script = "\n".join([
        "import signal, sys, time",
        f"signal.signal(signal.SIGTERM, lambda *_: (print({json.dumps(done)!r}, flush=True), sys.exit(0)))",
        "print('{\"event\": \"start\", \"device\": \"cpu\"}', flush=True)",
        "time.sleep(60)",
    ])  # fmt: skip
    dialog = RetrainDialog(project, "garment")
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    monkeypatch.setattr(dialog, "command", lambda: [sys.executable, "-c", script])
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(e["event"] == "start" for e in dialog.events), timeout=30_000)
    with qtbot.waitSignal(dialog.trainingFinished, timeout=30_000) as signal:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["done"]
    assert "v1 was registered before Cancel" in dialog.status_label.text()
    assert "no model was registered" not in dialog.status_label.text()
    assert dialog.use_button.isEnabled()


def test_frozen_bundle_runs_the_trainer_through_its_own_executable(project, monkeypatch, qtbot):
    # In a PyInstaller bundle sys.executable is the app itself: no "-m fashion_annotator".
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    dialog = RetrainDialog(project, "garment")
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    assert dialog.command()[:2] == [sys.executable, "train"]


def _attribute_project(root):
    """Seven done photos with a labelled top and bottom each (patterns and fits), one rejected."""
    import numpy as np
    from PIL import Image

    from fashion_annotator.dataset.store import create_project
    from fashion_annotator.instances.model import Instance, InstanceSet

    rng = np.random.default_rng(5)
    proj = create_project(root / "proj")
    for i in range(7):
        rgb = np.full((240, 160, 3), 220, np.uint8)
        parsing = np.zeros((240, 160), np.uint8)
        parsing[30:110, 40:110], parsing[110:200, 45:105] = 3, 5
        rgb[parsing == 3] = rng.integers(20, 90, 3)
        rgb[parsing == 5] = rng.integers(20, 120, 3)
        path = root / "photos" / f"look{i}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rgb).save(path)
        rec = proj.add_image(path)
        imap = (parsing == 3).astype(np.uint8) + 2 * (parsing == 5).astype(np.uint8)
        insts = {1: Instance(1, 3, "t-shirt", attributes={"pattern": "solid" if i % 2 else "striped"}),
                 2: Instance(2, 5, "pants", attributes={"fit": "loose"})}  # fmt: skip
        proj.save_mask(rec.id, "parsing7", parsing, status="done")
        proj.save_instances(rec.id, InstanceSet(imap, insts))
        if i == 6:
            proj.set_status(rec.id, "rejected")
    return proj


def _clear_attributes(project, sets) -> None:
    """Save the instance sets ``[(image_id, InstanceSet)]`` again with no attribute set."""
    for image_id, iset in sets:
        for inst in iset.instances.values():
            inst.attributes.clear()
        project.save_instances(image_id, iset)


def test_attribute_retrain_counts_labelled_instances_and_trains_from_the_dialog(qtbot, tmp_path):
    """Train > Retrain instance attributes learns from labelled instances, not masks: the
    dialog counts them (a rejected image left out), and a run from it registers new heads."""
    from fashion_annotator.instances.classifier import ATTRIBUTE_TASK

    proj = _attribute_project(tmp_path)
    try:
        dialog = RetrainDialog(proj, ATTRIBUTE_TASK)
        qtbot.addWidget(dialog)
        assert dialog.masks_label.text().startswith("12 labelled instances on 6 images")
        assert "masks" not in dialog.masks_label.text() and dialog.start_button.isEnabled()
        assert dialog.epochs_spin.value() == 40  # a hand test: the dialog ran 1 epoch (the mask rule)
        dialog.epochs_spin.setValue(5)
        dialog.device_combo.setCurrentText("cpu")
        with qtbot.waitSignal(dialog.trainingFinished, timeout=180_000) as signal:
            qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        assert signal.args == ["done"], dialog.log.toPlainText()
        assert [e["epoch"] for e in dialog.events if e["event"] == "epoch"] == [1, 2, 3, 4, 5]
        assert len(proj.models(ATTRIBUTE_TASK)) == 1
        # too few held-out instances for the promotion rule: said before "Use this model" (a
        # hand test: the result looked promotable)
        assert dialog.use_button.text() == "Use this model anyway"
        assert "labelled" in dialog.use_button.toolTip() and "20" in dialog.use_button.toolTip()
    finally:
        proj.close()
    empty = _attribute_project(tmp_path / "none")
    try:
        _clear_attributes(empty, list(empty.iter_instances()))
        dialog = RetrainDialog(empty, ATTRIBUTE_TASK)
        qtbot.addWidget(dialog)
        assert dialog.masks_label.text().startswith("0 labelled instances on 0 images")
        assert "two images or more" in dialog.masks_label.text() and not dialog.start_button.isEnabled()
    finally:
        empty.close()
    few = _attribute_project(tmp_path / "few")
    try:
        _clear_attributes(few, list(few.iter_instances())[2:])
        dialog = RetrainDialog(few, ATTRIBUTE_TASK)
        qtbot.addWidget(dialog)
        assert dialog.masks_label.text().startswith("4 labelled instances on 2 images")
        assert "8 or more of them outside" in dialog.masks_label.text()
        assert not dialog.start_button.isEnabled()
    finally:
        few.close()


def test_a_retrain_on_masks_without_foreground_is_refused_and_the_dialog_says_why(qtbot, tmp_path, ccp_dir):
    """A hand test: a retrain on 10 all-background garment masks trained, compared Dice 0.0000
    with 0.0000 and offered "Use this model"; the trainer refuses it, the dialog says why. (Each
    was a proposal erased: one saved with no proposal shown is left out before, as blank.)"""
    import numpy as np

    from fashion_annotator.core.samples import read_sample
    from fashion_annotator.dataset.store import Project
    from training.data import list_samples, split_samples

    train, _ = split_samples(list_samples(ccp_dir), ccp_dir)
    with Project.create(tmp_path / "empty_masks", tasks=("garment",)) as empty:
        for s in train[:8]:
            record = empty.add_image(s.image)
            shown = np.zeros(read_sample(s)[1].shape, np.uint8)
            shown[10:40, 10:30] = 1
            empty.save_proposal(record.id, "garment", shown, "shipped")
            empty.save_mask(record.id, "garment", np.zeros_like(shown), status="done")
        dialog = RetrainDialog(empty, "garment", extra_args=TINY)
        qtbot.addWidget(dialog)
        wait_counted(qtbot, dialog)
        with qtbot.waitSignal(dialog.trainingFinished, timeout=120_000) as signal:
            qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        assert signal.args == ["failed"]
        assert not any(e["event"] in ("step", "done") for e in dialog.events)
        status = dialog.status_label.text()
        assert "none of the 3 garment masks to train on has a pixel other than background" in status
        assert not dialog.use_button.isEnabled()
        assert empty.models("garment") == []


def test_a_comparison_where_no_val_photo_tells_the_models_apart_is_not_offered_as_better(
    qtbot, project, monkeypatch
):
    """A hand test: both models scored Dice 0.0000 on all 5 val photos (better 0, worse 0) and
    the dialog said "Done: model v1 trained" with the plain "Use this model"."""
    import json

    tie = [0.0] * 5
    done = {"event": "done", "version": 1, "model_path": "v1.safetensors", "promoted": False,
            "comparison": {"new": {"median_dice": 0.0, "per_image_dice": tie},
                           "current": {"median_dice": 0.0, "per_image_dice": tie},
                           "paired": {"n": 5, "better": 0, "worse": 0, "median_gain": 0.0}}}  # fmt: skip
    script = f"print({json.dumps(json.dumps(done))}, flush=True)"
    dialog = RetrainDialog(project, "garment")
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    monkeypatch.setattr(dialog, "command", lambda: [sys.executable, "-c", script])  # a stand-in trainer
    with qtbot.waitSignal(dialog.trainingFinished, timeout=30_000) as signal:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["done"]
    reason = "no val photo tells the two models apart: they score the same on all 5 val photos"
    assert reason + " (median_dice 0.0000 for both)" in dialog.status_label.text()
    assert dialog.use_button.text() == "Use this model anyway" and dialog.use_button.isEnabled()
    assert reason in dialog.use_button.toolTip()


def test_the_plot_follows_the_deciding_figure_and_the_table_lists_only_figures(qtbot, project):
    """A hand test: the garment plot showed "val miou" while median Dice decided; the table mixed
    crop_pass, flip_average, long_side, model_path and version with the figures, and the parsing
    New "version" read "-" for v1."""
    dialog = RetrainDialog(project, "garment", extra_args=TINY)
    qtbot.addWidget(dialog)
    wait_counted(qtbot, dialog)
    dialog.handle_event({"event": "epoch", "epoch": 1, "loss": 0.8,
                         "val": {"garment": {"miou": 0.4, "median_dice": 0.6}}})  # fmt: skip
    assert dialog.plot.right_label == "val median_dice" and dialog.plot.right == [(1.0, 0.6)]
    current = {"miou": 0.95, "median_dice": 0.9545, "per_image_dice": [0.95] * 5, "threshold": 0.6,
               "crop_pass": False, "flip_average": True, "long_side": 512, "crop_long_side": 512,
               "model_path": "/shipped/garment.safetensors", "version": "20261201-000000"}  # fmt: skip
    new = {**current, "median_dice": 0.9581, "threshold": 0.3, "crop_pass": True}
    del new["model_path"], new["version"]
    comparison = {"new": new, "current": current, "current_version": None,
                  "paired": {"n": 5, "better": 3, "worse": 2, "median_gain": 0.001}}  # fmt: skip
    dialog.handle_event({"event": "done", "version": 1, "model_path": "m", "comparison": comparison})
    headers = [dialog.table.horizontalHeaderItem(c).text() for c in range(3)]
    assert headers == ["Figure", "Current (shipped)", "New (v1)"]
    rows = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert rows == ["miou", "median_dice"]
    assert dialog.log.toPlainText().splitlines()[-1] == (
        "Settings: current threshold 0.6, crop pass off, flip average on, long side 512, crop long side 512; "
        "new threshold 0.3, crop pass on, flip average on, long side 512, crop long side 512")
    dialog.handle_event({"event": "done", "version": 4, "model_path": "m", "refit": {"epochs": 2},
                         "comparison": {**comparison, "current_version": 3}})  # fmt: skip
    headers = [dialog.table.horizontalHeaderItem(c).text() for c in range(3)]
    assert headers == ["Figure", "Current (v3)", "New (v4, before refit)"]


def test_the_dialog_counts_its_masks_off_the_gui_thread_and_stops_counting_when_closed(
    qtbot, project, monkeypatch
):
    """Found re-reading session 46's change: the Retrain dialog sorted every saved mask (two
    decodes each; a team project's copied from the server first) on the GUI thread before it
    showed: seconds at a few thousand masks. It shows at once and counts in a thread."""
    import threading

    from fashion_annotator.ui.train import selection_thread

    real = selection_thread.select_training_masks
    release, threads = threading.Event(), []

    def slow(project, task, memo=None, progress=None, copying=None):
        threads.append(threading.current_thread() is threading.main_thread())
        for done in range(1000):
            if release.is_set():
                return real(project, task, progress=progress, copying=copying)
            progress(done, 1000)  # raises once the dialog closed
            release.wait(0.01)
        raise AssertionError("never released nor cancelled")

    monkeypatch.setattr(selection_thread, "select_training_masks", slow)
    dialog = RetrainDialog(project, "garment", extra_args=TINY)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: " / 1000" in dialog.masks_label.text())
    assert dialog.masks_label.text().startswith("Counting the saved Garment cutout masks… ")
    assert not dialog.start_button.isEnabled() and threads == [False]
    assert not dialog.epochs_spin.isEnabled()  # a value typed now was replaced by the count's
    dialog.start()  # a Start before the count is there starts nothing
    assert dialog.process is None
    release.set()
    wait_counted(qtbot, dialog)
    assert "7 corrected Garment cutout masks" in dialog.masks_label.text() and dialog.start_button.isEnabled()
    assert dialog.epochs_spin.isEnabled()

    release.clear()
    closed = RetrainDialog(project, "garment", extra_args=TINY)
    qtbot.addWidget(closed)
    qtbot.waitUntil(lambda: " / 1000" in closed.masks_label.text())
    closed.reject()  # stops the count at its next mask, waits for the thread
    assert closed.count.worker is not None and closed.count.worker.isFinished()
    assert closed.selection is None


def test_closing_the_dialog_while_it_copies_a_team_projects_masks_stops_the_copy(
    qtbot, pg_url, tmp_path, monkeypatch
):
    """Found in review: on a team project the count first copied every saved mask from the
    server in one query (seconds at thousands of masks) and a close waited for all of it; it
    fetches them in batches, copies image by image, and a close stops it at the next image."""
    import shutil
    import threading

    import numpy as np
    from PIL import Image

    from fashion_annotator.dataset.postgres import training_rows
    from fashion_annotator.dataset.postgres.connection import PgConnection
    from fashion_annotator.dataset.store import create_project

    project = create_project(pg_url, user="alice", tasks=("garment",))
    for i in range(6):
        photo = tmp_path / f"{i}.png"
        Image.fromarray(np.random.default_rng(i).integers(0, 256, (24, 32, 3), np.uint8)).save(photo)
        record = project.add_image(photo)
        mask = np.zeros(record.shape, np.uint8)
        mask[4:20, 4 + i : 24] = 1
        project.save_proposal(record.id, "garment", 1 - mask, "1")
        project.save_mask(record.id, "garment", mask, status="done")
    shutil.rmtree(project.root / "masks")  # a desktop that has none of them yet
    monkeypatch.setattr(training_rows, "FETCH_BATCH", 2)
    real_keep, written, copying = PgConnection.keep_local, [], threading.Event()
    dialog = None

    def keep_local(db, path, data):
        if "masks" in path.parts:
            copying.set()  # the first image's mask waits for the close: the copy is under way
            assert dialog is not None and dialog.count.worker._stop.wait(30)
            written.append(path)
        real_keep(db, path, data)

    monkeypatch.setattr(PgConnection, "keep_local", keep_local)
    dialog = RetrainDialog(project, "garment", extra_args=TINY)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(copying.is_set)
    qtbot.waitUntil(lambda: "from the server… 0 / 6" in dialog.masks_label.text())
    assert dialog.masks_label.text() == "Copying the saved Garment cutout masks from the server… 0 / 6"
    dialog.reject()  # stops the copy after that image, waits for the thread
    assert dialog.count.worker is not None and dialog.count.worker.isFinished()
    assert dialog.selection is None and len(written) == 1  # the first image's mask of six
    assert sorted(p for p in (project.root / "masks").rglob("*") if p.is_file()) == sorted(written)
    project.close()
