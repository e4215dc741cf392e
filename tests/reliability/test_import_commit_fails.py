"""A photo copied into ``images/`` whose row then fails to commit (a disk that fills up between
the two): the copy is removed, so the next open finds nothing to set aside."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fashion_annotator.dataset.store import Project, ProjectError

pytestmark = pytest.mark.reliability


def test_a_photo_whose_row_does_not_commit_is_not_left_in_images(
    tmp_path: Path, write_photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by a tester on a nearly full disk: 0030.jpg was copied, its row's commit failed
    ("cannot write the index ... nothing was recorded"), the copy stayed, and the next open
    moved it to lost+found asking "an index restored from a backup? a crash during a save?"."""
    root = tmp_path / "p"
    with Project.create(root, tasks=("garment",)) as project:
        kept = project.add_image(write_photo(tmp_path / "src" / "0029.png", seed=1))
        conn = project._conn
        execute = conn.execute

        def disk_full_at_commit(sql: str, *args):
            if sql == "COMMIT":
                raise sqlite3.OperationalError("database or disk is full")
            return execute(sql, *args)

        monkeypatch.setattr(conn, "execute", disk_full_at_commit)
        with pytest.raises(ProjectError, match="the disk is full.*nothing was recorded"):
            project.add_image(write_photo(tmp_path / "src" / "0030.png", seed=2))
        monkeypatch.undo()
        assert sorted(p.name for p in (root / "images").iterdir()) == [Path(kept.path).name]
    with Project.open(root) as project:
        assert project.swept.total == 0 and not (root / "lost+found").exists()
        again = project.add_image(tmp_path / "src" / "0030.png")  # the disk has room again
        assert Path(again.path).is_file() and again.name == "0030.png"
