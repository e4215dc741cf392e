"""A window whose lease lapsed (a laptop asleep, a window stopped with ``kill -STOP``) while a
colleague opened its image: what becomes of its unsaved edits, and when it may edit again.

Found by a QA hand test of two windows on one PostgreSQL project; each test runs on a folder
project and on a PostgreSQL team project (the lease logic is the backend's, the window's
reaction is what is tested). A lease of 1 s stands for the window's 60 s where one lapses.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.journal import DECLINED, RecoveryJournal
from fashion_annotator.core.tasks import task_title
from fashion_annotator.ui.annotate import image_session
from fashion_annotator.ui.testing import (
    Answers,
    copy_project,
    drag,
    open_window,
    shown_mask,
    wait_ready,
)

pytestmark = pytest.mark.reliability


@pytest.fixture(params=["folder", "team"])
def location(request, template: Path, tmp_path: Path) -> str | Path:
    """Where the project is: a folder project, or a PostgreSQL team project."""
    if request.param == "team":
        return request.getfixturevalue("team_url")
    return copy_project(template, tmp_path / "project")


class Team:
    """Carol's and Bob's windows on one project; each desktop has its own local folder."""

    def __init__(self, qtbot, location: str | Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.qtbot, self.location, self.tmp_path, self.monkeypatch = qtbot, location, tmp_path, monkeypatch
        self.opened: list = []

    def open(self, user: str, answers: Answers | None = None):
        self.monkeypatch.setenv("FA_LOCAL_DIR", str(self.tmp_path / f"{user}-desktop"))
        window, project = open_window(self.qtbot, self.location, self.tmp_path / f"{user}.ini", answers or Answers(),
                                      user=user)  # fmt: skip
        self.opened.append((window, project))
        return window, project

    def leave(self, window) -> None:
        """The colleague closes their window: their lease is given back."""
        for pair in [p for p in self.opened if p[0] is window]:
            self.opened.remove(pair)
            pair[0].close()
            pair[1].close()

    def close(self) -> None:
        for window, project in reversed(self.opened):
            window.close()
            project.close()


@pytest.fixture
def team(qtbot, location, tmp_path, monkeypatch):
    opened = Team(qtbot, location, tmp_path, monkeypatch)
    yield opened
    opened.close()


def _lease_lost_to_bob(team: Team, bob_saves: bool):
    """Carol paints on the first photo without saving; her window freezes past its lease; Bob
    opens the photo (and saves a stroke when ``bob_saves``); Carol's window resumes and finds
    the lease Bob's; Bob closes his window. Returns Carol's window, her project, the photos' ids
    and her unsaved mask."""
    team.monkeypatch.setattr(image_session, "LEASE_TTL_S", 1.0)
    carol, carol_project = team.open("carol")
    ids = [r.id for r in carol_project.images()]
    assert carol.session.image_id == ids[0]
    carol.canvas.set_tool("brush")
    drag(carol, [(300, 300), (340, 330)])
    assert carol.session.unsaved
    mine = shown_mask(carol).copy()
    bob, bob_project = team.open("bob")  # carol holds the first photo: bob views it read-only
    assert bob.session.current.read_only
    assert bob.open_image(ids[1])
    carol.session._lease_timer.stop()  # carol's window is frozen: her lease is not renewed
    time.sleep(1.3)
    assert bob.open_image(ids[0]) and not bob.session.current.read_only
    bob_project.leases.acquire(ids[0], ttl_s=60)  # bob stays on it while carol resumes
    if bob_saves:
        bob.canvas.set_tool("brush")
        drag(bob, [(500, 200), (540, 240)])
        assert bob.save()
    carol.session._lease_timer.timeout.emit()  # carol's window resumes: its next renewal
    assert carol.session.current.read_only and carol.session.current.lease_lost
    assert "took this image over" in carol.banner.text()
    team.leave(bob)
    return carol, carol_project, ids, mine


def test_edits_a_colleagues_save_made_stale_are_set_aside_when_the_operator_leaves_the_photo(team, qtbot):
    # They stayed in carol's own journal folder, and her first stroke after she came back to
    # the photo wrote over them (no journal/declined/ was ever made).
    carol, project, ids, mine = _lease_lost_to_bob(team, bob_saves=True)
    name = carol.display_name(project.image(ids[0]))
    assert carol.open_image(ids[1])
    wait_ready(qtbot, carol)
    declined = carol.session.journal_root / DECLINED
    (kept,) = RecoveryJournal(declined).entries()
    assert (kept.image_id, kept.task, kept.user) == (ids[0], carol.task, "carol")
    assert np.array_equal(kept.load_mask(), mine)
    said = carol.banner.text()
    assert f"Your unsaved edits of {name} ({task_title(carol.task)}) were not saved: bob saved a newer version" in said
    assert str(declined) in said
    assert carol.open_image(ids[0])  # back on the photo: bob's version, editable
    wait_ready(qtbot, carol)
    assert not carol.session.current.read_only and not carol.session.unsaved
    assert not np.array_equal(shown_mask(carol), mine)
    drag(carol, [(100, 400), (140, 440)])  # her next stroke journals apart from what was kept
    assert carol.session.unsaved
    (kept,) = RecoveryJournal(declined).entries()
    assert np.array_equal(kept.load_mask(), mine)
    assert carol.save()
    assert [v.user for v in project.mask_versions(ids[0], carol.task)] == ["bob", "carol"]


def test_edits_of_a_lease_lost_without_a_colleagues_save_come_back_when_the_photo_opens_again(team, qtbot):
    # Bob only looked: carol's edits were still on the saved version they started from, and
    # coming back showed the saved mask without them.
    carol, project, ids, mine = _lease_lost_to_bob(team, bob_saves=False)
    name = carol.display_name(project.image(ids[0]))
    assert carol.open_image(ids[1])
    wait_ready(qtbot, carol)
    assert f"Your unsaved edits of {name} ({task_title(carol.task)}) could not be saved (read-only)" in carol.banner.text()
    assert carol.open_image(ids[0])
    wait_ready(qtbot, carol)
    assert not carol.session.current.read_only and carol.session.unsaved
    assert np.array_equal(shown_mask(carol), mine)
    assert carol.save()
    assert [v.user for v in project.mask_versions(ids[0], carol.task)] == ["carol"]
    assert not (carol.session.journal_root / DECLINED).exists()


@pytest.mark.parametrize("bob_saves", [False, True])
def test_a_lost_lease_free_again_makes_the_photo_editable_without_reopening_it(team, qtbot, bob_saves):
    # The read-only banner and Ctrl+S's "Not saved: ... holds this image" stayed minutes after
    # bob left the photo: a lost lease was never looked at again.
    said: list[str] = []
    carol, project, ids, mine = _lease_lost_to_bob(team, bob_saves=bob_saves)
    name = carol.display_name(project.image(ids[0]))
    carol.session.message.connect(said.append)
    assert carol.session._lease_wait.isActive(), "the lease is looked at again when it would lapse"
    qtbot.waitUntil(lambda: not carol.session.current.read_only, timeout=10_000)
    wait_ready(qtbot, carol)
    assert carol.session.image_id == ids[0]
    assert "Read-only" not in carol.banner.text() and "took this image over" not in carol.banner.text()
    assert any(f"is no longer editing {name}: you can edit it now" in line for line in said)
    if bob_saves:  # her edits are older than bob's save: set aside, said, bob's version shown
        assert not carol.session.unsaved and not np.array_equal(shown_mask(carol), mine)
        assert f"They are kept in {carol.session.journal_root / DECLINED}" in carol.banner.text()
        drag(carol, [(100, 400), (140, 440)])
    else:  # bob only looked: her edits are back, unsaved
        assert carol.session.unsaved and np.array_equal(shown_mask(carol), mine)
    assert carol.save()
    assert [v.user for v in project.mask_versions(ids[0], carol.task)] == ["bob", "carol"][1 - bob_saves :]


def test_a_read_only_view_follows_the_colleagues_saves_at_the_image_list_poll(team, qtbot):
    # bob's canvas kept the old mask and "alice is editing" about a minute (until alice's lease
    # would have lapsed) after the list showed her photo Done.
    alice, alice_project = team.open("alice")
    ids = [r.id for r in alice_project.images()]
    bob, _bob_project = team.open("bob")  # alice holds the first photo: bob views it read-only
    assert bob.session.image_id == ids[0] and bob.session.current.read_only

    def listed(image_id):
        return next(r.status for r in bob.queue.model.records() if r.id == image_id)

    alice.canvas.set_tool("brush")
    drag(alice, [(300, 300), (340, 330)])
    assert alice.save()  # alice saves and goes on editing
    bob.queue_refresh.timer.timeout.emit()  # what the timer does every QUEUE_POLL_S
    wait_ready(qtbot, bob)
    assert bob.session.current.read_only and "is editing this image" in bob.banner.text()
    assert np.array_equal(shown_mask(bob), alice_project.load_mask(ids[0], alice.task))
    drag(alice, [(400, 300), (440, 330)])
    assert alice.mark_done() and alice.session.image_id != ids[0]  # done; alice is on the next photo
    bob.queue_refresh.timer.timeout.emit()
    assert listed(ids[0]) == "done"
    wait_ready(qtbot, bob)
    assert bob.session.image_id == ids[0] and not bob.session.current.read_only
    assert "is editing this image" not in bob.banner.text()
    assert np.array_equal(shown_mask(bob), alice_project.load_mask(ids[0], alice.task))
    assert bob.canvas.document is bob.session.current.doc


def test_a_lost_lease_is_not_taken_back_while_the_review_tab_is_shown(team, qtbot):
    # The look at a lost lease reopened the photo editable (and leased it) while carol's window
    # showed the Review tab, where a window gives its image's lease back for the operators.
    carol, project, ids, _mine = _lease_lost_to_bob(team, bob_saves=False)
    carol.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: carol.review is not None, timeout=10_000)
    carol.session.look_again()  # the lapse timer fires while Review is shown
    assert carol.session.current.read_only
    assert project.leases.current(ids[0]) is None, "no lease taken while in Review"
    carol.tabs.setCurrentIndex(0)  # back to Annotate: looked at again at once
    qtbot.waitUntil(lambda: not carol.session.current.read_only, timeout=10_000)
    wait_ready(qtbot, carol)
    assert carol.session.image_id == ids[0] and carol.session.unsaved
    held = project.leases.current(ids[0])
    assert held is not None and held.holder.startswith("carol@")


def test_a_colleague_is_named_by_their_user_name_not_their_machine(team, monkeypatch):
    """A studio read "root@vm (pid 20600) is editing it" where a person's name was meant: the
    banner and the lease question name the user; the computer and process are in the tooltip."""
    from PySide6.QtWidgets import QMessageBox

    from fashion_annotator.ui.prompts import ask_lease_held

    alice, alice_project = team.open("alice")
    bob, _ = team.open("bob")  # alice holds the first photo: bob views it read-only
    assert bob.session.current.read_only
    assert "Read-only: alice is editing this image." in bob.banner.text() and "(pid " not in bob.banner.text()
    seen = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: seen.append((box.text(), box.toolTip())) or 0)
    ask_lease_held(bob, alice_project._db.holder, time.time() + 60, "look.jpg")
    (text, tip), = seen
    assert text.startswith("alice is editing look.jpg (until ") and "(pid " in tip
