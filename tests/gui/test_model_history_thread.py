"""Train > Model history compares the proposals with the saved masks in a thread: the dialog
opens, its versions table filled, before the figures come (on a team project the comparison read
the server in the GUI thread, the window frozen), and closing it stops the comparison."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.store import create_project
from fashion_annotator.ui.testing import PHOTOS, add_tiny_model
from fashion_annotator.ui.train import model_history
from fashion_annotator.ui.train.model_history import MEASURING, ModelHistoryDialog


def _saved_from_proposals(project) -> None:
    """Two images whose masks were saved from the proposal shown (v2's)."""
    for record in project.images(status="new")[:2]:
        mask = np.zeros(record.shape, np.uint8)
        mask[10:60, 20:90] = 1
        project.save_proposal(record.id, "garment", mask, "v2")
        project.save_mask(record.id, "garment", mask, status="done")


def test_the_dialog_opens_before_the_figures_come(qtbot, loop_project, tmp_path, monkeypatch) -> None:
    add_tiny_model(loop_project, tmp_path)
    _saved_from_proposals(loop_project)
    real = model_history.proposal_quality
    gate = threading.Event()
    ran_in: list[int] = []

    def slow_server(project, task, problems=None, progress=None):
        ran_in.append(threading.get_ident())
        assert gate.wait(30), "never released"
        return real(project, task, problems, progress)

    monkeypatch.setattr(model_history, "proposal_quality", slow_server)
    dialog = ModelHistoryDialog(loop_project, "garment")  # returns while the comparison waits
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: ran_in != [])
    assert dialog.models.rowCount() == 1, "the versions table is there at once"
    assert dialog.summary.text() == MEASURING and dialog.quality.rowCount() == 0
    assert ran_in != [threading.get_ident()], "compared off the GUI thread"
    gate.set()
    qtbot.waitUntil(lambda: dialog.quality_thread is None, timeout=30_000)
    versions = [dialog.quality.item(r, 0).text() for r in range(dialog.quality.rowCount())]
    assert "v2" in versions and dialog.summary.text() != MEASURING
    assert dialog.quality_rows[versions.index("v2")].median == pytest.approx(1.0)


def test_closing_stops_the_comparison_between_two_images(qtbot, loop_project, monkeypatch) -> None:
    started = threading.Event()
    steps: list[int] = []

    def endless(project, task, problems=None, progress=None):
        started.set()
        while True:  # an image compared every 10 ms until the cancel raises in progress()
            time.sleep(0.01)
            steps.append(1)
            progress(len(steps), 10**6)

    monkeypatch.setattr(model_history, "proposal_quality", endless)
    dialog = ModelHistoryDialog(loop_project, "garment")
    qtbot.addWidget(dialog)
    dialog.show()
    assert started.wait(30)
    thread = dialog.quality_thread
    assert thread is not None
    began = time.monotonic()
    dialog.close()
    assert time.monotonic() - began < 2 and thread.isFinished()
    assert dialog.summary.text() == MEASURING and dialog.quality.rowCount() == 0, "no figures after the close"


def test_a_team_projects_figures_come_from_the_thread(qtbot, pg_url, ccp_dir: Path) -> None:
    with create_project(pg_url, user="lead", tasks=("garment",)) as project:
        for stem in PHOTOS:
            project.add_image(ccp_dir / "images" / f"{stem}.jpg")
        _saved_from_proposals(project)
        dialog = ModelHistoryDialog(project, "garment")
        qtbot.addWidget(dialog)
        assert dialog.summary.text() == MEASURING
        qtbot.waitUntil(lambda: dialog.quality_thread is None, timeout=30_000)
        assert [(q.model_version, q.n_images, q.median) for q in dialog.quality_rows] == [("v2", 2, 1.0)]
        assert dialog.quality.item(0, 0).text() == "v2"
        assert dialog.summary.text().startswith("One model version (v2) made proposals")
        dialog.close()


def test_closing_the_window_stops_an_open_dialogs_comparison(opened, qtbot, monkeypatch) -> None:
    from fashion_annotator.ui.train import loop_menu

    window, _project = opened
    started = threading.Event()

    def endless(project, task, problems=None, progress=None):
        started.set()
        while True:
            time.sleep(0.01)
            progress(0, 10**6)

    monkeypatch.setattr(model_history, "proposal_quality", endless)
    dialog = loop_menu.show_history(window)
    assert started.wait(30)
    thread = dialog.quality_thread
    assert thread is not None
    assert window.close()
    assert thread.isFinished(), "stopped and waited for before the window goes"
