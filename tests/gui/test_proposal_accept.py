"""The model's proposal as the starting mask, Ctrl+Enter accepting it (never over the
operator's corrections), and the proposal recorded as it was shown (what Review scores)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.testing import (
    CTRL,
    add_tiny_model,
    copy_project,
    drag,
    hold_proposals,
    open_window,
    press_key,
    shown_mask,
)


def _open_with_a_tiny_model(qtbot, template, tmp_path, answers):
    """A window on a copy of the template whose tiny garment model has proposed for the first image."""
    root = copy_project(template, tmp_path / "project")
    with Project.open(root) as setup:
        add_tiny_model(setup, tmp_path)
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    qtbot.waitUntil(lambda: window.session.current.doc.proposals["garment"] is not None, timeout=30_000)
    return window, project


def test_model_proposal_is_the_starting_mask_and_ctrl_enter_accepts(
    qtbot, template, tmp_path, answers
):
    window, project = _open_with_a_tiny_model(qtbot, template, tmp_path, answers)
    try:
        first = window.session.image_id
        proposal = window.session.current.doc.proposals["garment"]
        np.testing.assert_array_equal(shown_mask(window), proposal)
        np.testing.assert_array_equal(project.load_proposal(first, "garment"), proposal)
        assert project.proposals(first, "garment")[-1].model_version == "3"
        assert window.status.model.toolTip().endswith("v1 (3)") and window.status.device.text()
        assert not window.status.is_busy
        press_key(qtbot, window, Qt.Key.Key_Return, CTRL)
        assert project.image(first).status == "done"
        np.testing.assert_array_equal(project.load_mask(first, "garment"), proposal)
        assert window.session.image_id != first
    finally:
        window.close()
        project.close()


def test_ctrl_z_does_not_take_the_starting_proposal_away(qtbot, template, tmp_path, answers):
    """Found in a hand test: Ctrl+Z twice on an untouched image emptied the mask (the starting
    proposal was an undoable step), and Ctrl+Enter then saved the empty mask as done, saying
    "Your edits were kept". Refine > Clear the mask starts from nothing, as an edit."""
    window, project = _open_with_a_tiny_model(qtbot, template, tmp_path, answers)
    try:
        first = window.session.image_id
        proposal = window.session.current.doc.proposals["garment"]
        assert proposal.any()
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
        np.testing.assert_array_equal(shown_mask(window), proposal)
        assert not window.session.unsaved
        window.actions_by_name["refine_clear"].trigger()
        assert not shown_mask(window).any() and window.session.unsaved
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
        np.testing.assert_array_equal(shown_mask(window), proposal)
        press_key(qtbot, window, Qt.Key.Key_Return, CTRL)
        assert project.image(first).status == "done"
        np.testing.assert_array_equal(project.load_mask(first, "garment"), proposal)
    finally:
        window.close()
        project.close()


def test_ctrl_enter_on_a_corrected_mask_keeps_the_corrections(qtbot, template, tmp_path, answers):
    """Found in a hand test: a stroke, Ctrl+S, then Ctrl+Enter out of habit replaced the saved
    correction with the proposal."""
    window, project = _open_with_a_tiny_model(qtbot, template, tmp_path, answers)
    try:
        first = window.session.image_id
        window.canvas.set_tool("brush")
        drag(window, [(300, 300), (360, 340)])
        assert window.save()  # the correction is saved (its version logs the edit)
        corrected = project.load_mask(first, "garment")
        assert not np.array_equal(corrected, window.session.current.doc.proposals["garment"])
        press_key(qtbot, window, Qt.Key.Key_Return, CTRL)
        assert project.image(first).status == "done"
        np.testing.assert_array_equal(project.load_mask(first, "garment"), corrected)
        assert "edits were kept" in window.status.currentMessage()
        assert window.session.image_id != first
    finally:
        window.close()
        project.close()


def test_ctrl_enter_on_an_imported_mask_keeps_it(qtbot, template, tmp_path, answers):
    """A re-test: a finished image whose mask was imported (no edits logged) was reopened and
    Ctrl+Enter replaced that mask with the model's proposal (a bag strap and a heel lost)."""
    root = copy_project(template, tmp_path / "project")
    with Project.open(root) as setup:
        add_tiny_model(setup, tmp_path)
        first = setup.images()[0].id
        imported = np.zeros(setup.image(first).shape, np.uint8)
        imported[100:300, 80:240] = 1
        setup.save_mask(first, "garment", imported, source="import", status="done")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    try:
        window.open_image(first)  # reopened once finished
        qtbot.waitUntil(lambda: window.session.current.doc.proposals["garment"] is not None, timeout=30_000)
        assert not np.array_equal(window.session.current.doc.proposals["garment"], imported)
        press_key(qtbot, window, Qt.Key.Key_Return, CTRL)
        np.testing.assert_array_equal(project.load_mask(first, "garment"), imported)
        assert len(project.mask_versions(first, "garment")) == 1
    finally:
        window.close()
        project.close()


def test_a_proposal_shown_is_recorded_when_the_same_model_version_proposed_otherwise(
    qtbot, template, tmp_path, answers
):
    """One model version can show another mask for a photo (the garment proposal snaps to
    superpixels once they are cached): QA must score an accepted proposal against the mask that
    was shown, so an accepted, unchanged proposal scores Dice 1."""
    from fashion_annotator.qa.scores import score_project

    root = copy_project(template, tmp_path / "project")
    with Project.open(root) as setup:
        add_tiny_model(setup, tmp_path)
        first = setup.images()[0].id
        other = np.zeros(setup.image(first).shape, np.uint8)
        other[:4, :4] = 1  # what "model 3" proposed in an earlier session
        setup.save_proposal(first, "garment", other, "3")
    window, project = open_window(qtbot, root, tmp_path / "settings.ini", answers)
    try:
        assert window.session.image_id == first
        qtbot.waitUntil(lambda: window.session.current.doc.proposals["garment"] is not None, timeout=30_000)
        proposal = window.session.current.doc.proposals["garment"]
        assert not np.array_equal(proposal, other)
        records = project.proposals(first, "garment")
        assert [r.model_version for r in records] == ["3", "3"]
        np.testing.assert_array_equal(project.load_proposal(first, "garment"), proposal)
        press_key(qtbot, window, Qt.Key.Key_Return, CTRL)
        assert project.image(first).status == "done"
        row = next(r for r in score_project(project, "garment") if r.image_id == first)
        assert row.score == pytest.approx(1.0)
        window.session.open_image(first)
        qtbot.waitUntil(lambda: window.session.current.doc.proposals["garment"] is not None, timeout=30_000)
        assert len(project.proposals(first, "garment")) == 2  # the same mask again: no new record
    finally:
        window.close()
        project.close()




def test_a_proposal_after_the_first_stroke_is_not_applied_but_said_and_can_be_taken(
    qtbot, template, tmp_path, answers, monkeypatch
):
    """An endurance hand test: a stroke made before the proposal came kept the proposal from
    ever becoming the mask, silently (the saved mask was the stroke, Dice 0 in Review)."""
    window, project = _open_with_a_tiny_model(qtbot, template, tmp_path, answers)
    try:
        release = hold_proposals(window, monkeypatch)
        press_key(qtbot, window, Qt.Key.Key_PageDown)
        qtbot.waitUntil(lambda: window.session.current.doc.photo_ready, timeout=20_000)
        drag(window, [(300, 300), (340, 300)])  # the operator is quicker than the model
        stroke = shown_mask(window).copy()
        messages: list[str] = []
        window.session.message.connect(messages.append)
        release.set()
        qtbot.waitUntil(lambda: window.session.current.doc.proposals["garment"] is not None, timeout=30_000)
        proposal = window.session.current.doc.proposals["garment"]
        np.testing.assert_array_equal(shown_mask(window), stroke)
        said = [m for m in messages if "came after your first edit" in m]
        assert said and len(said[0]) <= 90, "whole in the status bar of a 1280 px window (a hand test)"
        window.actions_by_name["refine_proposal"].trigger()
        np.testing.assert_array_equal(shown_mask(window), proposal)
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # one undo step
        np.testing.assert_array_equal(shown_mask(window), stroke)
    finally:
        window.close()
        project.close()


def test_ctrl_enter_on_a_rejected_mask_kept_as_it_was_says_it_was_not_marked_done(
    qtbot, template, tmp_path, answers
):
    """A hand test: the refusal's message was replaced by "Your edits were kept, not the
    proposal: marked done", although nothing was marked done."""
    window, project = _open_with_a_tiny_model(qtbot, template, tmp_path, answers)
    try:
        first = window.session.image_id
        drag(window, [(300, 300), (340, 300)])  # an operator's mask, not the proposal
        press_key(qtbot, window, Qt.Key.Key_D, CTRL)
        version = project.mask_versions(first, "garment")[-1].version
        project.record_decision(first, "garment", "reject", reason="edge", seen_version=version)
        assert window.open_image(first)
        qtbot.waitUntil(lambda: not window.session.unfinished_proposals(), timeout=30_000)
        press_key(qtbot, window, Qt.Key.Key_Return, CTRL)  # keeps the operator's mask: unchanged
        assert project.image(first).status == "rejected" and window.session.image_id == first
        assert "QA rejected the garment mask" in window.status.currentMessage()
    finally:
        window.close()
        project.close()


def test_edits_undone_back_to_the_model_start_leave_the_image_untouched(qtbot, template, tmp_path, answers):
    """Found in a hand test: a stroke on the model's proposal, then Ctrl+Z, still read
    "Unsaved"; moving on saved the proposal as a mask version, the image became "In progress"
    and Retrain counted it as an accepted proposal. Back at the start nothing is unsaved."""
    window, project = _open_with_a_tiny_model(qtbot, template, tmp_path, answers)
    try:
        first = window.session.image_id
        proposal = window.session.current.doc.proposals["garment"]
        window.canvas.set_tool("brush")
        drag(window, [(300, 300), (360, 340)])
        assert window.status.saved.text().endswith("Unsaved") and window.session.journal.entries()
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
        np.testing.assert_array_equal(shown_mask(window), proposal)
        assert window.status.saved.text() == "Saved" and not window.session.unsaved
        assert window.session.journal.entries() == []
        window.session._autosave()
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)  # redo: edited again
        assert window.status.saved.text().endswith("Unsaved") and window.session.unsaved
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
        assert window.step(1) and window.session.image_id != first
        assert project.mask_versions(first, "garment") == [] and project.image(first).status == "new"
    finally:
        window.close()
        project.close()


def test_a_stroke_on_a_revisited_image_before_its_proposal_came_again_says_nothing_of_it(
    qtbot, template, tmp_path, answers, monkeypatch
):
    """A cutout operator's hand test: back on an image seen before (its proposal shown, recorded),
    a stroke drawn at once was followed by "garment proposal not applied (it came after your
    first edit)" although that very proposal was the mask under the stroke: the recomputed
    proposal, pixel for pixel the start, is no news. A different one still is said."""
    window, project = _open_with_a_tiny_model(qtbot, template, tmp_path, answers)
    try:
        first = window.session.image_id
        shown = window.session.current.doc.proposals["garment"].copy()
        press_key(qtbot, window, Qt.Key.Key_PageDown)
        qtbot.waitUntil(lambda: window.session.current.doc.proposals["garment"] is not None, timeout=30_000)
        release = hold_proposals(window, monkeypatch)
        press_key(qtbot, window, Qt.Key.Key_PageUp)
        assert window.session.image_id == first
        qtbot.waitUntil(lambda: window.session.current.doc.photo_ready, timeout=20_000)
        np.testing.assert_array_equal(shown_mask(window), shown)  # the recorded proposal is the start
        drag(window, [(300, 300), (340, 300)])
        stroked = shown_mask(window).copy()
        messages: list[str] = []
        window.session.message.connect(messages.append)
        release.set()
        qtbot.waitUntil(lambda: "garment" not in window.session.awaiting, timeout=30_000)
        np.testing.assert_array_equal(window.session.current.doc.proposals["garment"], shown)
        np.testing.assert_array_equal(shown_mask(window), stroked)
        assert not [m for m in messages if "not applied" in m], messages
        other = np.zeros_like(shown)
        other[10:60, 10:60] = 1  # a newer model's proposal, not the start: said
        made = window.session.current.probs["garment"]
        monkeypatch.setattr(window.session.proposals, "propose", lambda *_a, **_k: (made, other))
        window.session.rerun_proposal("garment", reload=False)
        qtbot.waitUntil(lambda: "garment" not in window.session.awaiting, timeout=30_000)
        assert [m for m in messages if "came after your first edit" in m], messages
        np.testing.assert_array_equal(shown_mask(window), stroked)
    finally:
        window.close()
        project.close()
