"""The store after an admin restored its index or its whole folder from a backup: work saved
since the backup is set aside, never overwritten, and nothing lands on the wrong photo."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.label_images import load_mask
from fashion_annotator.dataset.store import Project
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
