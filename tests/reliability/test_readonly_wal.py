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


CHECKPOINTED_WRITER = """
import os, signal, sqlite3, sys
import numpy as np
from fashion_annotator.dataset.store import Project

project = Project.open(sys.argv[1])
for rec in project.images():
    project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
other = sqlite3.connect(os.path.join(sys.argv[1], "project.sqlite"))
busy, frames, done = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
assert busy == 0 and frames == done > 0, (busy, frames, done)
if sys.argv[2] == "save-after":  # the next commit starts the log over (new salts)
    rec = project.images()[0]
    project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8))
os.kill(os.getpid(), signal.SIGKILL)  # the log stays, its frames (all or all but the last) written
"""


def _killed_after_checkpoint(base: Path, write_photo, run_child, then: str) -> Path:
    """A project of 3 photos whose writer saved a mask each, checkpointed the log, did ``then``
    and was killed; its ``-shm`` removed (a copy that skipped it). Returns the project."""
    root = base / "p"
    with Project.create(root, tasks=("garment",)) as project:
        for i in range(3):
            project.add_image(write_photo(base / f"look{i}.png", SHAPE, seed=i))
    killed = run_child(CHECKPOINTED_WRITER, str(root), then)
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert (root / "project.sqlite-wal").stat().st_size > 0
    (root / "project.sqlite-shm").unlink()
    return root


def test_a_read_only_project_whose_log_is_all_written_opens(write_photo, run_child, run_read_only) -> None:
    """A writer killed after a checkpoint left a ``-wal`` whose every frame is in the index: the
    read-only copy was refused as if it held unwritten saves ("holds saves not yet written")."""
    base = Path(tempfile.mkdtemp(prefix="fa-ro-wal-"))
    root = _killed_after_checkpoint(base, write_photo, run_child, "nothing")
    child = run_read_only(INFO, root)
    assert child.returncode == 0, child.stdout + child.stderr[-3000:]
    assert "garment 3" in child.stdout, child.stdout
    shutil.rmtree(base)


def test_a_read_only_project_with_a_save_after_the_checkpoint_is_refused(
    write_photo, run_child, run_read_only
) -> None:
    """The save after the checkpoint started the log over (new salts, the old frames after it
    left as they were): it is not in the index, so the project is refused, not shown without it."""
    base = Path(tempfile.mkdtemp(prefix="fa-ro-wal-"))
    root = _killed_after_checkpoint(base, write_photo, run_child, "save-after")
    child = run_read_only(INFO, root)
    assert child.returncode == 1, child.stdout + child.stderr[-3000:]
    assert f"{root / 'project.sqlite-wal'}: holds saves" in child.stderr, child.stderr[-3000:]
    shutil.rmtree(base)


def test_a_read_only_project_whose_log_cannot_be_checked_says_so(write_photo, run_child, run_read_only) -> None:
    """A log whose header is no WAL header (overwritten here): what it holds is unknown, so the
    project is refused saying only that, never opened from the index alone."""
    base = Path(tempfile.mkdtemp(prefix="fa-ro-wal-"))
    root = _killed_after_checkpoint(base, write_photo, run_child, "save-after")
    wal = root / "project.sqlite-wal"
    with open(wal, "r+b") as handle:
        handle.write(b"\0" * 8)
    child = run_read_only(INFO, root)
    assert child.returncode == 1, child.stdout + child.stderr[-3000:]
    last = child.stderr.strip().splitlines()[-1]
    assert f"{wal}: a write-ahead log this read-only copy cannot check" in last, last
    assert last.endswith("open the project once with write access"), last
    shutil.rmtree(base)
