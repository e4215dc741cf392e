"""``fashion-annotator bench startup``: the time from launching the window to work in it.

Each run starts ``python -m fashion_annotator PROJECT`` as a subprocess (offscreen Qt, its own
home folder, a fresh copy of the project, so that no run finds another's caches, journal or
settings) and reads back, measured from the moment the process was launched:

- ``window``: the main window is visible and exposed (the event loop runs);
- ``photo``: the canvas has painted the first image's photo;
- ``stroke``: a brush stroke would be taken (the editable photo is shown and the GUI thread
  answers: the first heartbeat tick after ``photo``);
- ``proposal``: the first model proposal of the shown task is in and painted.

The child wraps :meth:`~fashion_annotator.ui.app.WindowSwitcher.show` to start a 5 ms heartbeat
timer on the window; nothing else of the application is changed. ``--baseline PATH`` runs the
same measure on another checkout (its ``fashion_annotator`` first on ``PYTHONPATH``), run for run
alternating with this one, so that a noisy machine shifts both alike.
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The milestones, in the order an operator sees them.
MILESTONES = ("window", "photo", "stroke", "proposal")
#: The heartbeat's period, in milliseconds.
TICK_MS = 5
#: Longest run of one child, in seconds.
CHILD_TIMEOUT_S = 180.0
#: Environment variables of the child: the file its figures go to, and the launch time.
OUT_ENV, LAUNCHED_ENV = "FA_BENCH_STARTUP_OUT", "FA_BENCH_STARTUP_LAUNCHED"
#: The module name this file runs under in the child.
CHILD = "__fa_bench_startup_child__"


def make_project(root: Path, photos: list[Path]) -> Path:
    """A project at ``root`` holding ``photos`` (copied in), for the runs to copy."""
    from fashion_annotator.dataset.formats.photos import add_photos
    from fashion_annotator.dataset.store import Project

    with Project.create(root) as project:
        summary = add_photos(project, photos, True)
        if summary.errors:
            raise RuntimeError("; ".join(f"{p}: {why}" for p, why in summary.errors))
    return root


def run_once(template: Path, scratch: Path, code_root: Path | None) -> dict[str, float]:
    """Launch the window on a fresh copy of ``template``; its milestones in seconds.

    ``code_root``: the checkout whose ``fashion_annotator`` runs (None: this one).
    """
    if scratch.exists():
        shutil.rmtree(scratch)
    project = scratch / "project"
    shutil.copytree(template, project)
    home = scratch / "home"
    home.mkdir()
    out = scratch / "figures.json"
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local" / "share"), QT_QPA_PLATFORM="offscreen")  # fmt: skip
    env.pop("FA_SMOKE_QUIT_MS", None)
    root = code_root if code_root is not None else Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env[OUT_ENV] = str(out)
    env[LAUNCHED_ENV] = repr(time.time())
    # this file runs the child, so that a baseline checkout without it is measured the same way
    command = [sys.executable, "-c", f"import runpy; runpy.run_path({str(Path(__file__))!r}, run_name={CHILD!r})",
               str(project)]  # fmt: skip
    done = subprocess.run(command, env=env, cwd=scratch, timeout=CHILD_TIMEOUT_S, capture_output=True, text=True)
    if not out.is_file():
        raise RuntimeError(f"the window did not report its start-up (status {done.returncode}):\n{done.stderr[-2000:]}")
    figures = json.loads(out.read_text())
    missing = [m for m in MILESTONES if m not in figures]
    if missing:
        raise RuntimeError(f"the window never reached {', '.join(missing)}:\n{done.stderr[-2000:]}")
    return figures


def child() -> None:
    """The measured process: the window on ``sys.argv[1]``, watched by a heartbeat (see module doc)."""
    launched = float(os.environ[LAUNCHED_ENV])
    out = Path(os.environ[OUT_ENV])
    from fashion_annotator.ui import app as app_module

    figures: dict[str, float] = {}
    original = app_module.WindowSwitcher.show

    def show(self, *args, **kwargs):
        window = original(self, *args, **kwargs)
        _watch(window, figures, launched, out)
        return window

    app_module.WindowSwitcher.show = show  # type: ignore[method-assign]
    sys.argv = ["fashion-annotator", sys.argv[1]]
    runpy.run_module("fashion_annotator", run_name="__main__")  # as `fashion-annotator PROJECT`


def _watch(window, figures: dict[str, float], launched: float, out: Path) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    canvas, session = window.canvas, window.session
    shown_paints: list[int] = []

    def proposal_ready(task: str) -> None:
        if task == window.task and not shown_paints:
            shown_paints.append(canvas.paint_count)

    session.proposalReady.connect(proposal_ready)

    def tick() -> None:
        now = time.time() - launched
        handle = window.windowHandle()
        if "window" not in figures and window.isVisible() and handle is not None and handle.isExposed():
            figures["window"] = now
        drawn = canvas.document is not None and canvas.paint_count > 0
        if "photo" in figures and "stroke" not in figures and session.current is not None \
                and not session.current.read_only and canvas.tool == "brush":  # fmt: skip
            figures["stroke"] = now
        if "window" in figures and "photo" not in figures and drawn:
            figures["photo"] = now
        if shown_paints and "proposal" not in figures and canvas.paint_count > shown_paints[0]:
            figures["proposal"] = now
        if all(m in figures for m in MILESTONES) or now > CHILD_TIMEOUT_S - 10:
            timer.stop()
            out.write_text(json.dumps(figures))
            QApplication.quit()

    timer = QTimer(window)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    timer.start()


def measure(templates: dict[str, Path], runs: int, baseline: Path | None, scratch: Path) -> dict:
    """Median milestones of each project in ``templates`` (and of ``baseline``, alternating)."""
    codes: dict[str, Path | None] = {"new": None}
    if baseline is not None:
        codes = {"old": baseline, "new": None}
    samples: dict[tuple[str, str], list[dict[str, float]]] = {}
    for _ in range(runs):
        for name, template in templates.items():
            for code, root in codes.items():
                samples.setdefault((name, code), []).append(run_once(template, scratch / "run", root))
    result: dict = {}
    for (name, code), runs_of in samples.items():
        for m in MILESTONES:
            result[f"{name}_{code}_{m}_s_median"] = round(statistics.median(r[m] for r in runs_of), 3)
    result["runs"] = runs
    return result


def main(data: Path | None, limit: int, runs: int, baseline: Path | None) -> dict:
    """Make the projects in a temporary folder, then :func:`measure`.

    ``sample``: the bundled sample photos; ``photos``: the first ``limit`` photos of ``data``
    (of its ``images/`` folder when it has one), at full size.
    """
    from fashion_annotator.dataset.formats.common import list_files
    from fashion_annotator.resources import resource_path

    photos = {"sample": list_files(resource_path("sample"))}
    if data is not None:
        folder = data / "images" if (data / "images").is_dir() else data
        photos["photos"] = list_files(folder)[:limit]
    with tempfile.TemporaryDirectory(prefix="fa-bench-startup-") as tmp:
        scratch = Path(tmp)
        templates = {name: make_project(scratch / f"template-{name}", files) for name, files in photos.items()}
        result = measure(templates, runs, baseline, scratch)
    result["photos"] = {name: len(files) for name, files in photos.items()}
    return result


def report(result: dict) -> str:
    """One line per project and checkout: the median seconds to each milestone."""
    lines = []
    for name, count in result["photos"].items():
        for code in ("old", "new"):
            figures = [result.get(f"{name}_{code}_{m}_s_median") for m in MILESTONES]
            if None not in figures:
                shown = ", ".join(f"{m} {v:.2f} s" for m, v in zip(MILESTONES, figures, strict=True))
                label = {"old": "baseline", "new": "this checkout"}[code]
                lines.append(f"{name} ({count} photos), {label}: {shown} (medians of {result['runs']} launches)")
    return "\n".join(lines)

if __name__ == CHILD:
    child()
