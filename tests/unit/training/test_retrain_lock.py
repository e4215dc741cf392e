"""One project retrain per task at a time: the lock file of ``training.runner.retrain_lock``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from training.runner import retrain_lock


def test_a_second_retrain_of_a_task_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    with retrain_lock(tmp_path, "garment") as path:
        assert json.loads(path.read_text())["host"] == socket.gethostname()
        with pytest.raises(ValueError, match=r"garment.lock: another garment retrain is running"):
            with retrain_lock(tmp_path, "garment"):
                pass
        with retrain_lock(tmp_path, "person"):  # another task trains alongside
            pass
    assert not path.exists(), "released when the run ends"
    with retrain_lock(tmp_path, "garment"):
        pass


def test_the_lock_of_a_process_that_is_gone_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / "garment.lock").write_text(json.dumps({"host": socket.gethostname(), "pid": int(dead.stdout)}))
    with retrain_lock(tmp_path, "garment") as path:
        assert json.loads(path.read_text())["pid"] != int(dead.stdout)


def test_click_and_attribute_retrains_take_the_lock_and_click_refuses_what_it_ignores(tmp_path: Path) -> None:
    """A code review: the special trainers skipped the lock (two click retrains shared
    cache/training/click/ and could register each other's weights), and --task click dropped
    --init and --resume without a word."""
    from fashion_annotator.dataset.store import Project
    from training.request import TrainRequest
    from training.runner import run

    Project.create(tmp_path / "p", tasks=("garment",)).close()
    folder = tmp_path / "p" / "cache" / "training"
    for task in ("click", "instance_attributes"):
        with retrain_lock(folder, task):
            with pytest.raises(ValueError, match=rf"{task}\.lock: another {task} retrain is running"):
                run(TrainRequest(task=task, project=str(tmp_path / "p")), lambda e: None)
    for extra in ({"resume": True}, {"init": "scratch"}):
        with pytest.raises(ValueError, match="--init and --resume do not apply"):
            run(TrainRequest(task="click", project=str(tmp_path / "p"), **extra), lambda e: None)
    assert TrainRequest(task="click", project="p").batch_size is None  # the click trainer's own
