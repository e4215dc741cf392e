"""Project store: images, mask versions, proposals, status, cache, failures that lose nothing."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.atomic import atomic_write_bytes
from fashion_annotator.core.images import ImageLoadError, load_image, load_mask
from fashion_annotator.dataset import schema, store
from fashion_annotator.dataset.store import INDEX_NAME, Project, ProjectError


def test_create_makes_layout_and_default_tasks(project: Project) -> None:
    for name in ("images", "masks", "proposals", "cache", "models", INDEX_NAME):
        assert (project.root / name).exists()
    assert project.tasks == ("garment", "parsing7")
    assert project.taxonomy("parsing7").num_classes == 7
    mode = project._conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_create_refuses_existing_project_and_unknown_task(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    with pytest.raises(ProjectError, match="already a project"):
        Project.create(tmp_path / "p")
    with pytest.raises(ProjectError, match="no_such_taxonomy"):
        Project.create(tmp_path / "q", tasks=("no_such_taxonomy",))
    with pytest.raises(ProjectError, match="not a project"):
        Project.open(tmp_path / "q")


def test_add_image_copies_and_dedupes_by_content(
    project: Project, photo: Path, write_photo
) -> None:
    rec = project.add_image(photo)
    assert rec.path == project.root / "images" / "look.png"
    assert rec.path.read_bytes() == photo.read_bytes()
    assert rec.shape == (24, 32) and rec.status == "new" and rec.user == "alice"
    assert project.add_image(photo).id == rec.id
    other = write_photo(photo.parent / "other" / "look.png", seed=1)
    rec2 = project.add_image(other)
    assert rec2.id != rec.id and rec2.name != rec.name and rec2.stem == "look"
    assert [r.id for r in project.images_by_stem("look")] == [rec.id, rec2.id]
    assert [r.id for r in project.images(search="LOOK")] == [rec.id, rec2.id]


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

    monkeypatch.setattr(store, "load_image", load_then_wait)
    monkeypatch.setattr(store, "atomic_write_bytes", write_together)
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


def test_add_image_non_ascii_name(project: Project, tmp_path: Path, write_photo) -> None:
    rec = project.add_image(write_photo(tmp_path / "robe été ü.png"))
    assert rec.name == "robe été ü.png"
    assert project.load_photo(rec.id).rgb.shape == (24, 32, 3)


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n\x00\x00garbage"])
def test_add_image_refuses_broken_file(project: Project, tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    with pytest.raises(ImageLoadError, match="bad.png"):
        project.add_image(bad)
    assert project.images() == []


def test_save_mask_keeps_every_version(project: Project, photo: Path) -> None:
    rec = project.add_image(photo)
    first = np.zeros(rec.shape, np.uint8)
    first[2:10, 3:9] = 3
    second = first.copy()
    second[12:, :] = 6
    v1 = project.save_mask(rec.id, "parsing7", first, seconds=4.5, actions=3)
    v2 = project.save_mask(rec.id, "parsing7", second, source="import", status="done")
    assert project.image(rec.id).status == "done"
    assert (v1.version, v2.version) == (1, 2)
    assert v1.path == project.root / "masks" / str(rec.id) / "parsing7" / "v1.png"
    np.testing.assert_array_equal(project.load_mask(rec.id, "parsing7"), second)
    np.testing.assert_array_equal(project.load_mask(rec.id, "parsing7", version=1), first)
    log = project.mask_versions(rec.id, "parsing7")
    assert [(m.seconds, m.actions, m.source, m.user) for m in log] == [
        (4.5, 3, "operator", "alice"),
        (0.0, 0, "import", "alice"),
    ]
    # The PNG is indexed with the taxonomy's palette, and its ids read back as ids.
    np.testing.assert_array_equal(load_mask(v1.path), first)
    assert project.load_mask(rec.id, "garment") is None
    assert project.task_counts() == {"garment": 0, "parsing7": 1}


def test_save_mask_rejects_bad_masks(project: Project, photo: Path) -> None:
    rec = project.add_image(photo)
    with pytest.raises(ValueError, match=r"look.png.*shape \(10, 10\)"):
        project.save_mask(rec.id, "parsing7", np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match=r"look.png.*outside the taxonomy 'garment'"):
        project.save_mask(rec.id, "garment", np.full(rec.shape, 2, np.uint8))
    with pytest.raises(ValueError, match="dtype float"):
        project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.float32))
    with pytest.raises(ProjectError, match="no task 'person'"):
        project.save_mask(rec.id, "person", np.zeros(rec.shape, np.uint8))
    assert project.mask_versions(rec.id, "garment") == []


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
    with pytest.raises(ProjectError, match="cannot copy the photo"):
        project.add_image(write_photo(photo.parent / "new.png", seed=3))
    assert len(project.images()) == 1


def test_corrupt_saved_mask_is_reported_with_its_path(project: Project, photo: Path) -> None:
    rec = project.add_image(photo)
    version = project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
    version.path.write_bytes(b"")
    with pytest.raises(ProjectError, match=r"v1.png: cannot read the saved mask"):
        project.load_mask(rec.id, "garment")


def test_proposals_are_versioned(project: Project, photo: Path) -> None:
    rec = project.add_image(photo)
    assert project.load_proposal(rec.id, "garment") is None
    a = np.zeros(rec.shape, np.uint8)
    b = np.ones(rec.shape, np.uint8)
    project.save_proposal(rec.id, "garment", a, "v1")
    project.save_proposal(rec.id, "garment", b, "shipped")
    np.testing.assert_array_equal(project.load_proposal(rec.id, "garment"), b)
    assert [p.model_version for p in project.proposals(rec.id, "garment")] == ["v1", "shipped"]


def test_status_and_counts(project: Project, photo: Path, tmp_path: Path, write_photo) -> None:
    a = project.add_image(photo)
    b = project.add_image(write_photo(tmp_path / "b.png", seed=2))
    project.set_status(a.id, "in_progress")
    project.set_status(b.id, "done")
    assert project.counts() == {
        "new": 0, "in_progress": 1, "done": 1, "approved": 0, "rejected": 0
    }  # fmt: skip
    assert [r.id for r in project.images(status="done")] == [b.id]
    with pytest.raises(ValueError, match="unknown status 'finished'"):
        project.set_status(a.id, "finished")
    with pytest.raises(ProjectError, match="no image with id 99"):
        project.set_status(99, "done")


def test_cache_is_keyed_by_photo_content(project: Project, photo: Path) -> None:
    rec = project.add_image(photo)
    assert project.load_cache(rec.id, "superpixels") is None
    arr = np.arange(12, dtype=np.int32).reshape(3, 4)
    project.save_cache(rec.id, "superpixels", arr)
    np.testing.assert_array_equal(project.load_cache(rec.id, "superpixels"), arr)
    assert (project.root / "cache" / rec.sha256 / "superpixels.npz").is_file()
    (project.root / "cache" / rec.sha256 / "superpixels.npz").write_bytes(b"junk")
    assert project.load_cache(rec.id, "superpixels") is None
    with pytest.raises(ValueError, match="cache key"):
        project.save_cache(rec.id, "../escape", arr)


def test_reopen_and_add_task(tmp_path: Path, photo: Path) -> None:
    with Project.create(tmp_path / "p", tasks=("garment",)) as proj:
        rec = proj.add_image(photo)
        proj.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
        proj.add_task("parsing18")
        proj.add_task("parsing18")
    with Project.open(tmp_path / "p", user="bob") as proj:
        assert proj.tasks == ("garment", "parsing18")
        assert proj.user == "bob"
        assert proj.load_mask(rec.id, "garment").sum() == 24 * 32


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
