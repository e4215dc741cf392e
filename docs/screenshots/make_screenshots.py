"""Render the README screenshots with the real window, the shipped models and CCP photos.

Run under a virtual display::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots/make_screenshots.py OUT

Writes ``OUT/main_window.png`` (a sample photo with the model's proposal as the overlay, brush
tool), ``OUT/superpixels.png`` (the same window with region boundaries, superpixel tool) and
``OUT/review_view.png`` (the Review tab on the 100 CCP val photos, worst Dice selected). The
review project records each photo's garment proposal (batch inference) before saving its
ground-truth mask as an operator's mask, so QA compares the proposal shown with the saved mask.
Everything is made in a temporary folder; nothing in the user's settings is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import apply_mapping, mapping_from_taxonomies_json
from fashion_annotator.dataset.formats.plain import import_plain
from fashion_annotator.dataset.store import Project
from fashion_annotator.segmentation.proposals import load_predictor
from fashion_annotator.ui.app import sample_project
from fashion_annotator.ui.main_window import MainWindow
from fashion_annotator.ui.preferences import Preferences, settings_file

WINDOW_SIZE = (1600, 1000)
MAX_BYTES = 1_000_000
REPO = Path(__file__).resolve().parents[2]
DEFAULT_CCP = Path(os.environ.get("FA_CCP_DIR", REPO.parent / "shared" / "datasets" / "ccp"))
# Operators of the review project and their effort per image: (seconds, actions) ranges.
OPERATORS = {"maria": ((40, 150), (6, 30)), "kenji": ((60, 220), (10, 45))}


def wait_for(condition, timeout_s: float, what: str) -> None:
    """Process Qt events until ``condition()`` holds; raise naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        QCoreApplication.processEvents()
        time.sleep(0.02)


def settle(seconds: float = 0.3) -> None:
    """Let pending paints and layouts run."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)


def open_window(project: Project, settings: Path) -> MainWindow:
    """A shown main window of ``project`` at the screenshot size, with fresh preferences."""
    window = MainWindow(project, Preferences(settings_file(settings)),
                        ask_restore=lambda _entries: False, ask_quit=lambda _m: True,
                        ask_lease_held=lambda _holder, _expires: True)  # fmt: skip
    window.resize(*WINDOW_SIZE)
    window.show()
    settle()
    return window


def ready(window: MainWindow) -> bool:
    """Whether the open image has its superpixels and every task's proposal."""
    cur = window.session.current
    return (
        cur is not None
        and cur.hierarchy is not None
        and not window.session.jobs.busy
        and all(cur.doc.proposals.get(t) is not None for t in window.project.tasks)
    )


def save_png(widget, path: Path) -> None:
    """Grab ``widget`` and write it as a PNG under :data:`MAX_BYTES` (quantized if needed)."""
    settle()
    widget.grab().save(str(path), "PNG")
    if path.stat().st_size > MAX_BYTES:
        with Image.open(path) as img:
            img.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"{path}: {path.stat().st_size / 1e3:.0f} kB")


def annotation_shots(out: Path, tmp: Path, task: str, photo: str | None, label: str) -> None:
    """main_window.png and superpixels.png on the bundled sample project."""
    project = sample_project(tmp)
    window = open_window(project, tmp / "annotate.ini")
    window.start()
    if photo is not None:
        record = next(r for r in project.images() if r.name.startswith(photo))
        window.open_image(record.id)
    window.set_task(task)
    wait_for(lambda: ready(window), 300, "the proposals and superpixels")
    window.actions_by_name["tool_brush"].trigger()
    window.set_label(window.taxonomies[task].index(label))
    save_png(window, out / "main_window.png")
    window.actions_by_name["tool_superpixel"].trigger()
    window.view_bar.boundaries.setChecked(True)
    save_png(window, out / "superpixels.png")
    window.close()
    project.close()


def review_project(root: Path, ccp: Path, limit: int | None) -> Project:
    """The CCP val photos with recorded garment proposals, then their GT saved by operators."""
    names = json.loads((ccp / "splits.json").read_text())["val"][:limit]
    staged = root.parent / "val-photos"
    (staged / "images").mkdir(parents=True)
    for name in names:
        (staged / "images" / f"{name}.jpg").symlink_to(ccp / "images" / f"{name}.jpg")
    with Project.create(root, tasks=("garment",), user="importer") as project:
        summary = import_plain(project, staged, taxonomy="garment")
        if summary.errors:
            raise RuntimeError("\n".join(summary.lines()))
        records = {Path(r.name).stem: r for r in project.images()}
        predictor = load_predictor("garment")
        rgbs = [project.load_photo(records[n].id).rgb for n in names]
        started = time.monotonic()
        proposals = predictor.predict_batch(rgbs)
        print(f"{len(rgbs)} garment proposals in {time.monotonic() - started:.0f} s")
        for name, proposal in zip(names, proposals, strict=True):
            version = str(proposal.model_version or "unknown")
            project.save_proposal(records[name].id, "garment", proposal.mask, version)
    mapping = mapping_from_taxonomies_json(ccp / "taxonomies.json", "garment")
    rng = np.random.default_rng(0)
    for i, (user, (secs, acts)) in enumerate(OPERATORS.items()):
        with Project.open(root, user=user) as project:
            for name in names[i :: len(OPERATORS)]:
                raw = load_mask(ccp / "masks" / f"{name}.png")
                project.save_mask(records[name].id, "garment", apply_mapping(raw, mapping),
                                  seconds=float(rng.uniform(*secs)),
                                  actions=int(rng.integers(*acts)), status="done")  # fmt: skip
    return Project.open(root, user="qa-lead")


def review_shot(out: Path, tmp: Path, ccp: Path, limit: int | None) -> None:
    """review_view.png: the Review tab, worst image selected."""
    project = review_project(tmp / "ccp-val-project", ccp, limit)
    window = open_window(project, tmp / "review.ini")
    window.start()
    wait_for(lambda: ready(window), 300, "the first image's proposal and superpixels")
    window.tabs.setCurrentIndex(1)
    wait_for(lambda: window.review is not None and window.review.proxy.rowCount() > 0, 120,
             "the review table")  # fmt: skip
    window.review.select_proxy_row(0)
    row = window.review.selected_row()
    print(f"worst: {row.name} Dice {row.score:.3f}; {window.review.summary.text()}")
    save_png(window, out / "review_view.png")
    window.close()
    project.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for the PNGs (created)")
    parser.add_argument("--ccp", type=Path, default=DEFAULT_CCP, help="the CCP dataset folder")
    parser.add_argument("--task", default="parsing7", help="task shown in main_window.png")
    parser.add_argument("--label", default="top", help="label chosen for the brush")
    parser.add_argument("--photo", default="ccp_0019", help="sample photo to open")
    parser.add_argument("--limit", type=int, default=None, help="review at most N val photos")
    parser.add_argument("--only", choices=("annotate", "review"), help="render one part only")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationDisplayName("Fashion Annotator")
    with tempfile.TemporaryDirectory(prefix="fa-shots-") as tmp:
        if args.only in (None, "annotate"):
            annotation_shots(args.out, Path(tmp), args.task, args.photo, args.label)
        if args.only in (None, "review"):
            review_shot(args.out, Path(tmp), args.ccp.resolve(), args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
