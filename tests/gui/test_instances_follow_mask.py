"""The Instances panel follows the parsing mask both ways, and its merge, split and category
choices do what they say: found by a cataloguing operator's hand test, driven by real events on
CCP photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from fashion_annotator.instances.colour import dominant_colours
from fashion_annotator.instances.model import inconsistent_pixels
from fashion_annotator.ui.testing import CTRL, choose_category, click, drag, instance_of, press_key


@pytest.fixture
def template(masks_template: Path) -> Path:
    """The photos with their ground-truth masks saved: the conftest's ``opened`` opens a copy."""
    return masks_template


def _skin_stroke_across(window, pixels: np.ndarray) -> None:
    """A 60-pixel skin brush stroke on the parsing mask across the middle of ``pixels``."""
    ys, xs = np.nonzero(pixels)
    cy, cx = float(np.median(ys)), float(np.median(xs))
    window.set_task("parsing7")
    window.set_label(1)
    window.canvas.set_tool("brush")
    drag(window, [(cx - 30, cy), (cx + 30, cy)])


def test_undoing_a_saved_stroke_gives_the_instance_its_pixels_back(opened, qtbot):
    """A skin stroke across the dress, a save, Ctrl+Z of the stroke, a save: the save had
    taken the painted pixels out of the dress, and the undo never gave them back (a silent
    hole of dress pixels in no instance, exported so). Now the second save returns them."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    assert window.save()
    before = project.load_instances(image_id)
    _skin_stroke_across(window, before.map == dress)
    parsing = window.session.current.doc.masks["parsing7"]
    taken = (before.map == dress) & (parsing == 1)
    assert taken.sum() > 100
    press_key(qtbot, window, Qt.Key.Key_S, CTRL)
    saved = project.load_instances(image_id)
    assert not (saved.map[taken] == dress).any(), "the save took the painted pixels out of the dress"
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert np.all(parsing[taken] == 6)
    press_key(qtbot, window, Qt.Key.Key_S, CTRL)
    after = project.load_instances(image_id)
    np.testing.assert_array_equal(after.map, before.map)
    assert after.instances == before.instances
    assert inconsistent_pixels(after, project.load_mask(image_id, "parsing7")) == {}
    assert dock.doc.instances[dress] == before.instances[dress]


def _two_skirts(window) -> tuple[int, int, np.ndarray]:
    """The dress split in two: the left half re-categorised as a skirt (its pixels bottom), the
    right half named skirt on its dress pixels, as a proposal names a piece of one garment."""
    dock = window.instances
    window.set_task("parsing7")  # Ctrl+Z on the photo takes the parsing mask's steps
    dress = instance_of(window, "dress")
    ys, xs = np.nonzero(dock.doc.map == dress)
    cx = float(np.median(xs))
    dock.select([dress])
    right = dock.split_line((cx, float(ys.max())), (cx, float(ys.min())))
    assert right is not None
    choose_category(window, dress, "skirt")
    dock.doc.instances[right].category = "skirt"
    dock._refresh_list()
    row = next(dock.list.topLevelItem(i) for i in range(dock.list.topLevelItemCount())
               if dock.list.topLevelItem(i).text(0).startswith(f"{right}."))  # fmt: skip
    assert "(on dress pixels)" in row.text(0)
    return dress, right, dock.doc.map == right


def test_picking_the_category_again_brings_its_pixels_to_its_class(opened, qtbot):
    """ "skirt (on dress pixels)": picking skirt again did nothing (the category was unchanged),
    and the merge refusal told the operator to do just that. Now it relabels the pixels bottom,
    one undo step."""
    window, project = opened
    dock = window.instances
    _left, right, pixels = _two_skirts(window)
    parsing = window.session.current.doc.masks["parsing7"]
    choose_category(window, right, "skirt")
    assert dock.doc.instances[right].parsing_class == 5 and np.all(parsing[pixels] == 5)
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert dock.doc.instances[right].parsing_class == 6 and np.all(parsing[pixels] == 6)


def test_merging_pieces_of_one_category_on_two_classes(opened, qtbot):
    """Merge of "skirt" and "skirt (on dress pixels)" was refused with advice that could not be
    followed. Now the pieces become one skirt on bottom pixels, one undo step with the parsing."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    left, right, pixels = _two_skirts(window)
    parsing = window.session.current.doc.masks["parsing7"]
    both = (dock.doc.map == left) | pixels
    dock.select([left, right])
    qtbot.mouseClick(dock.buttons["merge"], Qt.MouseButton.LeftButton)
    assert right not in dock.doc.instances and np.all(dock.doc.map[both] == left)
    assert np.all(parsing[both] == 5) and "cannot merge" not in window.status.currentMessage()
    assert window.save()
    saved = project.load_instances(image_id)
    assert inconsistent_pixels(saved, project.load_mask(image_id, "parsing7")) == {}
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert right in dock.doc.instances and np.all(parsing[pixels] == 6)


def _split_dress(window, qtbot) -> list[int]:
    """Split by line across the dress, by its button and two clicks on the photo."""
    dock = window.instances
    dress = instance_of(window, "dress")
    ys, xs = np.nonzero(dock.doc.map == dress)
    cy = float(np.median(ys))
    dock.select([dress])
    qtbot.mouseClick(dock.buttons["split"], Qt.MouseButton.LeftButton)
    assert "Click two points" in window.status.currentMessage()
    click(window, float(xs.min()) - 5, cy)
    click(window, float(xs.max()) + 5, cy)
    assert len(dock.selected_ids()) == 2
    return dock.selected_ids()


def test_split_halves_get_the_colour_of_their_own_pixels(opened, qtbot):
    """Split by line: both halves kept the colour of the whole dress (the export's
    dominant_colour). Now each is named from its own pixels of the photo."""
    window, _project = opened
    dock = window.instances
    rgb = window.session.current.doc.rgb
    for k in _split_dress(window, qtbot):
        own = dominant_colours(rgb, dock.doc.map == k, top=1)[0]
        assert (dock.doc.instances[k].colour, dock.doc.instances[k].colour_rgb) == (own.name, own.rgb)


def test_the_split_prompt_goes_once_the_split_is_made(opened, qtbot):
    """The status bar still said "Click two points on the photo" after the split was made."""
    window, _project = opened
    _split_dress(window, qtbot)
    assert "Click two points" not in window.status.currentMessage()
    assert "split in two" in window.status.currentMessage()


def _relabel(window, pixels: np.ndarray, label: int) -> None:
    """A canvas edit (as a fill would) of ``pixels`` of the parsing mask to ``label``."""
    from fashion_annotator.core.masks import BBox

    def fill(mask):
        mask[pixels] = label
        return BBox.of(pixels)

    window.set_task("parsing7")
    window.apply_mask_edit(fill, task="parsing7")


def test_a_garment_relabelled_as_another_keeps_its_instance_flagged(opened, qtbot):
    """A QA hand test: the parsing mask's pixels of a garment relabelled as another class and
    saved removed the instance ("Instances removed: 6. shoes, 7. shoes"): lost, category and
    attributes. It now follows its pixels to their class, and its row says so."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    pixels = dock.doc.map == dress
    _relabel(window, pixels, 3)  # top
    assert window.save()
    saved = project.load_instances(image_id)
    assert dress in saved.instances and saved.instances[dress].parsing_class == 3
    assert np.array_equal(saved.map == dress, pixels)
    row = next(dock.list.topLevelItem(i) for i in range(dock.list.topLevelItemCount())
               if dock.list.topLevelItem(i).text(0).startswith(f"{dress}."))  # fmt: skip
    assert "(on top pixels)" in row.text(0)


def test_the_removal_notice_names_its_image_and_fits_the_bar(opened, qtbot):
    """The notice of instances removed at the save of an image switch showed on the next image,
    named no photo, and ran past a 1280 px window's bar. It names its photo now, in short; the
    whole of it is in the log."""
    window, project = opened
    dock = window.instances
    name = project.image(window.session.image_id).name
    dress = instance_of(window, "dress")
    _relabel(window, dock.doc.map == dress, 1)  # skin: no garment's class
    press_key(qtbot, window, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: window.status.currentMessage().startswith("Instances removed"), timeout=3000)
    text = window.status.currentMessage()
    assert name in text and "dress" in text
    assert window.status.fontMetrics().horizontalAdvance(text) < 700, text


def _row_text(dock, k: int) -> str:
    return next(dock.list.topLevelItem(i).text(0) for i in range(dock.list.topLevelItemCount())
                if dock.list.topLevelItem(i).text(0).startswith(f"{k}."))  # fmt: skip


def test_the_panel_follows_a_relabelled_garment_before_any_save(opened, qtbot):
    """A QA hand test: after the dress's pixels were relabelled in the parsing mask the panel
    kept listing the old instances as they were until a save (and the operator had saved, then
    looked, then gave up). Once the parsing edits pause it follows them: the instance now on top
    pixels says so, and the pixels painted skin have left it, unsaved."""
    window, _project = opened
    dock = window.instances
    dress = instance_of(window, "dress")
    pixels = dock.doc.map == dress
    ys, _xs = np.nonzero(pixels)
    _relabel(window, pixels, 3)  # top
    qtbot.waitUntil(lambda: "(on top pixels)" in _row_text(dock, dress), timeout=3000)
    strip = pixels & (np.arange(pixels.shape[0])[:, None] < int(np.median(ys)))
    _relabel(window, strip, 1)  # skin: no garment's class
    qtbot.waitUntil(lambda: not (dock.doc.map[strip] == dress).any(), timeout=3000)
    assert window.session.current.doc.dirty


def test_a_stroke_and_its_undo_before_a_save_record_no_instance_edit(opened, qtbot):
    """A hand test: a parsing stroke the panel followed, then Ctrl+Z, then a save recorded the
    instances again as an operator's edit (the set was as saved) and moved a To do photo to
    In progress with no mask saved. Edits that come back to the saved set record nothing."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    assert window.save()
    versions = len(project.instance_versions(image_id))
    status = project.image(image_id).status
    before = project.load_instances(image_id)
    _skin_stroke_across(window, before.map == dress)
    qtbot.waitUntil(lambda: not dock.doc.as_saved(), timeout=10000)  # the panel followed
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    press_key(qtbot, window, Qt.Key.Key_S, CTRL)
    assert len(project.instance_versions(image_id)) == versions, "nothing new to record"
    assert project.image(image_id).status == status
    after = project.load_instances(image_id)
    np.testing.assert_array_equal(after.map, before.map)
