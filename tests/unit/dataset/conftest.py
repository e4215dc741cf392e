"""Synthetic photos and projects for the dataset tests."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset import schema
from fashion_annotator.dataset.store import Project


def write_photo(path: Path, shape: tuple[int, int] = (24, 32), seed: int = 0) -> Path:
    """Write a random RGB PNG photo of ``shape`` (H, W) and return its path."""
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path)
    return path


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip fsync in-process: these tests check logic, and fsync on a shared CI disk costs
    ~20 ms each. Durability is tested with real fsyncs in child processes (crash test)."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)
    monkeypatch.setattr(schema, "SYNCHRONOUS", "OFF")


@pytest.fixture(name="write_photo")
def write_photo_fixture():
    """The :func:`write_photo` helper, for test modules (no package imports in tests/)."""
    return write_photo


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh project with the default tasks, closed after the test."""
    with Project.create(tmp_path / "proj", user="alice") as proj:
        yield proj


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """One 24x32 random photo."""
    return write_photo(tmp_path / "src" / "look.png")


#: The project backends the contract tests run on.
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a new project goes: a folder for SQLite, a project URL for PostgreSQL."""
    if request.param == "sqlite":
        return tmp_path / "proj"
    return request.getfixturevalue("pg_url")
