"""Project store: images, mask versions, proposals, status, cache, failures that lose nothing."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.atomic import atomic_write_bytes
from fashion_annotator.core.images import load_image
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.dataset import photo_imports, schema, storeio
from fashion_annotator.dataset.store import INDEX_NAME, Project, ProjectError


def test_create_makes_layout_and_default_tasks(project: Project) -> None:
    for name in ("images", "masks", "proposals", "cache", "models", INDEX_NAME):
        assert (project.root / name).exists()
    assert project.tasks == ("garment", "parsing7")
    assert project.taxonomy("parsing7").num_classes == 7
    mode = project._conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_saved_png_is_indexed_with_the_palette(project: Project, photo: Path) -> None:
    rec = project.add_image(photo)
    mask = np.zeros(rec.shape, np.uint8)
    mask[2:10, 3:9] = 3
    version = project.save_mask(rec.id, "parsing7", mask)
    assert version.path == project.root / "masks" / str(rec.id) / "parsing7" / "v1.png"
    np.testing.assert_array_equal(load_mask(version.path), mask)


def test_concurrent_imports_of_one_name_keep_both_photos(
    project: Project, tmp_path: Path, write_photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = [write_photo(tmp_path / d / "look.png", seed=i) for i, d in enumerate("ab")]
    decoded = threading.Barrier(2, timeout=10)

    def load_then_wait(path):
        photo = load_image(path)
        decoded.wait()  # both imports have passed the dedupe check and chosen nothing yet
        return photo

    # Old code chose the name outside the write lock, so both imports reached the write with
    # the same name; under the lock the second waits, and this barrier just times out.
    writing = threading.Barrier(2, timeout=0.5)

    def write_together(path, data):
        with contextlib.suppress(threading.BrokenBarrierError):
            writing.wait()
        atomic_write_bytes(path, data)

    monkeypatch.setattr(photo_imports, "load_image", load_then_wait)
    monkeypatch.setattr(photo_imports, "atomic_write_bytes", write_together)
    records, errors = [], []

    def add(src: Path) -> None:
        try:
            with Project.open(project.root, user="bob") as other:
                records.append(other.add_image(src))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(src,)) for src in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len({r.name for r in records}) == 2
    for rec in records:
        assert hashlib.sha256(rec.path.read_bytes()).hexdigest() == rec.sha256


def test_full_disk_during_save_damages_nothing(
    project: Project, photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rec = project.add_image(photo)
    good = np.ones(rec.shape, np.uint8)
    project.save_mask(rec.id, "garment", good)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ProjectError, match=r"v2.png.*No space left on device"):
        project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8))
    monkeypatch.undo()
    folder = project.root / "masks" / str(rec.id) / "garment"
    assert sorted(p.name for p in folder.iterdir()) == ["v1.png"]
    assert len(project.mask_versions(rec.id, "garment")) == 1
    np.testing.assert_array_equal(project.load_mask(rec.id, "garment"), good)
    assert project.save_mask(rec.id, "garment", good).version == 2


def test_a_project_folder_moved_while_open_is_never_recreated_at_its_old_place(
    project: Project, photo: Path
) -> None:
    """The open SQLite file follows a rename; the mask files used to be written into a new,
    empty folder at the old path while the index row went to the moved one."""
    rec = project.add_image(photo)
    project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
    old = project.root
    moved = old.with_name("moved")
    old.rename(moved)
    with pytest.raises(ProjectError, match="the project folder is gone"):
        project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8))
    assert not old.exists()
    with Project.open(moved) as again:
        assert len(again.mask_versions(rec.id, "garment")) == 1
        np.testing.assert_array_equal(again.load_mask(rec.id, "garment"), np.ones(rec.shape, np.uint8))


def test_read_only_folder_gives_clear_error(
    project: Project, photo: Path, monkeypatch: pytest.MonkeyPatch, write_photo
) -> None:
    rec = project.add_image(photo)
    real_mkstemp = __import__("tempfile").mkstemp

    def read_only(*args: object, **kwargs: object) -> tuple[int, str]:
        if str(project.root) in str(kwargs.get("dir", "")):
            raise PermissionError(errno.EROFS, os.strerror(errno.EROFS))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr("tempfile.mkstemp", read_only)
    with pytest.raises(ProjectError, match=r"v1.png.*Read-only file system"):
        project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
    with pytest.raises(ProjectError, match=r"new.png: cannot copy it into .*images: Read-only file system$"):
        project.add_image(write_photo(photo.parent / "new.png", seed=3))
    assert len(project.images()) == 1


def test_corrupt_saved_mask_is_reported_with_its_path(project: Project, photo: Path) -> None:
    rec = project.add_image(photo)
    version = project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
    version.path.write_bytes(b"")
    with pytest.raises(ProjectError, match=r"v1.png: cannot read the saved mask"):
        project.load_mask(rec.id, "garment")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    conn = sqlite3.connect(tmp_path / "p" / INDEX_NAME)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ProjectError, match="newer than this program"):
        Project.open(tmp_path / "p")


def test_migration_from_empty_database(tmp_path: Path) -> None:
    conn = schema.connect(tmp_path / "x.sqlite")
    assert schema.migrate(conn) == 0
    assert schema.schema_version(conn) == schema.SCHEMA_VERSION
    assert schema.migrate(conn) == schema.SCHEMA_VERSION
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / INDEX_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ProjectError, match=r"project.sqlite: cannot open the project index"):
        Project.open(tmp_path / "p")


def test_error_after_sqlite_rolled_back_itself_is_not_masked(project: Project) -> None:
    with pytest.raises(ValueError, match="the real problem"), project._tx() as conn:
        conn.execute("ROLLBACK")  # as SQLite does on SQLITE_FULL or SQLITE_IOERR
        raise ValueError("the real problem")
    project.add_task("person")  # the connection is still usable
    assert "person" in project.tasks


def test_a_folder_of_photos_opens_the_project_the_window_made_in_it(tmp_path: Path, photo: Path) -> None:
    """The command line used to say "not a project" and hint at `new`, which made a second,
    empty project in the photo folder that then hid the real one from the window."""
    folder = tmp_path / "shoot"
    folder.mkdir()
    with Project.create(folder / "annotations", user="alice") as made:
        made.add_image(photo)
    with Project.open(folder) as again:
        assert again.root == folder / "annotations" and len(again.images()) == 1
    with pytest.raises(ProjectError, match="its photos already have a project"):
        Project.create(folder)
    assert not (folder / INDEX_NAME).exists()


def test_a_folder_of_photos_moved_with_its_project_finds_its_photos_again(tmp_path: Path, write_photo) -> None:
    """Renaming a shoot folder that the window had opened left every photo missing."""
    shoot = tmp_path / "shoot"
    for seed, name in enumerate(("a.png", "b.png", "c.png")):
        write_photo(shoot / name, seed=seed)
    with Project.create(shoot / "annotations", user="alice") as made:
        ids = [made.add_image(shoot / n, copy=False).id for n in ("a.png", "b.png", "c.png")]
        made.save_mask(ids[0], "garment", np.ones(made.image(ids[0]).shape, np.uint8))
    moved = tmp_path / "shoot 2026-12"
    shoot.rename(moved)
    write_photo(moved / "c.png", seed=9)  # another photo now under c's name: never paired
    with Project.open(moved) as again:
        a, b, c = (again.image(i) for i in ids)
        assert a.path == moved.resolve() / "a.png" and b.path == moved.resolve() / "b.png"
        assert again.load_photo(a.id).rgb.shape[:2] == a.shape
        assert not c.path.exists() and c.path.parent == shoot.resolve()
        np.testing.assert_array_equal(again.load_mask(a.id, "garment"), np.ones(a.shape, np.uint8))


def test_a_new_version_is_never_written_over_a_file_at_its_path(project: Project, photo: Path) -> None:
    """Saves renamed the new version over whatever file was at ``vN.png`` (a version another
    copy of the project saved there, a save cut short in another process). In the folder whose
    index this is, the file is a leftover, set aside in lost+found before the version is
    written; where that cannot be told, the save is refused and the file kept."""
    rec = project.add_image(photo)
    project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
    there = project.root / "masks" / str(rec.id) / "garment" / "v2.png"
    there.write_bytes(b"someone else's v2")
    identity, project._db.index_identity = project._db.index_identity, None
    with pytest.raises(ProjectError, match="a file is already there .* not overwritten and nothing was saved"):
        project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8))
    assert there.read_bytes() == b"someone else's v2"
    assert len(project.mask_versions(rec.id, "garment")) == 1
    project._db.index_identity = identity
    assert project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8)).version == 2
    assert project._db.leftovers.orphans_moved == [f"masks/{rec.id}/garment/v2.png"]
    assert (project.root / "lost+found" / "masks" / str(rec.id) / "garment" / "v2.png").read_bytes() == (
        b"someone else's v2"
    )


def test_a_project_is_not_made_inside_another(tmp_path: Path) -> None:
    """The outer project's next write-open took the inner one's files for a crash's leftovers
    and moved them to its lost+found (``migrate`` and ``bench team --url`` made such copies)."""
    outer = tmp_path / "outer"
    Project.create(outer, tasks=("garment",)).close()
    for inner in (outer / "masks" / "p", outer / "p"):
        with pytest.raises(ProjectError, match=f"{inner}: inside the project {outer.resolve()}"):
            Project.create(inner, tasks=("garment",))
        assert not inner.exists()


@pytest.mark.parametrize("user_version", [0, 2, 4])
def test_another_programs_database_is_refused_untouched(tmp_path: Path, capsys, user_version: int) -> None:
    """A fuzz: another program's SQLite file as project.sqlite was refused, but its journal
    mode had been switched to WAL for good; with its own user_version 2 or 4 the message was
    "cannot open the index even read-only: no such table: tasks"."""
    from fashion_annotator.cli import main

    index = tmp_path / "p" / "project.sqlite"
    index.parent.mkdir()
    with contextlib.closing(sqlite3.connect(index)) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers (name) VALUES ('alice')")
        conn.execute(f"PRAGMA user_version = {user_version}")
        conn.commit()
    before = index.read_bytes()
    assert main(["info", str(index.parent)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"fashion-annotator info: error: {index}: ") and "not a project index" in err, err
    with pytest.raises(ProjectError, match="not a project index"):
        Project.open(index.parent, readonly=True)
    assert index.read_bytes() == before
    assert sorted(p.name for p in index.parent.iterdir()) == ["project.sqlite"]


def test_an_index_that_cannot_open_on_a_full_disk_says_the_disk_is_full(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault injection: ``import`` into a project on a full disk said ``project.sqlite:
    cannot open the project index: disk I/O error`` (SQLite's words when the WAL's shared
    memory cannot grow), which reads as a failing disk."""
    index = project.root / INDEX_NAME
    io_error = sqlite3.OperationalError("disk I/O error")
    usage = shutil.disk_usage(project.root)
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: usage._replace(free=4096))
    text = storeio.open_error_text(io_error, index)
    assert text.startswith(f"the disk is full (0.0 MiB free on {project.root}); free at least 1.0 MiB"), text
    assert text.endswith("(SQLite: disk I/O error)")
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: usage._replace(free=1 << 30))
    assert storeio.open_error_text(io_error, index) == "disk I/O error", "with room: SQLite's words"


def test_a_killed_writers_leftover_is_set_aside_on_a_nearly_full_disk(
    project: Project, photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A review: with under 1 MiB free, the version file a killed writer left (which the save
    sets aside and retries) was reported as "the disk is full" and the save failed, though the
    write fitted: only a write the full disk refused is blamed on it."""
    import shutil

    rec = project.add_image(photo)
    project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8))
    v1 = next((project.root / "masks").rglob("v1.png"))
    v1.with_name("v2.png").write_bytes(b"leftover of a writer killed before its commit")
    usage = shutil.disk_usage(project.root)
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: usage._replace(free=512 * 1024))
    version = project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
    assert version.version == 2 and project.load_mask(rec.id, "garment").max() == 1
    assert any((project.root / "lost+found").rglob("v2.png"))
