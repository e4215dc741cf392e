"""A retrain removes the temp files that killed runs left in the project's training cache.

A hand test: ``train --project`` killed while it wrote its checkpoint left
``cache/training/garment/.checkpoint.pt.<pid>@<host>.<random>.tmp`` (about 60 MB for the shipped
garment network), killed while it cached the decoded photos ``cache/training/.split-*.npz...tmp``;
no later run, open or sweep removed or reported them, so every such kill added one for good.
"""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import numpy as np

from fashion_annotator.dataset.store import Project
from training.request import TrainRequest
from training.runner import run


def _temp_name(name: str, pid: int) -> str:
    """A temp file name as ``core.atomic`` writes it for process ``pid`` of this host."""
    host = re.sub(r"[^A-Za-z0-9_.-]", "_", socket.gethostname())[:64]
    return f".{name}.{pid}@{host}.k3x9q.tmp"


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid



def test_a_retrain_removes_the_temp_files_killed_runs_left(garment_project: Project) -> None:
    dead, alive = _dead_pid(), subprocess.Popen(["sleep", "60"])
    try:
        with garment_project as project:
            cache = project.root / "cache" / "training"
            (cache / "garment" / "refit").mkdir(parents=True)
            left = [cache / "garment" / _temp_name("checkpoint.pt", dead),
                    cache / "garment" / "refit" / _temp_name("checkpoint.pt", dead),
                    cache / _temp_name("split-0123456789abcdef.npz", dead)]  # fmt: skip
            writing = cache / _temp_name("split-fedcba9876543210.npz", alive.pid)  # another run, now
            legacy = cache / "split-0123456789abcdef.npz"  # an older version's untagged cache
            for path in [*left, writing, legacy]:
                path.write_bytes(b"\0" * 1000)
            events: list[dict] = []
            request = TrainRequest(project=project.root, task="garment", epochs=1, device="cpu",
                                   model_size="tiny", input_size=(64, 48), init="scratch", threads=1)  # fmt: skip
            run(request, events.append)
            assert not [p for p in left if p.exists()], "the killed runs' temp files are removed"
            assert writing.is_file(), "a live process's temp file is kept"
            said = [e["message"] for e in events if e["event"] == "info" and e["message"].startswith("removed ")]
            # the old cache is no temporary file an interrupted run left (a code review): said apart
            assert len(said) == 2 and said[0].startswith("removed 3 temporary file(s) an interrupted run left")
            assert said[1] == f"removed 1 training cache(s) of an older version, never read again: {legacy}"
            assert not legacy.exists()
            assert [m.version for m in project.models("garment")] == [1]
    finally:
        alive.kill()
        alive.wait()


def test_a_folder_run_removes_its_own_leftovers_only(tiny_garment_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stale = out / _temp_name("checkpoint.pt", _dead_pid())
    stale.write_bytes(b"x")
    users = out / ".notes.tmp"  # not a name this program writes: not touched
    users.write_text("mine")
    request = TrainRequest(task="garment", data=tiny_garment_data, out=out, epochs=1, device="cpu",
                           model_size="tiny", input_size=(32, 32), batch_size=2, threads=1)  # fmt: skip
    run(request, lambda e: None)
    assert not stale.exists() and users.read_text() == "mine"
    assert np.array_equal(np.array(sorted(p.name for p in out.glob("garment*"))),
                          np.array(["garment.json", "garment.safetensors"]))
