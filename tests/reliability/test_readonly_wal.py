"""A read-only project whose last writer was killed: saves still only in ``project.sqlite-wal``
are read, or the project is refused in words; never opened as if they did not exist."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.store import Project

pytestmark = pytest.mark.reliability

SHAPE = (24, 32)

KILLED_WRITER = """
import os, signal, sys
import numpy as np
from fashion_annotator.dataset.store import Project

project = Project.open(sys.argv[1])
for rec in project.images():
    project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
os.kill(os.getpid(), signal.SIGKILL)  # the saves are committed, in the WAL only
"""

INFO = """
import sys
from fashion_annotator.cli import main
sys.exit(main(["info", sys.argv[1]]))
"""


def test_a_read_only_project_whose_wal_cannot_be_read_is_refused_not_opened_empty(
    write_photo, run_child, run_read_only
) -> None:
    """A fault injection: a writer killed after 3 saves, its ``-shm`` not copied, the folder
    read-only: ``info`` said "garment 0" (exit 0) and an export "0 images exported", the
    index opened ``immutable`` (which ignores the WAL) as if the saves had never been made."""
    base = Path(tempfile.mkdtemp(prefix="fa-ro-wal-"))  # not under tmp_path: its parents stay writable
    root = base / "p"
    with Project.create(root, tasks=("garment",)) as project:
        for i in range(3):
            project.add_image(write_photo(base / f"look{i}.png", SHAPE, seed=i))
    killed = run_child(KILLED_WRITER, str(root))
    assert killed.returncode == -9, killed.stderr[-3000:]
    wal = root / "project.sqlite-wal"
    assert wal.stat().st_size > 0
    (root / "project.sqlite-shm").unlink()  # a copy that skipped it
    child = run_read_only(INFO, root)
    assert "garment 0" not in child.stdout, child.stdout
    assert child.returncode == 1, child.stdout + child.stderr[-3000:]
    last = child.stderr.strip().splitlines()[-1]
    assert f"{wal}: holds saves" in last and "write access" in last, last
    with Project.open(root) as project:  # with write access every save is there
        for rec in project.images():
            np.testing.assert_array_equal(project.load_mask(rec.id, "garment"), np.ones(SHAPE, np.uint8))
    shutil.rmtree(base)
