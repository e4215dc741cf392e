"""The hostile-input corpus: helpers, and a ledger of every input tried and handled.

Each test generates its hostile inputs (nothing large is committed), feeds them to the real
code path and asserts: no crash, a clear error naming the file and the cause or a correct
result, nothing saved lost, ``PRAGMA integrity_check`` ok. Each input is recorded in the
ledger; the session prints ``tried / handled`` per category (and writes it as JSON to
``$FA_RELIABILITY_REPORT`` when set), the figures of the reliability note.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset import schema
from fashion_annotator.dataset.store import Project

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "sample"

_LEDGER: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"tried": [], "handled": []})


class Ledger:
    """Record hostile inputs: ``try_(category, name)`` then ``handled(category, name)``."""

    def try_(self, category: str, name: str) -> None:
        _LEDGER[category]["tried"].append(name)

    def handled(self, category: str, name: str) -> None:
        _LEDGER[category]["handled"].append(name)


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()


def pytest_terminal_summary(terminalreporter) -> None:
    if not _LEDGER:
        return
    tried = sum(len(v["tried"]) for v in _LEDGER.values())
    handled = sum(len(v["handled"]) for v in _LEDGER.values())
    terminalreporter.write_sep("-", f"hostile inputs: {handled} handled of {tried} tried")
    for category, v in sorted(_LEDGER.items()):
        terminalreporter.write_line(f"  {category}: {len(v['handled'])}/{len(v['tried'])}")
    out = os.environ.get("FA_RELIABILITY_REPORT")
    if out:
        Path(out).write_text(json.dumps(_LEDGER, indent=1))


@pytest.fixture(autouse=True)
def _fast_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process SQLite commits without fsync (logic tests); the kill tests run children
    with the production setting."""
    monkeypatch.setattr(schema, "SYNCHRONOUS", "OFF")


def write_photo(path: Path, shape: tuple[int, int] = (24, 32), seed: int = 0) -> Path:
    """A random RGB PNG photo of ``shape`` (H, W)."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, (*shape, 3), dtype=np.uint8)).save(path)
    return path


def write_mask(path: Path, mask: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask.astype(np.uint8), "L").save(path)
    return path


def integrity_ok(root: Path) -> bool:
    conn = sqlite3.connect(root / "project.sqlite")
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def stray_files(root: Path) -> list[str]:
    """Files under the store's folders that the index does not name (temp files, orphans)."""
    with Project.open(root, readonly=True) as project:
        conn = project._conn
        known = {f"images/{r[0]}" for r in conn.execute("SELECT name FROM images WHERE stored=1")}
        for table in ("mask_versions", "proposals"):
            known.update(r[0] for r in conn.execute(f"SELECT path FROM {table}"))
    out = []
    for folder in ("images", "masks", "proposals"):
        for path in (root / folder).rglob("*"):
            rel = str(path.relative_to(root))
            if path.is_file() and rel not in known:
                out.append(rel)
    return out


@pytest.fixture(name="write_photo")
def write_photo_fixture():
    return write_photo


@pytest.fixture(name="write_mask")
def write_mask_fixture():
    return write_mask


@pytest.fixture(name="integrity_ok")
def integrity_ok_fixture():
    return integrity_ok


@pytest.fixture(name="stray_files")
def stray_files_fixture():
    return stray_files


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with Project.create(tmp_path / "proj", user="alice") as proj:
        yield proj


def unprivileged() -> list[str]:
    """A command prefix under which file permissions apply, even when the tests run as root
    (root's CAP_DAC_OVERRIDE would make a read-only folder writable)."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"]


def run_child(script: str, *args: str, prefix: tuple[str, ...] = (), timeout: float = 300):
    """Run ``script`` in a fresh interpreter with this tree's code; return the result."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [*prefix, sys.executable, "-c", script, *args],
        capture_output=True, text=True, env=env, timeout=timeout,
    )  # fmt: skip


def run_read_only(script: str, root: Path, *args: str):
    """Run ``script`` (given ``root`` and ``args``) with every file and folder of ``root`` made
    read-only and the permissions enforced (:func:`unprivileged`); restored afterwards."""
    paths = [root, *root.rglob("*")]
    try:
        for path in sorted(paths, key=lambda p: -len(p.parts)):
            path.chmod(0o555 if path.is_dir() else 0o444)
        return run_child(script, str(root), *args, prefix=tuple(unprivileged()))
    finally:
        for path in paths:
            path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture(name="run_child")
def run_child_fixture():
    return run_child


@pytest.fixture(name="run_read_only")
def run_read_only_fixture():
    return run_read_only


@pytest.fixture(name="unprivileged")
def unprivileged_fixture():
    return unprivileged()
