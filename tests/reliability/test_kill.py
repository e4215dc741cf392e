"""SIGKILL during import and during saves, with production fsyncs: after each kill the next
open finds the index intact and sweeps every leftover; a resumed import adds no duplicate
version and keeps every photo's name; no save that returned is lost."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.reliability

KILLS = 12  # per mode
PHOTOS = 30
SHAPE = (90, 60)

# Python, numpy and the store are imported once; every worker is a fork of this process.
SPAWNER = """
import os, sys, time
import numpy as np
from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

root, src, logs = sys.argv[1], sys.argv[2], sys.argv[3]
print("ready", flush=True)
for line in sys.stdin:
    mode, kill = line.split()
    pid = os.fork()
    if pid:
        print(pid, flush=True)
        os.waitpid(pid, 0)
        print("reaped", flush=True)
        continue
    log = open(os.path.join(logs, f"{mode}{kill}.log"), "w", buffering=1)
    project = Project.open(root, user="crash")
    print("started", file=log)
    if mode == "import":
        t0 = time.monotonic()
        import_source(project, src, "plain", "garment", overwrite=True)
        print("finished", time.monotonic() - t0, file=log)
    else:
        rng = np.random.default_rng(int(kill))
        ids = [r.id for r in project.images()]
        while True:
            image_id = int(rng.choice(ids))
            rec = project.image(image_id)
            mask = rng.integers(0, 7, rec.shape, dtype=np.uint8)
            v = project.save_mask(image_id, "parsing7", mask, seconds=1.0, actions=1)
            print("saved", image_id, v.version, v.sha256, file=log)
    os._exit(0)
"""


def _source_mask(i: int, round_: int) -> np.ndarray:
    """Photo ``i``'s mask in import round ``round_``: each round changes every mask, so each
    import writes new versions (an import of unchanged masks saves nothing and is too quick
    for a kill to land in it)."""
    mask = np.zeros(SHAPE, np.uint8)
    mask[10 + i : 70, 5 : 50 - round_] = 1
    return mask


def _write_masks(src: Path, round_: int, write_mask) -> None:
    for i in range(PHOTOS):
        write_mask(src / "masks" / f"look{i:02d}.png", _source_mask(i, round_))


@pytest.fixture
def plain_src(tmp_path: Path, write_photo, write_mask) -> Path:
    src = tmp_path / "src"
    for i in range(PHOTOS):
        write_photo(src / "images" / f"look{i:02d}.png", SHAPE, seed=i)
    _write_masks(src, 0, write_mask)
    return src


def _wait_for(proc: subprocess.Popen, word: str) -> str:
    line = proc.stdout.readline()
    if not line.startswith(word):
        proc.kill()
        raise AssertionError(f"spawner said {line!r}, stderr: {proc.stderr.read()[-2000:]}")
    return line


def _wait_started(log: Path, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while not (log.is_file() and log.read_text().startswith("started")):
        assert time.monotonic() < deadline, f"{log}: worker never started"
        time.sleep(0.005)


def test_sigkill_during_import_and_save(
    tmp_path: Path, plain_src: Path, write_mask, integrity_ok, stray_files, ledger
) -> None:
    root = tmp_path / "p"
    Project.create(root).close()
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # fmt: skip
    spawner = subprocess.Popen(
        [sys.executable, "-c", SPAWNER, str(root), str(plain_src), str(logs)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env,
    )  # fmt: skip
    rng = random.Random(14)
    # Kills must land inside imports on fast machines too: wait at most half of what a re-import
    # of changed masks takes here (timed on a throwaway project, after its first import), never
    # longer than 0.12 s, and less whenever an import finished before its kill.
    with Project.create(tmp_path / "timing") as timing:
        import_source(timing, plain_src, "plain", "garment", overwrite=True)
        _write_masks(plain_src, KILLS, write_mask)
        t0 = time.monotonic()
        import_source(timing, plain_src, "plain", "garment", overwrite=True)
        import_wait_s = min(0.12, 0.5 * (time.monotonic() - t0))
    reported: set[tuple[int, int, str]] = set()
    finished_imports = landed = 0
    try:
        _wait_for(spawner, "ready")
        for mode in ("import", "save"):
            for kill in range(KILLS):
                if mode == "import":
                    _write_masks(plain_src, kill, write_mask)
                spawner.stdin.write(f"{mode} {kill}\n")
                spawner.stdin.flush()
                pid = int(spawner.stdout.readline())
                log = logs / f"{mode}{kill}.log"
                _wait_started(log)
                time.sleep(rng.uniform(0.0, import_wait_s) if mode == "import" else rng.uniform(0.1, 0.6))
                with contextlib.suppress(ProcessLookupError):  # it may have finished
                    os.kill(pid, signal.SIGKILL)
                _wait_for(spawner, "reaped")
                lines = log.read_text().splitlines()
                finished = [line.split() for line in lines if line.startswith("finished")]
                if finished:
                    finished_imports += 1
                    import_wait_s = min(import_wait_s, 0.5 * float(finished[0][1]))
                else:
                    landed += 1
                ledger.try_("sigkill", f"{mode} {kill}")
                for parts in (line.split() for line in lines):
                    if parts[:1] == ["saved"] and len(parts) == 4:
                        reported.add((int(parts[1]), int(parts[2]), parts[3]))
                # The next open sweeps the leftovers; the index is intact.
                assert integrity_ok(root), f"{mode} kill {kill}"
                Project.open(root).close()
                assert stray_files(root) == [], f"{mode} kill {kill}"
                ledger.handled("sigkill", f"{mode} {kill}")
            if mode == "import":
                with Project.open(root) as project:  # resume the interrupted import
                    summary = import_source(project, plain_src, "plain", "garment", overwrite=True)
                    assert summary.errors == []
                    records = project.images()
                    assert sorted(r.name for r in records) == [
                        f"look{i:02d}.png" for i in range(PHOTOS)
                    ]  # no look-<sha>.png left by an orphan
                    for i, record in enumerate(records):
                        versions = project.mask_versions(record.id, "garment")
                        shas = [v.sha256 for v in versions]
                        # no duplicates: a resumed import never saves the same mask twice
                        assert all(a != b for a, b in zip(shas, shas[1:], strict=False)), (record.name, shas)
                        latest = project.load_mask(record.id, "garment")
                        assert np.array_equal(latest, _source_mask(i, KILLS - 1)), record.name
                        assert record.status == "done"
    finally:
        spawner.kill()
        spawner.communicate()
    assert finished_imports < KILLS // 2  # most kills landed during imports
    assert reported, "no save returned before its kill"
    with Project.open(root) as project:
        for image_id, version, sha in reported:  # no save that returned is lost
            saved = {v.version: v.sha256 for v in project.mask_versions(image_id, "parsing7")}
            assert saved.get(version) == sha
            assert project.load_mask(image_id, "parsing7", version) is not None
    assert integrity_ok(root)
    assert stray_files(root) == []
    (tmp_path / "kill-figures.txt").write_text(
        f"kills landed {landed}, saves reported {len(reported)}, imports finished "
        f"{finished_imports}\n"
    )
