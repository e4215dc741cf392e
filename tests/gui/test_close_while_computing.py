"""Closing the window while a background job computes: the close never waits for it.

Closing the main window took 2-8 s while the open image's model proposal was being computed
(the close waited for the job); the window now closes at once, the proposal is cancelled at its
next network layer, and nothing a job finishes after the close reaches the project.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.store import Project
from fashion_annotator.segmentation import pipeline
from fashion_annotator.segmentation import superpixels as sp
from fashion_annotator.ui.testing import Answers, copy_project, drag, open_window, shown_mask

#: How long the slowed-down job would block without a close that lets it go.
HELD_S = 8.0
#: A close that waited for the job takes at least HELD_S; the bound leaves room for a loaded
#: machine (alone the close takes about 0.03 s).
CLOSE_BOUND_S = HELD_S / 4


def test_closing_while_a_proposal_computes_returns_at_once(qtbot, template, tmp_path, caplog):
    root = copy_project(template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", Answers(), use_shipped=True)
    session = window.session
    qtbot.waitUntil(lambda: not session.awaiting, timeout=60000)
    image_id = session.image_id
    recorded = len(project.proposals(image_id, "parsing7"))
    drag(window, [(100, 200), (300, 200)])  # an edit the close must save
    edited = shown_mask(window).copy()
    # The parsing network (its garment cutout is reused), slowed down on purpose: its first
    # layer waits (at most HELD_S).
    module = session.proposals.predictor("parsing7").module
    started, release = threading.Event(), threading.Event()
    layers_after_release: list[str] = []

    def slow(_module, _inputs) -> None:
        started.set()
        release.wait(HELD_S)

    def ran(layer, _inputs, _output) -> None:
        if release.is_set():
            layers_after_release.append(type(layer).__name__)

    hooks = [module.register_forward_pre_hook(slow)]
    hooks += [layer.register_forward_hook(ran) for layer in module.modules()]
    try:
        session.rerun_proposal("parsing7", reload=False)
        assert started.wait(30), "the proposal never started"
        with caplog.at_level(logging.DEBUG, logger="fashion_annotator"):
            began = time.perf_counter()
            assert window.close()
            took = time.perf_counter() - began
            assert took < CLOSE_BOUND_S, f"the close waited {took:.2f} s for the proposal"
            assert not window.isVisible()
            release.set()
            ended = time.perf_counter()
            assert session.jobs.wait(10000), "the cancelled proposal never ended"
            assert time.perf_counter() - ended < HELD_S / 2, "the cancelled proposal ran on after its release"
            qtbot.wait(200)  # a result the relay still carried would arrive now
        assert layers_after_release == [], "the network ran on after the close"
        np.testing.assert_array_equal(project.load_mask(image_id, "garment"), edited)  # saved
        assert len(project.proposals(image_id, "parsing7")) == recorded, "recorded after the close"
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING], "a cancel is no error"
    finally:
        release.set()
        for hook in hooks:
            hook.remove()
        project.close()


@pytest.fixture
def uncached(tmp_path: Path, ccp_dir: Path) -> Path:
    """A project of two CCP photos with nothing cached."""
    root = tmp_path / "project"
    with Project.create(root) as project:
        for stem in ("0014", "0019"):
            project.add_image(ccp_dir / "images" / f"{stem}.jpg")
    return root


def test_superpixels_finished_after_the_close_are_not_written_into_the_project(
    qtbot, uncached, tmp_path, monkeypatch
):
    window, project = open_window(qtbot, uncached, tmp_path / "settings.ini", Answers())
    second = project.images()[1].id
    paths = pipeline.superpixel_cache_paths(project, second)
    started, release = threading.Event(), threading.Event()
    computing = sp.compute_superpixels

    def slow(rgb, *args, **kwargs):
        started.set()
        release.wait(HELD_S)
        return computing(rgb, *args, **kwargs)

    monkeypatch.setattr(sp, "compute_superpixels", slow)
    try:
        assert window.open_image(second)
        assert started.wait(30), "the superpixels were never computed"
        began = time.perf_counter()
        assert window.close()
        took = time.perf_counter() - began
        assert took < CLOSE_BOUND_S, f"the close waited {took:.2f} s for the superpixels"
        release.set()
        assert window.session.jobs.wait(10000)
        assert not [p for p in paths.values() if p.exists()], "written into the project after the close"
    finally:
        release.set()
        project.close()


#: A fresh process opens the window with the shipped models and closes it as soon as the first
#: proposal's job started (it imports torch, seconds), then exits with that job still running.
FIRST_SECONDS = """
import json, sys, time
from PySide6.QtWidgets import QApplication
from fashion_annotator.dataset.store import open_project
from fashion_annotator.ui.annotate.proposal_source import ProposalSource
from fashion_annotator.ui.main_window import MainWindow
from fashion_annotator.ui.preferences import Preferences, settings_file
from fashion_annotator.ui.testing import Answers

app = QApplication([])
project = open_project(sys.argv[1], user="alice")
answers = Answers()
window = MainWindow(project, Preferences(settings_file(sys.argv[2])), ask_restore=answers.ask_restore,
                    ask_quit=answers.ask_quit, ask_lease_held=answers.ask_lease_held,
                    ask_stop=answers.ask_stop, proposals=ProposalSource(project, device="cpu"))
window.show()
window.start()
deadline = time.monotonic() + 60
while "fashion_annotator.segmentation.proposals" not in sys.modules and time.monotonic() < deadline:
    app.processEvents()  # the proposal's worker is importing torch now
    time.sleep(0.01)
began = time.perf_counter()
closed = window.close()
took = time.perf_counter() - began
project.close()
print(json.dumps({"closed": closed, "took": took, "busy": window.session.jobs.busy}), flush=True)
"""


def test_closing_in_the_first_seconds_returns_at_once_and_the_process_exits_cleanly(template, tmp_path):
    """The close imported the Retrain dialog's module to look for open dialogs: while the first
    proposal imported torch in its worker, that import waited for torch's (seconds). The process
    then exits with the cancelled proposal's thread still running: no crash, no hang."""
    root = copy_project(template, tmp_path / "project")
    home = tmp_path / "home"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), FA_LOG_DIR=str(tmp_path / "logs"))  # fmt: skip
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", FIRST_SECONDS, str(root), str(tmp_path / "settings.ini")],
                          env=env, capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said["closed"] and said["took"] < CLOSE_BOUND_S, f"the close took {said['took']:.2f} s"
    assert "Traceback" not in done.stderr and "Fatal" not in done.stderr, done.stderr
    assert time.perf_counter() - began < 120
