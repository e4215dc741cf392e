"""Reading an SQLite write-ahead log without SQLite (:func:`fashion_annotator.dataset.wal.wal_adds_to`),
checked against what SQLite itself reads from the same files."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

from fashion_annotator.dataset.wal import FRAME_HEADER, wal_adds_to


def _copy(db: Path, to: Path) -> tuple[Path, Path]:
    """The index and its ``-wal`` as they are now (a writer that stops here), copied to ``to``."""
    to.mkdir()
    shutil.copy(db, to / db.name)
    shutil.copy(f"{db}-wal", to / f"{db.name}-wal")
    return to / db.name, to / f"{db.name}-wal"


def _rows(db: Path) -> int:
    """Rows SQLite reads from ``db`` with its log (the copy is writable: it recovers the log)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]


def test_the_log_adds_to_the_index_until_a_checkpoint_writes_it_in(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE t (a BLOB)")
    for i in range(40):
        conn.execute("INSERT INTO t VALUES (?)", (bytes([i]) * 700,))
    assert wal_adds_to(*_copy(db, tmp_path / "pending")) is True
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    assert wal_adds_to(*_copy(db, tmp_path / "written")) is False
    conn.execute("INSERT INTO t VALUES (x'00')")  # the log starts over: new salts, one frame
    index, wal = _copy(db, tmp_path / "after")
    conn.close()
    assert wal_adds_to(index, wal) is True
    assert _rows(_copy(index, tmp_path / "sqlite")[0]) == 41


def test_a_commit_frame_cut_short_adds_nothing_as_for_sqlite(tmp_path: Path) -> None:
    """The log's one commit after a checkpoint, its page damaged (a write cut short): its
    checksum fails, SQLite reads the index alone, and so does the check."""
    db = tmp_path / "x.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE t (a BLOB)")
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    conn.execute("INSERT INTO t VALUES (x'01')")
    index, wal = _copy(db, tmp_path / "torn")
    conn.close()
    with open(wal, "r+b") as handle:
        handle.seek(32 + FRAME_HEADER + 100)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    assert wal_adds_to(index, wal) is False
    assert _rows(_copy(index, tmp_path / "sqlite")[0]) == 0


def test_a_log_checkpointed_after_the_database_shrank_adds_nothing(tmp_path: Path) -> None:
    """Frames of pages past the last commit's size (a VACUUM shrank the file) were compared
    with the truncated index and "differed": the copy was refused though SQLite reads the
    index alone the same."""
    db = tmp_path / "x.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE t (a BLOB)")
    for i in range(50):
        conn.execute("INSERT INTO t VALUES (?)", (bytes([i]) * 3000,))
    conn.execute("DELETE FROM t")
    conn.execute("VACUUM")
    busy, frames, written = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and frames == written
    index, wal = _copy(db, tmp_path / "shrunk")
    conn.close()
    assert index.stat().st_size < (50 * 3000)
    assert wal_adds_to(index, wal) is False
    assert _rows(index) == 0
