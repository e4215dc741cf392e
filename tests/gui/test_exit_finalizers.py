"""A library imported in a worker while the app quits gets its exit finalizers run at exit.

The full suite on a loaded machine: quitting 1.5 s after start while the first proposal's worker
still imported torch printed "Exception ignored in: <finalize object ...> TypeError: 'NoneType'
object is not callable" three times. :func:`weakref.finalize` registers its atexit hook with its
first finalizer, which torch's import made during the exit (while ``detached_pools.drain``
waited for that import), too late to run: the finalizers ran in the interpreter's teardown, with
the module globals gone. Here a worker stands in for the import: it makes the process's first
finalizer after the quit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys, time, weakref
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool
from fashion_annotator.ui import detached_pools

app = QCoreApplication([])
made = []


class Made:
    pass


def import_like_torch():
    time.sleep(1.0)  # still importing when the app quits
    thing = Made()
    made.append(thing)
    weakref.finalize(thing, lambda: print("finalized while finalizing:", sys.is_finalizing(), flush=True))


holder = QObject()
QThreadPool(holder).start(QRunnable.create(import_like_torch))
time.sleep(0.1)
detached_pools.let_go([holder])  # the window closed; its pool's job runs on
"""


def test_a_finalizer_made_by_a_worker_during_the_exit_runs_at_exit_not_in_teardown(tmp_path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "finalized while finalizing: False" in done.stdout, (done.stdout, done.stderr)
    assert "Exception ignored" not in done.stderr, done.stderr
