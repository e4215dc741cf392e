"""A cutout and parsing comparison that cannot read the project (its server gone) is tried again
at the next refresh, not at once, and an export waiting for it goes on without its figures,
saying so. A code review: the comparison restarted as it ended (some 270 threads a second, each
logging a traceback), and an export waited for it until cancelled."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressDialog

from fashion_annotator.dataset import store
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.ui.review import mask_checks
from fashion_annotator.ui.review.view import ReviewView
from tests.gui.test_review_export_disagreement import SHAPE, _square


@pytest.fixture
def project(tmp_path: Path):
    """Three images with a parsing mask and a garment cutout; the third's parsing mask has 20
    "shoes" pixels outside the cutout (it disagrees)."""
    with store.Project.create(tmp_path / "proj", tasks=("parsing7", "garment"), user="rita") as proj:
        for i in range(3):
            path = tmp_path / "src" / f"look{i}.png"
            path.parent.mkdir(exist_ok=True)
            Image.fromarray(np.full((*SHAPE, 3), 30 * i, np.uint8)).save(path)
            image_id = proj.add_image(path).id
            parsing = _square(label=6)
            if i == 2:
                parsing[30:40, 19:21] = 4
            proj.save_mask(image_id, "garment", _square())
            proj.save_mask(image_id, "parsing7", parsing)
        yield proj


@pytest.fixture
def threads(monkeypatch) -> list[mask_checks.MaskCheckThread]:
    """Every comparison thread started."""
    started: list[mask_checks.MaskCheckThread] = []
    real = mask_checks.MaskCheckThread.start

    def start(self, *args) -> None:
        started.append(self)
        real(self, *args)

    monkeypatch.setattr(mask_checks.MaskCheckThread, "start", start)
    return started


@pytest.fixture
def server_away(monkeypatch):
    """Opening the project from a thread fails (the server gone); ``back()`` ends that."""
    real = store.open_project

    def failing(root, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            raise ProjectError("the server at db.example closed the connection")
        return real(root, **kwargs)

    monkeypatch.setattr(store, "open_project", failing)

    class Away:
        @staticmethod
        def back() -> None:
            monkeypatch.setattr(store, "open_project", real)

    return Away


def test_a_failed_comparison_waits_for_the_next_refresh(qtbot, project, threads, server_away):
    view = ReviewView(project)
    qtbot.addWidget(view)
    assert len(threads) == 1
    qtbot.waitUntil(lambda: view.mask_checks.worker is None, timeout=20000)  # never, while it restarted
    assert len(threads) == 1, "not started again as it ended"
    assert len(view.mask_checks.failures(view.model.rows())) == 3
    view.set_task("parsing7")  # the rows shown again without a refresh (the same task)
    view.k_spin.setValue(view.k + 1.0)  # the outlier rule: no refresh either
    assert len(threads) == 1 and view.mask_checks.worker is None
    assert view.refresh_shown()  # a refresh tries again
    assert len(threads) == 2
    qtbot.waitUntil(lambda: view.mask_checks.worker is None, timeout=20000)
    assert len(threads) == 2
    server_away.back()
    assert view.refresh_shown()
    qtbot.waitUntil(lambda: view.mask_checks.worker is None and len(threads) == 3, timeout=20000)
    assert not view.mask_checks.failures(view.model.rows())
    flagged = [r for r in view.model.rows() if view.model.flag(r.image_id) is not None]
    assert [r.name for r in flagged] == ["look2.png"]


def _cancel_later(view: ReviewView, ms: int = 20000) -> None:
    """Cancel the view's progress dialogs after ``ms``: a wait that never ends, ended."""
    timer = QTimer(view)  # gone with the view
    timer.setSingleShot(True)
    timer.timeout.connect(lambda: [dialog.cancel() for dialog in view.findChildren(QProgressDialog)])
    timer.start(ms)


def test_an_export_waiting_for_a_failed_comparison_goes_on_and_says_so(qtbot, project, tmp_path, threads,
                                                                        server_away):  # fmt: skip
    view = ReviewView(project)
    qtbot.addWidget(view)
    assert view.mask_checks.worker is not None, "the comparison still runs as the export is asked for"
    _cancel_later(view)
    lines: list[str] = []
    view.exported.connect(lines.append)
    assert view.export("csv", str(tmp_path / "qa.csv"))
    assert len(threads) == 1
    assert len(lines) == 1 and lines[0].startswith(f"CSV of 3 images written to {tmp_path / 'qa.csv'}; ")
    assert ("the cutout and parsing disagreement of 3 images could not be computed (ProjectError: the server "
            "at db.example closed the connection): left blank") in lines[0]  # fmt: skip
    with (tmp_path / "qa.csv").open(newline="", encoding="utf-8") as fh:
        assert {(row["disagreement"], row["disagrees"]) for row in csv.DictReader(fh)} == {("", "")}
    assert view.export("html", str(tmp_path / "qa.html"))
    text = (tmp_path / "qa.html").read_text(encoding="utf-8")
    assert "not compared: the comparison failed (ProjectError: the server at db.example closed" in text
    assert "3 images not compared (the Disagreement column says why)" in text
    assert len(threads) == 1


def test_the_export_s_wait_shows_its_dialog_without_progress(qtbot, project, tmp_path, monkeypatch):
    """A comparison that gives no progress (its connection hangs): the wait's dialog comes up,
    and its Cancel ends the wait (it came after 4 s, and a cancel() not from its button was
    seen only once the comparison ended)."""
    release, hung = threading.Event(), threading.Event()
    real = store.open_project

    def hanging(root, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            release.wait(30)
            hung.set()
        return real(root, **kwargs)

    monkeypatch.setattr(store, "open_project", hanging)
    view = ReviewView(project)
    qtbot.addWidget(view)
    seen: list[tuple[str, bool]] = []  # the dialog's text, and whether the connection still hung

    def look() -> None:
        shown = [d for d in view.findChildren(QProgressDialog) if d.isVisible()]
        if shown:
            seen.append((shown[0].labelText(), not hung.is_set()))
            shown[0].cancel()
        else:
            QTimer.singleShot(50, look)

    QTimer.singleShot(50, look)
    _cancel_later(view)  # had it never shown
    try:
        assert not view.export("csv", str(tmp_path / "qa.csv")), "cancelled"
        assert seen == [("The CSV export waits for the mask comparison.", True)]
        assert not hung.is_set(), "the wait ended with Cancel, not with the comparison"
        assert not (tmp_path / "qa.csv").exists()
    finally:
        release.set()
        view.mask_checks.stop()


def test_a_mask_that_cannot_be_read_is_flagged_in_the_table(qtbot, project):
    """A damaged parsing mask was said only in the log and the export: the table showed the
    photo as if its masks agreed."""
    damaged = next(r for r in project.images() if r.name == "look0.png").id
    path = project.mask_versions(damaged, "parsing7")[-1].path
    path.write_bytes(b"\x89PNG broken")
    view = ReviewView(project)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.mask_checks.worker is None, timeout=20000)
    flag = view.model.flag(damaged)
    assert flag is not None and flag.startswith("Parsing and Garment cutout masks cannot be compared: ")
    assert path.name in flag, flag
    flagged = sorted(r.name for r in view.model.rows() if view.model.flag(r.image_id) is not None)
    assert flagged == ["look0.png", "look2.png"]  # look2's masks disagree


def test_a_comparison_that_failed_is_flagged_until_the_next_refresh(qtbot, project, server_away):
    view = ReviewView(project)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.mask_checks.worker is None, timeout=20000)
    flags = {r.name: view.model.flag(r.image_id) for r in view.model.rows()}
    assert set(flags) == {"look0.png", "look1.png", "look2.png"}
    assert set(flags.values()) == {
        "Parsing and Garment cutout masks not compared: ProjectError: the server at db.example "
        "closed the connection; Refresh (F5) tries again"
    }
