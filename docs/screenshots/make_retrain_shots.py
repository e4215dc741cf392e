"""Screenshots of the Retrain dialog during its refit and when done, at 1600x1000 and 1280x720.

Run under a virtual display of each size (the screen is grabbed whole)::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots/make_retrain_shots.py OUT 1600 1000
    xvfb-run -a -s "-screen 0 1280x720x24" .venv/bin/python docs/screenshots/make_retrain_shots.py OUT 1280 720

Writes ``OUT/retrain_<W>x<H>_refit.png`` and ``OUT/retrain_<W>x<H>_done.png``: a garment project
of the 14 photos of ``tests/fixtures/ccp_small`` (12 corrected masks, 2 photos new), the main
window, and over it a real retrain of the shipped garment model (3 epochs, CPU) through the
dialog: the held-out run, then the refit on every mask, then the comparison. Everything is made
in a temporary folder; the user's settings are not touched.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screenshots import open_window, settle, wait_for  # noqa: E402

from fashion_annotator.core.label_images import load_mask  # noqa: E402
from fashion_annotator.core.labels import apply_mapping, mapping_from_taxonomies_json  # noqa: E402
from fashion_annotator.dataset.store import Project  # noqa: E402
from fashion_annotator.ui.window_dialogs import show_training  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "ccp_small"


def make_project(root: Path) -> Project:
    """The fixture's photos; the first 12 with their ground-truth garment mask saved ``done``."""
    project = Project.create(root, tasks=("garment",))
    mapping = mapping_from_taxonomies_json(FIXTURE / "taxonomies.json", "garment")
    for i, photo in enumerate(sorted((FIXTURE / "images").glob("*.jpg"))):
        record = project.add_image(photo)
        if i < 12:
            mask = apply_mapping(load_mask(FIXTURE / "masks" / f"{photo.stem}.png"), mapping)
            project.save_mask(record.id, "garment", mask, status="done")
    return project


def grab_screen(app: QApplication, path: Path) -> None:
    settle(0.5)
    app.primaryScreen().grabWindow(0).save(str(path), "PNG")
    print(f"{path}: {path.stat().st_size / 1e3:.0f} kB")


def main(out: Path, width: int, height: int) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName("FashionAnnotatorShots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fa-shots-") as tmp:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        project = make_project(Path(tmp) / "retrain")
        window = open_window(project, Path(tmp) / "settings.ini")
        window.resize(width, height)
        window.move(0, 0)
        dialog = show_training(window, "garment")
        dialog.epochs_spin.setValue(3)
        dialog.device_combo.setCurrentText("cpu")
        settle()
        finished: list[str] = []
        dialog.trainingFinished.connect(finished.append)
        dialog.start()
        wait_for(lambda: any(e["event"] == "refit_step" for e in dialog.events), 600, "the refit")
        grab_screen(app, out / f"retrain_{width}x{height}_refit.png")
        wait_for(lambda: bool(finished), 600, "the end of the retrain")
        grab_screen(app, out / f"retrain_{width}x{height}_done.png")
        dialog.close()
        window.close()
        project.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("width", type=int)
    parser.add_argument("height", type=int)
    args = parser.parse_args()
    main(args.out, args.width, args.height)
