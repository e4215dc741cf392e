"""The window on a PostgreSQL project: open it by URL, edit, save into the database."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.dataset.store import create_project, open_project
from fashion_annotator.ui import app, prompts
from fashion_annotator.ui.testing import (
    CTRL,
    Answers,
    drag,
    open_window,
    press_key,
)


def test_window_edits_a_postgresql_project(qtbot, team_url: str, tmp_path) -> None:
    window, project = open_window(qtbot, team_url, tmp_path / "settings.ini", Answers())
    try:
        image_id = window.session.image_id
        assert window.windowTitle().endswith(f" — {project.root.name}")  # image — project
        with open_project(team_url, user="bob") as bob:
            assert bob.lease(image_id).holder.startswith("alice@")  # the open image is leased
            drag(window, [(60, 80), (140, 200)])
            press_key(qtbot, window, "S", CTRL)
            qtbot.waitUntil(lambda: bool(bob.mask_versions(image_id, window.task)), timeout=10000)
            assert np.count_nonzero(bob.load_mask(image_id, window.task)) > 0
            assert bob.mask_versions(image_id, window.task)[-1].user == "alice"
    finally:
        window.close()
        project.close()
    with open_project(team_url) as after:
        assert after.lease(image_id) is None  # closing the window released it


def test_file_open_server_project_replaces_the_window(
    qtbot, team_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window, project = open_window(qtbot, team_url, tmp_path / "settings.ini", Answers())
    monkeypatch.setattr(prompts, "ask_project_url", lambda parent, default: None)
    window.actions_by_name["open_server"].trigger()  # cancelled: nothing changes
    assert window.isVisible()
    other = team_url.replace("?project=", "?project=o")
    create_project(other).close()
    opened = window.open_server_project(other)
    try:
        assert not window.isVisible() and opened.isVisible()
        assert opened.project.location == other and opened.project.images() == []
        assert window.prefs.last_project == team_url  # the closed window remembered its URL
    finally:
        opened.close()  # deletes itself and closes its project
        project.close()


def test_the_command_line_and_last_project_take_a_url(team_url: str) -> None:
    project, problems = app.open_or_create(team_url)
    with project:
        assert problems == [] and len(project.images()) == 2
    project, _ = app.choose_project(None, team_url)
    with project:
        assert project.location == team_url


def test_next_free_to_do_never_opens_a_colleagues_image(qtbot, team_url: str, tmp_path) -> None:
    alice, alice_project = open_window(qtbot, team_url, tmp_path / "a.ini", Answers())
    bob, bob_project = open_window(qtbot, team_url, tmp_path / "b.ini", Answers(), user="bob")
    try:
        first = alice.session.image_id
        assert bob.session.current.read_only  # alice has the first image open
        assert bob.open_next_free()
        assert bob.session.image_id != first and not bob.session.current.read_only
        assert not alice.open_next_free()  # the only other image is bob's
        assert "Nothing free to do" in alice.status.currentMessage()
        assert alice.session.image_id == first
    finally:
        bob.close()
        alice.close()
        bob_project.close()
        alice_project.close()


def test_a_server_project_opens_through_the_window_switcher(qtbot, team_url: str, tmp_path) -> None:
    # In the application every window is the switcher's: one opened from File > Open server
    # project can open another project again, and the window it replaced is deleted.
    import shiboken6

    from fashion_annotator.ui.preferences import Preferences, settings_file

    switcher = app.WindowSwitcher(Preferences(settings_file(tmp_path / "s.ini")))
    first = switcher.show(open_project(team_url, user="alice"))
    qtbot.waitUntil(lambda: first.session.current is not None)
    other = team_url.replace("?project=", "?project=o")
    create_project(other).close()
    opened = first.open_server_project(other)
    assert opened is switcher.window and opened.project.location == other
    assert opened.project.user == "alice"
    qtbot.waitUntil(lambda: not shiboken6.isValid(first), timeout=10_000)
    with qtbot.waitSignal(opened.projectRequested):
        opened.projectRequested.emit(team_url)  # File > Open recent, in the server window
    window = switcher.window
    assert window is not opened and window.project.location == team_url
    qtbot.waitUntil(lambda: not shiboken6.isValid(opened), timeout=10_000)
    assert window.close()
    window.project.close()
    window.deleteLater()


def test_a_colleagues_change_reads_again_only_its_row(
    qtbot, team_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scale review at 20,000 images: each 15 s poll read every row (0.4-0.9 s on the GUI
    thread, changed or not). (What a new desktop copies: tests/unit/dataset/test_pg_changes.py
    and the thumbnails' test below.)"""
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "new-desktop"))
    window, project = open_window(qtbot, team_url, tmp_path / "settings.ini", Answers())
    try:
        records = project.images(fetch_photos=False)
        opened = window.session.image_id
        reads: list = []
        real = project.images
        monkeypatch.setattr(project, "images", lambda *a, **k: reads.append(k.get("ids")) or real(*a, **k))
        assert not window.queue_refresh.reload(only_if_changed=True) and reads == []  # nothing changed
        other = next(r.id for r in records if r.id != opened)
        monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "bob-desktop"))
        with open_project(team_url, user="bob") as bob:
            bob.set_status(other, "done")
        assert window.queue_refresh.reload(only_if_changed=True)
        assert reads == [[other]]
        assert next(r.status for r in window.queue.model.records() if r.id == other) == "done"
    finally:
        window.close()
        project.close()


def test_a_new_desktop_shows_thumbnails_and_ranks_with_photos_copied_in_batches(
    qtbot, team_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A review of the change above: the list's thumbnails were decoded from photos never
    copied (the "unreadable" placeholder, kept after the photo arrived), and "most useful
    first" copied every to-do photo one query at a time on the GUI thread."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor

    from fashion_annotator.ui.annotate.queue_order import QueueRanker

    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "new-desktop"))
    window, project = open_window(qtbot, team_url, tmp_path / "settings.ini", Answers())
    try:
        model = window.queue.model
        for row in range(model.rowCount()):
            model.data(model.index(row), Qt.ItemDataRole.DecorationRole)  # what a paint asks
        qtbot.waitUntil(lambda: len(model._thumbs) == model.rowCount(), timeout=10_000)
        pink = QColor("#ffcdd2").rgb()
        assert all(t.pixel(t.width() // 2, t.height() // 2) != pink for t in model._thumbs.values())
    finally:
        window.close()
        project.close()
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "third-desktop"))
    with open_project(team_url, user="carol") as carol:
        records = carol.images(fetch_photos=False)
        calls: list = []
        real = carol.images
        monkeypatch.setattr(carol, "images", lambda *a, **k: calls.append(k.get("ids")) or real(*a, **k))
        monkeypatch.setattr(carol, "image_path", lambda image_id: pytest.fail("a photo copied alone"))
        ranker = QueueRanker(carol)
        monkeypatch.setattr(ranker, "_model", lambda task: ("garment:stub", tmp_path / "none.safetensors"))
        ranker.arrange(records, "garment", "tool")
        ranker.cancel(msecs=5000)
        assert calls == [[r.id for r in records]] and all(r.path.is_file() for r in records)
