"""The sweep of an opening project and the writes other processes have in flight: a click log
or a model's meta is written outside the index's write lock, so its temp file is swept only once
its write is over (its writer dead, or the file hours old)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core import atomic
from fashion_annotator.dataset.click_logs import read_click_log, write_click_log
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.reliability

SHAPE = (24, 32)
CLICKS = [{"kind": "click", "y": 5.0, "x": 6.0, "positive": True, "label": 1}]
#: A child that starts a write under ``argv[1]`` and dies before it ends (as SIGKILL would).
DIES_WRITING = """
import os, sys
from pathlib import Path
from fashion_annotator.core.atomic import atomic_path
with atomic_path(Path(sys.argv[1])) as tmp:
    tmp.write_bytes(b"partial")
    os._exit(0)
"""


def test_a_click_log_in_flight_while_another_window_opens_the_project_is_written(
    tmp_path: Path, write_photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any open for writing (a second window, ``fashion-annotator info``) deleted every temp file:
    a click log being written after its mask's commit failed with FileNotFoundError, and the
    window said "Could not save" for a saved mask."""
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))
        saved = project.save_mask(rec.id, "garment", np.ones(SHAPE, np.uint8))
        real_fsync = os.fsync
        opened: list[int] = []

        def another_window_opens(fd: int) -> None:  # between the temp file's write and its rename
            real_fsync(fd)
            if not opened:
                opened.append(fd)
                with Project.open(root, user="bob") as bob:
                    assert bob.swept.temp_removed == []

        monkeypatch.setattr(os, "fsync", another_window_opens)
        write_click_log(saved.path, CLICKS)
        monkeypatch.undo()
        assert opened and read_click_log(saved.path) == CLICKS
    assert not [p for p in (root / "masks").rglob("*") if p.name.endswith(".tmp")]


def test_temp_files_are_swept_once_their_write_is_over(tmp_path: Path, write_photo) -> None:
    """A dead writer's temp file goes at the next open; one whose writer may still run (this
    process, another host, a name without its writer) goes once it is an hour old."""
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))
        saved = project.save_mask(rec.id, "garment", np.ones(SHAPE, np.uint8))
    folder = saved.path.parent
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen([sys.executable, "-c", DIES_WRITING, str(folder / "v1.clicks.json")], env=env)
    assert child.wait(timeout=120) == 0
    (dead,) = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    host = socket.gethostname()
    alive = folder / f".v1.clicks.json.{os.getpid()}@{host}.abcd1234.tmp"
    elsewhere = folder / f".v1.clicks.json.{os.getpid()}@not-{host}.abcd1234.tmp"
    unnamed = folder / ".v1.clicks.json.abcd1234.tmp"
    for temp in (alive, elsewhere, unnamed):
        temp.write_bytes(b"partial")
    with Project.open(root) as project:
        assert project.swept.temp_removed == [dead.relative_to(root).as_posix()]
    assert atomic.temp_writer(dead.name) == child.pid
    assert atomic.temp_writer(alive.name) == os.getpid() and atomic.temp_writer(elsewhere.name) is None
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp")) == sorted(
        p.name for p in (alive, elsewhere, unnamed)
    )
    for temp in (alive, elsewhere, unnamed):  # an hour later, their writes are over too
        os.utime(temp, (temp.stat().st_atime, temp.stat().st_mtime - 2 * 3600))
    with Project.open(root) as project:
        assert len(project.swept.temp_removed) == 3
    assert sorted(p.name for p in folder.iterdir()) == ["v1.png"]
