"""Two round trips where one was needed: what a lost connection or a colleague's save between
them did, on every backend (an SQLite folder, a PostgreSQL URL).

Each test forces the bad timing deterministically: a wrapped store method runs the colleague's
save (or the lost connection) at the moment the old code left open. The PostgreSQL runs use the
throwaway server of ``tests/conftest.py`` (skipped, saying why, without the server binaries).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.annotate.session import (
    NewerVersion,
    OpenImage,
    latest_versions,
    load_document,
    save_open_image,
)
from fashion_annotator.core.journal import RecoveryJournal
from fashion_annotator.dataset.store import Project, ProjectError, create_project, open_project
from fashion_annotator.qa import decisions as qa


def _mask(value: int) -> np.ndarray:
    mask = np.zeros((24, 32), np.uint8)
    mask[4:12, 4:12] = value
    return mask


def _lose_connection(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection is lost now: PostgreSQL's server session is ended (the next statement
    fails, the one after reconnects); SQLite's next read or status write fails once."""
    if project.backend == "postgresql":
        import psycopg

        conn = project._db.conn
        with psycopg.connect(conn.info.dsn, password=conn.info.password, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        return
    for name in ("image", "set_status"):
        real = getattr(project, name)

        def fail_once(*args, _name=name, _real=real, **kwargs):
            monkeypatch.setattr(project, _name, _real)
            raise ProjectError("the connection was lost")

        monkeypatch.setattr(project, name, fail_once)


def test_an_approved_image_saved_as_the_connection_drops_waits_for_review_again(
    location, photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with create_project(location, tasks=("garment",), user="admin") as admin:
        image_id = admin.add_image(photo).id
        admin.save_mask(image_id, "garment", _mask(1), status="done")
        qa.approve(admin, image_id, "garment", seen_version=1)
        with open_project(location, user="operator") as op:
            op.leases.acquire(image_id)
            doc, fresh = load_document(op, image_id)
            opened = OpenImage(doc, base_versions=latest_versions(op, image_id), fresh=fresh)
            doc.masks["garment"][:] = _mask(0)
            doc.unsaved.add("garment")
            journal = RecoveryJournal(tmp_path / "journal", user="operator")
            real_save = op.save_mask

            def save_then_drop(*args, **kwargs):
                saved = real_save(*args, **kwargs)  # committed
                _lose_connection(op, monkeypatch)
                return saved

            monkeypatch.setattr(op, "save_mask", save_then_drop)
            try:
                save_open_image(op, opened, journal)
            except ProjectError:
                pass  # the operator saw the error and saves again
            monkeypatch.setattr(op, "save_mask", real_save)
            save_open_image(op, opened, journal)
        versions = admin.mask_versions(image_id, "garment")
        assert (versions[-1].version, versions[-1].user) == (2, "operator")
        assert admin.image(image_id).status == "done", "the new mask is not the approved one"
        assert admin.training_items("garment", statuses=("approved",)) == []


def test_a_colleagues_save_just_before_mine_is_never_hidden_under_it(
    location, photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with create_project(location, tasks=("garment",), user="admin") as admin:
        image_id = admin.add_image(photo).id
        admin.save_mask(image_id, "garment", _mask(1), status="in_progress")
        with open_project(location, user="alice") as alice, open_project(location, user="bob") as bob:
            alice.leases.acquire(image_id)
            doc, fresh = load_document(alice, image_id)
            opened = OpenImage(doc, base_versions=latest_versions(alice, image_id), fresh=fresh)
            doc.masks["garment"][:] = 0
            doc.unsaved.add("garment")
            alice.leases.release(image_id)  # alice's lease lapsed (her connection dropped)
            real_encode = alice._encode

            def bob_saves_then_encode(*args, **kwargs):
                # after alice's checks, before her save's transaction: bob opens, saves, closes
                monkeypatch.setattr(alice, "_encode", real_encode)
                bob.leases.acquire(image_id)
                bob.save_mask(image_id, "garment", np.ones((24, 32), np.uint8))
                bob.leases.release(image_id)
                return real_encode(*args, **kwargs)

            monkeypatch.setattr(alice, "_encode", bob_saves_then_encode)
            with pytest.raises(NewerVersion, match="version 2 was saved by bob") as refused:
                save_open_image(alice, opened, RecoveryJournal(tmp_path / "journal", user="alice"))
            assert refused.value.version.version == 2
            assert opened.edited == {"garment"}, "alice's edits stay unsaved (and journalled)"
        versions = admin.mask_versions(image_id, "garment")
        assert [(v.version, v.user) for v in versions] == [(1, "admin"), (2, "bob")]
        np.testing.assert_array_equal(admin.load_mask(image_id, "garment"), np.ones((24, 32), np.uint8))


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_decision_never_lands_on_a_version_the_reviewer_did_not_see(
    location, photo: Path, monkeypatch: pytest.MonkeyPatch, decision: str
) -> None:
    with create_project(location, tasks=("garment",), user="admin") as admin:
        image_id = admin.add_image(photo).id
        with open_project(location, user="operator") as op, open_project(location, user="reviewer") as qa_p:
            op.save_mask(image_id, "garment", _mask(1), status="done")
            real_versions = qa_p.mask_versions

            def versions_then_operator_saves(*args, **kwargs):
                # the reviewer's check has read version 1; the operator saves version 2 now
                monkeypatch.setattr(qa_p, "mask_versions", real_versions)
                found = real_versions(*args, **kwargs)
                op.leases.acquire(image_id)
                op.save_mask(image_id, "garment", np.zeros((24, 32), np.uint8), status="done")
                op.leases.release(image_id)
                return found

            monkeypatch.setattr(qa_p, "mask_versions", versions_then_operator_saves)
            refusal = "version 2 \\(operator\\) was saved after you looked at version 1; refresh"
            with pytest.raises(ValueError, match=refusal):
                if decision == "approve":
                    qa.approve(qa_p, image_id, "garment", seen_version=1)
                else:
                    qa.reject(qa_p, image_id, "garment", "low_contrast", seen_version=1)
            with pytest.raises(ValueError, match=refusal):
                qa_p.decisions.record(image_id, "garment", decision, None, "", seen_version=1)
        assert admin.decisions(image_id) == []
        assert admin.image(image_id).status == "done"
        assert qa.approve(admin, image_id, "garment", seen_version=2).mask_version == 2
