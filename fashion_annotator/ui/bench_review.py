"""``bench ui``'s Review tab switch: a real SQLite project of masked images, the tab shown
again (its :meth:`~fashion_annotator.ui.review.view.ReviewView.refresh`, as the window calls it)
with nothing changed since, and with one mask saved since.

Run alone: ``python -m fashion_annotator.ui.bench_review [N]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["SWITCH_MASKS", "build_project", "measure_review_switch"]

#: Masked images of the measured project (a scale hand test had 704 masks).
SWITCH_MASKS = 700
_SHAPE = (40, 60)


def build_project(root: Path, n: int, user: str = "rita"):
    """A garment project at ``root`` with ``n`` small photos, each with a proposal and a saved
    mask that differ (scores spread from 0.5 to 1, some tied); returned open."""
    from fashion_annotator.dataset.store import Project

    rng = np.random.default_rng(0)
    src = root.parent / f"{root.name}-photos"
    src.mkdir(parents=True, exist_ok=True)
    project = Project.create(root, tasks=("garment",), user=user)
    for i in range(n):
        path = src / f"shoot-{i:05d}.png"
        Image.fromarray(rng.integers(0, 256, (*_SHAPE, 3), dtype=np.uint8)).save(path)
        image_id = project.add_image(path).id
        proposal = np.zeros(_SHAPE, np.uint8)
        proposal[10:30, 10:30] = 1
        mask = np.zeros(_SHAPE, np.uint8)
        mask[10:30, 10:30 + i % 17] = 1
        project.save_proposal(image_id, "garment", proposal, "v1")
        project.save_mask(image_id, "garment", mask, seconds=30.0, actions=3, status="done")
    return project


def measure_review_switch(n: int = SWITCH_MASKS, runs: int = 5) -> dict:
    """Milliseconds (medians of ``runs``) of the Review tab's refresh and the paint after it, on
    a project of ``n`` masked images: ``review_switch_ms_median`` with nothing changed since the
    last visit, ``review_switch_changed_ms_median`` with one mask saved since."""
    from PySide6.QtWidgets import QApplication

    from fashion_annotator.ui.review.view import ReviewView

    app = QApplication.instance() or QApplication([])
    out: dict = {"review_switch_masks": n}
    with tempfile.TemporaryDirectory(prefix="fa-bench-review-") as tmp:
        project = build_project(Path(tmp) / "proj", n)
        try:
            view = ReviewView(project)
            view.resize(1280, 720)
            view.show()
            deadline = time.monotonic() + 120
            while view.model.rowCount() < n and time.monotonic() < deadline:
                app.processEvents()  # the first visit scores in a thread
                time.sleep(0.01)
            ids = [r.image_id for r in view.model.rows()]
            for key, change in (("", False), ("_changed", True)):
                times = []
                for i in range(runs):
                    if change:
                        mask = np.zeros(_SHAPE, np.uint8)
                        mask[5:35, 5 : 20 + i] = 1
                        project.save_mask(ids[i], "garment", mask, seconds=5.0, actions=1, status="done")
                    app.processEvents()
                    start = time.perf_counter()
                    view.show_again()
                    app.processEvents()
                    times.append((time.perf_counter() - start) * 1000)
                out[f"review_switch{key}_ms_median"] = round(float(np.median(times)), 1)
            view.mask_checks.stop()
            view.close()
        finally:
            project.close()
    return out


if __name__ == "__main__":
    print(measure_review_switch(int(sys.argv[1]) if len(sys.argv) > 1 else SWITCH_MASKS))
