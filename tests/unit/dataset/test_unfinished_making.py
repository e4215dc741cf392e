"""``new`` and ``migrate`` killed half way (``kill -9``): the destination says so and the same
command run again finishes it (a hand test: a killed ``migrate`` left a folder that opened as
an empty project, its files swept to lost+found, and a rerun refused "the destination must be a
new or empty folder"; a killed ``new`` left a project with some of the photos that looked
finished, and a rerun said only "already a project")."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.cli import main
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import create_project, open_project
from fashion_annotator.dataset.transfer import migrate_project

#: Run in a child process: ``migrate SRC DST`` killed (SIGKILL, no clean-up) at its 4th row.
_KILLED_MIGRATE = """
import os, signal, sys
from fashion_annotator.dataset import transfer
inserts = []
for side in (transfer._SqliteSide, transfer._PgSide):
    real = side.insert
    def insert(self, table, row, real=real):
        inserts.append(table)
        if len(inserts) == 4:
            os.kill(os.getpid(), signal.SIGKILL)
        real(self, table, row)
    side.insert = insert
transfer.migrate_project(sys.argv[1], sys.argv[2])
"""

#: Run in a child process: ``new PROJECT --images DIR`` killed once it added 3 photos.
_KILLED_NEW = """
import os, signal, sys
from fashion_annotator.cli import main
from fashion_annotator.dataset.formats import common
real, added = common.PhotoAdder.add, []
def add(self, path, copy=True):
    if len(added) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    added.append(path)
    return real(self, path, copy)
common.PhotoAdder.add = add
main(["new", sys.argv[1], "--images", sys.argv[2]])
"""


def _killed(script: str, *args: str | Path) -> None:
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr


def _source(root: Path, tmp_path: Path, write_photo) -> Path:
    with create_project(root, user="alice") as project:
        for i in range(4):
            record = project.add_image(write_photo(tmp_path / "photos" / f"p{i}.png", seed=i))
            project.save_mask(record.id, "garment", np.ones(record.shape, np.uint8))
    return root


def test_a_killed_migration_says_so_and_the_same_command_starts_over(tmp_path: Path, write_photo, capsys) -> None:
    src, dst = _source(tmp_path / "src", tmp_path, write_photo), tmp_path / "copy"
    _killed(_KILLED_MIGRATE, src, dst)
    with pytest.raises(ProjectError, match=r"its migration from .*src .* was cut short .* run `fashion-annotator "
                       r"migrate .*src .*copy` again: it clears this half-made copy and starts over"):  # fmt: skip
        open_project(dst)
    assert main(["info", str(dst)]) == 1
    assert "was cut short" in capsys.readouterr().err
    assert not (dst / "lost+found").exists(), "nothing swept: the copy's files are not taken for a crash's"
    (dst / "notes.txt").write_text("mine")  # not the migration's: never removed
    with pytest.raises(ProjectError, match=r"also holds notes.txt, which it did not write"):
        migrate_project(src, dst)
    assert (dst / "notes.txt").read_text() == "mine"
    (dst / "notes.txt").unlink()
    assert main(["migrate", str(src), str(dst)]) == 0
    assert "half-made copy of an earlier migration that was cut short was cleared" in capsys.readouterr().err
    with open_project(dst) as copy:
        assert len(copy.images()) == 4 and copy.task_counts()["garment"] == 4
    assert not (dst / "unfinished.json").exists()


def test_a_migration_into_postgresql_killed_midway_says_so_and_starts_over(
    tmp_path: Path, pg_url: str, write_photo
) -> None:
    src = _source(tmp_path / "src", tmp_path, write_photo)
    _killed(_KILLED_MIGRATE, src, pg_url)
    with pytest.raises(ProjectError, match=r"its migration from .*src .* was cut short"):
        open_project(pg_url)
    report = migrate_project(src, pg_url)
    assert report.verified and report.restarted
    with open_project(pg_url) as copy:
        assert len(copy.images()) == 4


def test_a_killed_new_says_so_and_the_same_command_adds_the_rest(tmp_path: Path, write_photo, capsys) -> None:
    photos = tmp_path / "photos"
    for i in range(6):
        write_photo(photos / f"p{i}.png", seed=i)
    project = tmp_path / "project"
    _killed(_KILLED_NEW, project, photos)
    with pytest.raises(ProjectError, match=r"its creation from .*photos .* was cut short, so only some of the "
                       r"photos were added; run `fashion-annotator new .*project --images .*photos` again"):  # fmt: skip
        open_project(project)
    assert main(["new", str(project), "--images", str(photos)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("3 photos added, 3 already present") and "was cut short" in err
    with open_project(project) as done:
        assert len(done.images()) == 6
    assert main(["new", str(project), "--images", str(photos)]) == 1  # finished: new refuses it
    assert f"to add the photos of {photos} to it: fashion-annotator import" in capsys.readouterr().err


def test_a_project_still_being_made_by_a_running_process_is_named_so(tmp_path: Path) -> None:
    create_project(tmp_path / "p").close()
    mark = {"command": "new", "source": "/photos", "host": socket.gethostname(), "pid": os.getppid(),
            "started": time.time()}  # fmt: skip
    (tmp_path / "p" / "unfinished.json").write_text(json.dumps(mark))
    with pytest.raises(ProjectError, match=r"being made right now by `fashion-annotator new` \(process"):
        open_project(tmp_path / "p")
    assert main(["new", str(tmp_path / "p"), "--images", str(tmp_path)]) == 1
