"""Restarting on a large photo: its preview and saved mask are read in a worker, the window
painting and saying "Loading photo NAME…" meanwhile (a 6000x9000 JPEG open last showed a blank,
frozen window for 15-18 s, both decoded on the GUI thread before it first painted).

The photo is generated at 1500 x 2250 with the preview threshold lowered to 1 MP (the path a
54-megapixel photo takes, at a test's cost); the reader is held by an event the window's own
timer sets, so the test passes only if the event loop runs while the photo is read.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QTimer

from fashion_annotator.annotate import session
from fashion_annotator.core import images
from fashion_annotator.dataset.store import Project, open_project
from fashion_annotator.ui.annotate.proposal_source import ProposalSource
from fashion_annotator.ui.main_window import MainWindow
from fashion_annotator.ui.preferences import Preferences, settings_file
from fashion_annotator.ui.testing import wait_ready

WH = (1500, 2250)


@pytest.fixture(autouse=True)
def small_thresholds(monkeypatch):
    monkeypatch.setattr(images, "PREVIEW_MIN_PIXELS", 1_000_000)
    monkeypatch.setattr(images, "PREVIEW_SIDE", 500)


@pytest.fixture
def project_root(tmp_path):
    """A small photo first in the list and the large one open last, with a saved mask."""
    w, h = WH
    y, x = np.mgrid[:h, :w]
    big = np.dstack([(x * 255 // w), (y % 256), ((x + y) % 200)]).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "a_small.jpg"), big[::4, ::4, ::-1].copy())
    cv2.imwrite(str(tmp_path / "z_huge.jpg"), big[..., ::-1].copy())
    root = tmp_path / "project"
    with Project.create(root, tasks=("parsing7",)) as project:
        project.add_image(tmp_path / "a_small.jpg")
        huge = project.add_image(tmp_path / "z_huge.jpg").id
        mask = np.zeros((h, w), np.uint8)
        mask[500:1800, 400:1100] = 3
        project.save_mask(huge, "parsing7", mask)
    prefs = Preferences(settings_file(tmp_path / "settings.ini"))
    prefs.set_last_image(root, huge)
    prefs.set_last_task(root, "parsing7")
    prefs.sync()
    return root, huge


def _window(qtbot, project, tmp_path: Path, answers) -> MainWindow:
    """A main window on ``project`` (no models: a known empty mask), not started nor shown."""
    window = MainWindow(project, Preferences(settings_file(tmp_path / "settings.ini")),
                        ask_restore=answers.ask_restore, ask_quit=answers.ask_quit,
                        ask_lease_held=answers.ask_lease_held, ask_stop=answers.ask_stop,
                        proposals=ProposalSource(project, use_shipped=False))  # fmt: skip
    qtbot.addWidget(window)
    return window


def test_restarting_on_a_large_photo_paints_and_says_it_loads(qtbot, tmp_path, project_root, answers,
                                                              monkeypatch) -> None:  # fmt: skip
    root, huge = project_root
    held = threading.Event()
    readers: list[bool] = []
    real = session.load_preview

    def slow_preview(path, *args, **kwargs):
        readers.append(threading.current_thread() is threading.main_thread())
        held.wait(3)  # set by the window's timer: only if its event loop runs meanwhile
        return real(path, *args, **kwargs)

    monkeypatch.setattr(session, "load_preview", slow_preview)
    project = open_project(root, user="alice")
    window = _window(qtbot, project, tmp_path, answers)
    window.resize(1200, 800)
    window.show()
    seen: list[tuple[bool, str]] = []

    def tick() -> None:
        seen.append((window.status.isVisible(), window.status.currentMessage()))
        if len(seen) >= 3:
            held.set()

    timer = QTimer(window)
    timer.timeout.connect(tick)
    timer.start(10)
    window.start()
    timer.stop()
    assert readers == [False], "the preview is decoded in a worker, not on the GUI thread"
    assert held.is_set() and len(seen) >= 3, "the window's timer fired while the photo was read"
    assert seen[0] == (True, "Loading photo z_huge.jpg…")
    assert window.session.image_id == huge
    doc = window.session.current.doc
    assert not doc.photo_ready and doc.preview is not None, "the preview shown first"
    assert int(doc.masks["parsing7"][1000, 700]) == 3 and window.canvas.document is doc
    assert "Loading photo" not in window.status.currentMessage()
    wait_ready(qtbot, window)
    assert window.session.current.doc.photo_ready and window.canvas._photo._image.width() == WH[0]
    window.close()
    project.close()


def test_a_large_photo_whose_saved_mask_is_damaged_opens_with_the_readable_one(qtbot, tmp_path, project_root,
                                                                               answers) -> None:  # fmt: skip
    """The worker's read of a damaged mask is passed over: the GUI thread reads the newest
    readable version as before, and says so."""
    root, huge = project_root
    with open_project(root, user="alice") as project:
        newer = np.zeros((WH[1], WH[0]), np.uint8)
        project.save_mask(huge, "parsing7", newer)
        damaged = project.mask_versions(huge, "parsing7")[-1].path
    damaged.write_bytes(damaged.read_bytes()[:-20])
    from fashion_annotator.ui.testing import open_window

    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    assert window.session.image_id == huge
    assert int(window.session.current.doc.masks["parsing7"][1000, 700]) == 3, "version 1, the readable one"
    window.close()
    project.close()


def test_a_large_photo_that_cannot_be_opened_leaves_the_open_one_loading(qtbot, tmp_path, project_root,
                                                                         answers) -> None:  # fmt: skip
    """The open photo's full pixels, dropped while another was read, are asked for again when
    that one cannot be opened: the operator stays on a photo that finishes loading."""
    from fashion_annotator.ui.testing import open_window

    root, huge = project_root
    broken = tmp_path / "z_huge2.jpg"
    cv2.imwrite(str(broken), cv2.imread(str(tmp_path / "z_huge.jpg"))[::-1].copy())
    with open_project(root, user="alice") as project:
        other = project.add_image(broken).id
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    try:
        assert window.session.image_id == huge
        window.session.close_image()
        assert window.open_image(huge)
        assert not window.session.current.doc.photo_ready
        stored = project.image_path(other)
        stored.write_bytes(b"not a photo")  # damaged outside the program: it cannot be read
        assert not window.open_image(other)
        assert window.session.image_id == huge
        wait_ready(qtbot, window)
        assert window.session.current.doc.photo_ready, "the open photo's full pixels came after all"
    finally:
        window.close()
        project.close()


def test_opening_a_large_photo_does_not_sweep_the_project(qtbot, tmp_path, project_root, answers,
                                                          monkeypatch) -> None:  # fmt: skip
    """The worker reads the large photo's mask on a read-only connection: opened for writing,
    each opening swept the folder's leftovers (seconds at 15,000 files) and looked for moved
    photos again."""
    root, huge = project_root
    project = open_project(root, user="alice")
    window = _window(qtbot, project, tmp_path, answers)
    swept: list[Path] = []
    real = Project._sweep

    def counted_sweep(self) -> None:
        swept.append(self.root)
        real(self)

    monkeypatch.setattr(Project, "_sweep", counted_sweep)
    window.show()
    window.start()
    try:
        assert window.session.image_id == huge
        doc = window.session.current.doc
        assert doc.preview is not None and int(doc.masks["parsing7"][1000, 700]) == 3
        assert swept == [], "opening a photo sweeps nothing"
        wait_ready(qtbot, window)
        assert window.session.current.doc.photo_ready
    finally:
        window.close()
        project.close()


def test_next_free_while_a_photo_loads_leaves_no_image_locked(qtbot, tmp_path, project_root, answers,
                                                              monkeypatch) -> None:  # fmt: skip
    """Ctrl+Shift+N while a large photo loads is refused ("Still loading…"); the image it claimed
    was left leased, and colleagues could not take it for a minute."""
    root, huge = project_root
    held = threading.Event()
    real = session.load_preview

    def slow_preview(path, *args, **kwargs):
        held.wait(5)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(session, "load_preview", slow_preview)
    project = open_project(root, user="alice")
    small = next(r.id for r in project.images() if r.id != huge)
    window = _window(qtbot, project, tmp_path, answers)
    window.show()
    answered: list[bool] = []

    def next_free() -> None:
        answered.append(window.open_next_free())
        held.set()

    QTimer.singleShot(50, next_free)
    window.start()
    try:
        assert answered == [False] and window.session.image_id == huge
        assert project.lease(small) is None, "the refused claim is given back"
        with open_project(root, user="bob") as bob:
            bob.acquire_lease(small)  # a colleague takes it at once
            bob.release_lease(small)
    finally:
        window.close()
        project.close()


def test_a_new_job_generation_during_the_read_does_not_wait_for_stale_jobs(qtbot, tmp_path, project_root, answers,
                                                                           monkeypatch) -> None:  # fmt: skip
    """A new generation begun while the photo is read (a lost lease closes the image) dropped
    the read: the window waited for every other job, stale ones included, then read the photo
    again on the GUI thread."""
    root, huge = project_root
    held, stale_done = threading.Event(), threading.Event()
    readers: list[bool] = []
    real = session.load_preview

    def slow_preview(path, *args, **kwargs):
        readers.append(threading.current_thread() is threading.main_thread())
        held.wait(5)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(session, "load_preview", slow_preview)
    project = open_project(root, user="alice")
    window = _window(qtbot, project, tmp_path, answers)
    window.show()

    def new_generation() -> None:
        window.session.jobs.submit("slow", huge, stale_done.wait, 20)  # a stale proposal, say
        window.session.jobs.next_generation()
        held.set()

    QTimer.singleShot(50, new_generation)
    try:
        window.start()
        assert not stale_done.is_set(), "the open did not wait for the stale job"
        assert readers == [False], "the photo was read once, in the worker"
        assert window.session.image_id == huge and window.session.current.doc.preview is not None
    finally:
        stale_done.set()
        window.close()
        project.close()
