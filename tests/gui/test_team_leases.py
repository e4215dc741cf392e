"""Leases between windows on a PostgreSQL project: a dropped connection, a reviewer's visit, a
desktop clock minutes off the server's."""

from __future__ import annotations

import time

import numpy as np
import psycopg
import pytest

from fashion_annotator.dataset.leases import person
from fashion_annotator.dataset.postgres import parse_url
from fashion_annotator.dataset.store import open_project
from fashion_annotator.ui.annotate import image_session
from fashion_annotator.ui.testing import Answers, drag, open_window, wait_ready


def _end_session(url: str, backend_pid: int) -> None:
    """End a server session from another connection (a network blip, a firewall's idle
    kill) and wait until the server no longer lists it."""
    with psycopg.connect(parse_url(url).conninfo, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (backend_pid,))
        for _ in range(100):
            if admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend_pid,)).fetchone() is None:
                return
            time.sleep(0.05)
    raise AssertionError(f"server session {backend_pid} did not end")


def test_a_dropped_connection_leaves_the_operator_editing_and_the_colleague_read_only(
    qtbot, team_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "alice-desktop"))
    alice, alice_project = open_window(qtbot, team_url, tmp_path / "a.ini", Answers())
    bob = bob_project = None
    try:
        image_id = alice.session.image_id
        drag(alice, [(60, 80), (140, 200)])
        assert alice.session.unsaved
        _end_session(team_url, alice_project._conn.info.backend_pid)
        monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "bob-desktop"))
        asked = Answers()
        bob, bob_project = open_window(qtbot, team_url, tmp_path / "b.ini", asked, user="bob")
        assert bob.session.image_id == image_id
        assert bob.session.current.read_only
        assert [q for q in asked.asked if q[0] == "lease"] == [("lease", alice_project._db.holder)]
        assert alice.save()  # her connection is made again and her lease re-attached
        assert not alice.session.unsaved and not alice.session.current.read_only
        assert not alice.banner.isVisible() or "took this image over" not in alice.banner.text()
        versions = bob_project.mask_versions(image_id, alice.task)
        assert [v.user for v in versions] == ["alice"]
        assert bob_project.lease(image_id).holder == alice_project._db.holder
    finally:
        for window, project in ((bob, bob_project), (alice, alice_project)):
            if window is not None:
                window.close()
                project.close()


def test_a_reviewer_back_in_review_leaves_the_image_free_for_the_operator(
    qtbot, team_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "carol-desktop"))
    carol, carol_project = open_window(qtbot, team_url, tmp_path / "c.ini", Answers(), user="carol")
    alice = alice_project = None
    try:
        ids = [r.id for r in carol_project.images()]
        for image_id in ids:
            carol_project.save_mask(image_id, carol.task, np.ones(carol_project.image(image_id).shape, np.uint8),
                                    status="done")  # fmt: skip
        carol.tabs.setCurrentIndex(1)
        review, sent_back = carol.review, ids[-1]
        review.refresh()
        assert review.select_image(sent_back)
        review.open_selected()  # Enter: "Open in annotation view"
        wait_ready(qtbot, carol)
        assert carol.tabs.currentIndex() == 0 and carol.session.image_id == sent_back
        assert carol_project.lease(sent_back).holder == carol_project._db.holder
        carol.tabs.setCurrentIndex(1)
        assert carol_project.lease(sent_back) is None  # back in Review: the image is free
        carol.tabs.setCurrentIndex(0)
        assert carol_project.lease(sent_back).holder == carol_project._db.holder  # taken again
        assert not carol.session.current.read_only
        carol.tabs.setCurrentIndex(1)
        monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "dave-desktop"))
        with open_project(team_url, user="dave") as dave:  # saves while carol is in Review
            dave.save_mask(sent_back, carol.task, np.zeros(dave.image(sent_back).shape, np.uint8))
        carol.tabs.setCurrentIndex(0)  # dave's version is opened, leased again, and said
        assert "was saved again while you were in Review: its newest version is open" in carol.status.currentMessage()
        wait_ready(qtbot, carol)
        assert carol.session.current.base_versions[carol.task] == 2
        assert not carol.session.current.doc.masks[carol.task].any()
        assert carol_project.lease(sent_back).holder == carol_project._db.holder
        carol.tabs.setCurrentIndex(1)
        review.refresh()
        assert review.select_image(sent_back)
        review.reason.setCurrentIndex(0)
        assert review.reject_selected()
        monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "alice-desktop"))
        asked = Answers()
        alice, alice_project = open_window(qtbot, team_url, tmp_path / "a.ini", asked)
        assert alice.open_image(sent_back)
        wait_ready(qtbot, alice)
        assert not alice.session.current.read_only and asked.asked == []
        carol.tabs.setCurrentIndex(0)  # alice is fixing it: carol sees it read-only, told why
        assert carol.session.current.read_only and not carol.session.current.lease_lost
        assert carol.session.current.lease_holder == alice_project._db.holder
        assert f"Read-only: {person(alice_project._db.holder)} is editing this image." in carol.banner.text()
        assert alice_project.lease(sent_back).holder == alice_project._db.holder
    finally:
        for window, project in ((alice, alice_project), (carol, carol_project)):
            if window is not None:
                window.close()
                project.close()


@pytest.mark.parametrize("skew_s", [-600, 600])
def test_a_read_only_viewer_whose_clock_is_off_by_minutes_looks_again_within_a_lease_time(
    qtbot, team_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch, skew_s: int
) -> None:
    # Leases expire on the server's clock; bob's studio laptop runs 10 minutes off it. Behind,
    # bob's read-only view of alice's image waited 11 minutes to look again (the image stayed
    # read-only 10 minutes after alice left it); ahead, it asked the server twice a second.
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "alice-desktop"))
    alice, alice_project = open_window(qtbot, team_url, tmp_path / "a.ini", Answers())
    bob = bob_project = None
    try:
        image_id = alice.session.image_id
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + skew_s)  # bob's desktop clock
        monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "bob-desktop"))
        bob, bob_project = open_window(qtbot, team_url, tmp_path / "b.ini", Answers(), user="bob")
        assert bob.session.image_id == image_id and bob.session.current.read_only
        # a coarse Qt timer may fire up to 5 % late, and says so in remainingTime (60,915 ms seen)
        assert bob.session._lease_wait.remainingTime() <= (image_session.LEASE_TTL_S + 0.5) * 1000 * 1.05
        looked: list[int] = []
        current = bob_project.leases.current
        monkeypatch.setattr(bob_project.leases, "current", lambda i: (looked.append(i), current(i))[1])
        qtbot.wait(2000)
        assert len(looked) <= 1, "alice renews her lease: bob does not ask again and again"
    finally:
        for window, project in ((bob, bob_project), (alice, alice_project)):
            if window is not None:
                window.close()
                project.close()
