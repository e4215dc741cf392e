"""``fashion-annotator bench first-click``: the first Smart click of a process, with and without
the click model's warm-up (:class:`~fashion_annotator.annotate.tools.click_model.ClickWarmup`).

The click model loads on first use and torch's first run at each input size is slow, once per
process; so each run is a fresh process (offscreen Qt), torch imported (as the window's first
proposal has imported it by then: an import holds the GIL, and with it the GUI thread, for a
second or more, wherever it runs): a canvas shows a studio-sized photo
(1152 x 1728, the first bundled sample photo resized), the Smart-click tool is chosen, the event
loop runs for the operator's pause (``--pause``, seconds), then one positive click lands on the
photo's centre (an empty mask: the network runs at its full input size). Figures per run:

- ``click_ms``: press to the repaint after the release (as ``bench ui`` times a click);
- ``model_ms``: the click model's update alone (:attr:`SmartClickTool.last_ms`);
- ``warmed``: whether the warm-up had ended before the click;
- ``next_click_ms``: the process's second click, just above (a correction, the model warm by
  then): what the first click would take with nothing left to load or run for the first time;
- ``stall_ms``: the longest gap between two ticks of a 5 ms GUI-thread timer during the pause
  (the warm-up must never hold up the window).

Runs alternate with and without the warm-up, so a noisy machine shifts both alike; ``--busy N``
keeps N other processes spinning meanwhile (a loaded machine).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Environment of the child: the file its figures go to, warm-up on ("1") or off, the pause.
OUT_ENV, WARM_ENV, PAUSE_ENV = "FA_BENCH_FIRST_CLICK_OUT", "FA_BENCH_FIRST_CLICK_WARM", "FA_BENCH_FIRST_CLICK_PAUSE"
#: The module name this file runs under in the child.
CHILD = "__fa_bench_first_click_child__"
CHILD_TIMEOUT_S = 180.0
FIGURES = ("click_ms", "model_ms", "stall_ms", "next_click_ms")


def _studio_photo(folder: Path) -> Path:
    from PIL import Image

    from fashion_annotator.resources import resource_path
    from fashion_annotator.ui.bench import STUDIO_WH

    src = sorted(resource_path("sample").glob("*.jpg"))[0]
    dst = folder / "studio.jpg"
    with Image.open(src) as im:
        im.convert("RGB").resize(STUDIO_WH, Image.Resampling.LANCZOS).save(dst, quality=92)
    return dst


def run_once(photo: Path, warm: bool, pause_s: float, scratch: Path) -> dict:
    """One fresh process's first click on ``photo``; its figures (see the module doc)."""
    out = scratch / "figures.json"
    out.unlink(missing_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **{OUT_ENV: str(out), WARM_ENV: "1" if warm else "0",
               PAUSE_ENV: repr(pause_s)})  # fmt: skip
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    command = [sys.executable, "-c", f"import runpy; runpy.run_path({str(Path(__file__))!r}, run_name={CHILD!r})",
               str(photo)]  # fmt: skip
    done = subprocess.run(command, env=env, timeout=CHILD_TIMEOUT_S, capture_output=True, text=True)
    if not out.is_file():
        raise RuntimeError(f"the first-click run did not report (status {done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(out.read_text())


def child() -> None:
    """The measured process (see the module doc)."""
    import torch  # noqa: F401 - imported, as the window's first proposal has by then
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from fashion_annotator.annotate.tools.click_model import ClickWarmup
    from fashion_annotator.core.document import AnnotationDocument
    from fashion_annotator.core.images import load_image
    from fashion_annotator.core.labels import load_taxonomy
    from fashion_annotator.ui.annotate.canvas import Canvas
    from fashion_annotator.ui.bench import VIEW_WH, _click_and_wait, _wait_painted

    if os.environ[WARM_ENV] != "1":
        ClickWarmup.request = lambda self, path, load: None  # type: ignore[method-assign]
    app = QApplication.instance() or QApplication([])
    import numpy as np

    rgb = load_image(Path(sys.argv[1])).rgb
    doc = AnnotationDocument("first", rgb, {"garment": np.zeros(rgb.shape[:2], np.uint8)})
    canvas = Canvas()
    canvas.resize(*VIEW_WH)
    canvas.show()
    canvas.set_document(doc, "garment", load_taxonomy("garment"))
    _wait_painted(canvas, 0, timeout_s=60.0)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(5)
    canvas.set_tool("smartclick")
    deadline = time.perf_counter() + float(os.environ[PAUSE_ENV])
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    warmed = canvas.click_warmup.done(None)
    h, w = rgb.shape[:2]
    t0 = time.perf_counter()
    _click_and_wait(canvas, 0.5 * w, 0.5 * h)
    click_ms = (time.perf_counter() - t0) * 1e3
    model_ms = getattr(canvas._tool, "last_ms", None)
    t0 = time.perf_counter()
    _click_and_wait(canvas, 0.5 * w, 0.3 * h)  # the next click: the warm figure to compare with
    next_ms = (time.perf_counter() - t0) * 1e3
    canvas.click_warmup.shutdown()
    gaps = np.diff(ticks) * 1e3 if len(ticks) > 1 else np.zeros(1)
    figures = {"click_ms": click_ms, "model_ms": model_ms, "warmed": warmed, "stall_ms": float(gaps.max()),
               "next_click_ms": next_ms}  # fmt: skip
    Path(os.environ[OUT_ENV]).write_text(json.dumps(figures))


def main(runs: int = 5, pause_s: float = 3.0, busy: int = 0, json_out: Path | None = None) -> dict:
    """Median figures of ``runs`` fresh processes with the warm-up and ``runs`` without."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    samples: dict[str, list[dict]] = {"with": [], "without": []}
    try:
        with tempfile.TemporaryDirectory(prefix="fa-bench-first-click-") as tmp:
            scratch = Path(tmp)
            photo = _studio_photo(scratch)
            for _ in range(runs):
                for name in ("without", "with"):
                    samples[name].append(run_once(photo, name == "with", pause_s, scratch))
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    result: dict = {"runs": runs, "pause_s": pause_s, "busy": busy}
    for name, got in samples.items():
        for figure in FIGURES:
            result[f"{name}_warmup_{figure}_median"] = round(statistics.median(r[figure] for r in got), 1)
        result[f"{name}_warmup_warmed_runs"] = sum(bool(r["warmed"]) for r in got)
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2))
    return result


def report(result: dict) -> str:
    """Two lines: the first click's medians without and with the warm-up."""
    lines = []
    for name in ("without", "with"):
        f = {k: result[f"{name}_warmup_{k}_median"] for k in FIGURES}
        lines.append(f"{name} warm-up: first click {f['click_ms']:.0f} ms (model {f['model_ms']:.0f} ms, "
                     f"the next click {f['next_click_ms']:.0f} ms), "
                     f"longest GUI stall in the pause {f['stall_ms']:.0f} ms, warm-up ended before the click in "
                     f"{result[f'{name}_warmup_warmed_runs']} of {result['runs']}")  # fmt: skip
    lines.append(f"medians of {result['runs']} fresh processes each, {result['pause_s']:g} s after choosing "
                 f"the tool, {result['busy']} busy processes beside")  # fmt: skip
    return "\n".join(lines)


if __name__ == CHILD:
    child()
