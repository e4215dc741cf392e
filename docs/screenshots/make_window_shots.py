"""Screenshots of the window at 1280x720 and 1600x1000, light and dark, Annotate and Review.

Run under a virtual display as large as the biggest window::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots/make_window_shots.py OUT

Writes ``OUT/window_<W>x<H>_<theme>_<tab>.png``. The project is the bundled sample: the
operator accepts the model's proposal on each photo (a brush stroke changes the second one,
so Review has a score to rank), then the window is shown at each size and theme. Everything
is made in a temporary folder; the user's settings are not touched.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_screenshots import open_window, ready, save_png, settle, wait_for  # noqa: E402

from fashion_annotator.core.masks import paint_stroke  # noqa: E402
from fashion_annotator.ui.app import sample_project  # noqa: E402
from fashion_annotator.ui.theme import apply_theme  # noqa: E402

SIZES = ((1280, 720), (1600, 1000))
THEMES = ("light", "dark")


def prepare(window) -> None:
    """Accept the proposal of every photo; paint over part of the second one."""
    for index, record in enumerate(window.project.images()):
        window.open_image(record.id)
        wait_for(lambda: ready(window), 300, f"the proposals of {record.name}")
        if index == 1:
            import numpy as np

            mask = window.session.current.doc.masks["garment"]
            h, w = mask.shape
            points = np.array([[w * 0.2, h * 0.3], [w * 0.8, h * 0.35]])
            window.session.current.doc.apply("garment", paint_stroke, points, w * 0.06, 1)
            window.session.note_edit("garment")
            window.save()
        else:
            window.set_task("garment")
            window.accept()
    window.open_image(window.project.images()[1].id)
    wait_for(lambda: ready(window), 300, "the second photo")


def main(out: Path) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName("FashionAnnotatorShots")
    app.setApplicationDisplayName("Fashion Annotator")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fa-shots-") as tmp:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        project = sample_project(Path(tmp))
        window = open_window(project, Path(tmp) / "shots.ini")
        window.start()
        prepare(window)
        for theme in THEMES:
            apply_theme(app, theme)
            for width, height in SIZES:
                window.showNormal()
                window.resize(width, height)
                window.move(0, 0)
                settle(0.8)
                window.tabs.setCurrentIndex(0)
                window.canvas.fit_to_window()
                save_png(window, out / f"window_{width}x{height}_{theme}_annotate.png")
                window.tabs.setCurrentIndex(1)
                wait_for(lambda: window.review.proxy.rowCount() > 0, 60, "the review rows")
                window.review.select_proxy_row(0)
                settle(0.8)
                save_png(window, out / f"window_{width}x{height}_{theme}_review.png")
                assert window.width() == width and window.height() == height, "the window grew"
        window.close()
        project.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    main(parser.parse_args().out)
