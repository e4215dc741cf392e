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
    monkeypatch.setattr(os, "replace", _raise_enospc)
    with pytest.raises(ProjectError, match="v2.safetensors: cannot copy the model"):
        project.register_model("garment", weights, {}, [])
    assert [m.version for m in project.models("garment")] == [1]


def _raise_enospc(*args: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")

