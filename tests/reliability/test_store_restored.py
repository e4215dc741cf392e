"""The store after an admin restored its index or its whole folder from a backup: work saved
since the backup is set aside, never overwritten, and nothing lands on the wrong photo."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.label_images import load_mask
from fashion_annotator.dataset.store import Project, ProjectError
from fashion_annotator.instances.model import Instance, InstanceSet

pytestmark = pytest.mark.reliability

SHAPE = (24, 32)


def _instances(rows: slice) -> InstanceSet:
    """One instance (parsing class 3, no category) covering ``rows`` of the photo."""
    imap = np.zeros(SHAPE, np.uint8)
    imap[rows] = 1
    return InstanceSet(imap, {1: Instance(1, 3)})


def _restore_index(root: Path, backup: Path) -> None:
    """What an admin does: copy last night's ``project.sqlite`` back, without its WAL."""
    shutil.copyfile(backup, root / "project.sqlite")
    for leftover in ("project.sqlite-wal", "project.sqlite-shm"):
        (root / leftover).unlink(missing_ok=True)


def test_instance_maps_saved_after_the_backup_an_index_is_restored_from_are_kept(
    tmp_path: Path, write_photo, capsys
) -> None:
    """Instance maps were not swept: the next instance save wrote its ``v2.png`` over the map
    saved after the backup, and that work existed nowhere any more."""
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))
        project.save_instances(rec.id, _instances(slice(0, 4)))
    backup = tmp_path / "backup.sqlite"
    shutil.copyfile(root / "project.sqlite", backup)
    with Project.open(root) as project:
        today = project.save_instances(rec.id, _instances(slice(8, 20)))  # a day's work: v2
    assert today.version == 2
    _restore_index(root, backup)
    from fashion_annotator.cli import main

    assert main(["info", str(root)]) == 0  # the first open sets it aside and says so
    assert "1 saved instance map(s)" in capsys.readouterr().err
    kept = root / "lost+found" / "instances" / str(rec.id) / "v2.png"
    assert (load_mask(kept) == 1).sum() == 12 * SHAPE[1]
    with Project.open(root) as project:
        assert project.swept.total == 0
        again = project.save_instances(rec.id, _instances(slice(20, 22)))
        assert again.version == 2
        assert (project.load_instances(rec.id).map == 1).sum() == 2 * SHAPE[1]
    assert (load_mask(kept) == 1).sum() == 12 * SHAPE[1]  # not overwritten by the new v2


def test_an_instance_save_stopped_before_its_commit_leaves_no_file(
    tmp_path: Path, write_photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rolled-back instance save left its ``vN.png`` (masks remove theirs): the next open set
    it aside in lost+found as if a crash or a restored index had lost saved work."""
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))

        def interrupted(*_args: object, **_kwargs: object) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(project._db, "write_status", interrupted)
        with pytest.raises(KeyboardInterrupt):
            project.save_instances(rec.id, _instances(slice(0, 4)), edited=True)
    assert not list((root / "instances").rglob("*.png"))
    with Project.open(root) as project:
        assert project.swept.total == 0 and project.instance_versions(rec.id) == []


def test_a_folder_replaced_while_open_is_never_written_into(tmp_path: Path, write_photo) -> None:
    """``mv p p.old; cp -a backup p`` while a window had ``p`` open: its next save wrote the
    PNG into the new ``p`` over a colleague's version, and the row into the moved index (which
    then named a file it does not have). Now refused, as for a folder moved away."""
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))
        for k in (1, 2):
            project.save_mask(rec.id, "garment", np.full(SHAPE, k % 2, np.uint8))
    shutil.copytree(root, tmp_path / "backup")
    x = Project.open(root, user="x")  # window X stays open
    root.rename(tmp_path / "p.old")
    shutil.copytree(tmp_path / "backup", root)
    mine = np.zeros(SHAPE, np.uint8)
    mine[2:9, 3:12] = 1
    with Project.open(root, user="y") as y:  # operator Y works on the restored folder
        assert y.save_mask(rec.id, "garment", mine).version == 3
    try:
        with pytest.raises(ProjectError, match="the project folder was replaced while open.*reopen the project"):
            x.save_mask(rec.id, "garment", np.ones(SHAPE, np.uint8))
        with pytest.raises(ProjectError, match="replaced while open"):
            x.save_instances(rec.id, _instances(slice(0, 4)))
    finally:
        x.close()
    with Project.open(root) as y:
        assert [(v.version, v.user) for v in y.mask_versions(rec.id, "garment")][-1] == (3, "y")
        assert np.array_equal(y.load_mask(rec.id, "garment"), mine)
    with Project.open(tmp_path / "p.old") as old:
        assert len(old.mask_versions(rec.id, "garment")) == 2
        assert old.load_mask(rec.id, "garment") is not None


def test_a_leftover_at_the_next_version_is_set_aside_in_an_open_project(
    tmp_path: Path, write_photo
) -> None:
    """A colleague's process killed between writing ``v2.png`` and its commit left the file:
    every save of that image and task in a window already open was refused ("reopen the
    project"), autosave retried for ever and the crashed window's journal could not be
    restored. The leftover now goes to lost+found, as the sweep at open would move it, and the
    save goes through."""
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))
        project.save_mask(rec.id, "garment", np.zeros(SHAPE, np.uint8))
        theirs = np.zeros(SHAPE, np.uint8)
        theirs[0:5] = 1
        with Project.open(root, user="bob") as bob:  # the colleague's save: file, no row
            bob.save_mask(rec.id, "garment", theirs)
        project._db.conn.execute("DELETE FROM mask_versions WHERE version = 2")
        folder = root / "masks" / str(rec.id) / "garment"
        (folder / "v2.clicks.json").write_text('{"version": 1, "clicks": []}')
        for rows in (slice(5, 9), slice(9, 12)):  # the file is gone after the first
            ours = np.zeros(SHAPE, np.uint8)
            ours[rows] = 1
            saved = project.save_mask(rec.id, "garment", ours, edited=True)
            assert np.array_equal(project.load_mask(rec.id, "garment"), ours)
        assert saved.version == 3
        assert not (folder / "v2.clicks.json").exists()
        assert project._db.leftovers.orphans_moved == [
            f"masks/{rec.id}/garment/v2.png", f"masks/{rec.id}/garment/v2.clicks.json"
        ]
        project.save_instances(rec.id, _instances(slice(0, 4)))
        (root / "instances" / str(rec.id) / "v2.png").write_bytes(b"cut short")
        assert project.save_instances(rec.id, _instances(slice(4, 8))).version == 2
    kept = root / "lost+found" / "masks" / str(rec.id) / "garment"
    assert np.array_equal(load_mask(kept / "v2.png"), theirs)
    assert (kept / "v2.clicks.json").is_file()
    assert (root / "lost+found" / "instances" / str(rec.id) / "v2.png").read_bytes() == b"cut short"
    with Project.open(root) as project:
        assert project.swept.total == 0
        assert [v.version for v in project.mask_versions(rec.id, "garment")] == [1, 2, 3]


def test_a_replaced_folder_still_refuses_a_file_at_the_next_version(
    tmp_path: Path, write_photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file at the next version's path in a folder put in place of the open one is a
    colleague's saved version, not a leftover: refused, never moved or replaced, even when the
    identity check before the write is passed (the folder replaced in between)."""
    root = tmp_path / "p"
    with Project.create(root) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))
    shutil.copytree(root, tmp_path / "backup")
    x = Project.open(root, user="x")
    root.rename(tmp_path / "p.old")
    shutil.copytree(tmp_path / "backup", root)
    with Project.open(root, user="y") as y:
        y.save_mask(rec.id, "garment", np.ones(SHAPE, np.uint8))
    checks: list[None] = []

    def first_passes() -> None:  # the first check sees the old folder, the second the new one
        checks.append(None)
        if len(checks) > 1:
            original()

    original = x._db.check_same_folder
    monkeypatch.setattr(x._db, "check_same_folder", first_passes)
    try:
        with pytest.raises(ProjectError, match="replaced while open"):
            x.save_mask(rec.id, "garment", np.zeros(SHAPE, np.uint8))
    finally:
        x.close()
    assert not (root / "lost+found").exists()
    with Project.open(root) as y:
        assert np.array_equal(y.load_mask(rec.id, "garment"), np.ones(SHAPE, np.uint8))


def test_a_model_is_never_registered_into_a_replaced_folder(tmp_path: Path) -> None:
    """A session open since before ``mv p p.old; cp -a backup p`` (a Retrain child holds it
    for minutes) registered its model over the one a colleague registered in the new ``p``,
    and its row into the moved index, which then named a file it does not have."""
    root = tmp_path / "p"
    Project.create(root).close()
    shutil.copytree(root, tmp_path / "backup")
    x = Project.open(root, user="x")
    root.rename(tmp_path / "p.old")
    shutil.copytree(tmp_path / "backup", root)
    theirs, mine = tmp_path / "y.safetensors", tmp_path / "x.safetensors"
    theirs.write_bytes(b"Y's weights")
    mine.write_bytes(b"X's weights")
    with Project.open(root, user="y") as y:
        assert y.models.register("garment", theirs, {}, []).version == 1
    try:
        with pytest.raises(ProjectError, match="replaced while open"):
            x.models.register("garment", mine, {}, [])
    finally:
        x.close()
    with Project.open(root) as y:
        assert [m.path.read_bytes() for m in y.models("garment")] == [b"Y's weights"]
    with Project.open(tmp_path / "p.old") as old:
        assert old.models("garment") == []
