"""The Instances panel reads many images' figures in a thread: the Review tab's first visit of a
700-image project froze the window for 7-9 s while every instance map and parsing mask was
decoded in the GUI thread. The figures it shows are those of a read in the GUI thread."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.derive import propose_instances
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.instances.qa import instance_qa_rows
from fashion_annotator.instances.schema import load_instance_taxonomy
from fashion_annotator.ui.review import instance_figures
from fashion_annotator.ui.review.instances import InstanceReviewPanel, attach
from fashion_annotator.ui.review.view import ReviewView
from fashion_annotator.ui.testing import copy_project


def _instances(parsing: np.ndarray, changed: bool) -> InstanceSet:
    """The instances proposed from ``parsing``; ``changed``: the first one's category changed."""
    d = propose_instances(parsing, load_taxonomy("parsing7"), load_instance_taxonomy())
    insts = {k: Instance(k, c, colour="blue") for k, c in enumerate(d.classes, start=1)}
    if changed:
        insts[1].category, insts[1].proposed_category = "romper", "dress"
    return InstanceSet(d.map, insts)


@pytest.fixture
def project(masks_template: Path, tmp_path: Path):
    """Three CCP photos with instances: one with a changed category, one whose parsing mask
    disagrees with some instance pixels, one approved."""
    root = copy_project(masks_template, tmp_path / "project")
    with Project.open(root, user="rita") as proj:
        ids = [r.id for r in proj.images()]
        for n, image_id in enumerate(ids):
            parsing = proj.load_mask(image_id, "parsing7")
            iset = _instances(parsing, changed=n == 0)
            if n == 1:
                ys, xs = np.nonzero(iset.map)
                parsing[ys[:300], xs[:300]] = 1
                proj.save_mask(image_id, "parsing7", parsing)
            proj.save_instances(image_id, iset)
        proj.set_status(ids[2], "approved")
        yield proj


@pytest.fixture
def slow_reads(monkeypatch):
    """Every image is read in a thread, 0.1 s an image at least; yields the ids read so far."""
    real = instance_figures.instance_qa_row
    read: list[int] = []

    def slow(project, record, *args):
        time.sleep(0.1)
        row = real(project, record, *args)
        read.append(record.id)
        return row

    monkeypatch.setattr(instance_figures, "BACKGROUND_READ", 0)
    monkeypatch.setattr(instance_figures, "instance_qa_row", slow)
    return read


def _synchronous(qtbot, project) -> InstanceReviewPanel:
    """A panel that read its figures in the GUI thread, as it does for a few images."""
    panel = InstanceReviewPanel(project)
    qtbot.addWidget(panel)
    panel.refresh()
    assert panel.reading is None
    return panel


def _idle(panel: InstanceReviewPanel) -> bool:
    return panel.reading is None and not panel._threads and panel._queued is None


def test_many_images_are_read_in_a_thread_while_the_window_stays_responsive(qtbot, project, monkeypatch):
    expected = _synchronous(qtbot, project)
    real = instance_figures.instance_qa_row
    monkeypatch.setattr(instance_figures, "BACKGROUND_READ", 0)
    monkeypatch.setattr(instance_figures, "instance_qa_row",
                        lambda *args: time.sleep(0.1) or real(*args))  # fmt: skip
    panel = InstanceReviewPanel(project)
    qtbot.addWidget(panel)
    ticks: list[bool] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(panel.reading is not None))
    timer.start(10)
    started = time.perf_counter()
    panel.refresh()
    assert time.perf_counter() - started < 0.1, "the read ran in the GUI thread"
    assert panel.reading is not None and panel.table.rowCount() == 0
    assert panel.summary.text() == "Reading instance figures… 0/3"
    qtbot.waitUntil(lambda: _idle(panel), timeout=20_000)
    timer.stop()
    assert sum(ticks) >= 5, "the event loop stood still while the figures were read"
    assert panel.rows == expected.rows == instance_qa_rows(project)
    assert panel.summary.text() == expected.summary.text()
    assert panel.table.rowCount() == 3 and {r.category_changed for r in panel.rows} == {0, 1}
    assert {r.inconsistent_pixels > 0 for r in panel.rows} == {True, False}


def test_a_refresh_during_the_read_shows_what_changed_meanwhile(qtbot, project, slow_reads):
    """A colleague changed an image the thread had read, and F5 was pressed: that image is read
    again once the thread ends; a decision's statuses show too."""
    panel = InstanceReviewPanel(project)
    qtbot.addWidget(panel)
    panel.refresh()
    first = project.images()[0].id
    qtbot.waitUntil(lambda: first in slow_reads, timeout=20_000)
    assert panel.reading is not None
    with Project.open(project.root, user="qa2") as colleague:
        iset = colleague.load_instances(first)
        iset.instances[2].category, iset.instances[2].proposed_category = "romper", "dress"
        colleague.save_instances(first, iset)
        colleague.set_status(project.images()[1].id, "rejected")
    panel.follow(project.images(fetch_photos=False), complete=True)  # what F5 sends
    panel.refresh_statuses()  # what a decision sends
    qtbot.waitUntil(lambda: _idle(panel), timeout=20_000)
    assert sorted(slow_reads) == sorted([*slow_reads[:3], first, project.images()[1].id]), "the changed read again"
    with Project.open(project.root, user="qa3") as fresh:
        assert panel.rows == instance_qa_rows(fresh)
    assert next(r for r in panel.rows if r.image_id == first).category_changed == 2
    assert "Rejected" in [panel.table.item(r, 1).text() for r in range(panel.table.rowCount())]


def test_reading_again_gives_up_the_read_running(qtbot, project, slow_reads):
    panel = InstanceReviewPanel(project)
    qtbot.addWidget(panel)
    panel.refresh()
    given_up = panel.reading
    assert given_up is not None
    panel.refresh()
    assert given_up.was_cancelled and panel.reading is not given_up
    qtbot.waitUntil(lambda: _idle(panel), timeout=20_000)
    assert panel.rows == instance_qa_rows(project) and panel.table.rowCount() == 3


def test_closing_the_review_stops_the_read(qtbot, project, slow_reads):
    view = ReviewView(project)
    qtbot.addWidget(view)
    panel = attach(view, project, lambda image_id: None)
    view.refresh()
    thread = panel.reading
    assert thread is not None
    view.close()
    assert thread.was_cancelled and thread.isFinished() and len(slow_reads) < 3
