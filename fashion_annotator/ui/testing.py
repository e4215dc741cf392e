"""Drive the main window as an operator would: real mouse and key events, scripted answers.

Used by the GUI tests and the screenshot script; like napari's testing helpers, it lives in the
package so any test folder can import it whatever pytest's import mode.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QApplication

from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.dataset.store import Project, open_project
from fashion_annotator.segmentation import superpixels as sp
from fashion_annotator.ui.annotate.canvas import Canvas
from fashion_annotator.ui.annotate.proposal_source import ProposalSource
from fashion_annotator.ui.main_window import MainWindow
from fashion_annotator.ui.preferences import Preferences, settings_file

LEFT, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
NOMOD = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
PHOTOS = ("0014", "0019", "0082")


def make_template(folder: Path, ccp_dir: Path) -> Path:
    """A project of three CCP photos with their superpixels already cached."""
    root = folder / "template"
    with Project.create(root) as project:
        for stem in PHOTOS:
            record = project.add_image(ccp_dir / "images" / f"{stem}.jpg")
            hierarchy = sp.compute_superpixels(project.load_photo(record.id).rgb)
            for name, array in sp.superpixels_to_arrays(hierarchy).items():
                project.cache.save(record.id, f"{sp.CACHE_KEY}-{name}", array)
    return root


def copy_project(template: Path, dest: Path) -> Path:
    """A fresh copy of the template project."""
    shutil.copytree(template, dest)
    return dest


class Answers:
    """Scripted answers to the window's questions, with a log of what was asked."""

    def __init__(
        self, restore: bool = True, quit: bool = True, read_only: bool = True, stop: bool = True
    ) -> None:
        self.restore, self.quit, self.read_only, self.stop = restore, quit, read_only, stop
        self.asked: list[tuple[str, object]] = []
        self.lease_images: list[str] = []  # the image each lease question named

    def ask_restore(self, entries) -> bool:
        self.asked.append(("restore", list(entries)))
        return self.restore

    def ask_quit(self, message: str) -> bool:
        self.asked.append(("quit", message))
        return self.quit

    def ask_lease_held(self, holder: str, expires: float, image: str = "") -> bool:
        self.asked.append(("lease", holder))
        self.lease_images.append(image)
        return self.read_only

    def ask_stop(self, message: str) -> bool:
        self.asked.append(("stop", message))
        return self.stop


def open_window(
    qtbot,
    root: str | Path,
    settings: Path,
    answers: Answers,
    user: str = "alice",
    use_shipped: bool = False,
    timeout_ms: int = 30000,
):
    """Open ``root`` (a folder or a project URL) in a shown main window, wait (at most
    ``timeout_ms``) for the first image, its superpixels and its background jobs.

    The shipped default models are left out unless ``use_shipped``, so that a test starts from
    an empty mask (or from the tiny model it registered) whatever models the repository ships.
    """
    project = open_project(root, user=user)
    window = MainWindow(
        project,
        Preferences(settings_file(settings)),
        ask_restore=answers.ask_restore,
        ask_quit=answers.ask_quit,
        ask_lease_held=answers.ask_lease_held,
        ask_stop=answers.ask_stop,
        proposals=ProposalSource(project, use_shipped=use_shipped),
    )
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.start()
    wait_ready(qtbot, window, timeout_ms)
    return window, project


def wait_ready(qtbot, window: MainWindow, timeout_ms: int = 30000) -> None:
    """Wait (at most ``timeout_ms``) until the open image's background jobs are done and its
    regions are shown."""
    qtbot.waitUntil(
        lambda: (
            window.session.current is not None
            and window.session.current.hierarchy is not None
            and not window.session.jobs.busy
        ),
        timeout=timeout_ms,
    )


def mouse(window: MainWindow, kind: QEvent.Type, x: float, y: float, button, buttons) -> None:
    """Send one mouse event at image pixel (x, y) to the canvas viewport."""
    canvas = window.canvas
    vp = canvas.viewport()
    pos = canvas.view_pos(x, y)
    event = QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos.toPoint())), button, buttons, NOMOD)
    QApplication.sendEvent(vp, event)


def click_viewport(canvas: Canvas, pos: QPointF, button=LEFT, mods=NOMOD) -> None:
    """Press and release ``button`` with ``mods`` at viewport position ``pos`` (screen pixels)."""
    vp = canvas.viewport()
    glob = QPointF(vp.mapToGlobal(pos.toPoint()))
    for kind, buttons in ((QEvent.Type.MouseButtonPress, button), (QEvent.Type.MouseButtonRelease, NONE)):
        QApplication.sendEvent(vp, QMouseEvent(kind, pos, glob, button, buttons, mods))


def click(window: MainWindow, x: float, y: float) -> None:
    mouse(window, QEvent.Type.MouseButtonPress, x, y, LEFT, LEFT)
    mouse(window, QEvent.Type.MouseButtonRelease, x, y, LEFT, NONE)


def drag(window: MainWindow, points) -> None:
    """Press at the first point, move through the others, release at the last."""
    (x0, y0), (x1, y1) = points[0], points[-1]
    mouse(window, QEvent.Type.MouseButtonPress, x0, y0, LEFT, LEFT)
    for x, y in points[1:]:
        mouse(window, QEvent.Type.MouseMove, x, y, NONE, LEFT)
    mouse(window, QEvent.Type.MouseButtonRelease, x1, y1, LEFT, NONE)


def press_key(qtbot, window: MainWindow, key, mods=NOMOD) -> None:
    """Type a key as the operator would, with the canvas focused (shortcuts included)."""
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, key, mods)


def shown_mask(window: MainWindow) -> np.ndarray:
    """The mask of the shown task of the open image."""
    current = window.session.current
    assert current is not None, "no image is open"
    return current.doc.masks[window.task]


def instance_of(window: MainWindow, parsing_name: str) -> int:
    """The id of the open image's first instance on ``parsing_name`` pixels (Instances panel)."""
    dock = window.instances
    assert dock.doc is not None, "the open image has no instances"
    names = dock.project.taxonomy(dock.parsing_task).names
    return next(k for k, i in sorted(dock.doc.instances.items()) if names[i.parsing_class] == parsing_name)


def choose_category(window: MainWindow, instance_id: int, category: str) -> None:
    """Select ``instance_id`` in the Instances panel and pick ``category`` in its box."""
    dock = window.instances
    dock.select([instance_id])
    dock.category.setCurrentText(category)
    dock.category.activated.emit(dock.category.currentIndex())


def send_key(widget, key, mods=NOMOD) -> None:
    QApplication.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, key, mods))


def add_tiny_model(project: Project, folder: Path, task: str = "garment") -> None:
    """Register and activate a tiny untrained U-Net for ``task`` (a real model file)."""
    import torch

    from fashion_annotator.models.unet import UNet
    from fashion_annotator.models.weights import save_model

    classes = [c.name for c in project.taxonomy(task).classes]
    torch.manual_seed(0)
    arch: dict[str, Any] = {
        "in_ch": 3, "out_ch": 1 if len(classes) == 2 else len(classes), "base": 4, "depth": 2
    }  # fmt: skip
    meta = {
        "task": task, "classes": classes, "arch": arch, "input_size": [64, 48],
        "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "threshold": 0.5,
        "version": "3", "date": "2026-01-01T00:00:00Z", "training_data_fingerprint": "0" * 16,
        "trained_on": [], "metrics": {},
    }  # fmt: skip
    path = folder / f"{task}-tiny.safetensors"
    save_model(path, UNet(**arch).eval(), meta)
    project.models.register(task, path, {}, [], activate=True)


def hold_proposals(window: MainWindow, monkeypatch: Any) -> threading.Event:
    """Make ``window``'s proposals wait (at most 20 s each) until the returned event is set:
    an operator quicker than the model. ``monkeypatch`` is pytest's fixture."""
    release = threading.Event()
    computing = window.session.proposals.propose

    def held(*args: Any, **kwargs: Any) -> Any:
        release.wait(20)
        return computing(*args, **kwargs)

    monkeypatch.setattr(window.session.proposals, "propose", held)
    return release


def shown_canvas(qtbot, doc: AnnotationDocument, task: str, size: tuple[int, int] = (480, 400)) -> Canvas:
    """A canvas of ``size`` (width, height in px) shown on screen with ``doc``'s ``task`` mask
    (the task's shipped taxonomy), for tests that drive it with the mouse."""
    view = Canvas()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.set_document(doc, task, load_taxonomy(task))
    return view


def wait_counted(qtbot, dialog) -> None:
    """Wait until a Retrain dialog has counted its masks (its :class:`MaskCount` thread)."""
    qtbot.waitUntil(lambda: dialog.selection is not None, timeout=60_000)
