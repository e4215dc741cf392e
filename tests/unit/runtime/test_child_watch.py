"""A retrain child the window started stops when the window is gone (runtime.child.watch_parent)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from fashion_annotator.runtime.child import PARENT_ENV, watch_parent

CHILD = textwrap.dedent("""
    import sys, threading
    from fashion_annotator.runtime.child import watch_parent
    stop = threading.Event()
    watching = watch_parent(stop, interval_s=0.1)
    open(sys.argv[1] + ".started", "w").write(str(watching))
    result = "stopped" if stop.wait(60) else "timed out"
    open(sys.argv[1] + ".tmp", "w").write(result)
    import os
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
""")
WINDOW = textwrap.dedent("""
    import os, subprocess, sys, time
    env = dict(os.environ, {env}=str(os.getpid()))
    subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]], env=env)
    deadline = time.monotonic() + 30
    while not os.path.exists(sys.argv[2] + ".started") and time.monotonic() < deadline:
        time.sleep(0.05)
    os._exit(0)  # the window killed: its child is handed to another parent
""")


def test_a_child_stops_when_the_window_that_started_it_is_gone(tmp_path: Path) -> None:
    """Found in a hand test: after kill -9 of the window its retrain ran on alone until its
    next progress line met the closed pipe (in a quiet phase: until that phase ended)."""
    out = tmp_path / "child.txt"
    subprocess.run([sys.executable, "-c", WINDOW.format(env=PARENT_ENV), CHILD, str(out)], check=True)
    deadline = time.monotonic() + 30
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (tmp_path / "child.txt.started").read_text() == "True"
    assert out.read_text() == "stopped"


def test_no_watch_without_the_variable_or_for_another_parent(monkeypatch) -> None:
    """A command run from a terminal (nohup included) is never stopped this way."""
    import threading

    monkeypatch.delenv(PARENT_ENV, raising=False)
    assert not watch_parent(threading.Event())
    monkeypatch.setenv(PARENT_ENV, str(os.getppid() + 1))
    assert not watch_parent(threading.Event())
