"""An image lease names its holder by process id and start time, not by id alone: after a
restart a reused process id kept a photo locked until the lease expired (a lease was judged
by ``kill(pid, 0)`` only). The lease token carries the holder's identity
(:func:`~fashion_annotator.dataset.process_identity.identity_token`); a lease an older version
took (a token without it) keeps the id-only check."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from fashion_annotator.dataset.leases import LeaseHeld
from fashion_annotator.dataset.process_identity import boot_id, start_ticks
from fashion_annotator.dataset.store import create_project, open_project
from fashion_annotator.runtime.paths import PROJECT_INDEX

pytestmark = pytest.mark.skipif(start_ticks(1) is None or not boot_id(), reason="needs Linux's /proc")

#: Run in a child process: lease image ``argv[2]`` of the project ``argv[1]``, then wait until
#: killed (or its stdin closes).
_HOLDING_CHILD = """
import sys
from fashion_annotator.dataset.store import open_project
project = open_project(sys.argv[1], user="bob")
project.leases.acquire(int(sys.argv[2]), ttl_s=3600)
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def held(tmp_path: Path, write_photo):
    """A project whose one image a live child process leases for an hour: (root, image id,
    the child)."""
    root = tmp_path / "p"
    with create_project(root) as project:
        image_id = project.add_image(write_photo(tmp_path / "look.png")).id
    child = subprocess.Popen([sys.executable, "-c", _HOLDING_CHILD, str(root), str(image_id)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        yield root, image_id, child
    finally:
        child.kill()
        child.wait()


def _set_token(root: Path, token: str) -> None:
    with sqlite3.connect(root / PROJECT_INDEX) as conn:
        conn.execute("UPDATE leases SET token = ?", (token,))


def test_a_live_holder_keeps_its_lease_and_a_killed_one_loses_it_at_once(held) -> None:
    root, image_id, child = held
    with open_project(root, user="alice") as project:
        with pytest.raises(LeaseHeld) as refused:
            project.leases.acquire(image_id)
        assert refused.value.holder.startswith("bob") and not refused.value.crashed
        child.kill()
        child.wait()
        assert project.leases.acquire(image_id).holder.startswith("alice")


def test_a_lease_naming_a_live_process_that_started_at_another_time_is_broken(held) -> None:
    """The holder's process id now belongs to another process (the child stands in for it:
    alive, but not started when the lease says its holder did)."""
    root, image_id, child = held
    ticks = start_ticks(child.pid)
    assert ticks is not None
    token = f"before-the-restart.{ticks + 1}.{boot_id()}"
    assert LeaseHeld(image_id, "bob", 0.0, socket.gethostname(), child.pid, token=token).crashed
    _set_token(root, token)
    with open_project(root, user="alice") as project:
        assert project.leases.acquire(image_id).holder.startswith("alice")


def test_a_lease_of_an_older_version_is_judged_by_its_process_id(held) -> None:
    """A token without the identity (an older version's): the live process id keeps it."""
    root, image_id, _ = held
    _set_token(root, "0123456789abcdef0123456789abcdef")
    with open_project(root, user="alice") as project, pytest.raises(LeaseHeld):
        project.leases.acquire(image_id)
