"""Train > Retrain while a background retrain runs: one training at a time, and a greyed Start
says why.

A hand test: with the background retrain on, a save started a retrain of the garment model and
Train > Retrain > Start started a second one beside it (two trainings on the 2 cores, both
registering a garment model); and a greyed Start (too few masks, the count going on) said
nothing of why. Now Start asks to stop the background run first (Cancel keeps it and starts
nothing), the background retrainer starts nothing while the dialog's run goes on, and a greyed
Start's tooltip names the reason. The trainers are the real child, on a tiny network.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.testing import drag, wait_counted, wait_ready
from fashion_annotator.ui.train.training_dialog import RetrainDialog
from fashion_annotator.ui.window_dialogs import show_training
from tests.gui.test_background_retrain_each_task import (  # noqa: F401 - the fixture
    _correct_shown_mask,
    _switch_on,
    window_with_masks,
)

#: A tiny network on 64x48 inputs, from scratch.
TINY = ["--model-size", "tiny", "--input-size", "64", "48", "--init", "scratch"]


def test_start_asks_to_stop_a_background_retrain_which_then_waits_for_the_dialog(
    qtbot, window_with_masks  # noqa: F811 - the fixture imported above
):
    window, project = window_with_masks
    wait_ready(qtbot, window)
    retrainer = window.retrainer
    retrainer.extra_args = [*TINY, "--epochs", "500"]
    _switch_on(window, 1)
    _correct_shown_mask(window)  # the save starts the garment model's background retrain
    assert retrainer.running and retrainer.task == "garment"
    qtbot.waitUntil(lambda: retrainer.bar.maximum() > 0, timeout=120_000)
    dialog = show_training(window, "garment")
    dialog.extra_args = TINY
    wait_counted(qtbot, dialog)
    dialog.epochs_spin.setValue(500)
    asked: list[str] = []
    dialog.ask_stop_background = lambda message: asked.append(message) or False  # Cancel
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1
    assert asked[0].startswith("A background retrain of Garment cutout is running (")
    assert asked[0].endswith(" %). Stop it and start this one?")
    assert dialog.process is None and retrainer.running  # kept; nothing started

    outcomes: list[str] = []
    retrainer.finished.connect(outcomes.append)
    dialog.ask_stop_background = lambda message: asked.append(message) or True  # Stop it
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 2 and outcomes == ["stopped"] and not retrainer.running
    assert window.status.currentMessage() == (
        "Background retrain of the Garment cutout model stopped; no model was registered")
    assert dialog.process is not None
    assert dialog.start_button.toolTip() == "A retrain is running; Cancel stops it"

    window.set_task("parsing7")  # a parsing correction reaches its count too: nothing starts
    wait_ready(qtbot, window)
    _correct_shown_mask(window)
    assert not retrainer.running

    with qtbot.waitSignal(dialog.trainingFinished, timeout=60_000):
        dialog.cancel()
    assert dialog.start_button.isEnabled() and dialog.start_button.toolTip() == ""
    window.set_label(2)  # another correction of the parsing mask: the next save checks again
    drag(window, [(40, 40), (120, 40)])
    assert window.save()
    assert retrainer.running and retrainer.task == "garment"  # cancelled: its count stands
    retrainer.stop()
    assert project.models("garment") == [] and project.models("parsing7") == []


def test_a_greyed_start_says_why(qtbot, tmp_path, ccp_dir, ccp_splits):
    """Three masks are too few to hold some out: Start is greyed, its tooltip says so."""
    from fashion_annotator.core.label_images import load_mask
    from fashion_annotator.core.labels import mapping_from_taxonomies_json

    mapping = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "garment")
    with Project.create(tmp_path / "few", tasks=("garment",)) as few:
        for stem in ccp_splits["train"][:3]:
            record = few.add_image(ccp_dir / "images" / f"{stem}.jpg")
            labels = load_mask(ccp_dir / "masks" / f"{stem}.png", shape=record.shape)
            few.save_mask(record.id, "garment", mapping.lut[labels].astype(np.uint8), status="done")
        dialog = RetrainDialog(few, "garment", extra_args=TINY)
        qtbot.addWidget(dialog)
        if dialog.selection is None:
            assert not dialog.start_button.isEnabled()
            assert dialog.start_button.toolTip() == "The saved masks are still being counted"
            assert dialog.status_label.text() == "Not ready: The saved masks are still being counted"
        wait_counted(qtbot, dialog)
        assert not dialog.start_button.isEnabled()
        assert dialog.start_button.toolTip().startswith("Too few masks (3) to hold some out")
        # the status line says why too (a hand test: it read "Ready" under the greyed Start)
        assert dialog.status_label.text() == f"Not ready: {dialog.start_button.toolTip()}"
        dialog.count.stop()
