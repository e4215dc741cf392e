"""A usage error that repeats a typed project URL shows its password as ``***``."""

from __future__ import annotations

from pathlib import Path

import pytest

from fashion_annotator.cli import main

URL = "postgresql://ann:s3cret@db.example/fashion?project=spring"


def test_a_url_left_over_is_repeated_without_its_password(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path), URL]) == 2
    err = capsys.readouterr().err
    assert "s3cret" not in err and "'postgresql://ann:***@db.example/fashion?project=spring' is left over" in err


def test_an_unrecognised_argument_is_repeated_without_its_password(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["info", URL, f"{URL}&sslpassword=k3y"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "s3cret" not in err and "k3y" not in err
    assert "unrecognized arguments: postgresql://ann:***@db.example/fashion?project=spring&sslpassword=***" in err


def test_a_subcommands_usage_error_is_repeated_without_its_password(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--format", URL, URL, "out"])  # the URL one place early
    err = capsys.readouterr().err
    assert "s3cret" not in err and "export: error: argument --format: invalid choice: 'postgresql://ann:***@" in err


def test_an_unexpected_error_naming_a_url_shows_it_without_its_password(monkeypatch, capsys) -> None:
    import fashion_annotator.cli as cli

    def fail(argv):
        raise RuntimeError(f"cannot reach {URL}")

    monkeypatch.setattr(cli, "_dispatch", fail)
    assert main(["info", URL]) == 1
    err = capsys.readouterr().err
    assert "s3cret" not in err and "cannot reach postgresql://ann:***@db.example" in err


def test_a_project_argument_without_secrets_takes_them_from_fa_project_url(monkeypatch) -> None:
    """The window's retrain child gets its project URL's secrets in ``FA_PROJECT_URL`` and the
    URL without them on its command line, which every user of the machine can read."""
    from fashion_annotator.dataset.postgres.url import project_location

    whole = f"{URL}&sslpassword=k3y"
    stripped = "postgresql://ann@db.example/fashion?project=spring"
    monkeypatch.setenv("FA_PROJECT_URL", whole)
    assert project_location(stripped) == whole
    assert project_location(URL) == URL  # a URL's own password is kept
    other = "postgresql://ann@db.example/fashion?project=autumn"
    assert project_location(other) == other  # another project gets none of them
