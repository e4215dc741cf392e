"""Screenshots of Smart click on a mannequin-framed photo: one box, then one click (real window).

Make the photos first, then run under a virtual display::

    fashion-annotator bench studio --data ../shared/datasets/ccp --out runs/mannequin70 \
        --count 70 --framing mannequin --split val
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python \
        docs/screenshots/make_smartclick_shots.py OUT [MANNEQUIN_DIR]

Writes ``OUT/smartclick_1600x1000.png`` and ``OUT/smartclick_1280x720.png``: the garment mask
cleared, a box dragged around the ground-truth garment and one click where the simulated
operator of ``bench noc`` would click, with the Dice printed.
"""

import sys
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).parent))
import make_screenshots as ms

from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import apply_mapping, mapping_from_taxonomies_json
from fashion_annotator.dataset.store import Project
from fashion_annotator.evaluation.click_effort import gt_box
from fashion_annotator.models.click import next_click

LEFT, NONE, NOMOD = (
    Qt.MouseButton.LeftButton,
    Qt.MouseButton.NoButton,
    Qt.KeyboardModifier.NoModifier,
)


def send(canvas, kind, x, y, button=LEFT, buttons=LEFT) -> None:
    """Deliver one mouse event at photo pixel ``(x, y)`` to the canvas' viewport."""
    pos = canvas.view_pos(x, y)
    vp = canvas.viewport()
    QApplication.sendEvent(
        vp, QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos.toPoint())), button, buttons, NOMOD)
    )


def drag_box(canvas, box: tuple[int, int, int, int]) -> None:
    """Drag a box ``(y0, x0, y1, x1)`` (photo pixels) with the left button."""
    y0, x0, y1, x1 = box
    send(canvas, QEvent.Type.MouseButtonPress, x0, y0)
    for t in np.linspace(0, 1, 6)[1:]:
        send(canvas, QEvent.Type.MouseMove, x0 + t * (x1 - x0), y0 + t * (y1 - y0), NONE, LEFT)
    send(canvas, QEvent.Type.MouseButtonRelease, x1, y1, LEFT, NONE)


def click(canvas, y: float, x: float, positive: bool) -> None:
    """A left (positive) or right (negative) click at photo pixel ``(y, x)``."""
    button = LEFT if positive else Qt.MouseButton.RightButton
    send(canvas, QEvent.Type.MouseButtonPress, x, y, button, button)
    send(canvas, QEvent.Type.MouseButtonRelease, x, y, button, NONE)


def shoot(project: Project, gt: np.ndarray, size: tuple[int, int], out: Path, tmp: Path) -> None:
    """One window at ``size``: clear the garment mask, one box, one click, a screenshot."""
    ms.WINDOW_SIZE = size
    window = ms.open_window(project, tmp / f"s{size[0]}.ini")
    window.start()
    ms.wait_for(lambda: ms.ready(window), 300, "the proposal")
    window.actions_by_name["tool_smartclick"].trigger()
    canvas = window.canvas
    canvas.document.masks["garment"][:] = 0
    canvas.fit_to_window()
    ms.settle()
    drag_box(canvas, gt_box(gt))
    ms.settle(1.0)
    placed = next_click(canvas.document.masks["garment"] == 1, gt)
    if placed is not None:
        click(canvas, *placed)
        ms.settle(1.0)
    mask = canvas.document.masks["garment"] == 1
    print(
        f"Dice after one box and one click: {2 * (mask & gt).sum() / (mask.sum() + gt.sum()):.4f}"
    )
    ms.save_png(window, out / f"smartclick_{size[0]}x{size[1]}.png")
    window.close()


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    src = Path(sys.argv[2] if len(sys.argv) > 2 else "runs/mannequin70")
    name = "studio_0003"
    _app = QApplication.instance() or QApplication(sys.argv)
    tmp = Path(tempfile.mkdtemp())
    project = Project.create(tmp / "project", tasks=("garment",))
    project.add_image(src / "images" / f"{name}.jpg")
    labels = load_mask(src / "masks" / f"{name}.png")
    gt = (
        apply_mapping(labels, mapping_from_taxonomies_json(src / "taxonomies.json", "garment")) == 1
    )
    for size in ((1600, 1000), (1280, 720)):
        shoot(project, gt, size, out, tmp)
    project.close()


if __name__ == "__main__":
    main()
