"""Decisions, model registry, training data and leases within one process."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.store import LeaseHeld, Project, ProjectError


def test_decisions_set_status_and_are_listed(project: Project, photo: Path) -> None:
    rec = project.add_image(photo)
    project.record_decision(rec.id, "garment", "approve")
    assert project.image(rec.id).status == "approved"
    rej = project.record_decision(rec.id, "parsing7", "reject", reason="edge", text="left sleeve")
    assert project.image(rec.id).status == "rejected"
    assert (rej.user, rej.reason, rej.text) == ("alice", "edge", "left sleeve")
    assert project.last_decision(rec.id) == rej
    assert [d.decision for d in project.decisions(task="garment")] == ["approve"]
    assert len(project.decisions(image_id=rec.id)) == 2
    with pytest.raises(ValueError, match="unknown decision"):
        project.record_decision(rec.id, "garment", "maybe")


def test_model_registry(project: Project, tmp_path: Path) -> None:
    weights = tmp_path / "out" / "model.safetensors"
    weights.parent.mkdir()
    weights.write_bytes(b"weights")
    weights.with_suffix(".json").write_text('{"task": "garment"}')
    assert project.active_model("garment") is None
    m1 = project.register_model("garment", weights, {"miou": 0.5}, ["a.jpg"])
    m2 = project.register_model("garment", weights, {"miou": 0.6}, ["a.jpg", "b.jpg"])
    assert (m1.version, m2.version) == (1, 2)
    assert m2.path == project.root / "models" / "garment" / "v2.safetensors"
    assert m2.path.read_bytes() == b"weights"
    assert m2.path.with_suffix(".json").is_file()
    assert m2.metrics == {"miou": 0.6} and m2.trained_on == ["a.jpg", "b.jpg"]
    assert project.active_model("garment") is None
    project.set_active_model("garment", 2)
    assert project.active_model("garment").version == 2
    project.set_active_model("garment", 1)
    assert [m.active for m in project.models("garment")] == [True, False]
    with pytest.raises(ProjectError, match="no model version 7"):
        project.set_active_model("garment", 7)
    project.set_active_model("garment", None)
    assert project.active_model("garment") is None
    m3 = project.register_model("garment", weights, {}, [], activate=True)
    assert project.active_model("garment") == m3


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


def test_training_masks_filter_status_and_rejects(
    project: Project, tmp_path: Path, write_photo
) -> None:
    recs = [project.add_image(write_photo(tmp_path / f"{i}.png", seed=i)) for i in range(4)]
    for i, rec in enumerate(recs):
        project.save_mask(rec.id, "garment", np.full(rec.shape, i % 2, np.uint8))
    project.save_mask(recs[0].id, "garment", np.ones(recs[0].shape, np.uint8))
    project.set_status(recs[0].id, "done")
    project.set_status(recs[1].id, "done")
    project.record_decision(recs[2].id, "garment", "approve")
    project.record_decision(recs[3].id, "garment", "reject", reason="bad")
    project.set_status(recs[3].id, "done")  # rejected before, still left out
    items = list(project.training_masks("garment"))
    assert [i for i, _, _ in items] == [recs[0].id, recs[1].id, recs[2].id]
    assert items[0][2].min() == 1  # the latest version
    assert items[0][1] == recs[0].path
    everything = project.training_items("garment", exclude_rejected=False)
    assert len(everything) == 4


def test_leases_within_one_machine(tmp_path: Path, photo: Path) -> None:
    with Project.create(tmp_path / "p", user="alice") as alice:
        rec = alice.add_image(photo)
        with Project.open(tmp_path / "p", user="bob") as bob:
            lease = alice.acquire_lease(rec.id, ttl_s=60)
            assert alice.acquire_lease(rec.id, ttl_s=60).acquired == lease.acquired
            with pytest.raises(LeaseHeld, match=r"alice@.*pid") as info:
                bob.acquire_lease(rec.id)
            assert info.value.holder.startswith("alice@")
            assert info.value.expires == pytest.approx(time.time() + 60, abs=5)
            with pytest.raises(LeaseHeld):
                bob.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8))
            alice.release_lease(rec.id)
            assert bob.acquire_lease(rec.id, ttl_s=0.2).holder.startswith("bob@")
            time.sleep(0.3)
            assert alice.acquire_lease(rec.id).holder.startswith("alice@")
            bob.release_lease(rec.id)  # not bob's any more: no effect
            assert alice.lease(rec.id).holder.startswith("alice@")
        alice.close()
        with Project.open(tmp_path / "p") as again:
            assert again.lease(rec.id) is None
