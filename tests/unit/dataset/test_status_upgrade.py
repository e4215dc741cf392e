"""A project made before today's decision rule opens with each approved image's status by it.

An upgrade tester: projects made by the 2026-11-21 and 2026-12-02 versions (SQLite and
PostgreSQL) kept images approved whose garment mask was saved again after the approval, or
whose parsing mask nobody reviewed (one task's approval approved the image). The upgrade kept
them approved: the Review tab's Done filter never showed them and an export of approved images
delivered them.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset import schema, status_upgrade
from fashion_annotator.dataset.connection import INDEX_NAME
from fashion_annotator.dataset.status_upgrade import UPGRADE_USER
from fashion_annotator.dataset.store import create_project, open_project

SHAPE = (20, 30)


def _mask(value: int) -> np.ndarray:
    mask = np.zeros(SHAPE, np.uint8)
    mask[5:15, 5:15] = value
    return mask


def _make_old(location: str | Path, tmp_path: Path) -> dict[str, int]:
    """A project whose decisions and statuses are as a version before the rule left them."""
    ids = {}
    with create_project(location, tasks=("garment", "parsing7")) as project:
        for seed, name in enumerate(("fix_after", "one_task", "both", "rejected")):
            photo = tmp_path / f"{name}.png"
            rng = np.random.default_rng(seed)
            Image.fromarray(rng.integers(0, 256, (*SHAPE, 3), dtype=np.uint8)).save(photo)
            ids[name] = image = project.add_image(photo).id
            project.save_mask(image, "garment", _mask(1), status="done")
            project.save_mask(image, "parsing7", _mask(3), status="done")
        for name in ("fix_after", "both", "rejected"):
            project.decisions.record(ids[name], "garment", "approve")
        for name in ("fix_after", "both"):
            project.decisions.record(ids[name], "parsing7", "approve")
        project.decisions.record(ids["one_task"], "garment", "approve")
        project.decisions.record(ids["rejected"], "parsing7", "reject", "labels", "hair as top")
        project.save_mask(ids["fix_after"], "garment", np.ones(SHAPE, np.uint8))
    approved = ", ".join(str(i) for i in ids.values())
    if isinstance(location, Path):  # SQLite schema 3: no decisions.mask_version
        conn = sqlite3.connect(location / INDEX_NAME)
        conn.executescript(
            f"DROP TABLE label_sets; ALTER TABLE decisions DROP COLUMN mask_version; UPDATE images SET status = 'approved' "
            f"WHERE id IN ({approved}); PRAGMA user_version = 3;"
        )
        conn.close()
    else:  # PostgreSQL schema 2
        import psycopg

        from fashion_annotator.dataset.postgres import parse_url

        url = parse_url(str(location))
        with psycopg.connect(url.conninfo, autocommit=True) as conn:
            conn.execute(f"DROP TABLE {url.schema}.label_sets")
            conn.execute(f"ALTER TABLE {url.schema}.decisions DROP COLUMN mask_version")
            conn.execute(f"UPDATE {url.schema}.images SET status = 'approved' WHERE id IN ({approved})")
            conn.execute(f"UPDATE {url.schema}.meta SET value = '2' WHERE key = 'schema_version'")
    return ids


def test_approved_images_with_a_mask_nobody_approved_are_reviewed_again(location, tmp_path: Path) -> None:
    ids = _make_old(location, tmp_path)
    with open_project(location) as project:
        status = {name: project.image(i).status for name, i in ids.items()}
        assert status == {"fix_after": "done", "one_task": "done", "both": "approved", "rejected": "rejected"}
        logged = {name for name, i in ids.items() if project.decisions(i)}
        assert logged == set(ids), "every decision is kept"
    with open_project(location) as project:  # a second open changes nothing
        assert {name: project.image(i).status for name, i in ids.items()} == status


def test_the_status_log_names_the_upgrade(tmp_path: Path) -> None:
    location = tmp_path / "proj"
    ids = _make_old(location, tmp_path)
    open_project(location).close()
    conn = sqlite3.connect(location / INDEX_NAME)
    rows = conn.execute("SELECT image_id, status FROM status_log WHERE user = ? ORDER BY image_id",
                        (UPGRADE_USER,)).fetchall()  # fmt: skip
    conn.close()
    assert rows == sorted([(ids["fix_after"], "done"), (ids["one_task"], "done"), (ids["rejected"], "rejected")])


@pytest.mark.parametrize("version", [1, 2])
def test_an_index_before_instances_is_checked_too(tmp_path: Path, version: int) -> None:
    """The rule is reapplied from any version before 4 (here only the statuses are old)."""
    location = tmp_path / "proj"
    ids = _make_old(location, tmp_path)
    conn = sqlite3.connect(location / INDEX_NAME)
    conn.executescript(f"PRAGMA user_version = {version};")
    if version < 3:
        conn.executescript("DROP TABLE instances; DROP TABLE instance_versions;")
    if version < 2:
        conn.executescript("ALTER TABLE leases DROP COLUMN host; ALTER TABLE leases DROP COLUMN pid;")
    conn.close()
    with open_project(location) as project:
        assert project.image(ids["one_task"]).status == "done"
        assert project.image(ids["both"]).status == "approved"


def _add_approved(location: Path, ids: range) -> None:
    """Approved images whose garment mask was approved; every other one's saved again after."""
    conn = sqlite3.connect(location / INDEX_NAME)
    for i in ids:
        conn.execute("INSERT INTO images (id, name, original_name, stem, source, stored, sha256, width, height,"
                     " status, created, updated, user) VALUES (?, ?, 'x', 'x', 'x', 1, ?, 30, 20, 'approved', 1, 1,"
                     " 'u')", (i, f"bulk{i}.png", f"{i:064x}"))  # fmt: skip
        conn.execute("INSERT INTO mask_versions (image_id, task, version, path, sha256, source, seconds, actions,"
                     " user, created) VALUES (?, 'garment', 1, 'p', 's', 'manual', 1, 1, 'u', 10)", (i,))  # fmt: skip
        conn.execute("INSERT INTO decisions (image_id, task, decision, text, user, at) VALUES (?, 'garment',"
                     " 'approve', '', 'r', 11)", (i,))  # fmt: skip
        if i % 2:
            conn.execute("INSERT INTO mask_versions (image_id, task, version, path, sha256, source, seconds,"
                         " actions, user, created) VALUES (?, 'garment', 2, 'p', 's', 'manual', 1, 1, 'u', 12)",
                         (i,))  # fmt: skip
    conn.commit()
    conn.close()


def test_the_upgrade_reads_the_decisions_once_not_once_per_image(tmp_path: Path) -> None:
    """A query per approved image, each scanning every decision, took 63 s at 20,000 approved
    images, the index's write lock held all along (a colleague's save waited 10 s, then failed)."""
    location = tmp_path / "proj"
    _make_old(location, tmp_path)
    _add_approved(location, range(1000, 1300))
    conn = schema.connect(location / INDEX_NAME)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    assert schema.migrate(conn, location / INDEX_NAME) == 3
    conn.set_trace_callback(None)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) < 20, f"{len(reads)} queries for 304 approved images"
    status = dict(conn.execute("SELECT id, status FROM images WHERE id >= 1000").fetchall())
    conn.close()
    assert status == {i: "done" if i % 2 else "approved" for i in range(1000, 1300)}


def test_the_log_names_a_few_images_and_counts_the_rest(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """2,000 images changed by the upgrade of a 20,000-image project were one log line of 30 KB."""
    location = tmp_path / "proj"
    _make_old(location, tmp_path)
    _add_approved(location, range(1000, 1400))
    with caplog.at_level(logging.WARNING, logger=status_upgrade.__name__):
        open_project(location).close()
    (line,) = [r.getMessage() for r in caplog.records if r.name == status_upgrade.__name__]
    assert line.count("bulk") == 17  # 20 named: fix_after, one_task, rejected first
    assert "203 image(s)" in line and "and 183 more (the status log names them all)" in line
    assert len(line) < 2000
