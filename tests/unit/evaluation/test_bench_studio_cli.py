"""``fashion-annotator bench studio`` writes only into a new or empty folder (or an earlier part
of its own set), never into the dataset it reads nor into a project; a ``--start`` past the
split writes nothing and says so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fashion_annotator.cli import main
from fashion_annotator.dataset.store import Project


def _studio(data: Path, out: Path, *extra: str) -> list[str]:
    return ["bench", "studio", "--data", str(data), "--out", str(out), "--count", "1", *extra]


def test_studio_refuses_to_write_into_its_own_dataset(
    ccp_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a fuzz: ``--out`` equal to ``--data`` rewrote the dataset's taxonomies.json with
    the garment task only (exit 0; ``evaluate --task parsing7`` then failed)."""
    data = tmp_path / "ds"
    shutil.copytree(ccp_dir, data)
    before = (data / "taxonomies.json").read_bytes()
    assert main(_studio(data, data)) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"fashion-annotator bench studio: error: {data}: inside the dataset ")
    assert (data / "taxonomies.json").read_bytes() == before
    assert not list((data / "images").glob("studio_*"))
    assert main(_studio(data, data / "images" / "studio")) == 1
    assert "inside the dataset" in capsys.readouterr().err
    assert not (data / "images" / "studio").exists()


def test_studio_refuses_a_project_and_a_folder_holding_other_files(
    ccp_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a fuzz: ``--out PROJECT`` dropped photos, masks and JSON into a live project
    (its next open moved them to lost+found)."""
    project = tmp_path / "proj"
    Project.create(project, tasks=("garment",)).close()
    for out in (project, project / "studio"):
        assert main(_studio(ccp_dir, out)) == 1
        assert f"{out}: inside the project {project.resolve()}" in capsys.readouterr().err
    assert sorted(p.name for p in project.iterdir()) == sorted(
        ["project.sqlite", "images", "masks", "proposals", "cache", "models"]
        + [p.name for p in project.iterdir() if p.name.startswith("project.sqlite-")]
    )
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(_studio(ccp_dir, other)) == 1
    assert f"{other}: not empty" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


def test_studio_adds_a_part_to_its_own_earlier_set(
    ccp_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A set made in parts (``--start``) goes into one folder, as the module says."""
    out = tmp_path / "studio"
    assert main(_studio(ccp_dir, out)) == 0
    assert main(_studio(ccp_dir, out, "--start", "1")) == 0
    assert sorted(p.name for p in (out / "images").iterdir()) == ["studio_0000.jpg", "studio_0001.jpg"]
    assert sorted(p.name for p in out.glob("studio-*.json")) == ["studio-0.json", "studio-1.json"]
    assert json.loads((out / "taxonomies.json").read_text())["garment"]["classes"] == ["background", "garment"]


def test_studio_past_the_end_of_the_split_writes_nothing_and_fails(
    ccp_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a fuzz: ``--start 99999`` printed "0 mannequin photos written ... (garment
    nan-nan % of the frame, median nan %)" and exited 0."""
    out = tmp_path / "st"
    assert main(_studio(ccp_dir, out, "--start", "99999")) == 2
    captured = capsys.readouterr()
    assert "nan" not in captured.out + captured.err and captured.out == ""
    assert "--start 99999" in captured.err and "photos" in captured.err
    assert not out.exists()
    assert main(_studio(ccp_dir, out, "--start", "-1")) == 2
    assert "--start" in capsys.readouterr().err


def test_studio_with_an_unknown_framing_makes_no_folder(
    ccp_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CLI test: ``--framing nosuch`` was refused after OUT/images and OUT/masks were made."""
    out = tmp_path / "st"
    assert main(_studio(ccp_dir, out, "--framing", "nosuch")) == 2
    assert "unknown framing 'nosuch'" in capsys.readouterr().err
    assert not out.exists()
