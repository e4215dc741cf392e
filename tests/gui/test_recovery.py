"""Never lose work: the recovery journal after a crash, and closing with unsaved edits."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer

from fashion_annotator.core.journal import (
    DECLINED,
    RecoveryJournal,
    claimed_folder,
    journal_entries,
    session_journal,
)
from fashion_annotator.core.masks import BBox
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import Project
from fashion_annotator.ui.annotate import image_session
from fashion_annotator.ui.annotate.banner import image_notes
from fashion_annotator.ui.testing import (
    CTRL,
    Answers,
    copy_project,
    drag,
    make_template,
    open_window,
    press_key,
    shown_mask,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory, ccp_dir) -> Path:
    return make_template(tmp_path_factory.mktemp("ccp_recovery"), ccp_dir)


@pytest.fixture
def root(template, tmp_path) -> Path:
    return copy_project(template, tmp_path / "project")


CRASH_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from PySide6.QtWidgets import QApplication
    from fashion_annotator.ui.testing import drag, wait_ready
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.ui.annotate import image_session
    from fashion_annotator.ui.main_window import MainWindow

    image_session.LEASE_TTL_S = 1.5  # the crashed session's lease lapses quickly
    from fashion_annotator.ui.preferences import Preferences, settings_file
    from fashion_annotator.ui.annotate.proposal_source import ProposalSource

    class Bot:  # the little of pytest-qt's qtbot that wait_ready needs
        def waitUntil(self, check, timeout):
            import time
            end = time.monotonic() + timeout / 1000
            while not check():
                app.processEvents()
                assert time.monotonic() < end, "timed out"
                time.sleep(0.01)

    app = QApplication([])
    project = Project.open(sys.argv[1], user="alice")
    window = MainWindow(project, Preferences(settings_file(sys.argv[2])),
                        proposals=ProposalSource(project, use_shipped=False))
    window.resize(1000, 700)
    window.show()
    window.start()
    wait_ready(Bot(), window)
    drag(window, [(100, 200), (300, 200)])
    drag(window, [(100, 230), (300, 230)])
    os._exit(3)  # dies without saving, as a crash would
    """
)


def test_edits_survive_a_real_crash_and_are_restored(qtbot, root, tmp_path):
    script = tmp_path / "crash.py"
    script.write_text(CRASH_SCRIPT)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, str(script), str(root), str(tmp_path / "s.ini")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    with Project.open(root) as project:
        first = project.images()[0].id
        assert project.load_mask(first, "garment") is None  # nothing was saved
    (entry,) = journal_entries(root / "journal")
    assert (entry.image_id, entry.task, entry.actions) == (first, "garment", 2)

    answers = Answers(restore=True)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    try:
        assert answers.asked[0][0] == "restore" and len(answers.asked[0][1]) == 1
        assert window.session.image_id == first and not window.session.current.read_only
        restored = shown_mask(window).copy()
        assert restored[200, 100:301].all() and restored[230, 100:301].all() and restored[215, 50] == 0
        # A cutout operator's hand test: "Yes" saved them at once, Undo greyed, "Saved" in the
        # status bar; an accidental stroke from before the crash could not be taken back.
        # Restored, they are unsaved edits: nothing saved, Undo live, the status says so.
        assert project.load_mask(first, "garment") is None and window.session.unsaved
        assert window.actions_by_name["undo"].isEnabled() and window.status.saved.text() == "● Unsaved"
        assert "Undo takes them back" in window.status.currentMessage()
        # killed again now, nothing is lost: this session's journal holds them, the crashed
        # session's entry is gone (never offered twice)
        (entry,) = journal_entries(root / "journal")
        assert entry.path.parent == window.session.journal.directory and entry.actions == 2
        np.testing.assert_array_equal(entry.load_mask(), restored)
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # one step back to the saved (here empty) mask
        assert not shown_mask(window).any() and not window.session.unsaved
        assert not journal_entries(root / "journal") and window.status.saved.text() == "Saved"
        window.actions_by_name["redo"].trigger()
        np.testing.assert_array_equal(shown_mask(window), restored)
        assert window.session.unsaved and window.save()  # saving is the operator's act
        np.testing.assert_array_equal(project.load_mask(first, "garment"), restored)
        assert project.mask_versions(first, "garment")[-1].actions == 2
        assert not journal_entries(root / "journal")
    finally:
        window.close()
        project.close()


KILLED_AT_DISCARD_SCRIPT = CRASH_SCRIPT.replace(
    "os._exit(3)  # dies without saving, as a crash would\n",
    textwrap.dedent(
        """
        import signal
        from fashion_annotator.core.journal import RecoveryJournal

        # killed right after the save's commit, before its journal entry is deleted
        RecoveryJournal.discard = lambda *_a, **_k: os.kill(os.getpid(), signal.SIGKILL)
        window.save()
        os._exit(3)
        """
    ),
)
assert KILLED_AT_DISCARD_SCRIPT != CRASH_SCRIPT


def test_a_save_killed_before_its_journal_entry_went_is_not_offered_again(qtbot, root, tmp_path):
    """A crash tester: a SIGKILL between a save's commit and the deletion of its journal entry
    made the next start ask "Restore unsaved edits?" and then say that "version 1 saved by
    alice ... is newer than these unsaved edits" (kept in declined/): her own save, pixel for
    pixel. The entry is already saved: deleted without a question or a word."""
    script = tmp_path / "killed.py"
    script.write_text(KILLED_AT_DISCARD_SCRIPT)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, str(script), str(root), str(tmp_path / "s.ini")],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == -9, done.stderr
    with Project.open(root) as project:
        first = project.images()[0].id
        assert [v.source for v in project.mask_versions(first, "garment")] == ["operator"]
        saved = project.load_mask(first, "garment")
    (entry,) = journal_entries(root / "journal")
    np.testing.assert_array_equal(entry.load_mask(), saved)
    answers = Answers(restore=True)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    try:
        assert answers.asked == [], "nothing unsaved to offer"
        assert not journal_entries(root / "journal") and not (root / "journal" / "declined").exists()
        assert [v.source for v in project.mask_versions(first, "garment")] == ["operator"]
        assert not window.banner.isVisible() or "newer" not in window.banner.text()
    finally:
        window.close()
        project.close()


def _crash(window, project) -> None:
    # Abandon the window as a crash would: its document is dropped unsaved, the journal stays.
    window.session.jobs.shutdown()
    window.session.autosave.saved()
    window.session.current = None
    window.hide()
    project.close()


def _edit_and_crash(qtbot, root: Path, tmp_path: Path) -> int:
    """Open the project, paint a stroke on the first image, crash; return that image's id."""
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    first = window.session.image_id
    drag(window, [(100, 200), (300, 200)])
    _crash(window, project)
    return first


def test_declined_restore_keeps_the_edits_aside(qtbot, root, tmp_path):
    first = _edit_and_crash(qtbot, root, tmp_path)
    answers = Answers(restore=False)
    again, project2 = open_window(qtbot, root, tmp_path / "s.ini", answers)
    try:
        assert answers.asked[0][0] == "restore"
        assert project2.load_mask(first, "garment") is None
        assert not journal_entries(root / "journal")
        assert sorted(p.name for p in (root / "journal").iterdir()) == ["declined"], (
            "the crashed session's emptied folder is removed"
        )
        declined = RecoveryJournal(root / "journal" / "declined").entries()
        assert [(e.image_id, e.task) for e in declined] == [(first, "garment")]
        assert declined[0].load_mask()[200, 200] == 1
        # a second crash on the same image, declined again: the first declined edits stay too
        again.open_image(first)
        drag(again, [(100, 260), (300, 260)])
        _crash(again, project2)
        third, project3 = open_window(qtbot, root, tmp_path / "s.ini", Answers(restore=False))
        third.close()
        project3.close()
        declined = RecoveryJournal(root / "journal" / "declined").entries()
        assert [(e.image_id, e.task) for e in declined] == [(first, "garment")] * 2
        assert sorted(int(e.load_mask()[260, 200]) for e in declined) == [0, 1]
    finally:
        again.close()
        project2.close()


def test_a_journal_that_cannot_be_written_is_reported_and_the_edit_kept(qtbot, root, tmp_path):
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        journal = window.session.journal_root
        assert not journal.exists(), "made on the first edit"
        journal.write_text("not a folder")  # stands in for a full disk or a folder gone read-only
        with qtbot.waitSignal(window.session.error) as said:
            drag(window, [(100, 200), (300, 200)])
        assert "Recovery journal" in said.args[0] and "save soon" in said.args[0]
        assert shown_mask(window)[200, 200] == 1 and window.session.unsaved
        assert window.save()
        assert project.load_mask(window.session.image_id, "garment")[200, 200] == 1
    finally:
        window.close()
        project.close()


def test_a_crashed_sessions_edits_never_land_over_a_colleagues_later_save(qtbot, root, tmp_path):
    first = _edit_and_crash(qtbot, root, tmp_path)
    with Project.open(root, user="bob") as bob:  # the lease lapsed; bob redid the image and saved
        newer = np.zeros(bob.image(first).shape, np.uint8)
        newer[400:500, 100:300] = 1
        bob.save_mask(first, "garment", newer, seconds=900.0, actions=30)
    answers = Answers(restore=True)
    again, project2 = open_window(qtbot, root, tmp_path / "s.ini", answers, user="alice")
    try:
        # never asked about (a Yes could only be refused): set aside, said once the image opened
        assert answers.asked == []
        assert "version 1 saved by bob" in again.banner.text() and "not restored over it" in again.banner.text()
        qtbot.waitUntil(lambda: not journal_entries(root / "journal"), timeout=10000)
        assert [v.user for v in project2.mask_versions(first, "garment")] == ["bob"]
        np.testing.assert_array_equal(project2.load_mask(first, "garment"), newer)
        (kept,) = RecoveryJournal(root / "journal" / "declined").entries()
        assert kept.load_mask()[200, 200] == 1, "alice's edits are kept aside"
    finally:
        again.close()
        project2.close()


def test_a_clean_shutdown_leaves_no_journal_folder_behind(qtbot, root, tmp_path):
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    drag(window, [(100, 200), (300, 200)])
    folder = window.session.journal.directory
    assert folder.is_dir() and folder.parent == root / "journal"
    assert window.session.shutdown()
    assert not folder.exists(), "every edit was saved: the session's folder goes"
    window.close()
    project.close()


def test_closing_saves_unsaved_edits(qtbot, root, tmp_path):
    answers = Answers()
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    first = window.session.image_id
    drag(window, [(100, 200), (300, 200)])
    assert window.close()
    assert project.load_mask(first, "garment")[200, 200] == 1
    assert not answers.asked and not journal_entries(root / "journal")
    project.close()


def test_close_when_saving_fails_asks_and_keeps_the_journal(qtbot, root, tmp_path, monkeypatch):
    answers = Answers(quit=False)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    drag(window, [(100, 200), (300, 200)])

    def disk_full(*_args, **_kwargs):
        raise ProjectError(f"{root / 'masks'}: cannot write: No space left on device")

    monkeypatch.setattr(project, "save_mask", disk_full)
    assert not window.close()  # the operator chose to stay
    assert window.isVisible() and answers.asked[-1][0] == "quit"
    assert "No space left" in answers.asked[-1][1]
    answers.quit = True
    assert window.close()
    (entry,) = journal_entries(root / "journal")
    assert entry.load_mask()[200, 200] == 1
    project.close()


def test_index_errors_of_the_lease_are_reported_not_raised(qtbot, root, tmp_path, monkeypatch):
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        session = window.session
        first = session.image_id

        def locked(*_args, **_kwargs):
            raise ProjectError(f"{root / 'project.sqlite'}: cannot write the index: database is locked")

        monkeypatch.setattr(project.leases, "acquire", locked)
        with qtbot.waitSignal(session.error) as said:
            session._renew_lease()  # the 20 s lease timer's slot
        assert "Could not renew the lease" in said.args[0] and "locked" in said.args[0]
        monkeypatch.setattr(project.leases, "release", locked)
        drag(window, [(100, 200), (300, 200)])
        with qtbot.waitSignal(session.error) as said:
            assert session.close_image(), "the image was saved: closing goes on"
        assert "lease was not released" in said.args[0] and session.current is None
        assert project.load_mask(first, "garment")[200, 200] == 1
    finally:
        monkeypatch.undo()
        window.close()
        project.close()


def _paint(session, rows: slice) -> None:
    """An operator edit: garment on ``rows``, columns 0..50 (one undo step)."""

    def fn(m):
        m[rows, 0:50] = 1
        return BBox(rows.start, 0, rows.stop, 50)

    session.current.doc.apply("garment", fn)


@contextlib.contextmanager
def _two_sessions(root: Path, first: str, second: str):
    """Two operators' projects and image sessions on one project folder."""
    projects = [Project.open(root, user=first), Project.open(root, user=second)]
    sessions = [image_session.ImageSession(p, autosave_s=0) for p in projects]
    try:
        yield (*projects, *sessions)
    finally:
        for session in sessions:
            session.shutdown()
            session.deleteLater()  # destroyed here, in the GUI thread, not by a worker's GC
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        for project in projects:
            project.close()


def test_a_session_that_lost_its_lease_turns_read_only_and_never_saves_over_the_new_holder(
    qtbot, root, monkeypatch
):
    monkeypatch.setattr(image_session, "LEASE_TTL_S", 1.0)  # stands for 60 s of a sleeping laptop
    with _two_sessions(root, "alice", "bob") as (alice_project, _, alice, bob):
        first = alice_project.images()[0].id
        assert alice.open_image(first)
        _paint(alice, slice(0, 5))
        alice._lease_timer.stop()  # the laptop sleeps: nothing renews its lease
        time.sleep(1.2)  # alice's lease lapses
        assert bob.open_image(first) and not bob.current.read_only
        _paint(bob, slice(100, 140))
        qtbot.waitUntil(lambda: not bob.unfinished_proposals(), timeout=30000)  # no placeholder saved done
        assert bob.save(status="done")
        changed: list = []
        alice.readOnlyChanged.connect(changed.append)
        with qtbot.waitSignal(alice.error) as said:
            alice._renew_lease()
        assert said.args[0].startswith("Lost the lease on this image to bob: read-only now")
        assert "(pid " not in said.args[0], "the person, not their computer and process"
        assert alice.current.read_only and alice.current.lease_lost and changed == [alice.current]
        assert image_notes(alice_project, alice.current)[0].startswith("Read-only: bob took this image over")
        assert bob.close_image()
        with qtbot.waitSignal(alice.error) as said:
            assert not alice.save(), "nothing is saved over bob's work, even after bob left"
        assert "bob" in said.args[0] and "holds this image" in said.args[0] and "(pid " not in said.args[0]
        assert alice.close_image(), "the operator can move on; the edits are set aside, bob saved since"
        assert [v.user for v in alice_project.mask_versions(first, "garment")] == ["bob"]
        assert journal_entries(root / "journal") == []
        (kept,) = RecoveryJournal(root / "journal" / DECLINED).entries()
        assert kept.load_mask()[2, 2] == 1


def test_shutdown_stops_every_timer_of_the_session(qtbot, root):
    # A timer left running when its session is destroyed from a worker thread (a garbage
    # collection there) fires on freed memory: shutdown stops them all in the GUI thread.
    project = Project.open(root, user="alice")
    session = image_session.ImageSession(project, autosave_s=30)
    try:
        assert session.open_image(project.images()[0].id)
        _paint(session, slice(0, 5))
        session._lease_wait.start(60_000)
        timers = session.findChildren(QTimer)
        assert sum(t.isActive() for t in timers) == 3, "lease, autosave and lease-lapse wait run"
        session.current = None  # dropped without close_image: shutdown still stops the lease
        assert session.shutdown()
        assert [t for t in timers if t.isActive()] == []
    finally:
        session.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        project.close()


def test_a_running_sessions_edits_are_not_offered_to_another_session_as_crashed(qtbot, root):
    with _two_sessions(root, "alice", "bob") as (alice_project, _, alice, bob):
        first, second = (r.id for r in alice_project.images()[:2])
        assert alice.open_image(first)
        _paint(alice, slice(0, 10))
        assert bob.recoverable() == [], "alice is working on it: not a crashed session's edits"
        assert bob.open_image(second)
        _paint(bob, slice(0, 10))
        assert bob.save()
        assert [e.image_id for e in journal_entries(root / "journal")] == [first], "bob's save leaves alice's entry"
        alice.jobs.shutdown()
        alice.current = None
        alice_project.close()  # alice's session dies; its lease goes with it
        (entry,) = bob.recoverable()
        assert (entry.image_id, entry.load_mask()[5, 5]) == (first, 1)


def test_a_lapsed_session_never_saves_over_a_version_saved_meanwhile(qtbot, root, monkeypatch):
    monkeypatch.setattr(image_session, "LEASE_TTL_S", 1.0)
    with _two_sessions(root, "anna", "ben") as (anna_project, _, anna, ben):
        first = anna_project.images()[0].id
        assert anna.open_image(first)
        _paint(anna, slice(0, 5))
        anna._lease_timer.stop()  # a network cut: nothing renews anna's lease
        time.sleep(1.2)  # anna's lease lapses
        assert ben.open_image(first)
        _paint(ben, slice(100, 140))
        qtbot.waitUntil(lambda: not ben.unfinished_proposals(), timeout=30000)  # no placeholder saved done
        assert ben.save(status="done") and ben.close_image()  # ben fixed it and moved on
        anna._renew_lease()  # the lease is free again: anna gets a new one
        assert not anna.current.read_only
        with qtbot.waitSignal(anna.error) as said:
            assert not anna.save()
        assert "was saved by ben" in said.args[0] and "not saved over it" in said.args[0]
        assert said.args[0].startswith(f"{anna_project.image(first).name} (garment): version ")  # not "image N"
        assert anna.current.read_only and "ben took this image over" in image_notes(anna_project, anna.current)[0]
        _paint(anna, slice(5, 8))
        with qtbot.waitSignal(anna.error) as said:
            assert not anna.save()
        assert said.args[0] == "Not saved: ben took this image over (read-only)"  # said "read-only (None)"
        assert [v.user for v in anna_project.mask_versions(first, "garment")] == ["ben"]
        assert anna.close_image()
        assert journal_entries(root / "journal") == []
        (kept,) = RecoveryJournal(root / "journal" / DECLINED).entries()
        assert kept.load_mask()[2, 2] == 1


def test_a_full_disk_keeps_retrying_and_the_quit_question_says_what_is_lost(qtbot, root, tmp_path, monkeypatch):
    """The journal and the save failing together (a full disk, a folder gone read-only): the
    quit question used to promise the journal, a failed autosave was never tried again, and a
    lease renewal that came back cleared the save error from the banner."""
    answers = Answers(quit=False)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    session = window.session
    (root / "journal").write_text("not a folder")  # stands in for a full disk
    real_save = project.save_mask

    def disk_full(*_args, **_kwargs):
        raise ProjectError(f"{root / 'masks'}: cannot save (No space left on device)")

    monkeypatch.setattr(project, "save_mask", disk_full)
    drag(window, [(100, 200), (300, 200)])
    assert session.unjournalled == {"garment"}
    session._autosave()  # noqa: SLF001 - the timer's slot, called without waiting 30 s
    assert session.unsaved and session.autosave.pending, "tried again after another interval"
    assert "No space left" in session.save_error
    session.recovered.emit()  # the store answers a lease renewal again: the save error stays
    assert "No space left" in window.banner.text()
    session.error.emit("Could not renew the lease on this image: the disk is full")
    text = window.banner.text()  # a later error joins the save error and the journal's, not replaces them
    assert "No space left" in text and "Recovery journal" in text and "Could not renew the lease" in text
    assert not window.close()
    assert "could not be written to the recovery journal either: quitting now loses them" in answers.asked[-1][1]
    (root / "journal").unlink()  # space again: the next autosave journals, then saves
    session._autosave()  # noqa: SLF001
    assert session.unjournalled == set() and session.autosave.pending
    (entry,) = journal_entries(root / "journal")
    assert entry.load_mask()[200, 200] == 1
    assert not window.close()
    assert "The edits stay in the recovery journal" in answers.asked[-1][1]
    monkeypatch.setattr(project, "save_mask", real_save)
    session._autosave()  # noqa: SLF001
    assert not session.unsaved and session.save_error is None and not session.autosave.pending
    assert project.load_mask(session.image_id, "garment")[200, 200] == 1
    assert "No space left" not in window.banner.text()
    window.close()
    project.close()


def test_a_damaged_latest_version_opens_the_newest_readable_one_and_says_so(qtbot, root, tmp_path):
    """One truncated file used to keep the whole image from opening, its earlier versions
    out of reach."""
    with Project.open(root, user="bob") as project:
        first = project.images()[0]
        older = np.zeros(first.shape, np.uint8)
        older[50:120, 40:90] = 1
        project.save_mask(first.id, "garment", older)
        damaged = project.save_mask(first.id, "garment", np.ones(first.shape, np.uint8)).path
    damaged.write_bytes(damaged.read_bytes()[:60])
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        assert window.session.image_id == first.id
        np.testing.assert_array_equal(shown_mask(window), older)
        text = window.banner.text()
        assert f"Damaged: {damaged}" in text and "opened at version 1" in text
        drag(window, [(100, 200), (300, 200)])
        assert window.save()
        assert "Damaged" not in window.banner.text()  # the saved version sits on top now
        versions = project.mask_versions(first.id, "garment")
        assert [v.version for v in versions] == [1, 2, 3] and damaged.exists()
        assert project.load_mask(first.id, "garment")[200, 200] == 1
    finally:
        window.close()
        project.close()


def test_edits_a_session_left_while_this_window_was_open_are_restored_when_the_image_opens(
    qtbot, root, tmp_path
):
    """A colleague's window that crashed after this one started: its unsaved edits were
    offered only at the next start, and this window opened the image without them (a save
    here then set them aside as stale). They come back as the start-up question's restore
    brings them: unsaved and undoable (they were saved at once, asking nothing, Undo greyed),
    the crashed session's entry kept until this session has journalled them."""
    answers = Answers()
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    try:
        assert [kind for kind, _ in answers.asked] == []
        second = project.images()[1]
        left = np.zeros(second.shape, np.uint8)
        left[100:300, 50:200] = 1
        ended = subprocess.Popen([sys.executable, "-c", "pass"])  # bob's window, gone since
        ended.wait()
        session_journal(root / "journal", f"bob@{socket.gethostname()}-{ended.pid}-dead0001", user="bob").record(
            second.id, "garment", left, seconds=42.0, actions=3
        )
        with qtbot.waitSignal(window.session.message) as said:
            assert window.open_image(second.id)
        assert "Restored unsaved edits" in said.args[0] and "Undo takes them back" in said.args[0]
        np.testing.assert_array_equal(shown_mask(window), left)
        assert project.mask_versions(second.id, "garment") == [] and window.session.unsaved
        assert window.actions_by_name["undo"].isEnabled() and window.status.saved.text() == "● Unsaved"
        (entry,) = journal_entries(root / "journal")  # journalled again here, bob's entry gone
        assert entry.path.parent == window.session.journal.directory
        np.testing.assert_array_equal(entry.load_mask(), left)
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)  # an accidental stroke of bob's taken back
        assert not shown_mask(window).any() and not window.session.unsaved
        window.actions_by_name["redo"].trigger()
        assert window.save()  # saving is the operator's act
        (version,) = project.mask_versions(second.id, "garment")
        np.testing.assert_array_equal(project.load_mask(second.id, "garment"), left)
        assert version.actions == 3 and version.seconds >= 42.0 and not journal_entries(root / "journal")
    finally:
        window.close()
        project.close()


def test_edits_journalled_on_another_photo_that_had_this_id_are_set_aside_not_restored(qtbot, root, tmp_path):
    """Entries were matched by image id alone, and ids are reused after an index is restored from
    a backup: a crashed session's edits of another photo were saved onto this one, silently."""
    window, project = open_window(qtbot, root, tmp_path / "s.ini", Answers())
    try:
        drag(window, [(100, 200), (300, 200)])
        (own,) = window.session.journal.entries()  # this window names the photo it edits
        assert own.photo == project.image(window.session.image_id).sha256
        second = next(r for r in project.images() if r.id != window.session.image_id)
        before = project.mask_versions(second.id, "garment")
        ended = subprocess.Popen([sys.executable, "-c", "pass"])  # bob's window, gone since
        ended.wait()
        session_journal(root / "journal", f"bob@{socket.gethostname()}-{ended.pid}-dead0002", user="bob").record(
            second.id, "garment", np.ones(second.shape, np.uint8), actions=3, base=len(before), photo="0" * 64
        )
        with qtbot.waitSignal(window.session.error) as said:
            assert window.open_image(second.id)
        assert "made on another photo" in said.args[0] and "declined" in said.args[0]
        assert project.mask_versions(second.id, "garment") == before
        (kept,) = RecoveryJournal(root / "journal" / "declined").entries()
        assert (kept.user, kept.photo) == ("bob", "0" * 64)
    finally:
        window.close()
        project.close()


def test_an_image_shown_read_only_opens_editable_once_the_holders_lease_lapses(qtbot, root, tmp_path, monkeypatch):
    """It stayed read-only for good (a crashed holder's lease, a colleague who left) until
    the operator went to another image and back."""
    monkeypatch.setattr(image_session, "LEASE_TTL_S", 1.5)
    answers = Answers(read_only=True)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    try:
        second = project.images()[1]
        with Project.open(root, user="bob") as bob:
            bob.leases.acquire(second.id, ttl_s=1.2)  # bob's window stops renewing it
            assert window.open_image(second.id)
            assert window.session.current.read_only and answers.asked[-1] == ("lease", bob.leases.current(second.id).holder)
            assert answers.lease_images[-1] == second.name  # the question names the image
            qtbot.waitUntil(lambda: not window.session.current.read_only, timeout=8000)
        assert window.session.image_id == second.id
        drag(window, [(100, 200), (300, 200)])
        assert window.save() and project.load_mask(second.id, "garment")[200, 200] == 1
    finally:
        window.close()
        project.close()


def test_a_damaged_journal_file_is_named_and_kept_aside_at_start(qtbot, root, tmp_path):
    """An unreadable journal file used to be skipped without a word."""
    journal = session_journal(root / "journal", "bob@elsewhere-77-0badf00d")
    path = journal.record(1, "garment", np.ones((20, 30), np.uint8))
    path.write_bytes(path.read_bytes()[:30])  # damaged outside the program
    answers = Answers()
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    try:
        assert answers.asked == []  # nothing readable to offer
        text = window.banner.text()
        assert "1 recovery journal file could not be read" in text and path.name in text
        kept = root / "journal" / "declined" / path.name
        assert kept.read_bytes() and not path.exists()
    finally:
        window.close()
        project.close()


def test_the_quit_question_fits_a_project_folder_moved_away(tmp_path):
    from fashion_annotator.ui.window_lifecycle import quit_question

    moved = quit_question("Could not save image 1: the project folder is gone", ["garment"], tmp_path / "P6")
    assert f"Move the project folder back to {tmp_path / 'P6'}, then save (Ctrl+S)" in moved
    full = quit_question("Could not save image 1: No space left on device", ["garment"])
    assert "Free some disk space or make the project folder writable, then save (Ctrl+S)" in full


def test_setting_aside_an_entry_another_window_took_is_not_an_error(tmp_path):
    """Found in a review: two windows starting together both offered a crashed session's
    entries; the second one's set-aside raised FileNotFoundError (the first had restored and
    removed them) and skipped the rest. A declined entry never replaces an earlier one."""
    from types import SimpleNamespace

    from fashion_annotator.ui.annotate.journal_recovery import JournalRecovery

    root = tmp_path / "journal"
    crashed = RecoveryJournal(root / "olga@host-1-a")
    mask = np.zeros((4, 4), np.uint8)
    for image_id in (1, 2):
        crashed.record(image_id, "garment", mask + image_id)
    (root / "declined").mkdir()
    (root / "declined" / crashed.path_for(2, "garment").name).write_bytes(b"declined before")
    gone, kept = crashed.entries()
    gone.path.unlink()  # restored by the other window
    window = SimpleNamespace(journal_root=root, journal=RecoveryJournal(root / "me"), _tidy=lambda _folder: None)
    JournalRecovery.set_aside(window, [gone, kept])  # type: ignore[arg-type]
    declined = sorted(p.name for p in (root / "declined").iterdir())
    assert declined == ["i2__garment.2.fajournal", "i2__garment.fajournal"]
    assert (root / "declined" / "i2__garment.fajournal").read_bytes() == b"declined before"


def test_edits_of_an_image_no_longer_in_the_project_are_set_aside_and_not_offered_again(qtbot, root, tmp_path):
    """A crash tester: a crashed session's entries of an image that is gone (the index restored
    from a backup) said "Could not restore ...: no image with id 4" at every start, and the
    offer came back forever (the real question, naming the images, raised instead)."""
    from fashion_annotator.ui.window_lifecycle import entry_names

    with Project.open(root) as project:
        gone = max(r.id for r in project.images()) + 1
    ended = subprocess.Popen([sys.executable, "-c", "pass"])  # the crashed window, gone since
    ended.wait()
    crashed = session_journal(root / "journal", f"bob@{socket.gethostname()}-{ended.pid}-dead0003", user="bob")
    crashed.record(gone, "garment", np.ones((20, 30), np.uint8), actions=3, base=0)
    answers = Answers(restore=True)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    try:
        # never asked about: a Yes could only be refused (and the question named "image N")
        assert answers.asked == []
        assert entry_names(window, journal_entries(root / "journal" / "declined")) == [f"image {gone} (Garment cutout)"]
        text = window.status.currentMessage()
        assert f"image {gone} (garment): no longer in the project" in text and "declined" in text
        # said again once the first image opened: its notes took the banner, and the line was
        # only in the status bar for 10 s
        assert window.banner.isVisible() and f"image {gone} (garment): no longer in the project" in window.banner.text()
        assert not journal_entries(root / "journal")
        (kept,) = RecoveryJournal(root / "journal" / "declined").entries()
        assert (kept.image_id, kept.user) == (gone, "bob")
    finally:
        window.close()
        project.close()
    again = Answers(restore=True)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", again)
    window.close()
    project.close()
    assert again.asked == [], "not offered again"


def test_empty_journal_folders_of_ended_sessions_are_removed_at_start_a_running_ones_stay(qtbot, root, tmp_path):
    """A crash tester: every session killed after it had saved everything left an empty journal
    folder, kept forever (only folders whose entries were restored or declined were removed).
    At start the empty folders of this host's ended sessions go; a running session's (another
    window of the project) stays, and so does one with entries."""
    host = socket.gethostname()
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        folders = {
            "ended": session_journal(root / "journal", f"bob@{host}-{ended.pid}-dead0004").directory,
            "running": session_journal(root / "journal", f"carl@{host}-{running.pid}-live0001").directory,
            "elsewhere": session_journal(root / "journal", "dora@otherhost-77-0ff51de0").directory,
        }
        for folder in folders.values():
            folder.mkdir(parents=True)
        answers = Answers(restore=False)
        window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
        window.close()
        project.close()
        assert answers.asked == []
        assert not folders["ended"].exists(), "an ended session's empty folder is removed"
        assert folders["running"].is_dir(), "a running session's folder stays"
        assert folders["elsewhere"].is_dir(), "another host's session cannot be asked: it stays"
    finally:
        running.kill()
        running.wait()


def test_a_running_windows_edits_are_never_offered_to_another_window_lease_or_not(qtbot, root, tmp_path):
    """A crash tester: a window frozen past its lease (stopped, asleep) had its unsaved edits
    restored by a window started meanwhile, and its own later save refused as stale ("version 1
    saved by alice ... is newer"): its last stroke was left in journal/declined. Edits of a
    session still running on this host are its own, whatever its lease; once it has ended they
    are offered."""
    with Project.open(root) as project:
        image_id = project.images()[0].id
        width, height = project.image(image_id).width, project.image(image_id).height
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        live = session_journal(root / "journal", f"alice@{socket.gethostname()}-{running.pid}-a11ve001", user="alice")
        live.record(image_id, "garment", np.ones((height, width), np.uint8), actions=2, base=None)
        answers = Answers(restore=True)
        window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
        window.close()
        project.close()
        assert answers.asked == [], "a running session's edits (no lease held) were offered"
        assert [e.image_id for e in journal_entries(root / "journal")] == [image_id]
    finally:
        running.kill()
        running.wait()
    answers = Answers(restore=False)  # ended now: offered (declined here, kept in declined/)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    window.close()
    project.close()
    assert [[e.image_id for e in entries] for _, entries in answers.asked] == [[image_id]]


def test_restored_edits_undo_to_the_saved_version_and_wait_for_their_image_to_open(qtbot, root, tmp_path):
    """Edits restored at start are unsaved edits on the saved version: one Undo gives that
    version back. Another image's restored edits wait in this window's claimed folder (a
    second crash loses nothing) until that image opens, then become its unsaved edits."""
    with Project.open(root) as project:
        first, second = (r for r in project.images()[:2])
        saved = np.zeros(first.shape, np.uint8)
        saved[100:300, 50:200] = 1
        project.save_mask(first.id, "garment", saved, seconds=10.0, actions=1)
        edited = saved.copy()
        edited[400:420, 50:400] = 1  # the accidental stroke before the crash
        other = np.zeros(second.shape, np.uint8)
        other[50:90, 60:120] = 1
    ended = subprocess.Popen([sys.executable, "-c", "pass"])  # the crashed window, gone since
    ended.wait()
    crashed = session_journal(root / "journal", f"alice@{socket.gethostname()}-{ended.pid}-dead0009", user="alice")
    crashed.record(first.id, "garment", edited, seconds=30.0, actions=2, base=1)
    crashed.record(second.id, "garment", other, seconds=5.0, actions=1, base=0)
    answers = Answers(restore=True)
    window, project = open_window(qtbot, root, tmp_path / "s.ini", answers)
    try:
        assert answers.asked[0][0] == "restore" and window.session.image_id == first.id
        np.testing.assert_array_equal(shown_mask(window), edited)
        assert len(project.mask_versions(first.id, "garment")) == 1 and window.session.unsaved
        claimed = claimed_folder(window.session.journal)
        left = {e.image_id for e in journal_entries(root / "journal") if e.path.parent == claimed}
        assert left == {second.id}, "the unopened image's edits wait, claimed by this window"
        assert not crashed.directory.exists(), "claimed: no other window is offered them"
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
        np.testing.assert_array_equal(shown_mask(window), saved)
        assert not window.session.unsaved and not window.actions_by_name["undo"].isEnabled()
        assert window.open_image(second.id) and len(project.mask_versions(first.id, "garment")) == 1
        np.testing.assert_array_equal(shown_mask(window), other)
        assert window.session.unsaved and project.load_mask(second.id, "garment") is None
        (entry,) = journal_entries(root / "journal")
        assert entry.path.parent == window.session.journal.directory and entry.image_id == second.id
    finally:
        window.close()
        project.close()


def test_edits_restored_in_a_photo_folder_stay_unsaved_while_its_folder_is_checked(qtbot, tmp_path, ccp_dir, monkeypatch):
    """An operator's hand test (``fashion-annotator FOLDER``): a stroke, kill -9, reopen, Yes:
    the edits came back but "Saved p08_upper.jpg at ..." showed the same second, the indicator
    said Saved and the photo turned In progress. The check of the photo folder that starts with
    the window saved the open image first; restored edits now stay unsaved, Undo takes them back."""
    from fashion_annotator.ui import app, prompts
    from fashion_annotator.ui.preferences import Preferences, settings_file

    folder = tmp_path / "shoot"
    folder.mkdir()
    for stem in ("0001", "0002"):
        (folder / f"{stem}.jpg").write_bytes((ccp_dir / "images" / f"{stem}.jpg").read_bytes())
    project, _problems, pending = app._for_window(folder)
    project.close()
    with Project.open(Path(pending.marker).parent) as project:  # the photos added, as a first open does
        pending.work(project, lambda *_args, **_kw: None)
        first = project.images()[0]
        edited = np.zeros(first.shape, np.uint8)
        edited[200:220, 50:300] = 1
    root = Path(pending.marker).parent
    ended = subprocess.Popen([sys.executable, "-c", "pass"])  # the crashed window, gone since
    ended.wait()
    crashed = session_journal(root / "journal", f"alice@{socket.gethostname()}-{ended.pid}-dead0051", user="alice")
    crashed.record(first.id, "garment", edited, seconds=30.0, actions=1, base=0)
    asked: list[int] = []
    monkeypatch.setattr(prompts, "ask_restore", lambda _parent, entries, _names=None: asked.append(len(entries)) or True)
    project, problems, pending = app._for_window(folder)
    assert pending is not None and pending.sync, "a photo folder's project checks its folder at each open"
    window = app.WindowSwitcher(Preferences(settings_file(tmp_path / "s.ini"))).show(project, problems, pending)
    qtbot.addWidget(window)
    try:
        assert asked == [1] and window.session.image_id == first.id
        qtbot.waitUntil(lambda: window.files.job is not None and not window.files.job.isRunning(), timeout=30000)
        np.testing.assert_array_equal(shown_mask(window), edited)
        assert project.mask_versions(first.id, "garment") == [] and window.session.unsaved
        assert project.image(first.id).status == "new"
        assert window.status.saved.text() == "● Unsaved" and window.actions_by_name["undo"].isEnabled()
        assert not window.status.currentMessage().startswith("Saved ")
        press_key(qtbot, window, Qt.Key.Key_Z, CTRL)
        assert not shown_mask(window).any() and not window.session.unsaved
    finally:
        window.close()
        project.close()
