"""Several processes on one project: SIGKILL during saves loses nothing, leases exclude.

The children run with real fsyncs (the in-process fsync shortcut of conftest does not reach
them), so these tests exercise the production write path.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.label_images import decode_mask_png
from fashion_annotator.dataset.store import LeaseHeld, Project

SPAWNER = """
import os
import sys
import numpy as np
from fashion_annotator.dataset.store import Project

# Python, numpy and the store are imported once here; every saver is a fork of this process,
# so a kill costs a fork instead of an interpreter start-up.
root, logs = sys.argv[1], sys.argv[2]
print("ready", flush=True)
for line in sys.stdin:
    kill = int(line)
    pid = os.fork()
    if pid:
        print(pid, flush=True)
        os.waitpid(pid, 0)
        print("reaped", flush=True)
        continue
    log = open(os.path.join(logs, f"{kill}.log"), "w", buffering=1)
    project = Project.open(root, user="crash")
    ids = [r.id for r in project.images()]
    rng = np.random.default_rng(kill)
    print("saving", file=log)
    while True:
        image_id = int(rng.choice(ids))
        task = ("garment", "parsing7")[int(rng.integers(2))]
        n = 2 if task == "garment" else 7
        mask = rng.integers(0, n, (120, 90), dtype=np.uint8)
        v = project.save_mask(image_id, task, mask, seconds=1.0, actions=1)
        print("saved", image_id, task, v.version, v.sha256, file=log)
"""

HOLDER = """
import sys
from fashion_annotator.dataset.store import Project

project = Project.open(sys.argv[1], user="carol")
project.acquire_lease(int(sys.argv[2]), ttl_s=float(sys.argv[3]))
print("held", flush=True)
sys.stdin.read()
"""

KILLS = 50  # the foundation issue asks for at least 50 kills


def _spawn(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc: subprocess.Popen, word: str) -> None:
    line = proc.stdout.readline()
    if not line.startswith(word):
        proc.kill()
        raise AssertionError(f"child said {line!r}, stderr: {proc.stderr.read()}")


@pytest.fixture
def crash_project(tmp_path: Path, write_photo) -> Path:
    with Project.create(tmp_path / "p") as project:
        for i in range(3):
            project.add_image(write_photo(tmp_path / f"{i}.png", (120, 90), seed=i))
    return tmp_path / "p"


def test_sigkill_during_saves_loses_no_finished_save(crash_project: Path, tmp_path: Path) -> None:
    rng = random.Random(1234)
    reported: set[tuple[int, str, int, str]] = set()
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    spawner = _spawn(SPAWNER, str(crash_project), str(logs), env=env)
    try:
        _wait_for(spawner, "ready")
        for kill in range(KILLS):
            spawner.stdin.write(f"{kill}\n")
            spawner.stdin.flush()
            pid = int(spawner.stdout.readline())
            log = logs / f"{kill}.log"
            deadline = time.monotonic() + 30
            # Kill only once a save has finished, at a random moment of the saves that follow:
            # on a loaded machine a fixed delay can land before the first save.
            while not log.is_file() or "\nsaved " not in log.read_text():
                assert time.monotonic() < deadline, "saver never finished a save"
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.12))
            os.kill(pid, signal.SIGKILL)
            _wait_for(spawner, "reaped")
            for line in log.read_text().splitlines():
                parts = line.split()
                if parts[:1] == ["saved"] and len(parts) == 5:  # a torn last line is not a report
                    reported.add((int(parts[1]), parts[2], int(parts[3]), parts[4]))
    finally:
        spawner.kill()
        spawner.communicate()
    assert len(reported) >= KILLS  # every kill landed after at least one finished save

    with Project.open(crash_project) as project:
        conn = project._conn
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        indexed = set()
        for image in project.images():
            for task in project.tasks:
                versions = project.mask_versions(image.id, task)
                assert [v.version for v in versions] == list(range(1, len(versions) + 1))
                for v in versions:
                    data = v.path.read_bytes()
                    assert decode_mask_png(data).shape == (120, 90)
                    indexed.add((image.id, task, v.version, v.sha256))
                    assert hashlib.sha256(data).hexdigest() == v.sha256
    missing = reported - indexed
    assert not missing, f"finished saves lost after SIGKILL: {sorted(missing)[:5]}"


def test_second_process_is_told_who_holds_the_lease(tmp_path: Path, write_photo) -> None:
    with Project.create(tmp_path / "p", user="dave") as project:
        rec = project.add_image(write_photo(tmp_path / "a.png"))
    holder = _spawn(HOLDER, str(tmp_path / "p"), str(rec.id), "600")  # expiry is not what frees it
    try:
        _wait_for(holder, "held")
        with Project.open(tmp_path / "p", user="dave") as project:
            with pytest.raises(LeaseHeld) as info:
                project.acquire_lease(rec.id)
            assert info.value.holder.startswith("carol@")
            assert f"pid {holder.pid}" in info.value.holder
            assert "carol@" in str(info.value)
            with pytest.raises(LeaseHeld):
                project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
            assert (info.value.host, info.value.pid) == (socket.gethostname(), holder.pid)
            assert not info.value.crashed
            # The holder dies without releasing: a dead process of this host holds nothing,
            # so its lease is broken at once rather than when it expires.
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait()
            lease = project.leases.acquire(rec.id)
            assert lease.holder.startswith("dave@")
            assert (lease.host, lease.pid) == (socket.gethostname(), os.getpid())
            project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.communicate()


def test_a_process_exited_but_not_reaped_counts_as_gone() -> None:
    """For a moment after a crash kill(pid, 0) still finds the process (a zombie until its
    parent reaps it): a window opening the image then skipped the crashed window's edits."""
    from fashion_annotator.dataset.leases import process_gone

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
            assert time.monotonic() < deadline, "the child never exited"
            time.sleep(0.01)
        assert process_gone(socket.gethostname(), child.pid)  # exited, not yet reaped
        assert not process_gone(socket.gethostname(), os.getpid())
    finally:
        child.wait()


def test_windows_never_probes_a_process_with_kill(monkeypatch) -> None:
    """On Windows os.kill(pid, 0) terminates the process: asking whether a colleague's window
    on the same machine still runs (its lease, its temp files) would have ended it."""
    from fashion_annotator.dataset import leases

    def kill(pid: int, sig: int) -> None:
        raise AssertionError(f"os.kill({pid}, {sig}) called")

    from types import SimpleNamespace

    monkeypatch.setattr(leases, "os", SimpleNamespace(name="nt", kill=kill))  # this module's os only
    asked = []
    monkeypatch.setattr(leases, "windows_process_gone", lambda pid: asked.append(pid) or True)
    assert leases.process_gone(socket.gethostname(), 4321) and asked == [4321]


class _Kernel32:
    """The three kernel32 calls ``windows_process_gone`` makes, answering as Windows would."""

    def __init__(self, opens: bool, exit_code: int = 259, reads: bool = True) -> None:
        self.opens, self.exit_code, self.reads, self.closed = opens, exit_code, reads, []

    def OpenProcess(self, access: int, inherit: bool, pid: int) -> int:  # noqa: N802 - the API's name
        return 7 if self.opens else 0

    def GetExitCodeProcess(self, handle: int, code) -> int:  # noqa: N802 - the API's name
        code._obj.value = self.exit_code
        return int(self.reads)

    def CloseHandle(self, handle: int) -> int:  # noqa: N802 - the API's name
        self.closed.append(handle)
        return 1


@pytest.mark.parametrize(
    ("kernel32", "error", "gone"),
    [
        (_Kernel32(opens=True, exit_code=259), 0, False),  # STILL_ACTIVE: running
        (_Kernel32(opens=True, exit_code=0), 0, True),  # ended with code 0
        (_Kernel32(opens=True, reads=False), 0, False),  # the code cannot be read: not known
        (_Kernel32(opens=False), 87, True),  # ERROR_INVALID_PARAMETER: no such process
        (_Kernel32(opens=False), 5, False),  # ERROR_ACCESS_DENIED: another user's, running
    ],
)
def test_windows_tells_an_ended_window_from_a_running_one(kernel32, error, gone) -> None:
    """A crashed window's edits are restored in a running one on Windows too: its process is
    asked about through OpenProcess / GetExitCodeProcess, never os.kill (a review)."""
    from fashion_annotator.dataset.leases import windows_process_gone

    assert windows_process_gone(4321, kernel32, lambda: error) is gone
    assert kernel32.closed == ([7] if kernel32.opens else [])
