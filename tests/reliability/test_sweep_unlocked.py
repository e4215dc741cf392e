"""The sweep of an opening project walks the folder without the index's write lock (a scale
review: 2.3 s at 15,000 files under the lock, while every colleague's save waited), and moves a
file only once the lock is held and the index still does not name it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset import sweep
from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.reliability

SHAPE = (24, 32)


def _colleague_writes(root: Path) -> None:
    """A colleague's write that does not wait for the lock (it fails when the lock is held)."""
    conn = sqlite3.connect(root / "project.sqlite", timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE images SET updated = updated")
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_a_colleague_writes_while_an_opening_project_walks_its_folder(
    tmp_path: Path, write_photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With nothing to sweep the lock is not taken at all; with a leftover, only while the
    files the walk found are checked again."""
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))
        project.save_mask(rec.id, "garment", np.ones(SHAPE, np.uint8))
    walked: list[str] = []
    blocked: list[str] = []
    real_files = sweep._files

    def files(folder_root: Path, folder: str) -> list[str]:
        try:
            _colleague_writes(root)
        except sqlite3.OperationalError as exc:  # "database is locked": the walk held the lock
            blocked.append(str(exc))
        walked.append(folder)
        return real_files(folder_root, folder)

    monkeypatch.setattr(sweep, "_files", files)
    with Project.open(root, user="bob") as project:
        assert walked and blocked == [] and project.swept.total == 0
    shutil.copyfile(root / "masks" / str(rec.id) / "garment" / "v1.png", root / "masks" / str(rec.id) / "garment" / "v2.png")
    with Project.open(root, user="bob") as project:
        assert project.swept.orphans_moved == [f"masks/{rec.id}/garment/v2.png"]
        assert len(project.mask_versions(rec.id, "garment")) == 1


def test_a_file_committed_or_gone_between_the_walk_and_the_lock_is_left(tmp_path: Path, write_photo) -> None:
    """The walk found the file of a save not yet committed (its writer between its rename and
    its commit): by the time the lock is held the save committed, and its file stays. A file
    gone meanwhile is not reported."""
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))
        saved = project.save_mask(rec.id, "garment", np.ones(SHAPE, np.uint8))
        rel = f"masks/{rec.id}/garment/v1.png"
        gone = f"masks/{rec.id}/garment/v9.png"
        shutil.copyfile(saved.path, root / gone)
        project._conn.execute("DELETE FROM mask_versions")  # as if v1 were not committed yet
        found = sweep.candidates(project.root, project._conn)
        assert sorted(found) == [rel, gone]
        project._conn.execute(
            "INSERT INTO mask_versions (image_id, task, version, path, sha256, source, seconds,"
            " actions, user, created) VALUES (?, 'garment', 1, ?, ?, 'operator', 0, 0, 'alice', 0)",
            (rec.id, rel, saved.sha256),
        )  # the colleague's commit
        (root / gone).unlink()
        with project._tx() as conn:
            report = sweep.sweep(project.root, conn, found)
        assert report.total == 0
        assert saved.path.is_file() and not (root / "lost+found").exists()
        np.testing.assert_array_equal(project.load_mask(rec.id, "garment"), np.ones(SHAPE, np.uint8))
