"""Screenshots of the Instances dock on a parsing18 project, at 1600x1000 and 1280x720.

Run under a virtual display as large as the biggest window::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots/make_instances_shots.py OUT

Writes ``OUT/instances_parsing18_<W>x<H>.png``: a ``garment,parsing18`` project of the bundled
sample photos, the shipped models proposing, the second photo open with its outer garment
selected (the white and black outline); the instance list's categories come from the share classifier. Everything is made in
a temporary folder; the user's settings are not touched.
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

from fashion_annotator.dataset.store import Project  # noqa: E402
from fashion_annotator.resources import resource_path  # noqa: E402

SIZES = ((1600, 1000), (1280, 720))


def main(out: Path) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setOrganizationName("FashionAnnotatorShots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fa-shots-") as tmp:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        project = Project.create(Path(tmp) / "parsing18", tasks=("garment", "parsing18"))
        for photo in sorted(resource_path("sample").glob("*.jpg"))[:3]:
            project.add_image(photo)
        window = open_window(project, Path(tmp) / "shots.ini")
        window.start()
        window.open_image(project.images()[1].id)
        wait_for(lambda: ready(window), 300, "the proposals")
        dock = window.instances
        wait_for(lambda: dock.doc is not None and bool(dock.doc.instances), 60, "the instances")
        print({k: i.category for k, i in sorted(dock.doc.instances.items())})
        names = project.taxonomy("parsing18").names
        ids = sorted(dock.doc.instances)
        outer = [k for k in ids if names[dock.doc.instances[k].parsing_class] == "outer"]
        row = ids.index(outer[0]) if outer else 0
        for width, height in SIZES:
            window.showNormal()
            window.resize(width, height)
            window.move(0, 0)
            settle(0.8)
            window.set_task("parsing18")
            window.canvas.fit_to_window()
            dock.list.setCurrentItem(dock.list.topLevelItem(row))
            save_png(window, out / f"instances_parsing18_{width}x{height}.png")
            assert window.width() == width and window.height() == height, "the window grew"
        window.close()
        project.close()
    del app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    main(parser.parse_args().out)
