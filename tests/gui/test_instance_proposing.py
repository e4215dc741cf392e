"""The Instances dock derives an image's instance proposal off the GUI thread.

Deriving took about 360 ms of the GUI thread on every new image (the category classifier and
the colour step), freezing the window just after it opened. These tests drive the real window
on CCP photos with saved parsing masks and check that the proposal is derived in a worker, that
a mask edit made while it computes is not lost to a stale proposal, that moving on to another
image drops it, and that the Propose button still wins over one in flight.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from fashion_annotator.core import images
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import mapping_from_taxonomies_json
from fashion_annotator.core.masks import BBox
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.model import accessory_ground, inconsistent_pixels
from fashion_annotator.instances.proposer import InstanceProposer
from fashion_annotator.ui.testing import Answers, copy_project, open_window, wait_ready


@pytest.fixture
def calls(monkeypatch):
    """Each derivation's ``(on the GUI thread, parsing mask)``; the worker's take 0.6 s, so a
    test can act while one computes."""
    seen: list[tuple[bool, np.ndarray]] = []
    real = InstanceProposer.from_masks

    def recording(self, rgb, parsing, *args, **kwargs):
        gui = threading.current_thread() is threading.main_thread()
        seen.append((gui, parsing.copy()))
        if not gui:
            time.sleep(0.6)
        return real(self, rgb, parsing, *args, **kwargs)

    monkeypatch.setattr(InstanceProposer, "from_masks", recording)
    return seen


@pytest.fixture
def window(qtbot, masks_template, tmp_path, calls):
    """A window on three CCP photos with saved parsing7 and garment masks and no instances."""
    root = copy_project(masks_template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", Answers())
    yield window
    window.close()
    project.close()


def _other_images(window) -> list[int]:
    return [r.id for r in window.project.images() if r.id != window.session.image_id]


def test_the_proposal_is_derived_in_a_worker_and_shown_when_it_arrives(window, calls):
    dock = window.instances
    assert calls and not any(gui for gui, _ in calls), "derived on the GUI thread"
    assert dock.doc is not None and len(dock.doc.instances) >= 3
    assert dock.list.topLevelItemCount() == len(dock.doc.instances)
    parsing = window.session.current.doc.masks["parsing7"]
    assert inconsistent_pixels(dock.doc.set, parsing) == {}


def test_an_edit_made_while_it_computes_starts_it_again_on_the_edited_mask(qtbot, window, calls):
    dock = window.instances
    image_id = _other_images(window)[0]
    calls.clear()
    assert window.open_image(image_id)
    assert dock.background.pending
    parsing = window.session.current.doc.masks["parsing7"]
    garment_pixels = parsing > 1
    ys, xs = np.nonzero(garment_pixels)
    cut = garment_pixels & (np.arange(parsing.shape[0])[:, None] < int(np.median(ys)))

    def to_skin(mask):  # the upper half of the garments becomes skin, while the worker computes
        mask[cut] = 1
        return BBox.of(cut)

    window.apply_mask_edit(to_skin, task="parsing7")
    wait_ready(qtbot, window)
    assert len(calls) == 2, "started again on the edited mask"
    assert np.array_equal(calls[1][1], window.session.current.doc.masks["parsing7"])
    assert dock.doc is not None and dock.doc.instances
    # no instance of a garment class on the pixels that are skin now (garment-cutout pixels
    # the parsing calls skin may form accessories, class 0)
    ground = accessory_ground(window.project.taxonomy("parsing7"), dock.taxonomy)
    assert inconsistent_pixels(dock.doc.set, window.session.current.doc.masks["parsing7"], ground) == {}


def test_moving_on_drops_the_proposal_of_the_image_left(qtbot, window, calls):
    dock = window.instances
    first, second = _other_images(window)
    arrived: list[int] = []
    dock.background.proposed.connect(lambda image_id, _iset: arrived.append(image_id))
    assert window.open_image(first)
    assert window.open_image(second)
    wait_ready(qtbot, window)
    assert arrived == [second]
    assert dock.image_id == second and dock.doc is not None
    assert dock.doc.map.shape == window.session.current.doc.shape
    assert inconsistent_pixels(dock.doc.set, window.session.current.doc.masks["parsing7"]) == {}


def test_the_propose_button_wins_over_a_proposal_in_flight(qtbot, window, calls):
    dock = window.instances
    image_id = _other_images(window)[0]
    assert window.open_image(image_id)
    assert dock.background.pending
    qtbot.mouseClick(dock.buttons["propose"], Qt.MouseButton.LeftButton)
    assert not dock.background.pending
    proposed = dock.doc
    assert proposed is not None and proposed.instances
    wait_ready(qtbot, window)
    assert dock.doc is proposed, "the late background proposal took the button's place"
    assert len(window.project.instance_versions(image_id)) == 1, "the button's proposal is saved, once"


@pytest.fixture
def small_thresholds(monkeypatch):
    monkeypatch.setattr(images, "PREVIEW_MIN_PIXELS", 1_000_000)
    monkeypatch.setattr(images, "PREVIEW_SIDE", 500)


def test_a_large_photo_gets_its_proposal_once_its_full_pixels_load(
    qtbot, tmp_path: Path, ccp_dir: Path, small_thresholds, calls
):
    """A large photo's saved parsing mask cannot be read against the preview: the proposal
    used to be skipped at the opening and never made afterwards."""
    stem = "0014"
    photo = tmp_path / f"big_{stem}.jpg"
    size = (1500, 2250)
    with Image.open(ccp_dir / "images" / f"{stem}.jpg") as im:
        im.convert("RGB").resize(size, Image.Resampling.BILINEAR).save(photo, quality=90)
    labels = np.asarray(
        Image.fromarray(load_mask(ccp_dir / "masks" / f"{stem}.png")).resize(size, Image.Resampling.NEAREST)
    )
    p7 = mapping_from_taxonomies_json(ccp_dir / "taxonomies.json", "parsing7")
    root = tmp_path / "project"
    with Project.create(root) as project:
        image_id = project.add_image(photo).id
        project.save_mask(image_id, "parsing7", p7.lut[labels])
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", Answers())
    try:
        dock = window.instances
        qtbot.waitUntil(lambda: dock.doc is not None and bool(dock.doc.instances), timeout=30000)
        assert dock.doc.map.shape == (size[1], size[0])
        assert inconsistent_pixels(dock.doc.set, project.load_mask(image_id, "parsing7")) == {}
    finally:
        window.close()
        project.close()


def test_an_arrived_proposal_is_saved_as_the_models_when_the_image_has_none(qtbot, window, calls):
    """A whole-diff review: deriving in the background left the proposal unsaved on an image
    opened and left unedited (it used to be saved at the opening), so Review's instance panel
    saw fewer images."""
    image_id = window.session.image_id
    versions = window.project.instance_versions(image_id)
    assert len(versions) == 1 and versions[0].source == "model"
    saved = window.project.load_instances(image_id)
    assert sorted(saved.instances) == sorted(window.instances.doc.instances)


def test_the_classifier_is_loaded_in_the_worker_when_the_first_image_has_a_saved_parsing_mask(
    qtbot, masks_template, tmp_path, monkeypatch
):
    """Loaded on the GUI thread when the first image had a saved parsing mask and no instances,
    the category classifier (torch with it, about 2 s) kept the window from showing."""
    from fashion_annotator.instances.classifier import InstanceClassifier

    real = InstanceClassifier.load
    on_gui: list[bool] = []

    def recording(cls, *args, **kwargs):
        on_gui.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(InstanceClassifier, "load", classmethod(recording))
    root = copy_project(masks_template, tmp_path / "project")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", Answers())
    try:
        dock = window.instances
        qtbot.waitUntil(lambda: dock.doc is not None and bool(dock.doc.instances), timeout=30000)
        assert on_gui == [False]
        assert dock.classifier is not None and on_gui == [False]  # loaded once, kept
    finally:
        window.close()
        project.close()
