"""Shared fixtures: the CCP photos and an offscreen Qt.

``ccp_dir`` is the small CCP subset shipped in ``tests/fixtures/ccp_small`` (14 photos with
masks), so the suite passes on a fresh clone. Tests marked ``ccp_full`` use ``ccp_full_dir``:
the full development split at ``$FA_CCP_DIR`` (default ``../shared/datasets/ccp``); they are
skipped, with the path in the reason, when that folder is absent.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The CLI and the GUI log to a file; keep the tests' logs out of the user's data folder, in a
# folder removed when the run ends (every run left one in the temporary folder).
if "FA_LOG_DIR" not in os.environ:
    os.environ["FA_LOG_DIR"] = tempfile.mkdtemp(prefix="fa-test-logs-")
    atexit.register(shutil.rmtree, os.environ["FA_LOG_DIR"], True)

REPO_ROOT = Path(__file__).resolve().parents[1]
CCP_SMALL_DIR = REPO_ROOT / "tests" / "fixtures" / "ccp_small"
CCP_FULL_DIR = Path(os.environ.get("FA_CCP_DIR", REPO_ROOT.parent / "shared" / "datasets" / "ccp"))


def ccp_full_available() -> bool:
    """Whether the full CCP development split is present at ``CCP_FULL_DIR``."""
    return (CCP_FULL_DIR / "images").is_dir() and (CCP_FULL_DIR / "splits.json").is_file()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the ``ccp_full`` tests, naming the folder looked at, when the full data is absent."""
    if ccp_full_available():
        return
    skip = pytest.mark.skip(reason=f"full CCP data not found at {CCP_FULL_DIR} (set FA_CCP_DIR)")
    for item in items:
        if "ccp_full" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def ccp_dir() -> Path:
    """The CCP fixture subset (images/, masks/, labels.json, taxonomies.json, splits.json)."""
    return CCP_SMALL_DIR


@pytest.fixture(scope="session")
def ccp_full_dir() -> Path:
    """The full CCP development split (604 train / 100 val); only for ``ccp_full`` tests."""
    if not ccp_full_available():
        raise FileNotFoundError(f"full CCP data not found at {CCP_FULL_DIR}; set FA_CCP_DIR")
    return CCP_FULL_DIR


@pytest.fixture(scope="session")
def ccp_splits(ccp_dir: Path) -> dict[str, list[str]]:
    """The fixture subset's train/val split: split name -> list of image stems."""
    return json.loads((ccp_dir / "splits.json").read_text())


@pytest.fixture
def disk_click_model(tmp_path: Path):
    """Factory of hand-set click model files (no training): ``make(bias) -> Path``.

    The logit is about ``bias + 20 * (positive disk - negative disk) + 10 * current mask``
    (each map normalised by GroupNorm): a positive click makes its disk foreground, a negative
    click its disk background, the current mask is kept elsewhere, and outside it the sign of
    ``bias`` decides.
    """
    import torch

    from fashion_annotator.models.click import build_click_net, click_meta
    from fashion_annotator.models.weights import save_model

    arch = {"in_ch": 6, "out_ch": 1, "base": 4, "depth": 2, "norm": "group",
            "attention": False, "boundary_head": False}

    def make(bias: float) -> Path:
        net = build_click_net(arch)
        with torch.no_grad():
            for p in net.parameters():
                p.zero_()
            stem, norm = net.stem.body[0], net.stem.body[1]
            stem.weight[0, 4, 1, 1] = 1.0  # stem channel 0 <- positive clicks
            stem.weight[1, 5, 1, 1] = 1.0  # stem channel 1 <- negative clicks
            stem.weight[2, 3, 1, 1] = 1.0  # stem channel 2 <- current mask
            norm.weight.fill_(1.0)
            last, last_norm = net.up[-1].body[0], net.up[-1].body[1]
            skip = last.in_channels - stem.out_channels  # the skip follows the upsampled input
            last.weight[0, skip, 1, 1] = 1.0  # the skip of stem channel 0 passes on
            last.weight[1, skip + 1, 1, 1] = 1.0
            last.weight[2, skip + 2, 1, 1] = 1.0
            last_norm.weight.fill_(1.0)
            net.head.weight[0, 0] = 20.0
            net.head.weight[0, 1] = -20.0
            net.head.weight[0, 2] = 10.0
            net.head.bias.fill_(bias)
        path = tmp_path / f"click{bias:+.0f}.safetensors"
        save_model(path, net, click_meta(arch, (96, 64), click_radius=5))
        return path

    return make


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


@pytest.fixture
def pg_statements(monkeypatch: pytest.MonkeyPatch):
    """``record(project) -> list[str]``: from then on, every statement a team project's
    connection runs is appended to the list returned, as the store runs it (query counts)."""

    def record(project) -> list[str]:
        statements: list[str] = []
        conn = project._db.conn
        real = conn.execute

        def execute(query, params=None, *args, **kwargs):
            statements.append(str(query))
            return real(query, params, *args, **kwargs)

        monkeypatch.setattr(conn, "execute", execute)
        return statements

    return record


@pytest.fixture(scope="session")
def tiny_garment_data(tmp_path_factory) -> Path:
    """Six 40x32 noise photos with a garment rectangle (mask value 1); 4 train, 2 val."""
    import numpy as np
    from PIL import Image

    root = tmp_path_factory.mktemp("data")
    (root / "images").mkdir()
    (root / "masks").mkdir()
    rng = np.random.default_rng(0)
    names = []
    for i in range(6):
        Image.fromarray(rng.integers(0, 256, (40, 32, 3), np.uint8)).save(root / "images" / f"{i}.png")
        mask = np.zeros((40, 32), np.uint8)
        mask[10:30, 8:24] = 1
        Image.fromarray(mask).save(root / "masks" / f"{i}.png")
        names.append(str(i))
    (root / "splits.json").write_text(json.dumps({"train": names[:4], "val": names[4:]}))
    return root


@pytest.fixture
def count_reads(monkeypatch: pytest.MonkeyPatch):
    """``count_reads(project)``: a context manager yielding a Counter of the SQL statements run
    on the project's connection (``"sql"``) and of the calls of ``images``, ``mask_versions``
    and ``proposals`` while it is open (a scale review's tests count reads, never time them)."""
    from collections import Counter
    from contextlib import contextmanager

    names = ("images", "mask_versions", "proposals")

    @contextmanager
    def reads(project):
        counts: Counter = Counter()
        for name in names:
            real = getattr(project, name)
            monkeypatch.setattr(project, name, lambda *a, _real=real, _name=name, **k: counts.update([_name]) or _real(*a, **k))
        project._conn.set_trace_callback(lambda _statement: counts.update(["sql"]))
        try:
            yield counts
        finally:
            project._conn.set_trace_callback(None)
            for name in names:
                monkeypatch.delattr(project, name)

    return reads


#: A studio's own cutout label set (README "Your own labels"): four classes, the shipped format.
GARMENT_PARTS = {
    "name": "garment_parts",
    "task": {"title": "Garment parts"},
    "classes": [
        {"name": "background", "color": [0, 0, 0], "shortcut": "1"},
        {"name": "garment", "color": [230, 25, 75], "shortcut": "2"},
        {"name": "label-tag", "color": [60, 180, 75], "shortcut": "3"},
        {"name": "hanger", "color": [0, 130, 200], "shortcut": "4"},
    ],
}


@pytest.fixture
def label_set_file(tmp_path: Path) -> Path:
    """The :data:`GARMENT_PARTS` label set written to ``tmp_path / "our_parts.json"``."""
    path = tmp_path / "our_parts.json"
    path.write_text(json.dumps(GARMENT_PARTS), encoding="utf-8")
    return path


@pytest.fixture
def label_set_project(tmp_path: Path, label_set_file: Path) -> Path:
    """A project at ``tmp_path / "parts"`` with the :data:`GARMENT_PARTS` task and eight 64x48
    photos whose ``done`` masks paint each class in its own colour (a tiny network learns them
    in a few seconds)."""
    import numpy as np
    from PIL import Image

    from fashion_annotator.dataset.store import Project

    root, photos = tmp_path / "parts", tmp_path / "parts-photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    with Project.create(root, tasks=["garment", label_set_file]) as project:
        for i in range(8):
            mask = np.zeros((64, 48), np.uint8)
            mask[8 + i : 48 + i, 8:40] = 1
            mask[12 + i : 20 + i, 12:20] = 2
            mask[2:6, 10:38] = 3
            rgb = rng.integers(0, 60, (64, 48, 3), np.uint8)
            for label in (1, 2, 3):
                rgb[mask == label] = GARMENT_PARTS["classes"][label]["color"]
            Image.fromarray(rgb).save(photos / f"s{i}.png")
            record = project.add_image(photos / f"s{i}.png")
            project.save_mask(record.id, "garment_parts", mask, status="done")
    return root
