"""``migrate --json`` never writes its report over a file of either project."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.cli import main
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import Project
from fashion_annotator.dataset.transfer import migrate_project


def test_migrate_refuses_a_report_inside_the_source_or_the_copy(
    tmp_path: Path, write_photo, capsys: pytest.CaptureFixture
) -> None:
    """``migrate P COPY --json P/project.sqlite`` wrote the report over the source's index
    (every mask of it lost to the program) and said 0; ``--json COPY/images/look.png`` over the
    copy's photo."""
    src = tmp_path / "one"
    with Project.create(src) as project:
        record = project.add_image(write_photo(tmp_path / "look.png"))
        project.save_mask(record.id, "garment", np.ones((24, 32), np.uint8))
    index = (src / "project.sqlite").read_bytes()
    for target in (src / "project.sqlite", tmp_path / "two" / "images" / "look.png"):
        assert main(["migrate", str(src), str(tmp_path / "two"), "--json", str(target)]) == 1
        assert "inside the project" in capsys.readouterr().err
        assert not (tmp_path / "two").exists()
    assert (src / "project.sqlite").read_bytes() == index


@pytest.mark.parametrize("row", ["model task", "model path", "mask task", "photo name"])
def test_migrate_never_reads_or_writes_outside_for_a_hostile_index(tmp_path: Path, write_photo, row: str) -> None:
    """A project from elsewhere whose index named a model of task ``../../victim``: ``migrate``
    wrote that model's bytes as ``victim/v1.safetensors`` beside the copy (and read any file an
    index row named, into the copy)."""
    src = tmp_path / "vendor"
    with Project.create(src) as project:
        record = project.add_image(write_photo(tmp_path / "look.png"))
        project.save_mask(record.id, "garment", np.ones((24, 32), np.uint8))
    (src / "models" / "payload.bin").write_bytes(b"ATTACKER")
    victim = tmp_path / "victim"
    victim.mkdir()
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"SECRET")
    conn = sqlite3.connect(src / "project.sqlite")
    if row.startswith("model"):
        task, path = ("../../victim", "models/payload.bin") if row == "model task" else ("garment", "../secret.png")
        conn.execute(
            "INSERT INTO models (task, version, path, metrics, trained_on, created, user, active) "
            "VALUES (?, 1, ?, '{}', '[]', 0, 'x', 0)", (task, path),
        )  # fmt: skip
    elif row == "mask task":
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("UPDATE mask_versions SET task = '../../../victim'")
    else:
        conn.execute("UPDATE images SET name = '../../secret.png'")
    conn.commit()
    conn.close()
    with pytest.raises(ProjectError, match="hostile index"):
        migrate_project(src, tmp_path / "copy")
    assert list(victim.iterdir()) == []
    assert not (tmp_path / "copy").exists()
