"""``fashion-annotator bench team``: N simulated operators on one project, some of them killed.

Each operator is its own process with its own connection (what a desktop is). It claims the
next image (:meth:`claim_next`), loads the photo and the latest mask, saves a 550x830 parsing
mask a few times with a think time between saves (the last save marks the image done), and
releases the lease. The parent SIGKILLs a random operator now and then and starts it again at
once: the new process must resume with no repair (its old lease lapses by itself).

Every operator logs each claim, acknowledged save (image, version, PNG hash, latency) and
release, line by line. Afterwards:

- ``lost_saves``: acknowledged saves whose version is missing from the project or whose PNG
  hash differs;
- ``double_claims``: pairs of claim intervals (claim to release, or to the kill) of two
  different operator processes on the same image that overlap in time;
- latency percentiles of ``save_mask`` (encoding, validation and commit) and ``claim_next``.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from fashion_annotator.dataset.postgres.url import is_postgres_url
from fashion_annotator.dataset.store import create_project, open_project
from fashion_annotator.evaluation.save_speed import blocky_mask

TASK = "parsing7"
SHAPE = (830, 550)
"""(H, W) of the photos and masks: a 550x830 parsing mask, as in ``bench save``."""
LEASE_TTL_S = 20.0
BENCH_STATUSES = ("new", "in_progress", "done", "rejected")
"""Done images return to the queue, so a short project keeps every operator busy."""


@dataclass
class TeamBenchConfig:
    """How the simulated team works (times in seconds)."""

    url: str
    operators: int = 16
    minutes: float = 3.0
    think_s: float = 1.0
    saves_per_image: int = 3
    crash_every_s: float = 15.0
    images: int | None = None
    seed: int = 0
    workdir: Path | None = None


@dataclass
class _Interval:
    process: str
    image_id: int
    start: float
    end: float | None = None


@dataclass
class _Logs:
    saves: list[tuple[str, int, int, str, float]] = field(default_factory=list)
    claims_ms: list[float] = field(default_factory=list)
    intervals: list[_Interval] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    processes_with_saves: set[str] = field(default_factory=set)


def run_team_bench(config: TeamBenchConfig, progress=print) -> dict:
    """Run the simulated team on ``config.url`` (a new project is made there) and measure.

    Returns
    -------
    dict
        ``backend``, ``operators``, ``saves``, ``saves_per_s``, ``save_ms_p50``,
        ``save_ms_p95``, ``save_ms_p99``, ``claim_ms_p95``, ``double_claims``, ``lost_saves``,
        ``crashes``, and ``claims``, ``images``, ``minutes``, ``restarts_resumed`` (restarted
        operators that saved again), ``cpu_count`` and ``load_avg_1m_at_end`` (how busy the
        machine was: every operator, and a local server, share its cores), ``errors``
        (operator errors other than a kill).

    Raises
    ------
    RuntimeError
        No operator saved anything (they could not start): names the first operator error.
    """
    workdir = Path(config.workdir or tempfile.mkdtemp(prefix="fa-team-"))
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "FA_LOCAL_DIR": str(workdir / "local"),
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # fmt: skip
    n_images = config.images or config.operators * 3 + 8
    try:
        _make_project(config.url, n_images, workdir, config.seed)
    except BaseException:
        if not config.workdir:  # a folder of our own: nothing in it is worth keeping
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    progress(f"project ready: {n_images} photos; {config.operators} operators for "
             f"{config.minutes:g} min")  # fmt: skip
    rng = random.Random(config.seed)
    deadline = time.time() + config.minutes * 60
    procs: dict[str, tuple[subprocess.Popen, Path]] = {}
    kills: dict[str, float] = {}
    restarted: list[str] = []
    counter = 0

    def start(name: str) -> None:
        nonlocal counter
        counter += 1
        log = workdir / f"{name}.{counter}.log"
        cmd = [sys.executable, "-m", "fashion_annotator.evaluation.team", config.url, name,
               str(log), str(deadline), str(config.think_s), str(config.saves_per_image),
               str(config.seed * 1000 + counter)]  # fmt: skip
        with (workdir / f"{name}.{counter}.err").open("wb") as err:  # read if nothing was saved
            procs[name] = (subprocess.Popen(cmd, env=env, stderr=err), log)

    for k in range(config.operators):
        start(f"op{k:02d}")
    next_kill = time.time() + rng.expovariate(1 / config.crash_every_s)
    while time.time() < deadline:
        time.sleep(0.05)
        if time.time() >= next_kill and time.time() < deadline - 5:
            name = rng.choice(sorted(procs))
            proc, log = procs[name]
            # Its claims end when the signal goes, not once it is reaped: the lease of a dead
            # process lapses at once, and a colleague's claim in between counted as a double one.
            kills[log.name] = time.time()
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            start(name)
            restarted.append(procs[name][1].name)
            next_kill = time.time() + rng.expovariate(1 / config.crash_every_s)
    for proc, _ in procs.values():
        try:
            proc.wait(timeout=60 + config.think_s * 4)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    logs = _read_logs(workdir, kills)
    if not logs.saves:  # the operators never ran (a frozen bundle refused "-m" unseen)
        first = next((e.read_text().strip() for e in sorted(workdir.glob("op*.err")) if e.stat().st_size), "")
        raise RuntimeError(f"no operator saved anything in {config.minutes} min; "
                           f"first operator error: {first[-500:] or 'none written'}")  # fmt: skip
    lost = _lost_saves(config.url, logs.saves, env)
    saves_ms = np.array([s[4] for s in logs.saves]) if logs.saves else np.zeros(1)
    claims_ms = np.array(logs.claims_ms) if logs.claims_ms else np.zeros(1)
    return {
        "backend": "postgresql" if is_postgres_url(config.url) else "sqlite",
        "operators": config.operators,
        "saves": len(logs.saves),
        "saves_per_s": len(logs.saves) / (config.minutes * 60),
        "save_ms_p50": float(np.percentile(saves_ms, 50)),
        "save_ms_p95": float(np.percentile(saves_ms, 95)),
        "save_ms_p99": float(np.percentile(saves_ms, 99)),
        "claim_ms_p95": float(np.percentile(claims_ms, 95)),
        "double_claims": _double_claims(logs.intervals),
        "lost_saves": lost,
        "crashes": len(kills),
        "claims": len(logs.claims_ms),
        "images": n_images,
        "minutes": config.minutes,
        "think_s": config.think_s,
        "restarts_resumed": sum(1 for name in restarted if name in logs.processes_with_saves),
        "cpu_count": os.cpu_count(),
        "load_avg_1m_at_end": os.getloadavg()[0],
        "errors": logs.errors[:20],
    }


def _make_project(url: str, n_images: int, workdir: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    photos = workdir / "photos"
    photos.mkdir(exist_ok=True)
    yy, xx = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    with create_project(url, tasks=(TASK,), user="bench") as project:
        for i in range(n_images):
            # Smooth colour fields: photo-sized without photo-sized PNGs.
            a, b, c = rng.uniform(0.005, 0.03, 3)
            rgb = np.stack([np.sin(yy * a + i), np.cos(xx * b), np.sin((xx + yy) * c)], -1)
            path = photos / f"look_{i:04d}.png"
            Image.fromarray(((rgb + 1) * 127.5).astype(np.uint8)).save(path)
            project.add_image(path)


def _read_logs(workdir: Path, kills: dict[str, float]) -> _Logs:
    logs = _Logs()
    for log in sorted(workdir.glob("op*.log")):
        open_claim: _Interval | None = None
        text = log.read_text()
        lines = text.splitlines()
        # A line cut short by the kill is not an acknowledged event.
        for line in lines if text.endswith("\n") else lines[:-1]:
            kind, *rest = line.split()
            if kind == "claim":
                open_claim = _Interval(log.name, int(rest[0]), float(rest[1]))
                logs.intervals.append(open_claim)
                logs.claims_ms.append(float(rest[2]))
            elif kind == "save":
                image_id, version, sha, ms = int(rest[0]), int(rest[1]), rest[2], float(rest[3])
                logs.saves.append((log.name, image_id, version, sha, ms))
                logs.processes_with_saves.add(log.name)
            elif kind == "release" and open_claim is not None:
                open_claim.end = float(rest[1])
                open_claim = None
            elif kind == "error":
                logs.errors.append(" ".join(rest))
        if open_claim is not None:  # killed (or stopped) while holding the image
            open_claim.end = kills.get(log.name, log.stat().st_mtime)
    return logs


def _double_claims(intervals: list[_Interval]) -> int:
    by_image: dict[int, list[_Interval]] = {}
    for iv in intervals:
        by_image.setdefault(iv.image_id, []).append(iv)
    overlaps = 0
    for ivs in by_image.values():
        ivs.sort(key=lambda iv: iv.start)
        for i, a in enumerate(ivs):
            for b in ivs[i + 1 :]:
                if b.start >= (a.end or float("inf")):
                    break
                if b.process != a.process:
                    overlaps += 1
    return overlaps


def _lost_saves(url: str, saves: list[tuple[str, int, int, str, float]], env: dict) -> int:
    os.environ["FA_LOCAL_DIR"] = env["FA_LOCAL_DIR"]
    lost = 0
    with open_project(url, user="bench") as project:
        stored: dict[int, dict[int, str]] = {}
        for _, image_id, version, sha, _ in saves:
            if image_id not in stored:
                stored[image_id] = {v.version: v.sha256
                                    for v in project.mask_versions(image_id, TASK)}  # fmt: skip
            if stored[image_id].get(version) != sha:
                lost += 1
    return lost


def operator(
    url: str, name: str, log_path: Path, deadline: float, think_s: float, saves: int, seed: int
) -> None:
    """One simulated operator until ``deadline`` (epoch s); see the module doc for the log."""
    rng = np.random.default_rng(seed)
    with open(log_path, "w", buffering=1) as log, open_project(url, user=name) as project:
        classes = project.taxonomy(TASK).num_classes
        while time.time() < deadline:
            start = time.perf_counter()
            record = project.claim_next(ttl_s=LEASE_TTL_S, statuses=BENCH_STATUSES)
            claim_ms = (time.perf_counter() - start) * 1000
            if record is None:
                time.sleep(0.2)
                continue
            print(f"claim {record.id} {time.time():.6f} {claim_ms:.3f}", file=log)
            project.load_photo(record.id)
            project.load_mask(record.id, TASK)
            # a version stores the image's running totals, as the window saves them
            done = project.mask_versions(record.id, TASK)
            seconds, actions = (done[-1].seconds, done[-1].actions) if done else (0.0, 0)
            for k in range(saves):
                time.sleep(float(rng.exponential(think_s)))
                mask = blocky_mask(rng, SHAPE, classes)
                start = time.perf_counter()
                try:
                    version = project.save_mask(
                        record.id, TASK, mask, seconds=seconds + think_s * (k + 1), actions=actions + k + 1,
                        status="done" if k == saves - 1 else "in_progress",
                    )  # fmt: skip
                except Exception as exc:  # recorded, and the operator moves on
                    print(f"error {type(exc).__name__}: {exc}".replace("\n", " "), file=log)
                    break
                save_ms = (time.perf_counter() - start) * 1000
                print(f"save {record.id} {version.version} {version.sha256} {save_ms:.3f}",
                      file=log)  # fmt: skip
            project.release_lease(record.id)
            print(f"release {record.id} {time.time():.6f}", file=log)


if __name__ == "__main__":
    _url, _name, _log, _deadline, _think, _saves, _seed = sys.argv[1:8]
    operator(_url, _name, Path(_log), float(_deadline), float(_think), int(_saves), int(_seed))
