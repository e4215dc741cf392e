"""``migrate`` takes a team project's password from ``FA_PROJECT_URL`` as the other commands do,
so it need not be typed on the command line (which every user of the machine can read)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.cli import main
from fashion_annotator.dataset.postgres.url import PROJECT_URL_ENV, with_password
from fashion_annotator.dataset.store import Project, open_project

PASSWORD = "M1grate s3cret@x"
"""The account's password, with characters a URL must escape."""


@pytest.fixture
def pw_project_url(pg_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new project URL (no password in it) of an account the server asks a password of
    (``scram-sha-256``), with no ``~/.pgpass`` or ``PGPASSWORD`` to give it."""
    import psycopg

    role = f"mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute("SET password_encryption = 'scram-sha-256'")
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
        conn.execute(f"CREATE DATABASE {role} OWNER {role}")
        hba = pg_server.data / "pg_hba.conf"
        hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        conn.execute("SELECT pg_reload_conf()")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("PGPASSWORD", "PGPASSFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "pg-local"))
    return f"postgresql://{role}@127.0.0.1:{pg_server.port}/{role}?project=t{uuid.uuid4().hex[:12]}"


def test_migrate_takes_the_password_of_a_url_from_fa_project_url(
    pw_project_url: str, tmp_path: Path, write_photo, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    src = tmp_path / "folder"
    with Project.create(src, user="ann") as project:
        record = project.add_image(write_photo(tmp_path / "look.png"))
        project.save_mask(record.id, "garment", np.ones((24, 32), np.uint8), status="done")
    whole = with_password(pw_project_url, PASSWORD)
    assert main(["migrate", str(src), pw_project_url]) == 1, "the server wants the password"
    assert "password" in capsys.readouterr().err
    monkeypatch.setenv(PROJECT_URL_ENV, whole)
    report = tmp_path / "to-server.json"
    assert main(["migrate", str(src), pw_project_url, "--json", str(report)]) == 0, capsys.readouterr().err
    with open_project(whole) as copied:
        assert [r.name for r in copied.images()] == ["look.png"]
        assert copied.load_mask(record.id, "garment") is not None
    written = json.loads(report.read_text())
    assert written["destination"] == pw_project_url and "s3cret" not in report.read_text()
    back = tmp_path / "back"
    assert main(["migrate", pw_project_url, str(back)]) == 0, capsys.readouterr().err  # as the source too
    with Project.open(back) as project:
        assert [r.name for r in project.images()] == ["look.png"]
    assert "s3cret" not in capsys.readouterr().out
