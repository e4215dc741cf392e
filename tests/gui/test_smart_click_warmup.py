"""Smart click's model warm-up: loaded and run in the background once the tool meets a photo.

The first click of a session waited for the click model's load and torch's first runs at each
input size (0.2-3.3 s); the warm-up does both on a thread of its own, and the window's close
cancels it (without waiting for its step in progress).
"""

from __future__ import annotations

import shutil
import threading

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from fashion_annotator.annotate.tools import smartclick as click_tool
from fashion_annotator.annotate.tools.click_model import shared_click_predictor, warmed_sizes
from fashion_annotator.core.document import AnnotationDocument
from fashion_annotator.core.images import load_image
from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.resources import resource_path
from fashion_annotator.segmentation.click_warmup import click_input_sizes
from fashion_annotator.segmentation.clicks import ClickPredictor
from fashion_annotator.ui import testing
from fashion_annotator.ui.annotate.canvas import Canvas

LEFT, NONE = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton


def click(canvas: Canvas, x: float, y: float) -> None:
    pos = canvas.view_pos(x, y)
    vp = canvas.viewport()
    for kind, buttons in ((QEvent.Type.MouseButtonPress, LEFT), (QEvent.Type.MouseButtonRelease, NONE)):
        event = QMouseEvent(kind, pos, QPointF(vp.mapToGlobal(pos.toPoint())), LEFT, buttons,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
        QApplication.sendEvent(vp, event)


def shown_canvas(qtbot, ccp_dir) -> Canvas:
    """A shown canvas on a CCP photo (garment task), the brush chosen."""
    rgb = load_image(ccp_dir / "images" / "0001.jpg").rgb
    view = Canvas()
    qtbot.addWidget(view)
    view.resize(500, 700)
    view.show()
    qtbot.waitExposed(view)
    view.set_document(AnnotationDocument("0001", rgb, {"garment": np.zeros(rgb.shape[:2], np.uint8)}),
                      "garment", load_taxonomy("garment"))  # fmt: skip
    return view


def test_choosing_smart_click_loads_and_runs_the_model_before_the_first_click(
    qtbot, ccp_dir, disk_click_model, monkeypatch
) -> None:
    model = disk_click_model(-5.0)
    loads: list[tuple[str, ClickPredictor]] = []

    def shared(path=None):  # the shared model: loaded once, by whichever thread asks first
        if not loads:
            loads.append((threading.current_thread().name, ClickPredictor(model)))
        return loads[0][1]

    monkeypatch.setattr(click_tool, "shared_click_predictor", shared)
    view = shown_canvas(qtbot, ccp_dir)
    assert not view.click_warmup.running and loads == []  # the brush needs no model
    view.set_tool("smartclick")
    qtbot.waitUntil(lambda: view.click_warmup.done(None), timeout=30000)
    (thread, predictor), = loads
    assert thread == "click-warmup"  # loaded off the GUI thread
    assert warmed_sizes(predictor) == click_input_sizes(predictor) == [predictor.size, (64, 64)]
    runs: list[tuple[str, tuple[int, int]]] = []
    predictor.module.register_forward_pre_hook(
        lambda _m, args: runs.append((threading.current_thread().name, tuple(args[0].shape[-2:]))))
    click(view, 200, 300)
    assert view.document.masks["garment"][300, 200] == 1
    assert runs == [(threading.current_thread().name, predictor.size)]  # a warmed size, the same model
    assert len(loads) == 1


def test_a_missing_or_damaged_model_leaves_the_warm_up_silent_and_the_click_says_so(
    qtbot, ccp_dir, tmp_path
) -> None:
    damaged = tmp_path / "click.safetensors"
    damaged.write_bytes(b"not a model")
    for path in (damaged, tmp_path / "gone.safetensors"):
        view = shown_canvas(qtbot, ccp_dir)
        said: list[str] = []
        view.message.connect(said.append)
        view.set_click_model(str(path))
        view.set_tool("smartclick")
        qtbot.waitUntil(lambda v=view, p=path: v.click_warmup.done(str(p)), timeout=30000)
        assert said == [] and shared_click_predictor(str(path)) is None
        click(view, 200, 300)
        assert said == ["Smart click needs a click model (resources/models/click.*)"]
        assert not view.document.masks["garment"].any()


def test_a_window_restored_with_smart_click_warms_up_once_its_photo_shows(
    qtbot, tmp_path, ccp_dir, isolated_settings, disk_click_model, monkeypatch
) -> None:
    predictor = ClickPredictor(disk_click_model(-5.0))
    asked: list[str] = []
    monkeypatch.setattr(click_tool, "shared_click_predictor", lambda path=None: asked.append("load") or predictor)
    from fashion_annotator.ui.preferences import Preferences, settings_file

    prefs = Preferences(settings_file(isolated_settings))
    prefs.last_tool = "smartclick"
    prefs.sync()
    root = testing.copy_project(testing.make_template(tmp_path, ccp_dir), tmp_path / "p")
    window, project = testing.open_window(qtbot, root, isolated_settings, testing.Answers())
    assert window.canvas.tool == "smartclick"
    qtbot.waitUntil(lambda: window.canvas.click_warmup.done(None), timeout=30000)
    assert asked and set(warmed_sizes(predictor)) == set(click_input_sizes(predictor))
    window.close()
    project.close()


def test_closing_the_window_during_the_warm_up_neither_hangs_nor_crashes(
    qtbot, tmp_path, ccp_dir, isolated_settings, monkeypatch
) -> None:
    """The shipped model, as a file of its own (loaded afresh by the warm-up): the window closes
    while the warm-up runs the network; the close cancels it without waiting, the warm-up stops
    after that run and no thread is left."""
    from fashion_annotator.segmentation import click_warmup

    model = tmp_path / "model" / "click.safetensors"
    model.parent.mkdir()
    shutil.copy(resource_path("models", "click.safetensors"), model)
    shutil.copy(resource_path("models", "click.json"), model.with_suffix(".json"))
    running, closing = threading.Event(), threading.Event()
    run_blank = click_warmup.run_blank

    def first_run_held(predictor, size):  # the first run goes on once the close has begun
        running.set()
        closing.wait(30)
        run_blank(predictor, size)

    monkeypatch.setattr(click_warmup, "run_blank", first_run_held)
    root = testing.copy_project(testing.make_template(tmp_path, ccp_dir), tmp_path / "p")
    window, project = testing.open_window(qtbot, root, isolated_settings, testing.Answers())
    warmup = window.canvas.click_warmup
    window.canvas.set_click_model(str(model))
    assert not warmup.running  # the brush: nothing to warm
    window.canvas.set_tool("smartclick")
    assert running.wait(30) and warmup.running
    cancel = warmup.cancel
    monkeypatch.setattr(warmup, "cancel", lambda: (cancel(), closing.set()))
    assert window.close()
    assert closing.is_set() and warmup.wait(30) and not warmup.done(str(model))
    assert not any(t.name == "click-warmup" for t in threading.enumerate())
    predictor = shared_click_predictor(str(model))  # loaded whole; the close cut the sizes short
    assert predictor is not None and warmed_sizes(predictor) == [predictor.size]
    project.close()
