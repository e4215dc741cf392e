"""The Instances panel's undo and redo beside the photo's, its split line and its no-op choices:
found by a fuzz review of garment instances, driven by real events on CCP photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from fashion_annotator.core.masks import BBox
from fashion_annotator.instances.model import inconsistent_pixels
from fashion_annotator.ui.testing import CTRL, SHIFT, choose_category, drag, instance_of, press_key

CORNER = (slice(15, 25), slice(15, 45))  # where a stroke from (20, 20) to (40, 20) paints


@pytest.fixture
def template(masks_template: Path) -> Path:
    """The photos with their ground-truth masks saved: the conftest's ``opened`` opens a copy."""
    return masks_template


def _stroke(window, label: int, points) -> None:
    window.set_task("parsing7")
    window.set_label(label)
    window.canvas.set_tool("brush")
    drag(window, points)


def _recategorised_then_stroke(window):
    """The dress re-categorised as a skirt (its pixels bottom), then a skin stroke in the corner."""
    dock = window.instances
    dress = instance_of(window, "dress")
    pixels = dock.doc.map == dress
    assert not (dock.doc.map[CORNER] > 0).any(), "the corner stroke lies on no instance"
    choose_category(window, dress, "skirt")
    parsing = window.session.current.doc.masks["parsing7"]
    assert np.all(parsing[pixels] == 5)
    _stroke(window, 1, [(20, 20), (40, 20)])
    assert (parsing[CORNER] == 1).any()
    return dress, pixels, parsing


def test_ctrl_z_takes_the_panels_undo_back_whole(opened, qtbot):
    """Re-categorise, a brush stroke, the panel's Undo, then Ctrl+Z on the photo: Ctrl+Z took
    back the panel's relabelling alone (a step it left unlinked), the dress sat on bottom
    pixels and the next save deleted it. Now Ctrl+Z takes the panel's undo back whole (the
    skirt and its pixels), then the stroke, then the re-categorisation."""
    window, project = opened
    dock = window.instances
    dress, pixels, parsing = _recategorised_then_stroke(window)
    dock.undo()  # the stroke came after the relabelling: the pixels go back as a new step
    assert dock.doc.instances[dress].category == "dress" and np.all(parsing[pixels] == 6)
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert dock.doc.instances[dress].category == "skirt" and np.all(parsing[pixels] == 5)
    assert (parsing[CORNER] == 1).any() and "undo of a re-categorisation" in window.status.currentMessage()
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL | SHIFT)  # redoes the panel's undo whole
    assert dock.doc.instances[dress].category == "dress" and np.all(parsing[pixels] == 6)
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert dock.doc.instances[dress].category == "skirt" and np.all(parsing[pixels] == 5)
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # the stroke
    assert not (parsing[CORNER] == 1).any() and dock.doc.instances[dress].category == "skirt"
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # the re-categorisation with its relabelling
    assert dock.doc.instances[dress].category == "dress" and np.all(parsing[pixels] == 6)
    assert window.save()
    saved = project.load_instances(window.session.image_id)
    assert saved.instances[dress].category == "dress" and int((saved.map == dress).sum()) == int(pixels.sum())
    assert inconsistent_pixels(saved, project.load_mask(window.session.image_id, "parsing7")) == {}


def test_ctrl_z_does_not_take_the_panels_relabelling_back_alone(opened, qtbot):
    """The same, with an attribute set after the panel's Undo (the re-categorisation can no
    longer be redone): Ctrl+Z on the photo is refused, and says why, instead of putting the
    dress on bottom pixels for the next save to delete."""
    window, project = opened
    dock = window.instances
    dress, pixels, parsing = _recategorised_then_stroke(window)
    dock.undo()
    box = dock.attribute_boxes["fabric"]
    box.setCurrentIndex(2)
    box.activated.emit(2)
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert dock.doc.instances[dress].category == "dress" and np.all(parsing[pixels] == 6)
    assert "cannot be taken on the photo alone" in window.status.currentMessage()
    assert window.save() and dress in project.load_instances(window.session.image_id).instances


def test_recategorising_keeps_the_operators_strokes_under_the_instance(opened, qtbot):
    """A skin stroke inside the dress, then the dress re-categorised as a skirt before the
    autosave: every pixel of the instance became bottom, the stroke included, and was saved
    so. The panel's undo, after a hair stroke inside it, wrote dress over the hair too."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    pixels = dock.doc.map == dress
    ys, xs = np.nonzero(pixels)
    cy, cx = float(np.median(ys)), float(np.median(xs))
    _stroke(window, 1, [(cx - 15, cy), (cx + 15, cy)])
    parsing = window.session.current.doc.masks["parsing7"]
    skin = (parsing == 1) & pixels
    assert skin.any()
    choose_category(window, dress, "skirt")
    assert np.all(parsing[skin] == 1) and np.all(parsing[pixels & ~skin] == 5)
    _stroke(window, 2, [(cx - 15, cy + 20), (cx + 15, cy + 20)])
    hair = (parsing == 2) & pixels
    assert hair.any()
    dock.undo()  # the hair stroke stands after the relabelling: the pixels go back as a new step
    assert np.all(parsing[hair] == 2) and np.all(parsing[skin] == 1)
    assert np.all(parsing[pixels & ~skin & ~hair] == 6)
    assert window.save()
    saved = project.load_mask(image_id, "parsing7")
    assert np.all(saved[skin] == 1) and np.all(saved[hair] == 2)
    instances = project.load_instances(image_id)
    assert not (instances.map[skin | hair] == dress).any(), "the strokes left the instance at the save"
    assert inconsistent_pixels(instances, saved) == {}


def test_the_removal_warning_says_what_restores_an_instance(opened, qtbot):
    """A fill turned the dress skin; the save removed it and said "the Instances panel's Undo
    restores them": doing just that, the next save removed it again. What it says now (Ctrl+Z
    on the photo, while the image is open) brings it back at the next save, attributes
    included (it said to undo in the panel too)."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    pixels = dock.doc.map == dress
    dock.select([dress])
    dock.doc.set_attribute(dress, "fit", "loose")
    assert dock.save()

    def to_skin(mask):
        mask[pixels] = 1
        return BBox.of(pixels)

    window.set_task("parsing7")
    window.apply_mask_edit(to_skin, task="parsing7")
    assert window.save() and dress not in dock.doc.instances
    qtbot.waitUntil(lambda: window.status.currentMessage().startswith("Instances removed"), timeout=2000)
    assert "Ctrl+Z" in window.status.currentMessage() and "Undo in" not in window.status.currentMessage()
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # the mask edit on the photo
    assert window.save()
    saved = project.load_instances(image_id)
    assert saved.instances[dress].attributes["fit"] == "loose"
    assert int((saved.map == dress).sum()) == int(pixels.sum())


def test_split_by_line_is_cancelled_by_escape_a_tool_or_another_image(opened, qtbot):
    """Split by line armed, Escape, then two brush strokes: they split the instance instead
    of painting. Escape, a tool change and another image now disarm it, and the status bar
    says how when it is armed."""
    window, _project = opened
    dock = window.instances
    dress = instance_of(window, "dress")
    ys, xs = np.nonzero(dock.doc.map == dress)
    n = len(dock.doc.instances)
    dock.select([dress])
    qtbot.mouseClick(dock.buttons["split"], Qt.MouseButton.LeftButton)
    assert dock.splitter.armed and "Esc" in window.status.currentMessage()
    press_key(qtbot, window, Qt.Key.Key_Escape)
    assert not dock.splitter.armed and "cancelled" in window.status.currentMessage()
    parsing = window.session.current.doc.masks["parsing7"]
    before = parsing.copy()
    cx = float(np.median(xs))
    _stroke(window, 1, [(cx, float(ys.min()) - 5), (cx + 3, float(ys.min()) - 5)])
    _stroke(window, 1, [(cx, float(ys.max()) + 5), (cx + 3, float(ys.max()) + 5)])
    assert len(dock.doc.instances) == n and (parsing != before).any(), "the strokes painted"
    qtbot.mouseClick(dock.buttons["split"], Qt.MouseButton.LeftButton)
    window.canvas.set_tool("polygon")
    assert not dock.splitter.armed
    qtbot.mouseClick(dock.buttons["split"], Qt.MouseButton.LeftButton)
    assert dock.splitter.armed
    first = window.session.image_id
    press_key(qtbot, window, Qt.Key.Key_PageDown)
    assert window.session.image_id != first and not dock.splitter.armed


def test_an_unchanged_choice_leaves_an_approved_image_approved(opened, qtbot):
    """Picking the value a box already shows (the category the instance has, "—" for an
    attribute it has not) recorded an undo step, saved an operator version and sent the
    approved image back to done."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    dock.select([dress])
    assert window.save()
    project.set_status(image_id, "approved")
    window.reload_queue()
    versions = len(project.instance_versions(image_id))
    before = dock.doc.instances[dress]
    box = dock.attribute_boxes["pattern"]
    assert "pattern" not in before.attributes and box.currentText() == "—"
    box.activated.emit(box.currentIndex())
    dock.category.activated.emit(dock.category.currentIndex())
    assert dock.doc.instances[dress] == before and not dock.doc.can_undo
    assert len(project.instance_versions(image_id)) == versions
    assert project.image(image_id).status == "approved"


def test_a_save_that_reconciles_the_instances_refreshes_undo_and_redo(opened, qtbot):
    """A fuzz of the window: a stroke over the dress, an attribute set then undone in the panel,
    then a save: the save's reconcile is an instance step that ends the panel's redo, but Redo
    stayed enabled with nothing to redo and Undo disabled with a step to take (the panel
    announced no change), while the save's warning said to press Ctrl+Z."""
    window, _ = opened
    dock = window.instances
    dress = instance_of(window, "dress")
    pixels = dock.doc.map == dress
    _stroke(window, 1, [(int(c), int(r)) for r, c in np.argwhere(pixels)[[0, -1]]])
    dock.select([dress])
    dock.setFocus()
    dock.doc.set_attribute(dress, "fit", "loose")
    dock.undo()
    history = window.history_actions
    assert history.can_step("redo")
    assert window.save()
    assert not history.can_step("redo") and history.can_step("undo")
    assert not window.actions_by_name["redo"].isEnabled()


def test_a_stroke_redone_to_the_saved_mask_leaves_the_saved_instances_true_to_it(opened, qtbot):
    """A fuzz of the window: a stroke across the dress, saved (its reconcile took the pixels),
    the stroke undone on the photo, the reconcile undone in the panel (saved at once: the dress
    whole again), the stroke redone: "as saved, nothing to save", and the store kept a dress
    with 354 px on the stroke's class, which no later save reconciled."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    ys, xs = np.nonzero(dock.doc.map == dress)
    _stroke(window, 0, [(int(xs.min()), int(ys.mean())), (int(xs.max()), int(ys.mean()))])
    assert window.save()
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # the stroke, on the photo
    dock.list.setFocus()
    qtbot.keyClick(dock.list, Qt.Key.Key_Z, CTRL)  # the save's reconcile, in the panel
    for _ in range(3):
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL | SHIFT)  # the stroke again: as saved
    assert not window.session.unsaved
    saved = project.load_instances(image_id)
    assert inconsistent_pixels(saved, project.load_mask(image_id, "parsing7"), dock.doc.ground) == {}
    assert inconsistent_pixels(dock.doc.set, window.session.current.doc.masks["parsing7"], dock.doc.ground) == {}
