"""Ctrl+C that lands just after a transaction's COMMIT keeps the files of the committed rows.

A hand test: Ctrl+C on ``fashion-annotator train --project`` while the new model was being
registered left the registry listing ``v1`` with no file (``models/garment/`` empty): the
COMMIT had gone through, and the interrupt raised as it returned removed the files the
transaction wrote, as if it had rolled back. A mask save hit the same way lost the mask file
of a committed version.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from fashion_annotator.dataset.store import Project
from fashion_annotator.models.registry import build_model
from fashion_annotator.models.weights import load_model, save_model

SHAPE = (24, 32)


class _InterruptedAfterCommit:
    """A connection whose next COMMIT goes through, then raises ``KeyboardInterrupt`` (the
    signal handler running as the call returns)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.fired = False

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        cursor = self._conn.execute(sql, *args)
        if sql == "COMMIT" and not self.fired:
            self.fired = True
            raise KeyboardInterrupt
        return cursor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _interrupt_next_commit(project: Project) -> _InterruptedAfterCommit:
    db = project._db  # noqa: SLF001 - the one connection every part writes through
    proxy = _InterruptedAfterCommit(db.conn)
    db._conn = proxy  # type: ignore[assignment]  # noqa: SLF001
    return proxy


def _tiny_model(path: Path) -> Path:
    meta = {"task": "garment", "classes": ["background", "garment"], "architecture": "unet",
            "arch": {"in_ch": 3, "out_ch": 1, "base": 4, "depth": 2, "norm": "group",
                     "attention": False, "boundary_head": False},
            "input_size": [32, 32], "mean": [0.5] * 3, "std": [0.25] * 3, "threshold": 0.5}  # fmt: skip
    torch.manual_seed(0)
    save_model(path, build_model(meta), meta)
    return path


def test_a_registration_interrupted_after_its_commit_keeps_the_model_file(tmp_path: Path) -> None:
    src = _tiny_model(tmp_path / "new.safetensors")
    root = tmp_path / "p"
    with Project.create(root, tasks=("garment",)) as project:
        proxy = _interrupt_next_commit(project)
        with pytest.raises(KeyboardInterrupt):
            project.models.register("garment", src, {"median_dice": 0.9}, ["a.jpg"])
        assert proxy.fired
    with Project.open(root) as project:
        listed = project.models("garment")
        assert [m.version for m in listed] == [1], "the COMMIT went through: v1 is registered"
        assert listed[0].path.is_file(), "a registered version keeps its file"
        assert load_model(listed[0].path).meta["task"] == "garment"
        assert project.swept.total == 0


def test_a_mask_save_interrupted_after_its_commit_keeps_the_mask_file(tmp_path: Path, write_photo) -> None:
    root = tmp_path / "p"
    mask = np.zeros(SHAPE, np.uint8)
    mask[4:12, 5:20] = 1
    with Project.create(root, tasks=("garment",)) as project:
        rec = project.add_image(write_photo(tmp_path / "look.png", SHAPE))
        _interrupt_next_commit(project)
        with pytest.raises(KeyboardInterrupt):
            project.save_mask(rec.id, "garment", mask, status="done")
    with Project.open(root) as project:
        assert len(project.mask_versions(rec.id, "garment")) == 1
        saved = project.load_mask(rec.id, "garment")
        assert saved is not None and np.array_equal(saved, mask)


def test_an_interrupt_before_the_commit_still_removes_what_was_written(tmp_path: Path) -> None:
    """The rollback path is unchanged: no row, no file."""
    src = _tiny_model(tmp_path / "new.safetensors")
    root = tmp_path / "p"
    with Project.create(root, tasks=("garment",)) as project:
        db = project._db  # noqa: SLF001

        class _BeforeCommit(_InterruptedAfterCommit):
            def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
                if sql == "COMMIT":
                    raise KeyboardInterrupt
                return self._conn.execute(sql, *args)

        db._conn = _BeforeCommit(db.conn)  # type: ignore[assignment]  # noqa: SLF001
        with pytest.raises(KeyboardInterrupt):
            project.models.register("garment", src, {}, [])
        db._conn = db.conn._conn  # type: ignore[attr-defined]  # noqa: SLF001
    with Project.open(root) as project:
        assert project.models("garment") == []
    assert not list((root / "models").rglob("*.*"))
