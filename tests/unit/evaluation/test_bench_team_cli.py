"""``fashion-annotator bench team`` refuses an existing project like every command errs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from fashion_annotator.cli import main
from fashion_annotator.dataset.store import Project


def test_bench_team_on_an_existing_project_prints_an_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the bench's own work folder
    existing = tmp_path / "proj"
    with Project.create(existing, tasks=("garment",), user="rita"):
        pass
    argv = ["bench", "team", "--url", str(existing), "--operators", "1", "--minutes", "0.01"]
    assert main(argv) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith(f"fashion-annotator bench team: error: {existing}: ")
    assert "already a project" in lines[-1]
    assert not list(tmp_path.glob("fa-team-*"))  # its own work folder is not left behind


def test_operators_that_cannot_start_fail_the_bench_naming_their_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in a bundle hand test: the frozen executable refused ``-m`` and the bench printed
    "0 saves ... 0 lost saves" and exited 0 (the operators' stderr went to /dev/null)."""
    import sys

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'invalid choice: fashion_annotator.evaluation.team' >&2\nexit 2\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    argv = ["bench", "team", "--url", str(tmp_path / "team"), "--operators", "1", "--minutes", "0.02"]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "no operator saved anything" in err and "invalid choice" in err


def test_a_simulated_operator_saves_running_totals_as_the_window_does(tmp_path: Path) -> None:
    """A whole-diff review: the operator saved each version's own seconds and one action, while
    a version stores the image's running totals (as the window saves them), so QA credited a
    bench operator one save's effort for three."""
    import time

    from fashion_annotator.evaluation.team import _make_project, operator
    from fashion_annotator.qa.throughput import throughput

    url = str(tmp_path / "proj")
    _make_project(url, 1, tmp_path, seed=0)
    operator(url, "olga", tmp_path / "olga.log", time.time() + 1.5, 0.02, 3, seed=1)
    with Project.open(url) as project:
        (image,) = project.images()
        versions = project.mask_versions(image.id, "parsing7")
        assert [v.actions for v in versions][:3] == [1, 2, 3]
        (row,) = throughput(project, ["parsing7"])
    assert row.saves == len(versions) and row.actions == len(versions)
    assert row.hours * 3600 == pytest.approx(0.02 * len(versions))
