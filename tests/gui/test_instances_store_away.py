"""Instances removed while a team project's server does not answer: said, not a crash.

A code review: the notice of instances a check of the parsing mask removed asked the store for
the photo's name outside any error handling, so with the server unreachable the check raised
ProjectError out of its timer (the crash dialog), and out of the save at the window's close.
The check is still made; the notice names the photo by the name the window holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fashion_annotator.core.masks import BBox
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.ui.testing import instance_of

SKIN = 1  # parsing7: no garment's class


@pytest.fixture
def template(masks_template: Path) -> Path:
    """The photos with their ground-truth masks saved: the conftest's ``opened`` opens a copy."""
    return masks_template


def _away(*_args, **_kwargs):
    raise ProjectError("server closed the connection unexpectedly")


def _dress_painted_skin(window) -> int:
    """The dress's parsing pixels all made skin (as a fill would): its instance is to go."""
    dock = window.instances
    dress = instance_of(window, "dress")
    pixels = dock.doc.map == dress

    def fill(mask):
        mask[pixels] = SKIN
        return BBox.of(pixels)

    window.set_task("parsing7")
    window.apply_mask_edit(fill, task="parsing7")
    return dress


def test_the_check_after_an_edit_says_the_removal_without_the_server(opened, qtbot, monkeypatch):
    window, _project = opened
    dock = window.instances
    name = window.display_name(window.project.image(window.session.image_id))
    monkeypatch.setattr(window.project, "image", _away)
    dress = _dress_painted_skin(window)
    qtbot.waitUntil(lambda: dress not in dock.doc.instances, timeout=3000)
    qtbot.waitUntil(lambda: window.status.currentMessage().startswith("Instances removed"), timeout=3000)
    message = window.status.currentMessage()
    assert f"from {name}:" in message and "dress" in message  # the name the window holds


def test_the_save_of_the_close_removes_and_says_it_without_the_server(opened, qtbot, monkeypatch):
    window, _project = opened
    dock = window.instances
    photo = window.display_name(window.project.image(window.session.image_id))
    said: list[str] = []
    dock.warning.connect(said.append)
    dress = _dress_painted_skin(window)
    assert dock.watch.pending
    for name in ("image", "instance_versions", "save_instances"):
        monkeypatch.setattr(window.project, name, _away)
    assert not dock.flush()  # what the close calls: the instances could not be saved, no raise
    assert dress not in dock.doc.instances
    assert len(said) == 1 and f"from {photo}:" in said[0]
    assert window.status.currentMessage().startswith("Instances not saved: server closed")


def test_a_save_the_server_answered_is_said_saved_when_it_goes_away_after(opened, qtbot, monkeypatch):
    """The save committed, then the server went away before the "Saved …" message read the
    photo's name: the save is reported as saved (by the name the window holds), nothing raises."""
    window, _project = opened
    name = window.display_name(window.project.image(window.session.image_id))
    _dress_painted_skin(window)
    gone = {"away": False}
    answering = window.project.image

    def image(*args, **kwargs):
        if gone["away"]:
            _away()
        return answering(*args, **kwargs)

    monkeypatch.setattr(window.project, "image", image)
    autosave = window.session.autosave
    saved = autosave.saved

    def server_goes_away() -> None:
        saved()
        gone["away"] = True

    monkeypatch.setattr(autosave, "saved", server_goes_away)
    assert window.session.save()
    assert window.status.currentMessage().startswith(f"Saved {name} at ")
