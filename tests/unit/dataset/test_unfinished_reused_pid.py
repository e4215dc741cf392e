"""An unfinished mark names its maker by process id and start time, not by id alone (a review
found a mark naming process 1, alive again after a restart, refused by ``info``, ``new`` and
``new --force`` for good: "being made right now"; and a later process given the maker's id
opened the half-made project as its own, without a word)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fashion_annotator.cli import main
from fashion_annotator.dataset.process_identity import boot_id, start_ticks
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import create_project, open_project
from fashion_annotator.dataset.unfinished import MARKER_NAME, Making

pytestmark = pytest.mark.skipif(start_ticks(1) is None or not boot_id(), reason="needs Linux's /proc")

#: Run in a child process: mark the project ``argv[1]`` as being made by ``new`` from the photos
#: ``argv[2]``, as ``new`` does, then wait until killed.
_MARKING_CHILD = """
import sys
from pathlib import Path
from fashion_annotator.dataset.unfinished import Making, write_mark
write_mark(Path(sys.argv[1]), Making.now("new", sys.argv[2]))
print("marked", flush=True)
sys.stdin.read()
"""


def _photos(folder: Path, write_photo, n: int = 3) -> Path:
    for i in range(n):
        write_photo(folder / f"p{i}.png", seed=i)
    return folder


def _marked(root: Path, **mark: object) -> Path:
    """A project at ``root`` whose ``new`` was cut short, its mark ``mark``."""
    create_project(root).close()
    (root / MARKER_NAME).write_text(json.dumps({"host": socket.gethostname(), "started": time.time() - 86400,
                                                "user": "alice", **mark}))  # fmt: skip
    return root


def test_a_mark_naming_a_process_id_another_program_now_has_was_left_by_a_run_that_ended(
    tmp_path: Path, write_photo, capsys
) -> None:
    photos = _photos(tmp_path / "photos", write_photo)
    ticks = start_ticks(1)
    assert ticks is not None
    root = _marked(tmp_path / "p", command="new", source=str(photos.resolve()), pid=1, ticks=ticks + 1,
                   boot=boot_id(), token="a-run-before-the-restart")  # fmt: skip
    with pytest.raises(ProjectError, match=r"its creation from .*photos .* was cut short"):
        open_project(root)
    assert main(["info", str(root)]) == 1
    assert "was cut short" in capsys.readouterr().err
    assert main(["new", str(root), "--images", str(photos)]) == 0
    assert "was cut short; adding the photos" in capsys.readouterr().err
    with open_project(root) as done:
        assert len(done.images()) == 3
    assert not (root / MARKER_NAME).exists()


def test_an_old_mark_naming_a_live_process_is_taken_over_only_with_force_and_says_so(
    tmp_path: Path, write_photo, capsys
) -> None:
    """A mark without a start time (written before they were recorded): process 1 runs, and
    whether it is the maker cannot be told."""
    photos = _photos(tmp_path / "photos", write_photo)
    root = _marked(tmp_path / "p", command="new", source=str(photos.resolve()), pid=1)
    assert main(["new", str(root), "--images", str(photos)]) == 1
    assert re.search(r"a process 1 runs on this computer, but whether it is that run cannot be told .* run the same "
                     r"command with --force to take over: `fashion-annotator new .*p --images .*photos --force`",
                     capsys.readouterr().err)  # fmt: skip
    assert main(["new", str(root), "--images", str(photos), "--force"]) == 0
    assert ("names process 1 of this computer, which still runs but cannot be told from the `fashion-annotator "
            "new` that wrote it; taken over as --force asks") in capsys.readouterr().err
    with open_project(root) as done:
        assert len(done.images()) == 3


def test_an_old_migration_mark_naming_a_live_process_is_cleared_with_force(
    tmp_path: Path, write_photo, capsys
) -> None:
    with create_project(tmp_path / "src") as source:
        source.add_image(write_photo(tmp_path / "photos" / "p0.png", seed=0))
    root = _marked(tmp_path / "copy", command="migrate", source=str((tmp_path / "src").resolve()), pid=1)
    assert main(["migrate", str(tmp_path / "src"), str(root)]) == 1
    assert "whether it is that run cannot be told" in capsys.readouterr().err
    assert main(["migrate", str(tmp_path / "src"), str(root), "--force"]) == 0
    err = capsys.readouterr().err
    assert "taken over as --force asks" in err and "half-made copy of an earlier migration" in err
    with open_project(root) as copy:
        assert len(copy.images()) == 1


def test_a_mark_of_a_live_process_is_running_until_it_is_killed(tmp_path: Path, write_photo, capsys) -> None:
    photos = _photos(tmp_path / "photos", write_photo)
    root = tmp_path / "p"
    create_project(root).close()
    child = subprocess.Popen([sys.executable, "-c", _MARKING_CHILD, str(root), str(photos)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline() == "marked\n"
        mark = json.loads((root / MARKER_NAME).read_text())
        assert (mark["pid"], mark.get("ticks"), mark.get("boot")) == (child.pid, start_ticks(child.pid), boot_id())
        with pytest.raises(ProjectError, match=r"being made right now .*\(process \d+, started [^)]*\); wait for it"):
            open_project(root)
        assert main(["new", str(root), "--images", str(photos), "--force"]) == 1  # it is the maker: no override
        assert "wait for it to finish" in capsys.readouterr().err
    finally:
        child.kill()
        child.wait(timeout=60)
    assert main(["new", str(root), "--images", str(photos)]) == 0
    assert "was cut short; adding the photos" in capsys.readouterr().err
    with open_project(root) as done:
        assert len(done.images()) == 3


def test_a_mark_of_this_process_is_its_own_and_one_of_an_earlier_holder_of_its_id_is_not(tmp_path: Path) -> None:
    mine = Making.now("new", tmp_path)
    assert mine.ours and not mine.running
    create_project(tmp_path / "mine", making=mine).close()
    with open_project(tmp_path / "mine") as project:  # the maker reads its own project back
        assert len(project.images()) == 0
    ticks = start_ticks(os.getpid())
    assert ticks is not None
    root = _marked(tmp_path / "p", command="new", source=str(tmp_path), pid=os.getpid(), ticks=ticks - 1,
                   boot=boot_id(), token="an-earlier-process-with-this-id")  # fmt: skip
    assert not Making.parse((root / MARKER_NAME).read_text()).ours
    with pytest.raises(ProjectError, match=r"its creation from .* was cut short"):
        open_project(root)
