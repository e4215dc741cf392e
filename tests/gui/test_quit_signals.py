"""SIGTERM (a desktop logout), SIGHUP (the terminal closed) and SIGINT (Ctrl+C) quit the window
as Ctrl+Q does: the open image saved, its lease given back, the exit status 128 + signal.

A hand test: SIGTERM and SIGHUP ended the window at once (the edits left to the recovery
journal, the lease held until it expired); Ctrl+C printed a KeyboardInterrupt traceback and the
window went on running.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from PySide6.QtCore import QThread

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.quit_signals import QuitOnSignals
from fashion_annotator.ui.testing import copy_project, drag


def _leases(root: Path) -> int:
    with sqlite3.connect(f"file:{root / 'project.sqlite'}?mode=ro", uri=True, timeout=10) as db:
        return int(db.execute("SELECT count(*) FROM leases").fetchone()[0])


def test_sigterm_saves_the_open_image_and_gives_its_lease_back(qtbot, opened):
    window, project = opened
    root = Path(project.root)
    first = window.session.image_id
    drag(window, [(100, 200), (300, 200)])
    assert window.session.unsaved
    ended: list[int] = []
    quitter = QuitOnSignals(lambda: window, end=ended.append)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: ended != [], timeout=20_000)
    finally:
        quitter.stop()
    assert ended == [128 + signal.SIGTERM]
    assert not window.isVisible()
    with Project.open(root) as again:
        mask = again.load_mask(first, "garment")
        assert mask is not None and mask[200, 200] == 1, "the stroke was saved"
        assert again.lease(first) is None, "the lease was given back"


def test_ctrl_c_in_the_terminal_quits_the_window(template, tmp_path):
    root = copy_project(template, tmp_path / "project")
    home = tmp_path / "home"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), FA_LOG_DIR=str(tmp_path / "logs"))  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "fashion_annotator", str(root)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a terminal
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while _leases(root) == 0:  # the first image is open
            assert process.poll() is None and time.monotonic() < deadline, "the window opened an image"
            time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 128 + signal.SIGINT, output.decode(errors="replace")
    assert b"KeyboardInterrupt" not in output
    assert _leases(root) == 0, "the window gave its lease back"


def test_a_logout_sigterm_then_sighup_still_saves_and_gives_the_lease_back(qtbot, opened):
    """A hand test: a logout sends SIGHUP right after SIGTERM (systemd's SendSIGHUP), and Ctrl+C
    is often pressed twice; the second signal ended the process before the save (the stroke
    left to the journal, the lease held)."""
    window, project = opened
    root = Path(project.root)
    first = window.session.image_id
    drag(window, [(100, 200), (300, 200)])
    ended: list[int] = []
    quitter = QuitOnSignals(lambda: window, end=ended.append)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGHUP)
        qtbot.waitUntil(lambda: ended != [], timeout=20_000)
    finally:
        quitter.stop()
    assert len(ended) == 1 and ended[0] in (128 + signal.SIGTERM, 128 + signal.SIGHUP)
    with Project.open(root) as again:
        mask = again.load_mask(first, "garment")
        assert mask is not None and mask[200, 200] == 1, "the stroke was saved"
        assert again.lease(first) is None, "the lease was given back"


def test_a_later_signal_ends_a_quit_that_waits_in_qt(qtbot, monkeypatch):
    """A hand test: a quit waiting for a file job (``QThread.wait``, no time limit) was not
    ended by a second SIGTERM sent after the grace: no Python handler runs while the GUI thread
    waits in Qt, so only SIGKILL ended it."""
    monkeypatch.setattr("fashion_annotator.ui.quit_signals.REPEAT_GRACE_S", 0.3)
    released = threading.Event()

    class _Job(QThread):
        def run(self) -> None:
            released.wait(15)

    class _Window:
        project = SimpleNamespace(close=lambda: None)

        def close(self) -> bool:
            job.wait()  # as FileJobs.shutdown does
            return True

    job = _Job()
    job.start()
    ended: list[tuple[int, bool]] = []

    def end(status: int) -> None:
        ended.append((status, released.is_set()))
        released.set()

    def later() -> None:
        time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    quitter = QuitOnSignals(lambda: _Window(), end=end)  # type: ignore[arg-type, return-value]
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        threading.Thread(target=later, daemon=True).start()
        qtbot.waitUntil(lambda: ended != [], timeout=30_000)
    finally:
        released.set()
        job.wait()
        quitter.stop()
    assert ended == [(128 + signal.SIGTERM, False)], "the second signal ended the waiting quit"
