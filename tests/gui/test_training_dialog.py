"""The retrain dialog: events turned into progress, plot and table; real training runs and cancel."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from fashion_annotator.core.images import load_mask
from fashion_annotator.core.labels import apply_mapping, mapping_from_taxonomies_json
from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.train.training_dialog import RetrainDialog, format_eta

# A tiny network on 64x48 inputs, from scratch (not from a shipped default's size), keeps a real
# training run to a few seconds.
TINY = ["--model-size", "tiny", "--input-size", "64", "48", "--init", "scratch"]


class FakeProject:
    """Just what the dialog touches, recording promotions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = root
        self.promoted: list[tuple[str, int]] = []
        self.models = self  # the part the dialog promotes through: project.models.set_active

    def training_items(self, task: str) -> list:
        return [(1, Path("a.jpg"), Path("a.png"))] * 3

    def set_active(self, task: str, version: int) -> None:
        self.promoted.append((task, version))


@pytest.fixture
def project(tmp_path, ccp_dir, ccp_splits):
    """A project of four CCP photos with their garment masks marked done."""
    proj = Project.create(tmp_path / "proj", tasks=("garment",))
    mapping = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "garment")
    for stem in ccp_splits["train"][:4]:
        record = proj.add_image(ccp_dir / "images" / f"{stem}.jpg")
        mask = apply_mapping(load_mask(ccp_dir / "masks" / f"{stem}.png"), mapping)
        proj.save_mask(record.id, "garment", mask)
        proj.set_status(record.id, "done")
    yield proj
    proj.close()


def test_format_eta():
    assert format_eta(None) == "ETA --"
    assert format_eta(float("nan")) == "ETA --"
    assert format_eta(42.4) == "ETA 42 s"
    assert format_eta(125) == "ETA 2 min 05 s"
    assert format_eta(3 * 3600 + 120) == "ETA 3 h 02 min"


def test_events_drive_progress_plot_and_table(qtbot, tmp_path):
    project = FakeProject(tmp_path)
    dialog = RetrainDialog(project, "garment", extra_args=TINY)
    qtbot.addWidget(dialog)
    assert "3 corrected garment masks" in dialog.masks_label.text()
    dialog.epochs_spin.setValue(2)
    assert dialog.command() == [
        sys.executable, "-m", "fashion_annotator", "train", "--project", str(tmp_path), "--task", "garment",
        "--epochs", "2", "--device", "auto", "--json-progress", *TINY,
    ]  # fmt: skip
    dialog._epochs_total = 2
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
    dialog.plot.grab()  # paints without error
    comparison = {"new": {"miou": 0.5, "dice": 0.6}, "current": {"miou": 0.45, "dice": None}}
    dialog.handle_event(
        {"event": "done", "version": 3, "model_path": "m", "comparison": comparison}
    )
    cells = [
        [dialog.table.item(r, c).text() for c in range(3)] for r in range(dialog.table.rowCount())
    ]
    assert cells == [["miou", "0.4500", "0.5000"], ["dice", "-", "0.6000"]]
    with qtbot.waitSignal(dialog.modelPromoted) as signal:
        dialog.use_model()
    assert signal.args == ["garment", 3]
    assert project.promoted == [("garment", 3)]


def test_unparseable_lines_go_to_the_log(qtbot, tmp_path):
    dialog = RetrainDialog(FakeProject(tmp_path), "garment")
    qtbot.addWidget(dialog)
    dialog._handle_line("Traceback (most recent call last):")
    dialog._handle_line('{"no_event": 1}')
    assert dialog.events == []
    dialog._handle_line('{"event": "info", "message": "no current garment model; from scratch"}')
    assert [e["event"] for e in dialog.events] == ["info"]
    log = dialog.log.toPlainText()
    assert "Traceback" in log and "info: no current garment model" in log


def test_failing_process_reports_failure(qtbot, tmp_path):
    dialog = RetrainDialog(FakeProject(tmp_path), "garment", extra_args=["--no-such-option"])
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.trainingFinished, timeout=60_000) as signal:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["failed"]
    assert "failed" in dialog.status_label.text()
    assert "--no-such-option" in dialog.log.toPlainText()
    assert not dialog.use_button.isEnabled() and dialog.start_button.isEnabled()


def test_real_training_run_then_use_this_model(qtbot, project):
    dialog = RetrainDialog(project, "garment", extra_args=TINY)
    qtbot.addWidget(dialog)
    assert "4 corrected garment masks" in dialog.masks_label.text()
    dialog.epochs_spin.setValue(2)
    dialog.device_combo.setCurrentText("cpu")
    with qtbot.waitSignal(dialog.trainingFinished, timeout=120_000) as signal:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        assert not dialog.start_button.isEnabled() and dialog.cancel_button.isEnabled()
    assert signal.args == ["done"], dialog.log.toPlainText()
    kinds = [e["event"] for e in dialog.events]
    assert kinds.index("start") < kinds.index("step") and kinds[-1] == "done"
    assert "step" in kinds and kinds.count("epoch") == 2
    assert len(dialog.plot.left) == 2
    assert dialog.progress.value() == dialog.progress.maximum()
    assert dialog.table.rowCount() > 0
    version = dialog.result["version"]
    assert [m.version for m in project.models("garment")] == [version]
    assert dialog.use_button.isEnabled()
    with qtbot.waitSignal(dialog.modelPromoted) as promoted:
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert promoted.args == ["garment", version]
    assert project.active_model("garment").version == version


def test_cancel_ends_the_process_and_registers_nothing(qtbot, project):
    dialog = RetrainDialog(project, "garment", extra_args=TINY)
    qtbot.addWidget(dialog)
    dialog.epochs_spin.setValue(500)
    dialog.device_combo.setCurrentText("cpu")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(e["event"] == "step" for e in dialog.events), timeout=60_000)
    with qtbot.waitSignal(dialog.trainingFinished, timeout=60_000) as signal:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["cancelled"]
    assert dialog.events[-1]["event"] == "cancelled"  # a clean stop on SIGTERM, not a kill
    assert dialog.process is None
    assert "no model was registered" in dialog.status_label.text()
    assert project.models("garment") == []
    assert project.active_model("garment") is None
    assert not dialog.use_button.isEnabled()


def test_frozen_bundle_runs_the_trainer_through_its_own_executable(tmp_path, monkeypatch, qtbot):
    # In a PyInstaller bundle sys.executable is the app itself: no "-m fashion_annotator".
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    dialog = RetrainDialog(FakeProject(tmp_path), "garment")
    qtbot.addWidget(dialog)
    assert dialog.command()[:2] == [sys.executable, "train"]
