"""An export clicked while the Review tab still compares the cutout and parsing masks in its
thread waits for that comparison (the window answering, Cancel offered) and takes its figures:
it compared every image again on the GUI thread, 12-26 s of a frozen window at 704 masks."""

from __future__ import annotations

import csv
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressDialog

from fashion_annotator.dataset.store import Project
from fashion_annotator.qa import mask_agreement
from fashion_annotator.ui.review.view import ReviewView

SHAPE = (40, 60)
NAMES = ("good", "fair", "poor", "good2", "fair2", "good3")


def _square(label: int = 1) -> np.ndarray:
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[10:30, 10:30] = label
    return mask


@pytest.fixture
def project(tmp_path: Path):
    """``good*``: a parsing mask that agrees with the cutout; ``fair*``: 20 "shoes" pixels
    outside the 400-pixel cutout, 5%; ``poor``: no parsing mask."""
    with Project.create(tmp_path / "proj", tasks=("garment", "parsing7"), user="rita") as proj:
        for seed, name in enumerate(NAMES):
            path = tmp_path / "src" / f"{name}.png"
            path.parent.mkdir(exist_ok=True)
            Image.fromarray(np.random.default_rng(seed).integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(path)
            image_id = proj.add_image(path).id
            proj.save_proposal(image_id, "garment", _square(), "v1")
            proj.save_mask(image_id, "garment", _square())
            if name != "poor":
                parsing = _square(label=6)
                if name.startswith("fair"):
                    parsing[30:40, 19:21] = 4
                proj.save_mask(image_id, "parsing7", parsing)
        yield proj


@pytest.fixture
def compared(monkeypatch):
    """The threads that compared masks (a slow comparison off the GUI thread: still running
    when the export is asked for)."""
    threads: list[str] = []
    real = mask_agreement.check_masks

    def check_masks(*args, **kwargs):
        main = threading.current_thread() is threading.main_thread()
        threads.append("gui" if main else "worker")
        if not main:
            time.sleep(0.15)
        return real(*args, **kwargs)

    monkeypatch.setattr(mask_agreement, "check_masks", check_masks)
    return threads


def test_an_export_during_the_comparison_waits_for_its_figures(qtbot, project, tmp_path, compared):
    view = ReviewView(project)
    qtbot.addWidget(view)
    assert view.mask_checks.worker is not None, "the comparison is still running"
    assert view.export("csv", str(tmp_path / "qa.csv"))
    assert compared.count("gui") == 0, "no mask compared on the GUI thread"
    assert view.mask_checks.worker is None and compared.count("worker") == 5
    with (tmp_path / "qa.csv").open(newline="", encoding="utf-8") as fh:
        rows = {row["name"]: row for row in csv.DictReader(fh)}
    for name in ("fair", "fair2"):
        assert (rows[f"{name}.png"]["disagreement"], rows[f"{name}.png"]["disagrees"]) == ("0.0500", "1")
    for name in ("good", "good2", "good3"):
        assert (rows[f"{name}.png"]["disagreement"], rows[f"{name}.png"]["disagrees"]) == ("0.0000", "0")
    assert (rows["poor.png"]["disagreement"], rows["poor.png"]["disagrees"]) == ("", "")
    assert view.export("html", str(tmp_path / "qa.html"))
    assert compared.count("gui") == 0
    assert "Garment cutout and Parsing masks: 2 of 5 images compared disagree" in (tmp_path / "qa.html").read_text(
        encoding="utf-8")


def test_an_export_cancelled_while_it_waits_writes_nothing(qtbot, project, tmp_path, compared):
    view = ReviewView(project)
    qtbot.addWidget(view)
    assert view.mask_checks.worker is not None

    def cancel() -> None:
        dialogs = view.findChildren(QProgressDialog)
        if dialogs:
            dialogs[0].cancel()
        else:
            QTimer.singleShot(20, cancel)

    QTimer.singleShot(50, cancel)
    assert not view.export("csv", str(tmp_path / "qa.csv"))
    assert not (tmp_path / "qa.csv").exists()
    assert compared.count("gui") == 0
    view.mask_checks.stop()
