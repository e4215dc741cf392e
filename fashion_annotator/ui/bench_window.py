"""How long the real window's GUI thread stalls while a new image's background work lands.

Opening an image starts its superpixels, the proposals of every task and, once the parsing
proposal is in, the instance proposal, all in workers; what is left on the GUI thread is
showing the photo and applying each result. A heartbeat timer firing every 5 ms measures the
longest gap between two of its ticks from the image switch until every job is done (the
longest moment the window could not answer a key or repaint). The baseline, measured in the
same run on the same photos, is what deriving the image's instances on the GUI thread costs
(as the window did before 2026-12-06): the stall it would add.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

#: The heartbeat's period, in milliseconds (the resolution of the stall figures).
TICK_MS = 5
#: Longest wait for one image's jobs, in seconds.
READY_TIMEOUT_S = 120.0


def _wait(predicate, timeout_s: float) -> None:
    deadline = time.perf_counter() + timeout_s
    while not predicate():
        QApplication.processEvents()
        time.sleep(0.002)
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the window's background work did not end within {timeout_s:g} s")


def _longest_stall_ms(window, image_id: int) -> float:
    """The longest GUI-thread gap, in ms, from opening ``image_id`` until its jobs are done."""
    ticks = [time.perf_counter()]
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    _wait(lambda: len(ticks) > 3, 5.0)
    if not window.open_image(image_id):
        raise RuntimeError(f"image {image_id} did not open")
    session, dock = window.session, window.instances
    _wait(lambda: not session.jobs.busy and session.current is not None and session.current.hierarchy is not None,
          READY_TIMEOUT_S)  # fmt: skip
    _wait(lambda: dock.doc is not None or dock.parsing_task is None, 1.0)
    ticks.append(time.perf_counter())
    timer.stop()
    return 1000.0 * max(b - a for a, b in zip(ticks, ticks[1:], strict=False))


def _inline_instances_ms(window) -> float | None:
    """What deriving the open image's instances costs on the GUI thread, in ms."""
    from fashion_annotator.instances.proposer import InstanceProposer
    from fashion_annotator.ui.annotate.instance_proposing import derive_instances

    dock = window.instances
    inputs = dock._proposal_inputs()
    if inputs is None or dock.parsing_task is None:
        return None
    proposer = InstanceProposer(dock.classifier, window.project.taxonomy(dock.parsing_task), dock.taxonomy)
    t0 = time.perf_counter()
    derive_instances(proposer, inputs, dock.parsing_task, dock.taxonomy.name)
    return 1000.0 * (time.perf_counter() - t0)


def measure_window_stalls(photos: list[Path], settings_dir: Path) -> dict:
    """Open each of ``photos`` once in a real window (shipped models) and time its stalls.

    Returns
    -------
    dict
        ``window_stall_ms_median`` and ``window_stall_ms_max`` (longest GUI gap per image switch,
        until proposals, superpixels and instances are in), ``instances_inline_ms_median`` (the
        baseline: the instance derivation that used to run on the GUI thread) and
        ``window_images`` (how many switches were measured).
    """
    from fashion_annotator.dataset.store import Project, open_project
    from fashion_annotator.ui.main_window import MainWindow
    from fashion_annotator.ui.preferences import Preferences, settings_file
    from fashion_annotator.ui.testing import Answers

    root = settings_dir / "project"
    with Project.create(root) as created:
        ids = [created.add_image(p).id for p in photos]
    project = open_project(root, user="bench")
    answers = Answers()  # no question is asked of a benchmark (a fresh project has nothing to restore)
    window = MainWindow(project, Preferences(settings_file(settings_dir / "settings.ini")),
                        ask_restore=answers.ask_restore, ask_quit=answers.ask_quit,
                        ask_lease_held=answers.ask_lease_held, ask_stop=answers.ask_stop)  # fmt: skip
    window.resize(1280, 720)
    window.show()
    window.start()
    stalls, inline = [], []
    try:
        _wait(lambda: window.session.current is not None and not window.session.jobs.busy, READY_TIMEOUT_S)
        for image_id in ids[1:] + ids[:1]:
            stalls.append(_longest_stall_ms(window, image_id))
            cost = _inline_instances_ms(window)
            if cost is not None:
                inline.append(cost)
    finally:
        window.close()
        project.close()
    out = {
        "window_images": len(stalls),
        "window_stall_ms_median": round(statistics.median(stalls), 1),
        "window_stall_ms_max": round(max(stalls), 1),
    }
    if inline:
        out["instances_inline_ms_median"] = round(statistics.median(inline), 1)
    return out


def main(photos: list[Path]) -> dict:
    """Measure in a temporary folder and return the figures."""
    with tempfile.TemporaryDirectory(prefix="fa-bench-window-") as tmp:
        return measure_window_stalls(photos, Path(tmp))
