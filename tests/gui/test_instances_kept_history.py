"""The Instances panel's undo history kept across photos, as the masks' is (annotate/kept_history):
edits made on a photo, PgDn, PgUp, then Ctrl+Z in the panel takes them back; a version a
colleague saved meanwhile drops them. Driven by real keys on a real window and CCP photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from fashion_annotator.core.masks import BBox
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.model import inconsistent_pixels
from fashion_annotator.ui.testing import CTRL, choose_category, instance_of, press_key, wait_ready


@pytest.fixture
def template(masks_template: Path) -> Path:
    """The photos with their ground-truth masks saved: the conftest's ``opened`` opens a copy."""
    return masks_template


def _away_and_back(qtbot, window, between=None) -> None:
    """PgDn, then PgUp back to the photo (``between``: called on the next photo)."""
    first = window.session.image_id
    press_key(qtbot, window, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: window.session.image_id != first)
    wait_ready(qtbot, window)
    if between is not None:
        between()
    press_key(qtbot, window, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: window.session.image_id == first)
    wait_ready(qtbot, window)
    assert window.instances.doc is not None


def _panel_key(qtbot, window, key, mods) -> None:
    """Type a key with the Instances panel's list focused (Ctrl+Z is then the panel's)."""
    dock = window.instances
    dock.list.setFocus()
    qtbot.waitUntil(dock.list.hasFocus)
    QTest.keyClick(dock.list, key, mods)


def test_ctrl_z_in_the_panel_takes_back_a_category_chosen_before_leaving(opened, qtbot):
    """The dress re-categorised as a skirt (saved at once), PgDn, PgUp: the panel's Undo had
    nothing to take back (its history stayed with the photo left), while the masks' Ctrl+Z
    did. Now Ctrl+Z in the panel makes it a dress again, its pixels dress again, and saves it."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    pixels = dock.doc.map == dress
    choose_category(window, dress, "skirt")
    assert project.load_instances(image_id).instances[dress].category == "skirt"
    _away_and_back(qtbot, window)
    assert dock.doc.instances[dress].category == "skirt"
    assert dock.doc.can_undo and dock.buttons["undo"].isEnabled()
    _panel_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    parsing = window.session.current.doc.masks["parsing7"]
    assert dock.doc.instances[dress].category == "dress" and np.all(parsing[pixels] == 6)
    assert window.save()
    saved = project.load_instances(image_id)
    assert saved.instances[dress].category == "dress"
    assert inconsistent_pixels(saved, project.load_mask(image_id, "parsing7")) == {}


def test_ctrl_z_on_the_photo_takes_a_category_chosen_before_leaving_back_whole(opened, qtbot):
    """The same, Ctrl+Z on the photo (the parsing mask shown): it took back the relabelled
    pixels alone, the skirt left on dress pixels. Now the re-categorisation and its pixels go
    back together, as before leaving."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    pixels = dock.doc.map == dress
    choose_category(window, dress, "skirt")
    _away_and_back(qtbot, window)
    window.set_task("parsing7")
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    parsing = window.session.current.doc.masks["parsing7"]
    assert np.all(parsing[pixels] == 6) and dock.doc.instances[dress].category == "dress"
    assert window.save()
    assert project.load_instances(image_id).instances[dress].category == "dress"


def _choose_attribute(window, instance_id: int, group: str, value: str) -> None:
    """Select ``instance_id`` in the Instances panel and pick ``value`` in ``group``'s box."""
    dock = window.instances
    dock.select([instance_id])
    box = dock.attribute_boxes[group]
    box.setCurrentText(value)
    box.activated.emit(box.currentIndex())


def test_an_attribute_and_a_delete_come_back_one_undo_each(opened, qtbot):
    """An attribute set, then an instance deleted, PgDn, PgUp: each is taken back by one
    Ctrl+Z in the panel, and the panel's Redo makes the attribute again, saved."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    first, second = sorted(dock.doc.instances)[:2]
    group = dock.schema.groups[0]
    value = next(v for v in group.values if v != dock.doc.instances[first].attributes.get(group.name))
    _choose_attribute(window, first, group.name, value)
    assert dock.doc.instances[first].attributes.get(group.name) == value
    before_delete = set(dock.doc.instances)
    dock.select([second])
    dock.delete_selected()
    assert second not in dock.doc.instances
    _away_and_back(qtbot, window)
    _panel_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert set(dock.doc.instances) == before_delete, "the delete is taken back"
    _panel_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert dock.doc.instances[first].attributes.get(group.name) != value
    dock.redo()
    assert dock.doc.instances[first].attributes.get(group.name) == value
    assert window.save()
    assert project.load_instances(image_id).instances[first].attributes.get(group.name) == value


def test_a_version_a_colleague_saved_meanwhile_drops_the_history(opened, qtbot):
    """On the next photo, a colleague saves the first photo's instances (a new version): back
    on it, the panel shows their version and has nothing to undo (the steps kept were made on
    the version before theirs)."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    group = dock.schema.groups[0]
    mine, theirs = [v for v in group.values if v != dock.doc.instances[dress].attributes.get(group.name)][:2]
    _choose_attribute(window, dress, group.name, mine)

    def colleague_saves() -> None:
        with Project.open(project.root) as other:
            iset = other.load_instances(image_id)
            iset.instances[dress].attributes[group.name] = theirs
            other.save_instances(image_id, iset)

    kept = window.session.kept
    _away_and_back(qtbot, window, colleague_saves)
    assert dock.doc.instances[dress].attributes[group.name] == theirs, "their version is shown"
    assert not dock.doc.can_undo and not dock.buttons["undo"].isEnabled()
    assert all(entry.instances is None for entry in kept._kept.values())


def _listed_iff_pixels(window) -> None:
    """Every instance listed lies on pixels of its parsing class, in the panel and in the mask:
    no instance is listed without its pixels."""
    dock = window.instances
    parsing = window.session.current.doc.masks["parsing7"]
    assert inconsistent_pixels(dock.doc.set, parsing, dock.doc.ground) == {}
    listed = {int(dock.list.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)) for i in range(dock.list.topLevelItemCount())}
    assert listed == set(dock.doc.instances)


@pytest.mark.parametrize("leave", [False, True], ids=["staying", "pgdn_pgup"])
def test_the_panels_undo_of_a_removal_takes_its_mask_edit_back_with_it(opened, qtbot, leave):
    """A mask edit turns the dress background (the panel drops it), then an attribute of
    another instance; PgDn, PgUp: the panel's second Undo listed the dress again while its
    pixels stayed background (the removal was linked to no mask step). Now it takes the mask
    edit back with it, and at every step, the panel's Undo, Redo and Ctrl+Z on the photo, an
    instance is listed only with its pixels."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    pixels = dock.doc.map == dress
    other = next(k for k in sorted(dock.doc.instances) if k != dress)

    def to_background(mask):
        mask[pixels] = 0
        return BBox.of(pixels)

    window.set_task("parsing7")
    window.apply_mask_edit(to_background, task="parsing7")
    qtbot.waitUntil(lambda: dress not in dock.doc.instances, timeout=3000)
    _listed_iff_pixels(window)
    group = dock.schema.groups[0]
    value = next(v for v in group.values if v != dock.doc.instances[other].attributes.get(group.name))
    _choose_attribute(window, other, group.name, value)
    if leave:
        _away_and_back(qtbot, window)
    parsing = window.session.current.doc.masks["parsing7"]
    _panel_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # the attribute
    assert dock.doc.instances[other].attributes.get(group.name) != value
    _listed_iff_pixels(window)
    _panel_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # the removal, with its mask edit
    assert dress in dock.doc.instances and np.all(parsing[pixels] == 6)
    _listed_iff_pixels(window)
    dock.redo()  # the removal again, with its mask edit
    assert dress not in dock.doc.instances and np.all(parsing[pixels] == 0)
    _listed_iff_pixels(window)
    window.canvas.setFocus()
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # on the photo: the mask edit, with the removal
    qtbot.wait(500)  # the panel follows the mask's edits once they pause
    assert dress in dock.doc.instances and np.all(parsing[pixels] == 6)
    _listed_iff_pixels(window)
    assert window.save()
    saved = project.load_instances(image_id)
    assert dress in saved.instances
    assert inconsistent_pixels(saved, project.load_mask(image_id, "parsing7"), dock.doc.ground) == {}


def test_the_panels_undo_of_a_removal_whose_mask_edit_is_out_of_reach_is_refused(opened, qtbot):
    """The same removal, then a mask edit in a corner with no instance, PgDn, PgUp: the panel's
    Undo of the removal cannot take its mask edit with it (the corner's edit stands after it);
    it listed the dress without its pixels. Now it is refused and says to undo on the photo,
    where two Ctrl+Z give the dress back with its pixels."""
    window, _ = opened
    dock = window.instances
    dress = instance_of(window, "dress")
    pixels = dock.doc.map == dress
    corner = (slice(15, 25), slice(15, 45))
    assert not (dock.doc.map[corner] > 0).any(), "the corner edit lies on no instance"

    def to_background(mask):
        mask[pixels] = 0
        return BBox.of(pixels)

    def corner_to_skin(mask):
        mask[corner] = 1
        return BBox(15, 15, 25, 45)

    window.set_task("parsing7")
    window.apply_mask_edit(to_background, task="parsing7")
    qtbot.waitUntil(lambda: dress not in dock.doc.instances, timeout=3000)
    window.apply_mask_edit(corner_to_skin, task="parsing7")
    qtbot.wait(500)  # the panel follows the mask's edits once they pause
    _away_and_back(qtbot, window)
    parsing = window.session.current.doc.masks["parsing7"]
    _panel_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert dress not in dock.doc.instances and np.all(parsing[pixels] == 0)
    assert "without their pixels" in window.status.currentMessage() and f"{dress}. dress" in window.status.currentMessage()
    _listed_iff_pixels(window)
    window.canvas.setFocus()
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # the corner's edit
    qtbot.wait(500)
    assert dress not in dock.doc.instances and not (parsing[corner] == 1).all()
    _listed_iff_pixels(window)
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # the removal's edit, with the removal
    qtbot.wait(500)
    assert dress in dock.doc.instances and np.all(parsing[pixels] == 6)
    _listed_iff_pixels(window)
