"""Shared fixtures: the CCP photos from ``../shared/datasets/ccp`` and an offscreen Qt."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]
CCP_DIR = Path(os.environ.get("FA_CCP_DIR", REPO_ROOT.parent / "shared" / "datasets" / "ccp"))


@pytest.fixture(scope="session")
def ccp_dir() -> Path:
    """The CCP plain mask-folder dataset (images/, masks/, labels.json, taxonomies.json)."""
    if not (CCP_DIR / "images").is_dir():
        raise FileNotFoundError(
            f"CCP dataset not found at {CCP_DIR}; set FA_CCP_DIR to its folder"
        )
    return CCP_DIR


@pytest.fixture(scope="session")
def ccp_splits(ccp_dir: Path) -> dict[str, list[str]]:
    """The fixed train/val split: split name -> list of image stems."""
    return json.loads((ccp_dir / "splits.json").read_text())


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL server for the session (initdb in a temporary folder).

    Skips, with the reason, only when the server binaries are not installed; any other failure
    to start it is an error.
    """
    from fashion_annotator.dataset.postgres import cluster

    try:
        cluster.find_bindir()
    except cluster.ClusterUnavailable as exc:
        pytest.skip(f"no PostgreSQL server here: {exc}")
    server = cluster.TempCluster().start()
    server.database_url = server.create_database("fa_tests")
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A URL for a new PostgreSQL project (unique per test; local working folder in tmp_path)."""
    import uuid

    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "pg-local"))
    return f"{pg_server.database_url}?project=t{uuid.uuid4().hex[:12]}"
