"""A project's own label set in the real window: its classes, colours and keys, painting, save."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.annotate.overlay import label_lut
from fashion_annotator.ui.annotate.palette_dock import ID_ROLE
from fashion_annotator.ui.testing import (
    CTRL,
    drag,
    open_window,
    press_key,
    shown_mask,
    wait_counted,
)
from fashion_annotator.ui.train.training_dialog import RetrainDialog


def test_a_label_set_is_painted_saved_and_reopened(qtbot, tmp_path: Path, ccp_dir: Path, label_set_file, answers):
    root = tmp_path / "project"
    with Project.create(root, tasks=["garment", label_set_file]) as project:
        project.add_image(ccp_dir / "images" / "0019.jpg")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    try:
        tasks = [b.property("task") for b in window.palette_dock._task_group.buttons()]
        titles = [b.text() for b in window.palette_dock._task_group.buttons()]
        assert tasks == ["garment", "garment_parts"] and titles[1] == "Garment parts"
        window.set_task("garment_parts")
        items = [window.palette_dock.list.item(r) for r in range(window.palette_dock.list.count())]
        assert [i.text() for i in items] == ["background  [1]", "garment  [2]", "label-tag  [3]", "hanger  [4]"]
        assert [i.data(ID_ROLE) for i in items] == [0, 1, 2, 3]
        swatch = items[3].icon().pixmap(18, 18).toImage().pixelColor(9, 9)
        assert (swatch.red(), swatch.green(), swatch.blue()) == (0, 130, 200)
        press_key(qtbot, window, Qt.Key.Key_B)
        window.canvas.set_brush_radius(6)
        press_key(qtbot, window, Qt.Key.Key_3)  # label-tag
        assert window.canvas.label == 2 and window.palette_dock.current == 2
        drag(window, [(100, 200), (200, 200)])
        press_key(qtbot, window, Qt.Key.Key_4)  # hanger
        drag(window, [(100, 260), (200, 260)])
        painted = shown_mask(window).copy()
        assert painted[200, 100:201].tolist() == [2] * 101 and painted[260, 150] == 3
        colours = np.array([c["color"] for c in json.loads(label_set_file.read_text())["classes"]], np.uint8)
        np.testing.assert_array_equal(window.canvas._overlay.lut, label_lut(colours))  # the file's colours
        press_key(qtbot, window, Qt.Key.Key_S, CTRL)
        assert window.status.saved.text() == "Saved"
        image_id = window.session.image_id
        np.testing.assert_array_equal(project.load_mask(image_id, "garment_parts"), painted)
    finally:
        window.close()
        project.close()
    again, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    try:
        again.set_task("garment_parts")
        np.testing.assert_array_equal(shown_mask(again), painted)
        assert again.palette_dock.list.item(2).text() == "label-tag  [3]"
    finally:
        again.close()
        project.close()


def test_the_retrain_menu_trains_a_label_set_and_the_window_proposes_with_it(
    qtbot, tmp_path: Path, label_set_project: Path, answers
):
    window, project = open_window(qtbot, label_set_project, tmp_path / "settings.ini", answers)
    try:
        window.set_task("garment_parts")
        qtbot.waitUntil(lambda: window.status.model.text() == "no model", timeout=30_000)
        window.actions_by_name["train"].trigger()  # Train > Retrain model...
        (dialog,) = window.findChildren(RetrainDialog)
        wait_counted(qtbot, dialog)
        assert dialog.task == "garment_parts" and dialog.windowTitle() == "Retrain Garment parts"
        dialog.extra_args = ["--model-size", "tiny", "--input-size", "64", "48", "--init", "scratch",
                             "--lr", "0.02", "--patience", "100", "--threads", "1"]  # fmt: skip
        dialog.epochs_spin.setValue(40)
        dialog.device_combo.setCurrentText("cpu")
        with qtbot.waitSignal(dialog.trainingFinished, timeout=120_000) as finished:
            qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        assert finished.args == ["done"], dialog.log.toPlainText()
        version = dialog.outcome["version"]
        assert dialog.events[-1]["comparison"]["new"]["miou"] > 0.5
        with qtbot.waitSignal(dialog.modelPromoted) as promoted:
            qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
        assert promoted.args == ["garment_parts", version]
        assert window.status.currentMessage() == f"Now proposing with Garment parts model v{version}"
        doc = window.session.current.doc
        qtbot.waitUntil(lambda: doc.proposals["garment_parts"] is not None, timeout=30_000)
        proposal = doc.proposals["garment_parts"]
        truth = project.load_mask(window.session.image_id, "garment_parts")
        assert (proposal == truth).mean() > 0.85
        dialog.close()
    finally:
        window.close()
        project.close()
