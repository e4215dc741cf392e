"""The working folder of a PostgreSQL project on this desktop, tied to the project's identity.

One address (``localhost:5432`` through a tunnel, a port mapping) can lead to different servers
on different days, each with a project of the same name: each project's copies and recovery
journal stay its own, and come back with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fashion_annotator.dataset.postgres.working_folder import UID_FILE, claim_working_folder

FIRST, SECOND = "a1" * 16, "b2" * 16


def _journal(root: Path, text: str) -> Path:
    entry = root / "journal" / "1" / "garment.fajournal"
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(text)
    return entry


def test_a_project_opened_again_after_a_same_named_one_gets_its_own_folder_back(tmp_path: Path) -> None:
    root = tmp_path / "main"
    assert claim_working_folder(root, FIRST) == root
    _journal(root, "the crashed window's edits")
    assert claim_working_folder(root, SECOND) == root  # the same address, another server
    assert not (root / "journal").exists(), "the other project never sees the journal"
    _journal(root, "server 2's edits")
    assert claim_working_folder(root, FIRST) == root  # back on the first server
    assert (root / UID_FILE).read_text().strip() == FIRST
    assert (root / "journal" / "1" / "garment.fajournal").read_text() == "the crashed window's edits"
    (aside,) = tmp_path.glob("main.before-*")
    assert (aside / UID_FILE).read_text().strip() == SECOND
    assert (aside / "journal" / "1" / "garment.fajournal").read_text() == "server 2's edits"
    assert claim_working_folder(root, SECOND) == root  # and server 2's comes back in turn
    assert (root / "journal" / "1" / "garment.fajournal").read_text() == "server 2's edits"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["main", f"main.before-{FIRST[:12]}"]


def test_a_project_without_a_folder_aside_gets_a_fresh_one(tmp_path: Path) -> None:
    root = tmp_path / "main"
    claim_working_folder(root, FIRST)
    _journal(root, "first")
    claim_working_folder(root, SECOND)
    assert claim_working_folder(root, "c3" * 16) == root
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "main", f"main.before-{FIRST[:12]}", f"main.before-{SECOND[:12]}"
    ]  # fmt: skip
    assert not (root / "journal").exists()


def test_a_folder_of_a_dropped_project_is_never_taken_for_a_newer_one(tmp_path: Path) -> None:
    root = tmp_path / "main"
    claim_working_folder(root, FIRST)
    claim_working_folder(root, SECOND)
    aside = tmp_path / f"main.before-{FIRST[:12]}"
    (aside / UID_FILE).write_text(FIRST[:12] + "ff" * 10 + "\n")  # the same prefix, not the uid
    assert claim_working_folder(root, FIRST[:12] + "ee" * 10) == root
    assert not (root / "journal").exists() and aside.is_dir()


def test_a_project_refused_for_its_working_folder_is_not_left_on_the_server(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PostgreSQL review: `new` refused with "cannot make the local working folder" left a
    project of no tasks on the server, which refused every retry as "already a project"."""
    from fashion_annotator.dataset.store import ProjectError, create_project, open_project

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("FA_LOCAL_DIR", str(blocker))
    with pytest.raises(ProjectError, match="cannot make the local working folder"):
        create_project(pg_url, tasks=("garment",))
    with pytest.raises(ProjectError):
        open_project(pg_url).close()  # nothing was left to open
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "local"))
    with create_project(pg_url, tasks=("garment",)) as project:
        assert project.tasks == ("garment",)
