"""The Instances dock and the instance QA panel on real CCP photos, driven by real events."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from fashion_annotator.core.masks import BBox
from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.display import display_name
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.model import inconsistent_pixels
from fashion_annotator.ui.testing import (
    CTRL,
    Answers,
    choose_category,
    click,
    drag,
    instance_of,
    open_window,
    press_key,
)


@pytest.fixture
def template(masks_template: Path) -> Path:
    """The photos with their ground-truth masks saved: the conftest's ``opened`` opens a copy."""
    return masks_template


def test_proposes_lists_and_highlights_instances(opened, qtbot):
    window, project = opened
    dock = window.instances
    assert dock.doc is not None and len(dock.doc.instances) >= 3
    assert dock.list.topLevelItemCount() == len(dock.doc.instances)
    assert all(i.category is not None and i.colour is not None for i in dock.doc.instances.values())
    first = dock.list.topLevelItem(0)
    assert not first.icon(0).isNull(), "colour swatch"
    # keyboard: Alt+I focuses the list, Down selects the next row
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)
    assert dock.list.hasFocus()
    qtbot.keyClick(dock.list, Qt.Key.Key_Down)
    qtbot.keyClick(dock.list, Qt.Key.Key_Up)
    assert len(dock.selected_ids()) == 1
    assert dock._highlight.boundingRect().width() > 0


def test_attribute_editing_by_keyboard_is_saved(opened, qtbot):
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dock.select([instance_of(window, "dress")])
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)  # fabric
    box = dock.attribute_boxes["fabric"]
    assert box.hasFocus()
    qtbot.keyClick(box, Qt.Key.Key_Down)  # unset -> denim
    k = dock.selected_ids()[0]
    assert dock.doc.instances[k].attributes["fabric"] == "denim"
    saved = project.load_instances(image_id)
    assert saved.instances[k].attributes["fabric"] == "denim"
    assert "denim" in dock.list.topLevelItem(list(sorted(dock.doc.instances)).index(k)).text(1)


def test_letters_typed_into_the_boxes_pick_values_not_window_shortcuts(opened, qtbot):
    """Type to pick: 'c' in the fabric box picks chiffon (c was not a shortcut), 's' then picks
    nothing else than a fabric (S is the superpixel tool), 'g' in the category box a category
    (G toggles region boundaries). A value picked by typing is applied once the typing settles."""
    window, _project = opened
    dock = window.instances
    dock.select([instance_of(window, "dress")])
    k = dock.selected_ids()[0]
    tool, boundaries = window.canvas.tool, window.view_bar.boundaries.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)  # fabric
    box = dock.attribute_boxes["fabric"]
    qtbot.keyClick(box, Qt.Key.Key_C, Qt.KeyboardModifier.NoModifier, 0)
    assert dock.picker.pending and "fabric" not in dock.doc.instances[k].attributes
    qtbot.waitUntil(lambda: not dock.picker.pending, timeout=3000)
    assert dock.doc.instances[k].attributes["fabric"].startswith("c")
    qtbot.wait(1100)  # a new keyboard search
    qtbot.keyClick(box, Qt.Key.Key_S, Qt.KeyboardModifier.NoModifier, 0)
    assert window.canvas.tool == tool
    dock.category.setFocus()  # the fabric box loses the focus: its typed value is applied
    assert not dock.picker.pending
    qtbot.keyClick(dock.category, Qt.Key.Key_G, Qt.KeyboardModifier.NoModifier, 0)
    assert window.view_bar.boundaries.isChecked() == boundaries
    assert window.canvas.tool == tool


def test_a_category_typed_letter_by_letter_is_one_step(opened, qtbot):
    """A re-test: typing "sk" made the dress sandals (its pixels shoes) and then a skirt, two
    steps; one Ctrl+Z left sandals on shoe pixels, and a save kept them."""
    window, _project = opened
    dock = window.instances
    dress = instance_of(window, "dress")
    dock.select([dress])
    pixels = dock.doc.map == dress
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    assert dock.category.hasFocus()
    qtbot.keyClicks(dock.category, "sk")
    qtbot.waitUntil(lambda: not dock.picker.pending, timeout=3000)
    parsing = window.session.current.doc.masks["parsing7"]
    assert dock.doc.instances[dress].category == "skirt" and np.all(parsing[pixels] == 5)
    dock.undo()
    assert dock.doc.instances[dress].category == "dress" and np.all(parsing[pixels] == 6)
    # typed and undone at once (Ctrl+Z in the panel): the typed value is one step, then undone
    qtbot.keyClicks(dock.category, "sk")
    assert dock.picker.pending
    qtbot.keyClick(dock.category, Qt.Key.Key_Z, CTRL)
    assert dock.doc.instances[dress].category == "dress" and np.all(parsing[pixels] == 6)


def test_instance_edits_send_an_approved_image_back_to_qa(opened, qtbot):
    """An attribute changed after QA approved the image is an edit like a mask's: the image is
    done again (to be reviewed), and the queue says so."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    project.set_status(image_id, "approved")
    window.reload_queue()
    dock.select([instance_of(window, "dress")])
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)  # fabric
    qtbot.keyClick(dock.attribute_boxes["fabric"], Qt.Key.Key_Down)
    assert project.image(image_id).status == "done"
    row = window.queue.model.records()[window.queue.model.row_of(image_id)]
    assert row.status == "done"  # the queue was refreshed


def test_split_merge_undo_and_recategorise(opened, qtbot):
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    top = instance_of(window, "dress")
    dock.select([top])
    ys, xs = np.nonzero(dock.doc.map == top)
    cx = float(np.median(xs))
    n = len(dock.doc.instances)
    qtbot.mouseClick(dock.buttons["split"], Qt.MouseButton.LeftButton)
    click(window, cx, float(ys.min()) - 5)
    click(window, cx, float(ys.max()) + 5)
    assert len(dock.doc.instances) == n + 1
    assert window.session.current.doc.masks["parsing7"][ys[0], xs[0]] == 6, "the clicks did not paint"
    new = max(dock.doc.instances)
    assert dock.selected_ids() == [top, new]
    qtbot.mouseClick(dock.buttons["merge"], Qt.MouseButton.LeftButton)
    assert len(dock.doc.instances) == n and np.sum(dock.doc.map == top) == len(ys)
    qtbot.mouseClick(dock.buttons["undo"], Qt.MouseButton.LeftButton)
    assert len(dock.doc.instances) == n + 1
    qtbot.mouseClick(dock.buttons["redo"], Qt.MouseButton.LeftButton)
    assert len(dock.doc.instances) == n
    # re-categorise the dress as a skirt: the parsing mask follows, one parsing undo step
    choose_category(window, top, "skirt")
    parsing = window.session.current.doc.masks["parsing7"]
    assert dock.doc.instances[top].category == "skirt"
    assert np.all(parsing[dock.doc.map == top] == 5)
    assert inconsistent_pixels(dock.doc.set, parsing) == {}
    assert len(project.instance_versions(image_id)) >= 5
    window.save()
    assert inconsistent_pixels(project.load_instances(image_id), project.load_mask(image_id, "parsing7")) == {}
    # the dock's Undo takes the category back and the parsing pixels with it; the next save keeps the dress
    pixels = dock.doc.map == top
    qtbot.mouseClick(dock.buttons["undo"], Qt.MouseButton.LeftButton)
    parsing = window.session.current.doc.masks["parsing7"]
    assert dock.doc.instances[top].category == "dress" and np.all(parsing[pixels] == 6)
    assert window.save()
    saved = project.load_instances(image_id)
    assert saved.instances[top].category == "dress" and int((saved.map == top).sum()) == int(pixels.sum())
    assert inconsistent_pixels(saved, project.load_mask(image_id, "parsing7")) == {}
    qtbot.mouseClick(dock.buttons["redo"], Qt.MouseButton.LeftButton)
    assert dock.doc.instances[top].category == "skirt"
    assert np.all(window.session.current.doc.masks["parsing7"][pixels] == 5)


def test_review_tab_shows_instance_qa(opened, qtbot):
    window, project = opened
    dock = window.instances
    dress = instance_of(window, "dress")
    choose_category(window, dress, "romper")
    window.tabs.setCurrentIndex(1)
    panel = window.instance_review
    assert panel.table.rowCount() == 1
    assert panel.rows[0].instances == len(dock.doc.instances)
    assert panel.rows[0].category_changed == sum(i.category_changed for i in dock.doc.instances.values()) >= 1
    assert f"{counted(len(dock.doc.instances), 'instance')} on 1 image;" in panel.summary.text()
    image_id = window.session.image_id
    shown = panel.table.item(0, 0).text()  # named as the table above names it, not by full path
    assert shown == display_name(project.image(image_id).name, project.root) and not shown.startswith("/")
    review = window.review
    project.set_status(image_id, "done")  # marked done: an approval does not finish an image
    assert review.select_image(image_id)
    with qtbot.waitSignal(review.decisionRecorded):
        qtbot.mouseClick(review.approve_button, Qt.MouseButton.LeftButton)
    assert panel.table.item(0, 1).text() == "Done", "its parsing mask waits for review"
    review.set_task("parsing7")
    qtbot.wait(QApplication.doubleClickInterval() + 50)  # a click sooner is a double-click's second
    assert review.select_image(image_id)
    with qtbot.waitSignal(review.decisionRecorded):
        qtbot.mouseClick(review.approve_button, Qt.MouseButton.LeftButton)
    assert panel.table.item(0, 1).text() == "Approved"  # the decision shows without reopening
    panel.table.selectRow(0)
    panel._open(0)
    assert window.tabs.currentIndex() == 0


def test_refresh_reads_the_instance_panel_too(opened, qtbot, monkeypatch):
    """F5 re-read the review table but not the instance panel below it: a colleague's fix showed
    "done" in one and "rejected" in the other (a QA hand test)."""
    window, project = opened
    image_id = window.session.image_id
    choose_category(window, instance_of(window, "dress"), "romper")
    window.tabs.setCurrentIndex(1)
    panel, review = window.instance_review, window.review
    assert panel.table.rowCount() == 1
    with Project.open(project.root, user="qa2") as colleague:
        colleague.set_status(image_id, "rejected")
    import fashion_annotator.ui.review.instance_figures as figures_module

    read: list[int] = []  # 4 ms an image: 3 s of frozen window at 700 images (a review)
    real = figures_module.instance_qa_row
    monkeypatch.setattr(figures_module, "instance_qa_row", lambda p, r, *a: read.append(r.id) or real(p, r, *a))
    review.refresh()  # what F5, the Refresh button and the poll after a colleague's commit call
    assert panel.table.item(0, 1).text() == "Rejected" and panel.rows[0].status == "rejected"
    assert read == [image_id]  # the figures of the image that changed only
    review.refresh()
    assert read == [image_id]


def test_parsing_edits_keep_instances_consistent(opened, qtbot):
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    dress = instance_of(window, "dress")
    ys, xs = np.nonzero(dock.doc.map == dress)
    before = len(ys)
    window.set_task("parsing7")
    window.set_label(1)  # skin
    window.canvas.set_tool("brush")
    cy, cx = float(np.median(ys)), float(np.median(xs))
    drag(window, [(cx - 20, cy), (cx + 20, cy)])
    parsing = window.session.current.doc.masks["parsing7"]
    painted = int(((parsing == 1) & (dock.doc.map == dress)).sum())
    assert painted > 0
    assert window.save()
    saved = project.load_instances(image_id)
    assert int((saved.map == dress).sum()) == before - painted
    assert inconsistent_pixels(saved, project.load_mask(image_id, "parsing7")) == {}


def test_parsing18_instances_are_named_from_the_models_probabilities(qtbot, ccp_dir, tmp_path):
    """A parsing18 project: the shipped parsing18 model proposes, and the share classifier names
    each instance from that proposal's class probabilities."""
    from fashion_annotator.instances.classifier import InstanceClassifier
    from fashion_annotator.instances.proposer import InstanceProposer

    root = tmp_path / "p18"
    with Project.create(root, tasks=("garment", "parsing18")) as project:
        project.add_image(ccp_dir / "images" / "0019.jpg")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", Answers(), use_shipped=True)
    try:
        current = window.session.current
        qtbot.waitUntil(lambda: "parsing18" in current.probs, timeout=60_000)
        dock = window.instances
        qtbot.waitUntil(lambda: dock.doc is not None and len(dock.doc.instances) > 0, timeout=30_000)
        clf = InstanceClassifier.load()
        assert "parsing18" in clf.shares
        proposal = current.probs["parsing18"]
        parsing = current.doc.masks["parsing18"]
        want = InstanceProposer(clf, "parsing18").from_masks(current.doc.rgb, parsing, None, probs=proposal.coarse_probs)
        crop_only = InstanceProposer(InstanceClassifier.load(shares_path=None), "parsing18").from_masks(
            current.doc.rgb, parsing, None
        )
        got = {k: i.category for k, i in dock.doc.instances.items()}
        assert got == {p.id: p.category for p in want.instances}
        assert got != {p.id: p.category for p in crop_only.instances}  # the share head decided
    finally:
        window.close()
        project.close()


def test_a_damaged_instance_file_is_reported_not_fatal(opened, qtbot):
    from fashion_annotator.core.label_images import encode_mask_png

    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    assert window.save() and project.instance_versions(image_id)
    version = project.instance_versions(image_id)[-1]
    version.path.write_bytes(encode_mask_png(np.zeros((20, 30), np.uint8)))
    with qtbot.waitSignal(dock.message) as said:
        dock.set_image(window.session.current)
    assert "Instances not loaded" in said.args[0] and "30x20" in said.args[0]
    assert dock.doc is None and dock.list.topLevelItemCount() == 0
    assert window.save(), "saving the masks goes on without the unreadable instances"
    assert project.instance_versions(image_id)[-1].version == version.version, "nothing written over them"


def test_propose_over_the_operators_instances_is_one_undo_step(opened, qtbot):
    """Found in a hand test: Propose made a new instance document (no undo), so an operator's
    categories and attributes were gone unless someone dug out an old instance file."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    top = instance_of(window, "dress")
    dock.select([top])
    dock.doc.set_attribute(top, "fit", "loose")
    assert dock.save()
    qtbot.mouseClick(dock.buttons["propose"], Qt.MouseButton.LeftButton)
    assert "fit" not in dock.doc.instances[top].attributes
    qtbot.mouseClick(dock.buttons["undo"], Qt.MouseButton.LeftButton)
    assert dock.doc.instances[top].attributes["fit"] == "loose"
    assert window.save()
    assert project.load_instances(image_id).instances[top].attributes["fit"] == "loose"


def test_ctrl_z_in_the_instances_panel_undoes_the_instance_step(opened, qtbot):
    """Found in a hand test: Delete on an instance, then Ctrl+Z, left the instance deleted and
    undid an unrelated stroke on the mask instead."""
    window, _ = opened
    dock = window.instances
    before = window.session.current.doc.masks["parsing7"].copy()
    top = instance_of(window, "dress")
    dock.select([top])
    dock.list.setFocus()
    qtbot.mouseClick(dock.buttons["delete"], Qt.MouseButton.LeftButton)
    assert top not in dock.doc.instances
    dock.list.setFocus()
    window.actions_by_name["undo"].trigger()
    assert top in dock.doc.instances
    np.testing.assert_array_equal(window.session.current.doc.masks["parsing7"], before)
    window.actions_by_name["redo"].trigger()
    assert top not in dock.doc.instances


def test_an_instance_removed_at_a_save_is_said_after_the_save(opened, qtbot):
    """Found in a re-test: an instance whose pixels all became another class in the parsing
    mask is removed at the save, which says so, but "Saved ..." replaced the notice at once."""
    window, _ = opened
    dock = window.instances
    top = instance_of(window, "dress")
    pixels = dock.doc.map == top

    def to_skin(mask):  # a canvas edit (as a fill would) of every pixel of the dress
        mask[pixels] = 1
        return BBox.of(pixels)

    window.apply_mask_edit(to_skin, task="parsing7")
    assert window.save()
    assert top not in dock.doc.instances
    qtbot.waitUntil(lambda: window.status.currentMessage().startswith("Instances removed"), timeout=2000)


def test_the_propose_button_saves_what_it_proposes(opened, qtbot):
    """The button's ``clicked(bool)`` used to reach ``propose(save=False)``: the list changed,
    nothing was saved, and the proposal was lost at the next image."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    proposed = sorted(dock.doc.instances)
    dock.select([proposed[0]])
    dock.delete_selected()  # the saved set is no longer the proposal
    assert dock.save()
    before = len(project.instance_versions(image_id))
    assert sorted(project.load_instances(image_id).instances) == proposed[1:]
    qtbot.mouseClick(dock.buttons["propose"], Qt.MouseButton.LeftButton)
    assert len(project.instance_versions(image_id)) == before + 1
    assert sorted(project.load_instances(image_id).instances) == sorted(dock.doc.instances) == proposed


def test_ctrl_z_on_the_canvas_undoes_a_recategorisation_with_its_relabelling(opened, qtbot):
    """A re-categorisation across parsing classes relabels the parsing pixels; a Ctrl+Z on the
    canvas takes both back (it used to take only the pixels back, and the next save dropped
    the instance as inconsistent), Ctrl+Shift+Z redoes both, and a brush stroke after it is
    still the canvas's own step."""
    window, project = opened
    dock = window.instances
    image_id = window.session.image_id
    window.set_task("parsing7")
    dress = instance_of(window, "dress")
    pixels = dock.doc.map == dress
    choose_category(window, dress, "skirt")  # dress (6) -> bottom (5)
    parsing = window.session.current.doc.masks["parsing7"]
    assert np.all(parsing[pixels] == 5)
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert dock.doc.instances[dress].category == "dress" and np.all(parsing[pixels] == 6)
    assert window.save()
    saved = project.load_instances(image_id)
    assert dress in saved.instances and saved.instances[dress].category == "dress"
    assert inconsistent_pixels(saved, project.load_mask(image_id, "parsing7")) == {}
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert dock.doc.instances[dress].category == "skirt" and np.all(parsing[pixels] == 5)
    # a canvas edit after it: Ctrl+Z takes that edit back, the category stays
    window.set_label(1)
    window.canvas.set_tool("brush")
    ys, xs = np.nonzero(pixels)
    cy, cx = float(np.median(ys)), float(np.median(xs))
    drag(window, [(cx - 10, cy), (cx + 10, cy)])
    painted = (parsing == 1) & pixels
    assert painted.any()
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert not ((parsing == 1) & pixels).any() and dock.doc.instances[dress].category == "skirt"
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # now the re-categorisation, both together
    assert dock.doc.instances[dress].category == "dress" and np.all(parsing[pixels] == 6)


def test_a_category_of_another_parsing_class_is_shown_with_its_pixels_class(opened, qtbot):
    """The category model may name a garment across parsing classes ("skirt" on dress pixels):
    the list says so, since such an instance does not merge with a "skirt" on bottom pixels."""
    window, _project = opened
    dock = window.instances
    dress = instance_of(window, "dress")
    others = [dock.list.topLevelItem(i).text(0) for i in range(dock.list.topLevelItemCount())]
    assert not any("pixels)" in text for text in others)  # categories of their own class
    inst = dock.doc.instances[dress]
    inst.category = inst.proposed_category = "skirt"  # as the category model may name it
    dock._refresh_list()  # noqa: SLF001 - what a proposal's arrival does
    row = sorted(dock.doc.instances).index(dress)
    assert dock.list.topLevelItem(row).text(0) == f"{dress}. skirt  (on dress pixels)"


def test_a_category_typed_just_before_the_next_image_stays_with_its_image(opened, qtbot):
    """A code review: "sk" typed, then PgDown before the typing settled: the skirt went to the
    instance of the same number in the next image (its pixels relabelled, saved there)."""
    window, project = opened
    dock = window.instances
    first = window.session.image_id
    dress = instance_of(window, "dress")
    dock.select([dress])
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClicks(dock.category, "sk")
    assert dock.picker.pending
    qtbot.keyClick(dock.category, Qt.Key.Key_PageDown)  # the window's "Next image"
    second = window.session.image_id
    assert second != first and not dock.picker.pending
    qtbot.wait(1200)
    assert project.load_instances(first).instances[dress].category == "skirt"
    assert all(v.source != "operator" for v in project.instance_versions(second))


def test_a_canvas_undo_does_not_split_a_recategorisation_from_its_relabelling(opened, qtbot):
    """A code review: re-categorise, set an attribute, Ctrl+Z on the canvas: the relabelling was
    undone alone and the instance dropped at once. The canvas holds back and says why; the
    panel's undo goes first, then the canvas takes both."""
    window, project = opened
    dock = window.instances
    window.set_task("parsing7")
    dress = instance_of(window, "dress")
    pixels = dock.doc.map == dress
    choose_category(window, dress, "skirt")
    box = dock.attribute_boxes["fabric"]
    box.setCurrentIndex(2)
    box.activated.emit(2)
    parsing = window.session.current.doc.masks["parsing7"]
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert dock.doc.instances[dress].category == "skirt" and np.all(parsing[pixels] == 5)
    assert "instance edits came after it" in window.status.currentMessage()
    dock.undo()  # the attribute
    press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # now the re-categorisation, both together
    assert dock.doc.instances[dress].category == "dress" and np.all(parsing[pixels] == 6)
    assert window.save() and dress in project.load_instances(window.session.image_id).instances


def test_the_photo_leaves_the_keyboard_to_a_type_to_pick_box(opened, qtbot):
    """A code review: after Alt+C the pointer crossing the photo took the keyboard, and the next
    letter switched the tool."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QEnterEvent
    from PySide6.QtWidgets import QApplication

    window, _project = opened
    dock = window.instances
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    dock.select([instance_of(window, "dress")])
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    pos = QPointF(50, 50)
    QApplication.sendEvent(window.canvas, QEnterEvent(pos, pos, window.canvas.mapToGlobal(pos)))
    assert dock.category.hasFocus()


def test_the_panels_buttons_are_live_only_with_something_to_act_on(opened, qtbot):
    """A hand test: the panel's Undo stayed enabled with nothing to undo (a click did nothing,
    said nothing), and Split, Merge, Delete looked enabled with no instance selected."""
    window, _project = opened
    dock = window.instances
    live = lambda: {name for name, button in dock.buttons.items() if button.isEnabled()}  # noqa: E731
    dock.select([])
    assert live() == {"propose"}
    first, second = sorted(dock.doc.instances)[:2]
    dock.select([first])
    assert live() == {"propose", "split", "parts", "delete"}
    dock.select([first, second])
    assert live() == {"propose", "merge", "delete"}
    qtbot.mouseClick(dock.buttons["merge"], Qt.MouseButton.LeftButton)
    assert "undo" in live() and "redo" not in live()
    qtbot.mouseClick(dock.buttons["undo"], Qt.MouseButton.LeftButton)
    assert "redo" in live()


def test_greyed_buttons_say_why_and_live_ones_say_nothing(opened, qtbot):
    """Split, Merge, Delete, Undo and Redo greyed with no or one instance selected gave no
    reason; each greyed one's tooltip says why now, and a live one's says nothing."""
    window, _project = opened
    dock = window.instances
    buttons = dock.buttons
    dock.select([])
    assert not any(buttons[n].isEnabled() for n in ("split", "parts", "merge", "delete", "undo", "redo"))
    assert buttons["split"].toolTip() == "Split by line: select one instance"
    assert buttons["merge"].toolTip() == "Merge: select two instances or more"
    assert buttons["delete"].toolTip() == "Delete: select an instance"
    assert buttons["undo"].toolTip() == "Undo: nothing to undo in the Instances panel"
    assert buttons["propose"].isEnabled() and buttons["propose"].toolTip() == ""
    dress = instance_of(window, "dress")
    dock.select([dress])
    assert buttons["split"].isEnabled() and buttons["split"].toolTip() == ""
    assert buttons["delete"].isEnabled() and buttons["delete"].toolTip() == ""
    assert not buttons["merge"].isEnabled() and buttons["merge"].toolTip() == "Merge: select two instances or more"
    other = next(k for k in dock.doc.instances if k != dress)
    dock.select([dress, other])
    assert buttons["merge"].isEnabled() and buttons["merge"].toolTip() == ""
    assert buttons["split"].toolTip() == "Split by line: select one instance"
    dock.select([other])
    qtbot.mouseClick(buttons["delete"], Qt.MouseButton.LeftButton)
    assert other not in dock.doc.instances
    assert buttons["undo"].isEnabled() and buttons["undo"].toolTip() == ""
    assert buttons["redo"].toolTip() == "Redo: nothing to redo in the Instances panel"


def test_greyed_boxes_say_why_and_live_ones_name_their_choice(opened, qtbot):
    """The Category and attribute boxes were greyed with no instance selected and said nothing;
    a greyed box's tooltip says why now, a live one's names its choice and follows it."""
    window, _project = opened
    dock = window.instances
    fabric = dock.attribute_boxes["fabric"]
    dock.select([])
    assert not dock.category.isEnabled() and dock.category.toolTip() == "Category: select one instance"
    assert not fabric.isEnabled() and fabric.toolTip() == "fabric: select an instance"
    dress = instance_of(window, "dress")
    dock.select([dress])
    assert dock.category.isEnabled() and dock.category.toolTip() == "dress"
    assert fabric.isEnabled() and fabric.toolTip() == fabric.currentText()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClicks(dock.category, "skirt")
    qtbot.keyClick(dock.category, Qt.Key.Key_Return)
    assert dock.doc.instances[dress].category == "skirt" and dock.category.toolTip() == "skirt"
    other = next(k for k in dock.doc.instances if k != dress)
    dock.select([dress, other])
    assert not dock.category.isEnabled() and dock.category.toolTip() == "Category: select one instance"
    assert fabric.isEnabled() and fabric.toolTip() == fabric.currentText()
