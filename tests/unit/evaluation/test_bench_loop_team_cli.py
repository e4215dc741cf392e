"""``bench loop --work`` and ``bench team --url`` make their project nowhere inside another
project (its next open would move the bench's files to its lost+found)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from fashion_annotator.cli import main
from fashion_annotator.dataset.store import Project


@pytest.fixture
def outer(tmp_path: Path) -> Path:
    root = tmp_path / "outer"
    Project.create(root, tasks=("garment",)).close()
    return root


def test_bench_team_refuses_a_url_inside_a_project(
    outer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    url = outer / "masks" / "team"
    assert main(["bench", "team", "--url", str(url), "--operators", "1", "--minutes", "0.01"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"fashion-annotator bench team: error: {url}: inside the project {outer.resolve()}")
    assert not url.exists()


def test_bench_loop_refuses_a_work_folder_inside_a_project(
    outer: Path, ccp_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = outer / "loop"
    argv = ["bench", "loop", "--data", str(ccp_dir), "--task", "garment", "--split", "all", "--limit", "3",
            "--rounds", "1", "--work", str(work), "--json", str(tmp_path / "loop.json")]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"fashion-annotator bench loop: error: {work}: inside the project {outer.resolve()}")
    assert not work.exists() and not (tmp_path / "loop.json").exists()
