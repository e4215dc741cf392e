"""A PostgreSQL project's server sessions: a server restart, a colleague stalled in a transaction.

The restart tests restart the session's test server (``pg_ctl restart -m fast``, what an
administrator's maintenance does): every open connection is terminated.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psycopg
import pytest

from fashion_annotator.dataset.postgres import parse_url
from fashion_annotator.dataset.store import LeaseHeld, ProjectError, create_project, open_project

STALLED = "another session is in the middle of writing this image or the project"


def _lease_backend(pg_url: str, image_id: int) -> int:
    """The server session the lease row on ``image_id`` is attached to."""
    url = parse_url(pg_url)
    with psycopg.connect(url.conninfo, autocommit=True) as conn:
        row = conn.execute(
            f'SELECT backend_pid FROM "{url.schema}".leases WHERE image_id = %s', (image_id,)
        ).fetchone()
    assert row is not None
    return int(row[0])


@contextmanager
def _stalled_on(pg_url: str, image_id: int) -> Iterator[None]:
    """A colleague's client frozen inside a transaction that locked the image's row (a save
    whose laptop went to sleep, an import suspended with Ctrl+Z)."""
    url = parse_url(pg_url)
    with psycopg.connect(url.conninfo) as conn:
        conn.execute(f'SELECT id FROM "{url.schema}".images WHERE id = %s FOR UPDATE', (image_id,))
        yield
        conn.rollback()


def test_a_lease_taken_before_a_server_restart_is_held_until_its_holder_returns(
    pg_url: str, pg_server, photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with create_project(pg_url, user="alice") as alice:
        rec = alice.add_image(photo)
        alice.acquire_lease(rec.id, ttl_s=60)
        pg_server.restart()
        monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "bob-local"))
        with open_project(pg_url, user="bob") as bob:
            held = bob.lease(rec.id)
            assert held is not None and held.holder.startswith("alice@")
            with pytest.raises(LeaseHeld, match="alice@"):
                bob.acquire_lease(rec.id)
            assert bob.claim_next(ttl_s=60) is None, "alice's open image is not free"
            alice.acquire_lease(rec.id, ttl_s=60)  # the window's renewal re-attaches the lease
            assert _lease_backend(pg_url, rec.id) == alice._conn.info.backend_pid
            with pytest.raises(LeaseHeld, match="alice@"):
                bob.acquire_lease(rec.id)


def _end_session(pg_url: str, backend_pid: int) -> None:
    """End a server session from another connection (a network blip, a firewall's idle kill,
    a client killed) and wait until the server no longer lists it."""
    url = parse_url(pg_url)
    with psycopg.connect(url.conninfo, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (backend_pid,))
        for _ in range(100):
            if admin.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend_pid,)
            ).fetchone() is None:
                return
            time.sleep(0.05)
    raise AssertionError(f"server session {backend_pid} did not end")


def test_a_dropped_connection_keeps_the_lease_until_its_holder_returns(
    pg_url: str, photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with create_project(pg_url, user="alice") as alice:
        rec = alice.add_image(photo)
        alice.acquire_lease(rec.id, ttl_s=60)
        monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "bob-local"))
        with open_project(pg_url, user="bob") as bob:
            _end_session(pg_url, alice._conn.info.backend_pid)  # her desktop is still running
            held = bob.lease(rec.id)
            assert held is not None and held.holder.startswith("alice@")
            with pytest.raises(LeaseHeld, match="alice@"):
                bob.acquire_lease(rec.id, ttl_s=60)
            assert bob.claim_next(ttl_s=60) is None, "alice's open image is not free"
            with pytest.raises(LeaseHeld, match="alice@"):
                bob.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8))
            assert alice.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8)).version == 1
            assert _lease_backend(pg_url, rec.id) == alice._conn.info.backend_pid
            assert alice.acquire_lease(rec.id, ttl_s=60).holder.startswith("alice@")
            with pytest.raises(LeaseHeld, match="alice@"):
                bob.acquire_lease(rec.id, ttl_s=60)


def test_a_crashed_clients_lease_is_free_once_it_expires(
    pg_url: str, photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with create_project(pg_url, user="alice") as alice:
        rec = alice.add_image(photo)
        alice.acquire_lease(rec.id, ttl_s=2)
        monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "bob-local"))
        with open_project(pg_url, user="bob") as bob:
            _end_session(pg_url, alice._conn.info.backend_pid)  # alice never comes back
            with pytest.raises(LeaseHeld, match="alice@") as caught:
                bob.acquire_lease(rec.id, ttl_s=60)
            time.sleep(max(0.0, caught.value.expires - time.time()) + 0.2)
            assert bob.lease(rec.id) is None
            assert bob.acquire_lease(rec.id, ttl_s=60).holder.startswith("bob@")
            with pytest.raises(LeaseHeld, match="bob@"):
                alice.acquire_lease(rec.id, ttl_s=60)  # back too late: bob has it


def test_the_first_save_read_and_renewal_after_a_server_restart_succeed(
    pg_url: str, pg_server, photo: Path
) -> None:
    with create_project(pg_url, user="alice") as alice:
        rec = alice.add_image(photo)
        alice.acquire_lease(rec.id, ttl_s=60)
        pg_server.restart()
        assert alice.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8)).version == 1
        pg_server.restart()
        assert alice.image(rec.id).id == rec.id
        pg_server.restart()
        assert alice.acquire_lease(rec.id, ttl_s=60).holder.startswith("alice@")
        assert _lease_backend(pg_url, rec.id) == alice._conn.info.backend_pid


def test_a_connection_lost_inside_a_transaction_is_not_written_again(
    pg_url: str, pg_server, photo: Path
) -> None:
    with create_project(pg_url, user="alice") as alice:
        rec = alice.add_image(photo)
        with pytest.raises(ProjectError, match="cannot write the project"):
            with alice._db.tx() as conn:
                conn.execute("UPDATE images SET status = 'done' WHERE id = %s", (rec.id,))
                pg_server.restart()
                conn.execute("SELECT 1")
        assert alice.image(rec.id).status == "new"


def test_a_colleague_stalled_in_a_transaction_is_a_clear_error_within_seconds(
    pg_url: str, photo: Path
) -> None:
    with create_project(pg_url, user="alice") as alice:
        rec = alice.add_image(photo)
        mask = np.ones(rec.shape, np.uint8)
        with _stalled_on(pg_url, rec.id):
            start = time.monotonic()
            with pytest.raises(ProjectError, match=f"{STALLED}.*try again") as caught:
                alice.save_mask(rec.id, "garment", mask)
            assert time.monotonic() - start < 10
            assert parse_url(pg_url).display in str(caught.value)
        assert alice.save_mask(rec.id, "garment", mask).version == 1


def test_a_qa_decision_a_lease_and_a_status_wait_no_longer_than_the_lock_timeout(
    pg_url: str, photo: Path
) -> None:
    short = pg_url + "&options=-c%20lock_timeout%3D300ms"  # a URL's own setting wins
    create_project(pg_url, user="lead").close()
    with open_project(short, user="qa") as qa:
        rec = qa.add_image(photo)
        version = qa.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8)).version
        with _stalled_on(pg_url, rec.id):
            with pytest.raises(ProjectError, match=STALLED):
                qa.decisions.record(rec.id, "garment", "approve", seen_version=version)
            with pytest.raises(ProjectError, match=STALLED):
                qa.acquire_lease(rec.id, ttl_s=60)
            with pytest.raises(ProjectError, match=STALLED):
                qa.set_status(rec.id, "approved")
        qa.decisions.record(rec.id, "garment", "approve", seen_version=version)


def test_the_sessions_time_out_lock_waits_and_stalled_transactions(pg_url: str) -> None:
    settings = (
        "SELECT current_setting('lock_timeout') AS lock,"
        " current_setting('idle_in_transaction_session_timeout') AS idle"
    )
    with create_project(pg_url) as project:
        row = project._db.query(settings)[0]
        assert (row["lock"], row["idle"]) == ("5s", "1min")
    with open_project(pg_url + "&options=-c%20lock_timeout%3D2s%20-c%20work_mem%3D8MB") as project:
        row = project._db.query(settings + ", current_setting('work_mem') AS mem")[0]
        assert (row["lock"], row["idle"], row["mem"]) == ("2s", "1min", "8MB")
