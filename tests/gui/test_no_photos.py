"""An empty project (no photos): the canvas said nothing, and Propose and Mark done did nothing
without a word. The canvas now says how to add photos and the photo actions say why they do
nothing; the hint goes once photos come in."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from fashion_annotator.dataset.store import Project, open_project
from fashion_annotator.ui.main_window import MainWindow
from fashion_annotator.ui.preferences import Preferences, settings_file

NO_PHOTOS = "No photos yet: File > Add photos… (Ctrl+Shift+A)"
WHY = "nothing to do, the project has no photos yet; File > Add photos… (Ctrl+Shift+A)"


def test_an_empty_project_says_how_to_add_photos_and_why_photo_actions_do_nothing(qtbot, tmp_path, answers):
    Project.create(tmp_path / "empty", user="alice").close()
    project = open_project(tmp_path / "empty", user="alice")
    window = MainWindow(project, Preferences(settings_file(tmp_path / "settings.ini")), ask_restore=answers.ask_restore,
                        ask_quit=answers.ask_quit)  # fmt: skip
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.start()
    bar = window.status
    assert window.session.current is None
    bar.clearMessage()
    qtbot.mouseClick(window.instances.buttons["propose"], Qt.MouseButton.LeftButton)
    assert bar.currentMessage() == f"Propose: {WHY}"
    bar.clearMessage()
    window.actions_by_name["done"].trigger()
    assert bar.currentMessage() == f"Mark done and next: {WHY}"
    bar.clearMessage()
    window.actions_by_name["next"].trigger()
    assert bar.currentMessage() == f"Next image: {WHY}"
    hint = window.canvas.viewport().findChild(QLabel, "noPhotosHint")
    assert hint is not None and hint.isVisible() and hint.text() == NO_PHOTOS
    assert hint.geometry() == window.canvas.viewport().rect(), "centred on the whole canvas"
    photo = tmp_path / "look.png"
    Image.fromarray(np.full((40, 32, 3), 120, np.uint8)).save(photo)
    window.files.inform = lambda title, lines, wrong: None
    assert window.files.add_photos([photo]) is not None
    assert window.files.wait(30000)
    qtbot.waitUntil(lambda: window.queue.model.rowCount() == 1, timeout=30000)
    assert not hint.isVisible(), "photos came in: the hint goes"
    qtbot.waitUntil(lambda: window.session.current is not None, timeout=30000)
    bar.clearMessage()
    window.actions_by_name["save"].trigger()
    assert WHY not in bar.currentMessage()
    window.close()
    project.close()
