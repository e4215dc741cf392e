"""A stray edit saved on leave is never for good: the undo history of a photo left comes back
with it (PgUp, then Ctrl+Z), and Edit > Go back to an earlier version… puts any saved version
back as an undoable edit. Nothing in the store is ever written over."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.annotate import version_revert
from fashion_annotator.ui.testing import (
    CTRL,
    Answers,
    click,
    copy_project,
    drag,
    make_template,
    open_window,
    press_key,
    shown_mask,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory, ccp_dir) -> Path:
    return make_template(tmp_path_factory.mktemp("ccp_undo_across"), ccp_dir)


@pytest.fixture
def root(template, tmp_path) -> Path:
    return copy_project(template, tmp_path / "project")


def _two_versions(root: Path) -> tuple[int, np.ndarray, np.ndarray]:
    """Save two garment versions of the first photo and mark it done; return its id and both."""
    with Project.open(root, user="alice") as project:
        first = project.images()[0]
        v1 = np.zeros(first.shape, np.uint8)
        v1[100:300, 50:200] = 1
        v2 = v1.copy()
        v2[300:400, 50:200] = 1
        project.save_mask(first.id, "garment", v1, seconds=10.0, actions=3)
        project.save_mask(first.id, "garment", v2, seconds=20.0, actions=5)
        project.set_status(first.id, "done")
    return first.id, v1, v2


def _step(qtbot, window, key, image_id: int | None = None, leaving: int | None = None) -> None:
    press_key(qtbot, window, key)
    qtbot.waitUntil(lambda: window.session.image_id == image_id if image_id is not None
                    else window.session.image_id != leaving, timeout=20000)  # fmt: skip


def test_a_stray_edit_saved_on_leaving_a_done_photo_is_undone_after_coming_back(
    qtbot, root, tmp_path
):
    """An operator's hand test: one stray click on a Done photo, PgDn, PgUp: the edit was saved
    as version 3 on leave, the photo still said Done and Undo was greyed."""
    first, _v1, v2 = _two_versions(root)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    said: list[str] = []
    window.session.message.connect(said.append)
    try:
        assert window.open_image(first)
        np.testing.assert_array_equal(shown_mask(window), v2)
        drag(window, [(300, 500), (330, 500)])  # the stray stroke
        stray = shown_mask(window).copy()
        assert (stray != v2).any() and window.session.unsaved
        _step(qtbot, window, Qt.Key.Key_PageDown, leaving=first)
        assert [v.version for v in project.mask_versions(first, "garment")] == [1, 2, 3]
        assert project.image(first).status == "done"
        line = next(s for s in said if s.startswith("Saved ") and ": it was Done" in s)
        assert "Garment cutout version 3" in line and "Go back to an earlier version" in line
        _step(qtbot, window, Qt.Key.Key_PageUp, image_id=first)
        np.testing.assert_array_equal(shown_mask(window), stray)
        assert window.actions_by_name["undo"].isEnabled(), "the history came back with the photo"
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
        np.testing.assert_array_equal(shown_mask(window), v2)
        assert window.session.unsaved, "undone past the save on leave: a new version to save"
        _step(qtbot, window, Qt.Key.Key_PageDown, leaving=first)
        versions = project.mask_versions(first, "garment")
        assert [v.version for v in versions] == [1, 2, 3, 4]
        np.testing.assert_array_equal(project.load_mask(first, "garment", 4), v2)
        np.testing.assert_array_equal(
            project.load_mask(first, "garment", 3), stray
        )  # never written over
    finally:
        window.close()
        project.close()


def test_a_colleagues_save_since_drops_the_history_kept(qtbot, root, tmp_path):
    """The history kept for a photo left is given back only to the version it was left at."""
    first, v1, v2 = _two_versions(root)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        assert window.open_image(first)
        drag(window, [(300, 500), (330, 500)])
        _step(qtbot, window, Qt.Key.Key_PageDown, leaving=first)
        with Project.open(root, user="bob") as other:
            other.save_mask(first, "garment", v1, seconds=30.0, actions=7)
        _step(qtbot, window, Qt.Key.Key_PageUp, image_id=first)
        np.testing.assert_array_equal(shown_mask(window), v1)
        assert not window.actions_by_name["undo"].isEnabled()
    finally:
        window.close()
        project.close()


def test_a_photo_whose_latest_file_is_damaged_gets_no_history(qtbot, root, tmp_path):
    """The version saved on leave damaged since, the mask opens at the one before: the history
    kept came back on it, and a stray edit undone there was taken for the saved mask."""
    first, _v1, v2 = _two_versions(root)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        assert window.open_image(first)
        drag(window, [(300, 500), (330, 500)])
        _step(qtbot, window, Qt.Key.Key_PageDown, leaving=first)
        project.mask_versions(first, "garment")[-1].path.write_bytes(b"not a png")
        _step(qtbot, window, Qt.Key.Key_PageUp, image_id=first)
        np.testing.assert_array_equal(shown_mask(window), v2)
        assert not window.actions_by_name["undo"].isEnabled()
        drag(window, [(300, 500), (330, 500)])
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
        np.testing.assert_array_equal(shown_mask(window), v2)
        assert window.session.unsaved, "opened at version 2: saved on top of the damaged one"
    finally:
        window.close()
        project.close()


def test_go_back_to_an_earlier_version_is_an_undoable_edit_saved_on_top(
    qtbot, root, tmp_path, monkeypatch
):
    first, v1, v2 = _two_versions(root)
    asked: list[tuple[str, list[str], int]] = []

    def ask(_parent, title: str, rows: list[str], default: int) -> int:
        asked.append((title, rows, default))
        return 1 if len(asked) == 1 else 0  # the version before the latest, then the latest

    monkeypatch.setattr(version_revert, "ask_version", ask)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        assert window.open_image(first)
        action = window.actions_by_name["go_back"]
        edit_menu = next(
            m
            for m in window.menuBar().findChildren(type(window.refine_menu))
            if m.title() == "&Edit"
        )
        assert action in edit_menu.actions()
        action.trigger()
        (title, rows, default) = asked[0]
        name = window.display_name(project.image(first))
        assert name in title and default == 1
        assert rows[0].startswith("Version 2") and "latest" in rows[0] and "alice" in rows[0]
        assert rows[1].startswith("Version 1") and len(rows) == 2
        np.testing.assert_array_equal(shown_mask(window), v1)
        assert window.session.unsaved and "version 1 again" in window.status.currentMessage()
        assert [v.version for v in project.mask_versions(first, "garment")] == [1, 2]
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
        np.testing.assert_array_equal(shown_mask(window), v2)
        assert not window.session.unsaved
        window.actions_by_name["redo"].trigger()
        assert window.save()
        assert [v.version for v in project.mask_versions(first, "garment")] == [1, 2, 3]
        np.testing.assert_array_equal(project.load_mask(first, "garment", 3), v1)
        np.testing.assert_array_equal(project.load_mask(first, "garment", 2), v2)
        action.trigger()  # the latest (version 3) while version 1 is shown: already so
        assert "already shows version 3" in window.status.currentMessage()
    finally:
        window.close()
        project.close()


def test_putting_back_the_saved_version_says_there_is_nothing_to_save(qtbot, root, tmp_path, monkeypatch):
    """A hand test: version 1 put back, then version 2 (the latest, what is saved): the corner
    said Saved while the message said "version 2 again, not saved yet"."""
    first, v1, v2 = _two_versions(root)
    picks = iter([1, 0])  # version 1, then the latest
    monkeypatch.setattr(version_revert, "ask_version", lambda *_args: next(picks))
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        assert window.open_image(first)
        window.actions_by_name["go_back"].trigger()
        np.testing.assert_array_equal(shown_mask(window), v1)
        assert window.session.unsaved and "not saved yet" in window.status.currentMessage()
        window.actions_by_name["go_back"].trigger()
        np.testing.assert_array_equal(shown_mask(window), v2)
        said = window.status.currentMessage()
        assert ("not saved yet" in said) == window.session.unsaved, "said as the corner says"
        assert not window.session.unsaved and "saved version 2 again, nothing to save" in said
    finally:
        window.close()
        project.close()


def test_putting_back_the_saved_version_names_the_other_mask_still_unsaved(
    qtbot, root, tmp_path, monkeypatch
):
    """A review finding: with a parsing stroke unsaved, putting back the garment mask's latest
    saved version said "not saved yet (saving adds it as a new version…)", though saving adds
    no garment version; it now says the garment mask is as saved and the parsing mask is not."""
    first, _v1, v2 = _two_versions(root)
    monkeypatch.setattr(version_revert, "ask_version", lambda *_args: 0)  # the latest
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        assert window.open_image(first)
        press_key(qtbot, window, Qt.Key.Key_B)
        drag(window, [(300, 500), (330, 500)])
        assert (shown_mask(window) != v2).any()
        press_key(qtbot, window, Qt.Key.Key_Tab)
        drag(window, [(100, 300), (200, 300)])
        press_key(qtbot, window, Qt.Key.Key_Tab)
        assert window.task == "garment"
        window.actions_by_name["go_back"].trigger()
        np.testing.assert_array_equal(shown_mask(window), v2)
        said = window.status.currentMessage()
        assert "not saved yet" not in said and "saved version 2 again" in said
        assert "parsing mask still has unsaved edits" in said.lower()
        assert window.session.current.edited == {"parsing7"}
    finally:
        window.close()
        project.close()


def test_a_half_drawn_polygon_closed_on_leave_is_undone_after_coming_back(qtbot, root, tmp_path):
    """Leaving closes an open polygon (its points are the operator's work: never dropped
    unseen); coming back, one Ctrl+Z takes the filled polygon away if it was a stray one."""
    first, _v1, v2 = _two_versions(root)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        assert window.open_image(first)
        window.canvas.set_tool("polygon")
        for x, y in [(300, 450), (420, 450), (420, 560)]:
            click(window, x, y)
        np.testing.assert_array_equal(shown_mask(window), v2)  # open: nothing filled yet
        _step(qtbot, window, Qt.Key.Key_PageDown, leaving=first)
        assert [v.version for v in project.mask_versions(first, "garment")] == [1, 2, 3]
        closed = project.load_mask(first, "garment", 3)
        assert (closed != v2).any()
        _step(qtbot, window, Qt.Key.Key_PageUp, image_id=first)
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
        np.testing.assert_array_equal(shown_mask(window), v2)
        assert window.session.unsaved
    finally:
        window.close()
        project.close()
