"""A project index with a damaged page: every reader says so as a ProjectError naming
``project.sqlite``, to restore it from a backup, and that the photos and masks are untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.formats import export_project
from fashion_annotator.dataset.store import Project, ProjectError

pytestmark = pytest.mark.reliability

SHAPE = (24, 32)


def damaged_project(root: Path, write_photo, table: str = "images") -> Path:
    """A project of three masked photos whose ``table``'s first page holds random bytes."""
    with Project.create(root, tasks=("garment",)) as project:
        for seed in range(3):
            rec = project.add_image(write_photo(root.parent / "src" / f"look{seed}.png", SHAPE, seed=seed))
            project.save_mask(rec.id, "garment", np.ones(SHAPE, np.uint8), status="done")
    index = root / "project.sqlite"
    with sqlite3.connect(index) as conn:
        page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    assert not (root / "project.sqlite-wal").exists() or (root / "project.sqlite-wal").stat().st_size == 0
    with open(index, "r+b") as handle:
        handle.seek((page - 1) * size)
        handle.write(np.random.default_rng(5).integers(0, 256, size, dtype=np.uint8).tobytes())
    return index


def said_well(text: str, index: Path) -> bool:
    """Whether ``text`` names the index, the way out and what is not lost."""
    return (f"{index.resolve()}: the project index is damaged" in text
            and "restore project.sqlite from a backup" in text
            and "mask files in masks/ are separate files, not touched" in text)  # fmt: skip


def test_a_damaged_index_page_is_a_project_error_naming_the_file(tmp_path: Path, write_photo) -> None:
    """Found by a tester: random bytes in two pages of project.sqlite; export said only
    "database disk image is malformed", qa-report and the window a catch-all with a traceback."""
    from fashion_annotator.dataset.index_damage import IndexDamaged
    from fashion_annotator.qa.scores import score_project

    root = tmp_path / "p"
    index = damaged_project(root, write_photo)
    with pytest.raises(IndexDamaged) as err:  # the sweep of an opening for writing meets it
        Project.open(root)
    assert said_well(str(err.value), index)
    assert isinstance(err.value, sqlite3.DatabaseError)  # except sqlite3.Error still holds
    with Project.open(root, readonly=True) as project:  # no sweep: the readers meet it
        with pytest.raises(ProjectError) as err:
            project.images()
        assert said_well(str(err.value), index)
        with pytest.raises(ProjectError) as err:
            export_project(project, tmp_path / "out", "plain")
        assert said_well(str(err.value), index)
        with pytest.raises(ProjectError) as err:
            score_project(project, "garment")
        assert said_well(str(err.value), index)
        with pytest.raises(IndexDamaged):
            project.check_index()


def test_info_export_and_qa_report_fail_with_the_advice(tmp_path: Path, write_photo, capsys) -> None:
    """``info`` printed the usual counts (rc 0) from an index with a damaged page: it reads
    every page now (PRAGMA quick_check) and fails like the others, without a traceback."""
    from fashion_annotator.cli import main

    root = tmp_path / "p"
    index = damaged_project(root, write_photo)
    for argv in (["info", str(root)], ["export", str(root), str(tmp_path / "out"), "--format", "plain"],
                 ["qa-report", str(root), "--out", str(tmp_path / "qa.html")]):  # fmt: skip
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert said_well(err, index), (argv, err)
        assert "DatabaseError" not in err and "traceback" not in err, argv


@pytest.mark.parametrize("fmt", ["coco", "plain", "labelme"])
def test_a_damaged_mask_page_stops_the_export_once_and_leaves_it_marked(tmp_path: Path, write_photo, fmt) -> None:
    """A review: with a damaged ``mask_versions`` page, the export listed the damage once per
    image (20,000 lines on a large project), then removed its unfinished-export mark: a folder
    that looked finished, with an empty annotations.json."""
    from fashion_annotator.dataset.formats.common import UNFINISHED_EXPORT
    from fashion_annotator.dataset.index_damage import IndexDamaged

    root = tmp_path / "p"
    index = damaged_project(root, write_photo, "mask_versions")
    out = tmp_path / "out"
    with Project.open(root, readonly=True) as project:  # the images read: each mask read fails
        assert len(project.images()) == 3
        with pytest.raises(IndexDamaged) as err:
            export_project(project, out, fmt)
    text = str(err.value)
    assert said_well(text, index) and text.count("the project index is damaged") == 1
    assert f"the export stopped: {out} is not whole (see its {UNFINISHED_EXPORT})" in text
    note = (out / UNFINISHED_EXPORT).read_text(encoding="utf-8")
    assert f"{index.resolve()} is damaged" in note and "not whole" in note
    assert not (out / "annotations.json").exists()


def test_the_export_command_on_a_damaged_mask_page_says_it_once(tmp_path: Path, write_photo, capsys) -> None:
    """The same from the command line: one message (the opening's sweep meets the damage), rc 1."""
    from fashion_annotator.cli import main

    root = tmp_path / "p"
    index = damaged_project(root, write_photo, "mask_versions")
    assert main(["export", str(root), str(tmp_path / "out"), "--format", "coco"]) == 1
    err = capsys.readouterr().err
    assert said_well(err, index) and err.count("restore project.sqlite from a backup") == 1, err
    assert not (tmp_path / "out" / "annotations.json").exists()


def test_fetchmany_without_a_size_gives_the_cursors_arraysize(tmp_path: Path) -> None:
    """A review: the damage-naming cursor's ``fetchmany()`` gave one row, not ``arraysize``."""
    from fashion_annotator.dataset.schema import connect

    conn = connect(tmp_path / "x.sqlite")
    try:
        conn.execute("CREATE TABLE t (v INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])
        cursor = conn.execute("SELECT v FROM t ORDER BY v")
        cursor.arraysize = 3
        assert [r[0] for r in cursor.fetchmany()] == [0, 1, 2]
        assert [r[0] for r in cursor.fetchmany(4)] == [3, 4, 5, 6]
    finally:
        conn.close()


def test_an_index_found_damaged_as_it_is_opened_is_not_left_open(tmp_path: Path) -> None:
    """A review: a damage error met while the connection was being set up left its file handle
    open (on Windows an open handle blocks putting a backup in its place)."""
    from fashion_annotator.dataset.schema import connect

    index = tmp_path / "project.sqlite"
    index.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 16)

    def held() -> int:
        return sum(1 for fd in Path("/proc/self/fd").iterdir()
                   if fd.resolve() == index.resolve())  # fmt: skip

    assert held() == 0
    with pytest.raises(sqlite3.DatabaseError):
        connect(index)
    assert held() == 0, "the damaged index's handle is closed"
