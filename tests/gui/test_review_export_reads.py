"""A Review export reads no mask on the GUI thread: an image without a cutout (or a parsing
mask) is said to have none from the versions the tab read, and a damaged mask's reason comes
from the comparison's thread. A code review: 20 images with only a parsing mask made 40 mask
reads on the GUI thread (each parsing mask decoded before the cutout was found missing)."""

from __future__ import annotations

import csv
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QPushButton

from fashion_annotator.dataset.store import Project
from fashion_annotator.qa import report
from fashion_annotator.ui.review.view import ReviewView
from tests.gui.test_review_export_disagreement import SHAPE, _square

PARSING_ONLY = 20


@pytest.fixture
def project(tmp_path: Path):
    """20 images with only a parsing mask, one with only a cutout, one with both whose cutout
    file is damaged, one with both that agree."""
    with Project.create(tmp_path / "proj", tasks=("parsing7", "garment"), user="rita") as proj:
        tasks = [("parsing7",)] * PARSING_ONLY + [("garment",), ("parsing7", "garment"), ("parsing7", "garment")]
        for i, saved in enumerate(tasks):
            path = tmp_path / "src" / f"look{i:02d}.png"
            path.parent.mkdir(exist_ok=True)
            Image.fromarray(np.full((*SHAPE, 3), 10 * i, np.uint8)).save(path)
            image_id = proj.add_image(path).id
            proj.save_proposal(image_id, "parsing7", _square(6), "v1")
            for task in saved:
                proj.save_mask(image_id, task, _square(6 if task == "parsing7" else 1))
        damaged = proj.mask_versions(image_id - 1, "garment")[-1].path
        damaged.write_bytes(damaged.read_bytes()[:-20])
        yield proj


@pytest.fixture
def gui_reads(monkeypatch) -> list[tuple[int, str]]:
    """The masks read on the GUI thread (image id, task), from when it is asked for."""
    reads: list[tuple[int, str]] = []
    real = Project.load_mask

    def load_mask(self, image_id, task, *args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            reads.append((image_id, task))
        return real(self, image_id, task, *args, **kwargs)

    monkeypatch.setattr(Project, "load_mask", load_mask)
    return reads


def _disagreement(path: Path) -> dict[str, tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["name"]: (row["disagreement"], row["disagrees"]) for row in csv.DictReader(fh)}


def test_an_export_reads_no_mask_on_the_gui_thread(qtbot, project, tmp_path, gui_reads):
    view = ReviewView(project)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.mask_checks.worker is None, timeout=20000)
    gui_reads.clear()  # the scoring's reads of the reviewed task's masks
    assert view.export("csv", str(tmp_path / "qa.csv"))
    assert gui_reads == []
    cells = _disagreement(tmp_path / "qa.csv")
    assert cells["look22.png"] == ("0.0000", "0")
    assert {cells[f"look{i:02d}.png"] for i in (*range(PARSING_ONLY), 21)} == {("", "")}
    assert view.export("html", str(tmp_path / "qa.html"))
    assert gui_reads == [], "the worst images' overlays are read in the report's thread"
    text = (tmp_path / "qa.html").read_text(encoding="utf-8")
    assert text.count("not compared: no Garment cutout mask saved") == PARSING_ONLY
    assert text.count("not compared: cannot be compared: ") == 1  # the damaged cutout
    view.set_task("garment")
    qtbot.waitUntil(lambda: view.mask_checks.worker is None, timeout=20000)
    gui_reads.clear()
    assert view.export("html", str(tmp_path / "garment.html"))
    assert gui_reads == []
    assert "not compared: no Parsing mask saved" in (tmp_path / "garment.html").read_text(encoding="utf-8")


def test_the_html_report_reads_its_overlays_in_a_thread_the_window_answering(qtbot, project, tmp_path,
                                                                             monkeypatch) -> None:  # fmt: skip
    """The worst images' masks are read off the GUI thread (a reader held until the window's
    timer fired proves the event loop ran meanwhile), and the report pictures them."""
    view = ReviewView(project)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.mask_checks.worker is None, timeout=20000)
    threads: list[threading.Thread] = []
    ticked = threading.Event()
    real = Project.load_mask

    def load_mask(self, image_id, task, *args, **kwargs):
        threads.append(threading.current_thread())
        if threading.current_thread() is not threading.main_thread():
            ticked.wait(10)  # the GUI's timer fires only if its event loop runs
        return real(self, image_id, task, *args, **kwargs)

    monkeypatch.setattr(Project, "load_mask", load_mask)
    timer = QTimer(view)
    timer.timeout.connect(ticked.set)
    timer.start(20)
    assert view.export("html", str(tmp_path / "qa.html"))
    timer.stop()
    assert threads, "the overlays read the saved masks"
    assert threading.main_thread() not in threads
    assert ticked.is_set()
    text = (tmp_path / "qa.html").read_text(encoding="utf-8")
    assert text.count('<img alt="look') >= 20 and "no picture" not in text


def test_cancel_stops_the_html_report_at_its_next_image_and_leaves_the_file(qtbot, project, tmp_path,
                                                                          monkeypatch) -> None:  # fmt: skip
    """The busy dialog had no Cancel: on a big project the reviewer waited for every overlay.
    Cancelled midway, the report stops before its next image, the report already at the
    destination is left as it was, and the status line says so."""
    view = ReviewView(project)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.mask_checks.worker is None, timeout=20000)
    pictured: list[int] = []
    real = report.referenced_photo_changed

    def slow(record, root):  # each image's first step in the report's loop
        pictured.append(record.id)
        time.sleep(0.15)
        return real(record, root)

    monkeypatch.setattr(report, "referenced_photo_changed", slow)
    clicked: list[int] = []

    def click_cancel() -> None:
        dialog = view.findChild(QProgressDialog)
        button = None if dialog is None else dialog.findChild(QPushButton)
        if len(pictured) >= 3 and not clicked and button is not None and button.isVisible():
            clicked.append(len(pictured))
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    timer = QTimer(view)
    timer.timeout.connect(click_cancel)
    timer.start(20)
    said: list[str] = []
    view.exported.connect(said.append)
    old = tmp_path / "qa.html"
    old.write_text("last week's report", encoding="utf-8")
    assert not view.export("html", str(old))
    timer.stop()
    assert clicked, "the busy dialog shows a Cancel button"
    assert len(pictured) <= clicked[0] + 1 < 20, "stopped at the next image"
    assert old.read_text(encoding="utf-8") == "last week's report"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["qa.html"], "no half-written file"
    assert said == [f"Report cancelled: nothing written to {old}"]
    fresh = tmp_path / "new.html"
    monkeypatch.setattr(report, "referenced_photo_changed", real)
    assert view.export("html", str(fresh)), "a report after a cancelled one is written whole"
    assert fresh.read_text(encoding="utf-8").count('<img alt="look') >= 20
