"""A command's error line that names a typed project URL shows its password as ``***``."""

from __future__ import annotations

from fashion_annotator.cli import main
from fashion_annotator.dataset.store import create_project
from fashion_annotator.runtime.exit_codes import EXIT_ERROR, report_error


def test_an_error_line_shows_a_url_without_its_password(capsys) -> None:
    assert report_error("postgresql://ann:s3cret@db/fashion?project=spring: no such project") == EXIT_ERROR
    err = capsys.readouterr().err
    assert "s3cret" not in err and "postgresql://ann:***@db/fashion" in err


def test_a_click_retrain_refused_names_the_project_without_its_password(pg_url: str, capsys) -> None:
    """``train --project URL --task click`` on a project with no cutout task said why with the
    URL as typed, password and all."""
    create_project(pg_url, tasks=("parsing7",)).close()
    typed = pg_url.replace("postgresql://fa@", "postgresql://fa:s3cret@")  # trust: any password
    assert main(["train", "--project", typed, "--task", "click"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "the click model learns from garment or person cutouts" in err and "s3cret" not in err
