"""``new`` and ``migrate`` killed half way (``kill -9``): the destination says so and the same
command run again finishes it (a hand test: a killed ``migrate`` left a folder that opened as
an empty project, its files swept to lost+found, and a rerun refused "the destination must be a
new or empty folder"; a killed ``new`` left a project with some of the photos that looked
finished, and a rerun said only "already a project")."""

from __future__ import annotations

import json
import os
import re
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
from fashion_annotator.dataset.unfinished import MakingLocked, making_lock

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


#: Run in a child process: ``migrate SRC DST`` killed (SIGKILL) the moment DST's schema (a folder:
#: its index) was created, before a row was copied.
_KILLED_AT_CREATION = """
import os, signal, sys
from fashion_annotator.dataset import storeio
from fashion_annotator.dataset.postgres import connection
from fashion_annotator.dataset.transfer import migrate_project
real_schema, real_index = connection.pg_schema.migrate, storeio.connect_index
def migrate(conn, schema, *, create=False, **kwargs):
    before = real_schema(conn, schema, create=create, **kwargs)
    if create:
        os.kill(os.getpid(), signal.SIGKILL)
    return before
def connect_index(path, existing=True):
    conn = real_index(path, existing)
    if not existing:
        os.kill(os.getpid(), signal.SIGKILL)
    return conn
connection.pg_schema.migrate, storeio.connect_index = migrate, connect_index
migrate_project(sys.argv[1], sys.argv[2])
"""


@pytest.mark.parametrize("backend", ["postgresql", "folder"])
def test_a_migration_killed_right_after_creating_its_destination_says_so_and_starts_over(
    tmp_path: Path, request: pytest.FixtureRequest, write_photo, backend: str
) -> None:
    """Marked after its schema was created: killed between the two, a migration into
    PostgreSQL left an unmarked empty project that opened as one (a rerun: "already a project")."""
    dst = request.getfixturevalue("pg_url") if backend == "postgresql" else str(tmp_path / "copy")
    src = _source(tmp_path / "src", tmp_path, write_photo)
    _killed(_KILLED_AT_CREATION, src, dst)
    with pytest.raises(ProjectError, match=r"its migration from .*src .* was cut short"):
        open_project(dst)
    report = migrate_project(src, dst)
    assert report.verified and report.restarted
    with open_project(dst) as copy:
        assert len(copy.images()) == 4 and copy.task_counts()["garment"] == 4


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


def _other_host_mark(command: str, source: str | Path) -> dict:
    """A mark another computer's run wrote 5 s ago (its process may still be running there)."""
    return {"command": command, "source": str(source), "host": "other-host", "pid": 4242,
            "started": time.time() - 5, "user": "bob"}  # fmt: skip


_ELSEWHERE = (r"possibly still running \(started .* on other-host by bob\); if it was stopped, run the "
              r"same command with --force to start over")  # fmt: skip


def test_a_migration_another_computer_marked_is_cleared_only_with_force(
    tmp_path: Path, write_photo, capsys
) -> None:
    src, dst = _source(tmp_path / "src", tmp_path, write_photo), tmp_path / "copy"
    create_project(dst).close()  # the other computer's half-made copy, maybe still being written
    (dst / "unfinished.json").write_text(json.dumps(_other_host_mark("migrate", src.resolve())))
    with pytest.raises(ProjectError, match=_ELSEWHERE):
        open_project(dst)
    assert main(["migrate", str(src), str(dst)]) == 1
    assert re.search(_ELSEWHERE + r": `fashion-annotator migrate .*src .*copy --force`", capsys.readouterr().err)
    assert (dst / "project.sqlite").exists() and (dst / "unfinished.json").exists(), "nothing cleared"
    assert main(["migrate", str(src), str(dst), "--force"]) == 0
    assert "half-made copy of an earlier migration that was cut short was cleared" in capsys.readouterr().err
    with open_project(dst) as copy:
        assert len(copy.images()) == 4


def test_a_new_another_computer_marked_is_resumed_only_with_force(tmp_path: Path, write_photo, capsys) -> None:
    photos = tmp_path / "photos"
    for i in range(3):
        write_photo(photos / f"p{i}.png", seed=i)
    create_project(tmp_path / "p").close()
    (tmp_path / "p" / "unfinished.json").write_text(json.dumps(_other_host_mark("new", photos.resolve())))
    assert main(["new", str(tmp_path / "p"), "--images", str(photos)]) == 1
    assert re.search(_ELSEWHERE, capsys.readouterr().err)
    assert (tmp_path / "p" / "unfinished.json").exists()
    assert main(["new", str(tmp_path / "p"), "--images", str(photos), "--force"]) == 0
    with open_project(tmp_path / "p") as done:
        assert len(done.images()) == 3


def test_a_postgresql_migration_another_computer_marked_is_dropped_only_with_force(
    tmp_path: Path, pg_url: str, write_photo
) -> None:
    src = _source(tmp_path / "src", tmp_path, write_photo)
    with create_project(pg_url) as half_made, half_made._db.tx() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('unfinished', %s)",
                     (json.dumps(_other_host_mark("migrate", src.resolve())),))  # fmt: skip
    with pytest.raises(ProjectError, match=_ELSEWHERE):
        migrate_project(src, pg_url)
    with pytest.raises(ProjectError, match=_ELSEWHERE):  # still there: not dropped
        open_project(pg_url)
    report = migrate_project(src, pg_url, force=True)
    assert report.verified and report.restarted


#: Run in a child process: ``migrate SRC DST`` as another computer ("other-host") runs it,
#: paused at its 4th row (its copy's transaction open) until its stdin closes.
_PAUSED_MIGRATE = """
import socket, sys
socket.gethostname = lambda: "other-host"
from fashion_annotator.dataset import transfer
inserts = []
real = transfer._PgSide.insert
def insert(self, table, row):
    inserts.append(table)
    if len(inserts) == 4:
        print("paused", flush=True)
        sys.stdin.read()
    real(self, table, row)
transfer._PgSide.insert = insert
transfer.migrate_project(sys.argv[1], sys.argv[2])
"""


def test_a_migration_into_postgresql_still_running_refuses_a_second_even_with_force(
    tmp_path: Path, pg_url: str, write_photo, capsys
) -> None:
    src = _source(tmp_path / "src", tmp_path, write_photo)
    first = subprocess.Popen([sys.executable, "-c", _PAUSED_MIGRATE, str(src), pg_url], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert first.stdout is not None and first.stdout.readline() == "paused\n"
        for extra in ([], ["--force"]):  # its mark says other-host: --force alone would drop its copy
            assert main(["migrate", str(src), pg_url, *extra]) == 1
            assert "another `fashion-annotator migrate` into this project is running right now" in (
                capsys.readouterr().err)  # fmt: skip
    finally:
        first.kill()
        first.wait(timeout=60)
    deadline = time.monotonic() + 30  # the server frees a killed run's lock once it sees its connection gone
    while True:
        try:
            with making_lock(pg_url):
                break
        except MakingLocked:
            assert time.monotonic() < deadline, "the killed run's lock was never freed"
            time.sleep(0.05)
    report = migrate_project(src, pg_url, force=True)
    assert report.verified and report.restarted
