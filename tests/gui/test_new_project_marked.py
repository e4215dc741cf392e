"""File > New makes its project as ``fashion-annotator new`` does: marked unfinished while the
window adds the photos (a crash half way left a project with some of them that opened as if
complete), and File > New again with the same two folders adds the rest."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import open_project
from fashion_annotator.dataset.unfinished import MARKER_NAME, read_folder, write_mark
from fashion_annotator.ui import app
from fashion_annotator.ui.preferences import Preferences, settings_file

#: Run in a child process: the window's File > New (what its job runs) killed once it added 3 photos.
_KILLED_FILE_NEW = """
import os, signal, sys
from pathlib import Path
from fashion_annotator.dataset.formats import common
from fashion_annotator.ui import app
real, added = common.PhotoAdder.add, []
def add(self, path, copy=True):
    if len(added) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    added.append(path)
    return real(self, path, copy)
common.PhotoAdder.add = add
project, _, pending = app._new_for_window(Path(sys.argv[1]), Path(sys.argv[2]), True)
pending.work(project, None)
"""


def _photos(folder: Path, n: int) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (40, 32, 3), np.uint8)).save(folder / f"look{i:02d}.png")
    return folder


def _switcher(tmp_path: Path) -> app.WindowSwitcher:
    return app.WindowSwitcher(Preferences(settings_file(tmp_path / "switch.ini")))


def test_a_file_new_killed_half_way_says_so_and_file_new_again_adds_the_rest(qtbot, tmp_path):
    photos, root = _photos(tmp_path / "shoot", 6), tmp_path / "shoot-annotations"
    done = subprocess.run([sys.executable, "-c", _KILLED_FILE_NEW, str(photos), str(root)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr
    with pytest.raises(ProjectError, match=r"its creation from .*shoot .* was cut short, so only some of the photos "
                       r"were added; .* \(or, in the window, File > New project from folder with the same two folders\)"):  # fmt: skip
        open_project(root)
    switcher = _switcher(tmp_path)
    assert switcher.switch(lambda: app._new_for_window(photos, root, True))
    window = switcher.window
    qtbot.addWidget(window)
    assert window.files.wait(30000)
    qtbot.waitUntil(lambda: window.queue.model.rowCount() == 6, timeout=30000)
    assert not (root / MARKER_NAME).exists(), "every photo tried: the mark is gone"
    window.close()
    window.project.close()


def test_file_new_is_marked_while_its_photos_are_added_and_a_cancel_unmarks_it(qtbot, tmp_path, monkeypatch):
    """Cancel is the operator's stop, its summary says what was kept: not a creation cut short."""
    root = tmp_path / "shoot-annotations"
    _, window, photos, _, proceed = _held_file_new(qtbot, tmp_path, monkeypatch, root)
    seen: list[list[str]] = []
    window.files.inform = lambda title, lines, wrong: seen.append(lines)
    try:
        making = read_folder(root)
        assert making is not None and making.command == "new" and making.source == str(photos.resolve())
        qtbot.mouseClick(window.status.cancel_button, Qt.MouseButton.LeftButton)
    finally:
        proceed.set()
    assert window.files.wait(30000)
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=30000)
    assert seen[0][0].startswith("Cancelled after 2 of 6 files")
    assert not (root / MARKER_NAME).exists(), "stopped by the operator: the mark is gone"
    window.close()
    window.project.close()
    with open_project(root) as project:
        assert len(project.images()) == 2


def _held_file_new(qtbot, tmp_path, monkeypatch, root: Path):
    """A window's File > New of 6 photos into ``root``, its job held after the second photo:
    ``(switcher, window, photos, reached, proceed)``."""
    photos = _photos(tmp_path / "shoot", 6)
    reached, proceed = threading.Event(), threading.Event()
    real = app.add_photos

    def gated(project, files, copy, progress, summary):
        def wait_then(done: int, total: int) -> None:
            if done == 2:
                reached.set()
                proceed.wait(30)
            progress(done, total)

        return real(project, files, copy, wait_then, summary)

    monkeypatch.setattr(app, "add_photos", gated)
    switcher = _switcher(tmp_path)
    assert switcher.switch(lambda: app._new_for_window(photos, root, True))
    qtbot.addWidget(switcher.window)
    qtbot.waitUntil(reached.is_set, timeout=30000)
    return switcher, switcher.window, photos, reached, proceed


def test_closing_the_window_while_file_new_adds_keeps_the_project_marked(qtbot, tmp_path, monkeypatch):
    """Closing the window (also quitting, a logout, File > Open) is no Cancel: the project, 2 of
    its 6 photos in, opened as if it were finished (a review's repro), in this process too."""
    root = tmp_path / "shoot-annotations"
    _, window, photos, _, proceed = _held_file_new(qtbot, tmp_path, monkeypatch, root)
    threading.Timer(0.5, proceed.set).start()  # the close waits for the job's photo in hand
    try:
        assert window.close()
    finally:
        proceed.set()
    window.project.close()
    making = read_folder(root)
    assert making is not None and making.stopped, "closed half way: the mark stays"
    with pytest.raises(ProjectError, match=r"was cut short, so only some of the photos were added; .* "
                       r"\(or, in the window, File > New project from folder with the same two folders\)"):  # fmt: skip
        open_project(root)
    switcher = _switcher(tmp_path)
    assert switcher.switch(lambda: app._new_for_window(photos, root, True))  # File > New again: the rest
    window = switcher.window
    qtbot.addWidget(window)
    proceed.set()
    assert window.files.wait(30000)
    qtbot.waitUntil(lambda: window.queue.model.rowCount() == 6, timeout=30000)
    assert not (root / MARKER_NAME).exists()
    window.close()
    window.project.close()


def test_a_file_new_job_leaves_alone_the_mark_a_later_file_new_took_over(tmp_path):
    """A second File > New of the same folders takes the mark over (the window switch opens it
    before the first window closes): the first job's end no longer removes it."""
    photos, root = _photos(tmp_path / "shoot", 3), tmp_path / "shoot-annotations"
    project, _, pending = app._new_for_window(photos, root, True)
    assert pending.made is not None
    later = replace(pending.made, started=pending.made.started + 1)
    write_mark(root, later)  # what take_over writes for the second File > New
    try:
        pending.work(project, None)
        assert read_folder(root) == later, "the later File > New's mark stays"
    finally:
        project.close()


def test_file_new_is_logged_as_a_new_project_not_as_add_photos(qtbot, tmp_path, caplog):
    """The log said "Add photos in ..." for File > New: its line now names what ran."""
    photos, root = _photos(tmp_path / "shoot", 2), tmp_path / "shoot-annotations"
    switcher = _switcher(tmp_path)
    with caplog.at_level("INFO", logger="fashion_annotator.ui.file_menu"):
        assert switcher.switch(lambda: app._new_for_window(photos, root, True))
        window = switcher.window
        qtbot.addWidget(window)
        window.files.inform = lambda title, lines, wrong: None
        assert window.files.job is not None and window.files.job.title == "New project from folder shoot"
        assert window.files.wait(30000)
        qtbot.waitUntil(lambda: window.queue.model.rowCount() == 2, timeout=30000)
    logged = [r.getMessage() for r in caplog.records if "photos added" in r.getMessage()]
    assert logged and logged[0].startswith(f"New project from folder shoot in {root.resolve()}: 2 photos added")
    assert not any(r.getMessage().startswith("Add photos") for r in caplog.records)
    window.close()
    window.project.close()
