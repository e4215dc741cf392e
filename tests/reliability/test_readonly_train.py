"""``train --project`` on a project this account cannot write says so as ``import`` and
``models`` do, naming the file, before any training starts."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fashion_annotator.dataset.store import Project

TRAIN_CHILD = """
import sys
from fashion_annotator.cli import main
sys.exit(main(["train", "--project", sys.argv[1], "--task", "garment", "--epochs", "1"]))
"""


def test_a_retrain_of_a_read_only_project_is_refused_in_words(run_read_only) -> None:
    """A fuzz (as uid nobody): ``error: [Errno 13] Permission denied: '.../cache/training/garment.lock'``."""
    base = Path(tempfile.mkdtemp(prefix="fa-ro-train-"))  # not under tmp_path: its parents stay writable
    root = base / "p"
    Project.create(root, tasks=("garment",)).close()
    child = run_read_only(TRAIN_CHILD, root)
    last = child.stderr.strip().splitlines()[-1]
    assert child.returncode == 1, child.stderr[-3000:]
    assert last == (f"fashion-annotator train: error: {root}: cannot open for writing: "
                    f"{root} is not writable by this account"), last  # fmt: skip
    assert not (root / "cache" / "training" / "garment.lock").exists()
    shutil.rmtree(base)
