"""Review's "Re-score with current model" cancelled: the button says so at once and the
thread stops after the image in hand (it went on for a batch of 8 model runs, ~70 s under
load, with no sign); a new run's progress starts at 0."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import Qt

from fashion_annotator.dataset.store import Project
from fashion_annotator.models.unet import UNet
from fashion_annotator.models.weights import save_model
from fashion_annotator.qa import scores as qa_scores
from fashion_annotator.ui.review.table import ROW_ROLE
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (40, 60)


def _square() -> np.ndarray:
    mask = np.zeros(SHAPE, np.uint8)
    mask[10:30, 10:30] = 1
    return mask


@pytest.fixture
def view(qtbot, tmp_path: Path):
    with Project.create(tmp_path / "proj", tasks=("garment",), user="rita") as project:
        rng = np.random.default_rng(0)
        (tmp_path / "src").mkdir()
        for i in range(6):
            path = tmp_path / "src" / f"look{i}.png"
            Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
            image_id = project.add_image(path).id
            project.save_proposal(image_id, "garment", _square(), "v1")
            project.save_mask(image_id, "garment", _square())
        torch.manual_seed(0)
        arch = {"in_ch": 3, "out_ch": 1, "base": 4, "depth": 2}
        meta = {"task": "garment", "classes": ["background", "garment"], "arch": arch,
                "input_size": [32, 48], "mean": [0.5] * 3, "std": [0.25] * 3, "threshold": 0.5,
                "version": "9", "date": "2026-01-01", "training_data_fingerprint": "0",
                "trained_on": [], "metrics": {}}  # fmt: skip
        model = tmp_path / "m.safetensors"
        save_model(model, UNet(**arch).eval(), meta)
        project.register_model("garment", model, {}, [], activate=True)
        widget = ReviewView(project)
        qtbot.addWidget(widget)
        widget.show()
        yield widget
        qtbot.waitUntil(lambda: widget.rescore_thread is None, timeout=60000)


def test_cancel_is_shown_at_once_and_stops_after_the_image_in_hand(view, qtbot, monkeypatch):
    runs: list[int] = []
    in_model, proceed = threading.Event(), threading.Event()
    real = qa_scores.propose_for_image

    def slow_model(*args, **kwargs):
        runs.append(1)
        if len(runs) == 2:  # the second image's model run is in hand when Cancel is clicked
            in_model.set()
            proceed.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(qa_scores, "propose_for_image", slow_model)
    view.progress.setMaximum(704)  # a previous run's end
    view.progress.setValue(704)
    view.progress.setFormat("704/704")
    view.start_rescore()
    assert view.progress.value() == 0 and view.progress.format().startswith("0/"), "a new run starts at 0"
    qtbot.waitUntil(in_model.is_set, timeout=60000)
    qtbot.mouseClick(view.rescore_button, Qt.MouseButton.LeftButton)
    assert view.rescore_button.text() == "Cancelling…" and not view.rescore_button.isEnabled()
    proceed.set()
    qtbot.waitUntil(lambda: view.rescore_thread is None, timeout=60000)
    assert len(runs) == 2, "stopped right after the model run in hand, not at the batch's end"
    assert view.rescore_button.text() == "Re-score with current model" and view.rescore_button.isEnabled()
    rows = [view.proxy.index(r, 0).data(ROW_ROLE) for r in range(view.proxy.rowCount())]
    cancelled = [r for r in rows if "not re-scored (the re-score was cancelled)" in r.problem]
    assert len(rows) == 6 and len(cancelled) == 4
