"""Each mask version's own effort, from the image's running totals that versions store."""

from __future__ import annotations

from pathlib import Path

import pytest

from fashion_annotator.dataset.records import MaskVersion
from fashion_annotator.qa.effort import effort_contributions, image_effort


def _v(task: str, version: int, user: str, seconds: float, actions: int, created: float,
       source: str = "operator") -> MaskVersion:  # fmt: skip
    return MaskVersion(image_id=1, task=task, version=version, path=Path(f"/m/{task}{version}.png"),
                       sha256="", source=source, seconds=seconds, actions=actions, user=user,
                       created=created)  # fmt: skip


def test_alice_then_bob_each_get_what_they_added() -> None:
    versions = [_v("garment", 1, "alice", 60.0, 10, 1.0), _v("garment", 2, "bob", 65.0, 11, 2.0)]
    assert effort_contributions(versions) == {("garment", 1): (60.0, 10), ("garment", 2): (5.0, 1)}
    assert image_effort(versions) == (65.0, 11)


def test_tasks_saved_together_each_get_the_whole_save() -> None:
    versions = [
        _v("parsing7", 1, "alice", 60.0, 10, 1.01),  # one save of both tasks, two transactions
        _v("garment", 1, "alice", 60.0, 10, 1.0),
        _v("garment", 2, "bob", 65.0, 11, 2.0),  # bob edits the garment alone
        _v("garment", 3, "bob", 80.0, 12, 3.0),  # then marks done: both tasks written at once
        _v("parsing7", 2, "bob", 80.0, 12, 3.01),
    ]
    assert effort_contributions(versions) == {
        ("garment", 1): (60.0, 10), ("parsing7", 1): (60.0, 10),
        ("garment", 2): (5.0, 1),
        ("garment", 3): (15.0, 1), ("parsing7", 2): (15.0, 1),
    }  # fmt: skip


def test_two_saves_of_one_task_with_the_same_totals_are_not_one_save() -> None:
    versions = [_v("garment", 1, "alice", 60.0, 10, 1.0), _v("garment", 2, "alice", 60.0, 10, 2.0)]
    assert effort_contributions(versions) == {("garment", 1): (60.0, 10), ("garment", 2): (0.0, 0)}


def test_an_import_between_saves_is_left_out_and_changes_nothing() -> None:
    versions = [
        _v("garment", 1, "alice", 60.0, 10, 1.0),
        _v("garment", 2, "alice", 0.0, 0, 2.0, source="import"),
        _v("garment", 3, "bob", 70.0, 12, 3.0),
    ]
    assert effort_contributions(versions) == {("garment", 1): (60.0, 10), ("garment", 3): (10.0, 2)}
    assert image_effort(versions[:2]) == (60.0, 10), "an import's zero totals hide no effort"


def test_a_journal_restored_save_counts_what_it_adds_and_never_less_than_nothing() -> None:
    versions = [
        _v("garment", 1, "alice", 60.0, 10, 1.0),
        _v("garment", 2, "alice", 90.0, 14, 2.0, source="recovered"),  # a crashed window's edits
        _v("parsing7", 1, "bob", 120.0, 20, 3.0),
        # carol's journal entry of parsing7, written before bob's save, restored after it
        _v("parsing7", 2, "carol", 100.0, 15, 4.0, source="recovered"),
    ]
    assert effort_contributions(versions) == {
        ("garment", 1): (60.0, 10), ("garment", 2): (30.0, 4),
        ("parsing7", 1): (30.0, 6), ("parsing7", 2): (0.0, 0),
    }  # fmt: skip
    assert sum(s for s, _ in effort_contributions(versions).values()) == pytest.approx(120.0)
