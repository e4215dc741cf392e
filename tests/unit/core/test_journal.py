"""Tests for the crash-recovery journal (core/journal.py)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from fashion_annotator.core.journal import (
    DECLINED,
    JournalError,
    RecoveryJournal,
    claim,
    claimed_folder,
    journal_entries,
    session_journal,
    session_pid,
)


def _mask(seed: int = 0, shape: tuple[int, int] = (83, 55)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 7, size=shape, dtype=np.uint8)


def test_record_and_read_back(tmp_path):
    journal = RecoveryJournal(tmp_path / "journal")
    assert not journal and journal.entries() == []
    mask = _mask()
    journal.record(12, "parsing7", mask, seconds=4.5, actions=3)
    (entry,) = journal.entries()
    assert entry.image_id == 12 and entry.task == "parsing7"
    assert entry.shape == mask.shape and entry.seconds == 4.5 and entry.actions == 3
    np.testing.assert_array_equal(entry.load_mask(), mask)
    assert journal


def test_record_replaces_previous_snapshot(tmp_path):
    journal = RecoveryJournal(tmp_path)
    journal.record(1, "garment", _mask(1), actions=1)
    newer = _mask(2)
    journal.record(1, "garment", newer, actions=2)
    (entry,) = journal.entries()
    assert entry.actions == 2
    np.testing.assert_array_equal(entry.load_mask(), newer)
    assert not list(tmp_path.glob("*.tmp"))


def test_entries_per_task_and_image_and_discard(tmp_path):
    journal = RecoveryJournal(tmp_path)
    journal.record(1, "garment", _mask(1))
    journal.record(1, "parsing7", _mask(2))
    journal.record("0042", "garment", _mask(3))
    assert {(e.image_id, e.task) for e in journal.entries()} == {
        (1, "garment"),
        (1, "parsing7"),
        ("0042", "garment"),
    }
    journal.discard(1, "garment")
    assert {(e.image_id, e.task) for e in journal.entries()} == {
        (1, "parsing7"),
        ("0042", "garment"),
    }
    journal.discard(1)
    assert [(e.image_id, e.task) for e in journal.entries()] == [("0042", "garment")]
    journal.clear()
    assert journal.entries() == [] and not journal


def test_int_and_str_ids_do_not_collide(tmp_path):
    journal = RecoveryJournal(tmp_path)
    journal.record(7, "garment", _mask(1))
    journal.record("7", "garment", _mask(2))
    assert len(journal.entries()) == 2


def test_truncated_file_is_reported_not_fatal(tmp_path):
    journal = RecoveryJournal(tmp_path)
    good = journal.record(1, "garment", _mask(1))
    bad = journal.record(2, "garment", _mask(2, (200, 300)))
    bad.write_bytes(bad.read_bytes()[:-40])
    assert [e.image_id for e in journal.entries()] == [1]
    (problem,) = journal.problems()
    assert problem.path == bad and "corrupt mask data" in str(problem)
    assert str(bad) in str(problem)
    assert good.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "no header line"),
        (b"not json\n", "corrupt header"),
        (b'{"magic": "other"}\n', "not a fashion-annotator journal"),
        (b'{"magic": "fashion-annotator-journal/1"}\n', "incomplete header"),
    ],
)
def test_bad_files_raise_journal_error(tmp_path, content, reason):
    journal = RecoveryJournal(tmp_path)
    path = journal.path_for(3, "garment")
    path.write_bytes(content)
    (problem,) = journal.problems()
    assert isinstance(problem, JournalError)
    assert reason in problem.reason and problem.path == path


def test_wrong_size_payload_is_refused(tmp_path):
    journal = RecoveryJournal(tmp_path)
    path = journal.record(1, "garment", _mask(1, (10, 10)))
    head = path.read_bytes().partition(b"\n")[0]
    path.write_bytes(head + b"\n" + zlib.compress(b"\x00" * 99))
    (problem,) = journal.problems()
    assert "expected 10x10" in problem.reason


def test_rejects_non_uint8_mask(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        RecoveryJournal(tmp_path).record(1, "garment", np.zeros((4, 4), np.int32))


def test_sessions_write_apart_and_recovery_lists_them_all(tmp_path):
    root = tmp_path / "journal"
    alice, bob = session_journal(root, "alice@host-1-aaaa"), session_journal(root, "bob/../x y")
    assert alice.directory.parent == root and bob.directory.parent == root and bob.directory.name == "bob_.._x_y"
    alice.record(1, "garment", _mask(1))
    bob.record(1, "garment", _mask(2))
    bob.discard(1, "garment")  # bob saved image 1: alice's snapshot of it stays
    assert [e.path.parent for e in journal_entries(root)] == [alice.directory]
    RecoveryJournal(root).record(7, "parsing7", _mask(3))  # the former single-folder layout
    RecoveryJournal(root / DECLINED).record(8, "garment", _mask(4))
    assert sorted(e.image_id for e in journal_entries(root)) == [1, 7]
    assert [e.image_id for e in journal_entries(root, skip=alice.directory)] == [7]
    assert journal_entries(tmp_path / "absent") == []
    with pytest.raises(ValueError, match="unusable journal owner"):
        session_journal(root, DECLINED)


def test_a_session_journal_never_recreates_a_project_moved_away(tmp_path):
    project = tmp_path / "proj"
    (project / "journal").mkdir(parents=True)
    journal = session_journal(project / "journal", "alice@host-1")
    journal.record(1, "garment", _mask())
    project.rename(tmp_path / "moved")
    with pytest.raises(FileNotFoundError, match="the project folder is gone"):
        journal.record(1, "garment", _mask(1))
    assert not project.exists()


def test_a_session_journal_never_writes_into_another_folder_put_in_the_projects_place(tmp_path):
    """``mv proj proj.old; cp -a backup proj`` while open: the journal's anchor still was a
    folder, and the session journalled its edits into the copy."""
    import shutil

    project = tmp_path / "proj"
    (project / "journal").mkdir(parents=True)
    (project / "project.sqlite").write_bytes(b"index")
    shutil.copytree(project, tmp_path / "backup")
    journal = session_journal(project / "journal", "alice@host-1", anchor_file="project.sqlite")
    journal.record(1, "garment", _mask())
    project.rename(tmp_path / "proj.old")
    shutil.copytree(tmp_path / "backup", project)
    with pytest.raises(OSError, match="the project folder was replaced while open"):
        journal.record(1, "garment", _mask(1))
    assert list((project / "journal").iterdir()) == []
    assert session_journal(project / "journal", "bob@host-2", anchor_file="project.sqlite").record(1, "garment", _mask())


def test_a_session_folder_names_the_process_that_wrote_it(tmp_path):
    journal = session_journal(tmp_path, "a.b@my-host.lan-4242-1f2e3d4c")
    assert session_pid(journal.directory, "my-host.lan") == 4242
    assert session_pid(journal.directory, "host.lan") is None  # written on another host
    assert session_pid(tmp_path / "declined", "my-host.lan") is None


def test_a_claim_moves_an_entry_once_keeps_earlier_claims_and_stays_a_session_folder(tmp_path):
    """Restored edits are claimed into the restoring session's ``.claimed`` folder: of two
    sessions claiming one entry, one gets it; two crashed sessions' entries of one image and
    task both keep their pixels; the folder is read as its session's (pid) and listed."""
    root = tmp_path / "journal"
    mine = session_journal(root, "alice@host-1234-abcd0001")
    folder = claimed_folder(mine)
    assert folder.name == mine.directory.name + ".claimed" and session_pid(folder, "host") == 1234
    first = session_journal(root, "alice@host-11-dead0001").record(3, "garment", _mask(1))
    second = session_journal(root, "alice@host-12-dead0002").record(3, "garment", _mask(2))
    a, b = claim(first, folder), claim(second, folder)
    assert a is not None and b is not None and a != b and not first.exists() and not second.exists()
    assert claim(first, folder) is None, "already taken by another session"
    entries = {e.path: e.load_mask() for e in journal_entries(root, skip=mine.directory)}
    np.testing.assert_array_equal(entries[a], _mask(1))
    np.testing.assert_array_equal(entries[b], _mask(2))
