"""Decisions, model registry, training data and leases within one process."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from fashion_annotator.dataset.store import Project, ProjectError


def test_registered_model_is_fsynced_and_never_keeps_stale_meta(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"new weights")
    # A registration that crashed before its commit left v1 files behind.
    leftover = project.root / "models" / "garment" / "v1.safetensors"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"old")
    leftover.with_suffix(".json").write_text('{"task": "old"}')
    record = project.register_model("garment", weights, {}, [])
    assert record.path == leftover and leftover.read_bytes() == b"new weights"
    assert not leftover.with_suffix(".json").exists()
    assert synced, "the copied weights were not fsynced before the index row"
    kept = project.root / "lost+found" / "models" / "garment"  # set aside, not overwritten
    assert (kept / "v1.safetensors").read_bytes() == b"old"
    assert (kept / "v1.json").read_text() == '{"task": "old"}'
    monkeypatch.setattr(os, "link", _raise_enospc)
    monkeypatch.setattr(os, "replace", _raise_enospc)
    with pytest.raises(ProjectError, match="v2.safetensors: cannot save"):
        project.register_model("garment", weights, {}, [])
    assert [m.version for m in project.models("garment")] == [1]


def test_a_registration_sets_a_leftover_meta_aside_and_rolls_back_its_files(
    project: Project, tmp_path: Path
) -> None:
    """A meta file left by a crashed registration was overwritten; a registration whose
    commit failed left its weights and meta for the next open to set aside as lost work."""
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"weights")
    weights.with_suffix(".json").write_text('{"task": "garment"}')
    folder = project.root / "models" / "garment"
    folder.mkdir(parents=True)
    (folder / "v1.json").write_text('{"task": "crashed"}')
    assert project.register_model("garment", weights, {}, []).path.read_bytes() == b"weights"
    assert (folder / "v1.json").read_text() == '{"task": "garment"}'
    assert project._db.leftovers.orphans_moved == ["models/garment/v1.json"]
    project._db.conn.execute(
        "CREATE TEMP TRIGGER refuse BEFORE INSERT ON models BEGIN SELECT RAISE(ABORT, 'no'); END"
    )
    with pytest.raises(ProjectError, match="nothing was recorded"):
        project.register_model("garment", weights, {}, [])
    assert sorted(x.name for x in folder.iterdir()) == ["v1.json", "v1.safetensors"]


def _raise_enospc(*args: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")

