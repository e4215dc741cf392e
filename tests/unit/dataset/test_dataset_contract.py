"""The store's contract: the same tests on every backend (an SQLite folder, a PostgreSQL URL).

The PostgreSQL runs use a throwaway server (``pg_server`` in ``tests/conftest.py``); a machine
without the server binaries skips them and says why.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.images import ImageLoadError
from fashion_annotator.dataset.store import (
    LeaseHeld,
    Project,
    ProjectError,
    create_project,
    open_project,
)


@pytest.fixture
def other_location(location: str | Path) -> str | Path:
    """A second, unused location on the same backend."""
    if isinstance(location, Path):
        return location.parent / "other"
    return location + "x"


@pytest.fixture
def project(location: str | Path) -> Project:
    """A fresh project on each backend (the default tasks, user alice), closed after the test."""
    with create_project(location, user="alice") as proj:
        yield proj


def test_create_refuses_existing_project_and_unknown_task(location, other_location) -> None:
    create_project(location).close()
    with pytest.raises(ProjectError, match="already a project"):
        create_project(location)
    with pytest.raises(ProjectError, match="no_such_taxonomy"):
        create_project(other_location, tasks=("no_such_taxonomy",))
    with pytest.raises(ProjectError, match="not a project"):
        open_project(other_location)


def test_add_image_copies_and_dedupes_by_content(
    project: Project, photo: Path, write_photo
) -> None:
    rec = project.add_image(photo)
    assert rec.path == project.root / "images" / "look.png"
    assert rec.path.read_bytes() == photo.read_bytes()
    assert rec.shape == (24, 32) and rec.status == "new" and rec.user == "alice"
    assert project.add_image(photo).id == rec.id
    other = write_photo(photo.parent / "other" / "look.png", seed=1)
    rec2 = project.add_image(other)
    assert rec2.id != rec.id and rec2.name != rec.name and rec2.stem == "look"
    assert [r.id for r in project.images_by_stem("look")] == [rec.id, rec2.id]
    assert [r.id for r in project.images(search="LOOK")] == [rec.id, rec2.id]


def test_add_image_non_ascii_name(project: Project, tmp_path: Path, write_photo) -> None:
    rec = project.add_image(write_photo(tmp_path / "robe été ü.png"))
    assert rec.name == "robe été ü.png"
    assert project.load_photo(rec.id).rgb.shape == (24, 32, 3)


def test_two_photos_of_one_very_long_name(project: Project, tmp_path: Path, write_photo) -> None:
    """PostgreSQL stored a 250-byte name as it came, so the second photo's ``NAME-<sha12>`` was
    too long for the file system: its row was committed, the import said "refused", and every
    later listing of the project failed on every desktop."""
    name = "x" * 246 + ".png"
    first = project.add_image(write_photo(tmp_path / "a" / name, seed=1))
    second = project.add_image(write_photo(tmp_path / "b" / name, seed=2))
    assert first.id != second.id and max(len(r.name.encode()) for r in (first, second)) <= 255
    assert len(project.images()) == 2
    assert project.load_photo(second.id).rgb.shape == (24, 32, 3)


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n\x00\x00garbage"])
def test_add_image_refuses_broken_file(project: Project, tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    with pytest.raises(ImageLoadError, match="bad.png"):
        project.add_image(bad)
    assert project.images() == []


def test_save_mask_keeps_every_version(project: Project, photo: Path) -> None:
    rec = project.add_image(photo)
    first = np.zeros(rec.shape, np.uint8)
    first[2:10, 3:9] = 3
    second = first.copy()
    second[12:, :] = 6
    v1 = project.save_mask(rec.id, "parsing7", first, seconds=4.5, actions=3)
    v2 = project.save_mask(rec.id, "parsing7", second, source="import", status="done")
    assert project.image(rec.id).status == "done"
    assert (v1.version, v2.version) == (1, 2)
    assert v1.path == project.root / "masks" / str(rec.id) / "parsing7" / "v1.png"
    np.testing.assert_array_equal(project.load_mask(rec.id, "parsing7"), second)
    np.testing.assert_array_equal(project.load_mask(rec.id, "parsing7", version=1), first)
    log = project.mask_versions(rec.id, "parsing7")
    assert [(m.seconds, m.actions, m.source, m.user) for m in log] == [
        (4.5, 3, "operator", "alice"),
        (0.0, 0, "import", "alice"),
    ]
    assert project.load_mask(rec.id, "garment") is None
    assert project.task_counts() == {"garment": 0, "parsing7": 1}
    # a crashed colleague's edits, restored by this session, stay the colleague's
    v3 = project.save_mask(rec.id, "parsing7", first, source="recovered", user="carol")
    assert v3.user == "carol" and project.mask_versions(rec.id, "parsing7")[-1].user == "carol"


def test_save_mask_rejects_bad_masks(project: Project, photo: Path) -> None:
    rec = project.add_image(photo)
    with pytest.raises(ValueError, match=r"look.png.*shape \(10, 10\)"):
        project.save_mask(rec.id, "parsing7", np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match=r"look.png.*outside the taxonomy 'garment'"):
        project.save_mask(rec.id, "garment", np.full(rec.shape, 2, np.uint8))
    with pytest.raises(ValueError, match="dtype float"):
        project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.float32))
    with pytest.raises(ProjectError, match="no task 'person'"):
        project.save_mask(rec.id, "person", np.zeros(rec.shape, np.uint8))
    assert project.mask_versions(rec.id, "garment") == []


def test_proposals_are_versioned(project: Project, photo: Path) -> None:
    rec = project.add_image(photo)
    assert project.load_proposal(rec.id, "garment") is None
    a = np.zeros(rec.shape, np.uint8)
    b = np.ones(rec.shape, np.uint8)
    project.save_proposal(rec.id, "garment", a, "v1")
    project.save_proposal(rec.id, "garment", b, "shipped")
    np.testing.assert_array_equal(project.load_proposal(rec.id, "garment"), b)
    assert [p.model_version for p in project.proposals(rec.id, "garment")] == ["v1", "shipped"]


def test_status_and_counts(project: Project, photo: Path, tmp_path: Path, write_photo) -> None:
    a = project.add_image(photo)
    b = project.add_image(write_photo(tmp_path / "b.png", seed=2))
    project.set_status(a.id, "in_progress")
    project.set_status(b.id, "done")
    assert project.counts() == {
        "new": 0, "in_progress": 1, "done": 1, "approved": 0, "rejected": 0
    }  # fmt: skip
    assert [r.id for r in project.images(status="done")] == [b.id]
    with pytest.raises(ValueError, match="unknown status 'finished'"):
        project.set_status(a.id, "finished")
    with pytest.raises(ProjectError, match="no image with id 99"):
        project.set_status(99, "done")


def test_cache_is_keyed_by_photo_content(project: Project, photo: Path) -> None:
    rec = project.add_image(photo)
    assert project.load_cache(rec.id, "superpixels") is None
    arr = np.arange(12, dtype=np.int32).reshape(3, 4)
    project.save_cache(rec.id, "superpixels", arr)
    np.testing.assert_array_equal(project.load_cache(rec.id, "superpixels"), arr)
    assert (project.root / "cache" / rec.sha256 / "superpixels.npz").is_file()
    (project.root / "cache" / rec.sha256 / "superpixels.npz").write_bytes(b"junk")
    assert project.load_cache(rec.id, "superpixels") is None
    with pytest.raises(ValueError, match="cache key"):
        project.save_cache(rec.id, "../escape", arr)


def test_an_image_is_approved_when_every_saved_mask_is(project: Project, photo: Path) -> None:
    """Found in a QA hand test: approving the parsing mask approved an image whose garment mask
    nobody had reviewed, and approving one task of an image whose rejected mask the operator
    had since fixed brought the old reject back."""
    rec = project.add_image(photo)
    mask = np.ones(rec.shape, np.uint8)
    for task in ("garment", "parsing7"):
        project.save_mask(rec.id, task, mask, status="done")
    project.record_decision(rec.id, "parsing7", "approve")
    assert project.image(rec.id).status == "done", "the garment mask waits for review"
    project.record_decision(rec.id, "garment", "reject", reason="edge")
    assert project.image(rec.id).status == "rejected"
    project.save_mask(rec.id, "garment", mask * 0, status="done")  # the operator fixed it
    project.record_decision(rec.id, "parsing7", "approve")
    assert project.image(rec.id).status == "done", "the fix waits for review, not the old reject"
    project.record_decision(rec.id, "garment", "approve")
    assert project.image(rec.id).status == "approved"


def test_reopen_and_add_task(location, photo: Path) -> None:
    with create_project(location, tasks=("garment",)) as proj:
        rec = proj.add_image(photo)
        proj.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
        proj.add_task("parsing18")
        proj.add_task("parsing18")
    with open_project(location, user="bob") as proj:
        assert proj.tasks == ("garment", "parsing18")
        assert proj.user == "bob"
        assert proj.load_mask(rec.id, "garment").sum() == 24 * 32


def test_decisions_set_status_and_are_listed(project: Project, photo: Path, location) -> None:
    rec = project.add_image(photo)
    project.set_status(rec.id, "done")
    project.record_decision(rec.id, "garment", "approve")
    assert project.image(rec.id).status == "approved"
    rej = project.record_decision(rec.id, "parsing7", "reject", reason="edge", text="left sleeve")
    assert project.image(rec.id).status == "rejected"
    assert (rej.user, rej.reason, rej.text) == ("alice", "edge", "left sleeve")
    assert project.last_decision(rec.id) == rej
    assert [d.decision for d in project.decisions(task="garment")] == ["approve"]
    assert len(project.decisions(image_id=rec.id)) == 2
    with pytest.raises(ValueError, match="unknown decision"):
        project.record_decision(rec.id, "garment", "maybe")
    # approving the garment mask again does not undo the parsing reject: still sent back
    project.record_decision(rec.id, "garment", "approve")
    assert project.image(rec.id).status == "rejected"
    claimed = project.claim_next(ttl_s=60)
    assert claimed is not None and claimed.id == rec.id, "the rejected image is back in the queue"
    project.leases.release(rec.id)
    project.record_decision(rec.id, "parsing7", "approve")
    assert project.image(rec.id).status == "approved"
    with open_project(location, user="bob") as operator:
        operator.acquire_lease(rec.id)  # bob is editing it: his next save would bury a decision
        with pytest.raises(LeaseHeld):
            project.record_decision(rec.id, "garment", "reject", reason="edge")
        assert project.image(rec.id).status == "approved" and len(project.decisions(image_id=rec.id)) == 4


def test_approved_counts_count_each_tasks_approved_latest_masks(project: Project, photo: Path, write_photo) -> None:
    """The image list's per-task "QA approved" (a QA hand test: "Approved 0" after four garment
    masks were approved, their parsing masks unreviewed): an approval counts while it is the
    task's latest decision on its latest saved mask."""
    first = project.add_image(photo)
    second = project.add_image(write_photo(photo.parent / "two.png", seed=1))
    mask = np.ones(first.shape, np.uint8)
    for rec in (first, second):
        project.save_mask(rec.id, "garment", mask, status="done")
        project.record_decision(rec.id, "garment", "approve", seen_version=1)
    assert project.decisions.approved_counts() == {"garment": 2}
    assert project.image(first.id).status == "approved"  # its one saved task approved
    project.save_mask(first.id, "parsing7", mask, status="done")
    assert project.image(first.id).status == "done", "its parsing mask waits for review"
    assert project.decisions.approved_counts() == {"garment": 2}
    project.record_decision(first.id, "parsing7", "approve")
    project.save_mask(second.id, "garment", mask * 0)  # saved since: waits for review again
    assert project.decisions.approved_counts() == {"garment": 1, "parsing7": 1}
    project.record_decision(first.id, "garment", "reject", reason="extra_area", text="stand")
    assert project.decisions.approved_counts() == {"parsing7": 1}
    assert project.decisions()[-1].reason == "extra_area", "a new reason key is stored as it is"


def test_an_approval_does_not_finish_an_image_nobody_marked_done(project: Project, photo: Path) -> None:
    """Approving the one saved task of a half-edited image made it approved (its other task never
    saved), and the operator's next stroke made it done (a QA reviewer's hand test)."""
    rec = project.add_image(photo)
    project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8), status="in_progress")
    project.record_decision(rec.id, "garment", "approve")
    assert project.image(rec.id).status == "in_progress"
    project.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8))
    assert project.image(rec.id).status == "in_progress"
    project.record_decision(rec.id, "garment", "reject", reason="edge")
    assert project.image(rec.id).status == "rejected", "sending it back still works"
    # a fix autosaved, then approved: still nobody marked it done (a review)
    project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8), status="in_progress")
    project.record_decision(rec.id, "garment", "approve")
    assert project.image(rec.id).status == "in_progress"
    project.record_decision(rec.id, "garment", "reject", reason="edge")
    project.record_decision(rec.id, "garment", "approve")  # the reviewer changed their mind
    assert project.image(rec.id).status == "in_progress"
    project.set_status(rec.id, "done")
    project.record_decision(rec.id, "garment", "approve")
    assert project.image(rec.id).status == "approved", "once marked done, the approval counts"


def test_model_registry(project: Project, tmp_path: Path) -> None:
    weights = tmp_path / "out" / "model.safetensors"
    weights.parent.mkdir()
    weights.write_bytes(b"weights")
    weights.with_suffix(".json").write_text('{"task": "garment"}')
    assert project.active_model("garment") is None
    m1 = project.register_model("garment", weights, {"miou": 0.5}, ["a.jpg"])
    m2 = project.register_model("garment", weights, {"miou": 0.6}, ["a.jpg", "b.jpg"])
    assert (m1.version, m2.version) == (1, 2)
    assert m2.path == project.root / "models" / "garment" / "v2.safetensors"
    assert m2.path.read_bytes() == b"weights"
    assert m2.path.with_suffix(".json").is_file()
    assert m2.metrics == {"miou": 0.6} and m2.trained_on == ["a.jpg", "b.jpg"]
    assert project.active_model("garment") is None
    project.set_active_model("garment", 2)
    assert project.active_model("garment").version == 2
    project.set_active_model("garment", 1)
    assert [m.active for m in project.models("garment")] == [True, False]
    with pytest.raises(ProjectError, match="no model version 7"):
        project.set_active_model("garment", 7)
    project.set_active_model("garment", None)
    assert project.active_model("garment") is None
    m3 = project.register_model("garment", weights, {}, [], activate=True)
    assert project.active_model("garment") == m3


def test_training_masks_filter_status_and_rejects(
    project: Project, tmp_path: Path, write_photo
) -> None:
    recs = [project.add_image(write_photo(tmp_path / f"{i}.png", seed=i)) for i in range(4)]
    for i, rec in enumerate(recs):
        project.save_mask(rec.id, "garment", np.full(rec.shape, i % 2, np.uint8))
    project.save_mask(recs[0].id, "garment", np.ones(recs[0].shape, np.uint8))
    project.set_status(recs[0].id, "done")
    project.set_status(recs[1].id, "done")
    project.set_status(recs[2].id, "done")
    project.record_decision(recs[2].id, "garment", "approve")
    project.record_decision(recs[3].id, "garment", "reject", reason="bad")
    project.set_status(recs[3].id, "done")  # rejected before, still left out
    items = list(project.training_masks("garment"))
    assert [i for i, _, _ in items] == [recs[0].id, recs[1].id, recs[2].id]
    assert items[0][2].min() == 1  # the latest version
    assert items[0][1] == recs[0].path
    everything = project.training_items("garment", exclude_rejected=False)
    assert len(everything) == 4
    # the operator fixes the rejected mask (a new version, done): the reject was of the version
    # before, so the fix trains although QA has not looked at it yet (a review: it stayed out
    # while masks nobody ever reviewed went in)
    project.save_mask(recs[3].id, "garment", np.ones(recs[3].shape, np.uint8), edited=True)
    project.set_status(recs[3].id, "done")
    fixed = [i for i, _, _ in project.training_items("garment")]
    assert fixed == [recs[0].id, recs[1].id, recs[2].id, recs[3].id]
    project.record_decision(recs[3].id, "garment", "reject", reason="bad", seen_version=2)
    assert [i for i, _, _ in project.training_items("garment")] == [r.id for r in recs[:3]]


def test_leases_within_one_machine(location, photo: Path) -> None:
    with create_project(location, user="alice") as alice:
        rec = alice.add_image(photo)
        with open_project(location, user="bob") as bob:
            lease = alice.acquire_lease(rec.id, ttl_s=60)
            assert alice.acquire_lease(rec.id, ttl_s=60).acquired == lease.acquired
            with pytest.raises(LeaseHeld, match=r"alice@.*pid") as info:
                bob.acquire_lease(rec.id)
            assert info.value.holder.startswith("alice@")
            assert info.value.expires == pytest.approx(time.time() + 60, abs=5)
            with pytest.raises(LeaseHeld):
                bob.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8))
            alice.release_lease(rec.id)
            assert bob.acquire_lease(rec.id, ttl_s=0.2).holder.startswith("bob@")
            time.sleep(0.3)
            assert alice.acquire_lease(rec.id).holder.startswith("alice@")
            bob.release_lease(rec.id)  # not bob's any more: no effect
            assert alice.lease(rec.id).holder.startswith("alice@")
        alice.close()
        with open_project(location) as again:
            assert again.lease(rec.id) is None



def test_a_held_lease_names_the_photo_not_its_id(location, photo: Path) -> None:
    with create_project(location, user="alice") as alice:
        rec = alice.add_image(photo)
        alice.acquire_lease(rec.id, ttl_s=60)
        with open_project(location, user="bob") as bob:
            for attempt in (
                lambda: bob.acquire_lease(rec.id),
                lambda: bob.save_mask(rec.id, "garment", np.zeros(rec.shape, np.uint8)),
            ):
                with pytest.raises(LeaseHeld) as info:
                    attempt()
                said = str(info.value)
                assert said.startswith(f"{rec.name} is being edited by alice@"), said
                assert f"image {rec.id}" not in said and info.value.name == rec.name


def test_claim_next_never_hands_out_a_leased_image(
    location, project: Project, tmp_path: Path, write_photo
) -> None:
    recs = [project.add_image(write_photo(tmp_path / f"{i}.png", seed=i)) for i in range(3)]
    project.set_status(recs[2].id, "done")
    with open_project(location, user="bob") as bob:
        first = project.claim_next(ttl_s=60)
        second = bob.claim_next(ttl_s=60)
        assert (first.id, second.id) == (recs[0].id, recs[1].id)
        assert project.lease(first.id).holder.startswith("alice@")
        assert bob.claim_next() is None  # the only other image is done
        with pytest.raises(LeaseHeld, match="alice@"):
            bob.acquire_lease(first.id)
        assert bob.claim_next(statuses=("done",)).id == recs[2].id
        project.release_lease(first.id)
        assert bob.claim_next(ttl_s=0.2).id == first.id
        time.sleep(0.3)  # the lease lapses; the image is free again
        assert project.claim_next(ttl_s=60).id == first.id
        with pytest.raises(ValueError, match="unknown status 'later'"):
            project.claim_next(statuses=("later",))


def test_concurrent_claims_hand_out_each_image_once(
    location, project: Project, tmp_path: Path, write_photo
) -> None:
    ids = {project.add_image(write_photo(tmp_path / f"{i}.png", (8, 8), seed=i)).id
           for i in range(24)}  # fmt: skip
    claimed: list[list[int]] = [[] for _ in range(6)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(claimed), timeout=30)
    finished = threading.Barrier(len(claimed), timeout=60)

    def operator(k: int) -> None:
        try:
            with open_project(location, user=f"op{k}") as own:
                start.wait()
                while (record := own.claim_next(ttl_s=60)) is not None:
                    claimed[k].append(record.id)
                finished.wait()  # closing releases leases: keep them until every claim is done
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=operator, args=(k,)) for k in range(len(claimed))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    every = [i for mine in claimed for i in mine]
    assert sorted(every) == sorted(ids)  # each image exactly once


def test_concurrent_saves_keep_every_version(
    location, project: Project, photo: Path
) -> None:
    rec = project.add_image(photo)
    errors: list[BaseException] = []
    saved: list[tuple[int, str]] = []

    def saver(k: int) -> None:
        try:
            with open_project(location, user=f"op{k}") as own:
                for n in range(5):
                    mask = np.full(rec.shape, (k + n) % 2, np.uint8)
                    saved.append((own.save_mask(rec.id, "garment", mask).version, f"op{k}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=saver, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    versions = project.mask_versions(rec.id, "garment")
    assert [v.version for v in versions] == list(range(1, 21))
    assert sorted((v.version, v.user) for v in versions) == sorted(saved)


def test_unknown_image_and_closed_project_are_clear_errors(location) -> None:
    project = create_project(location)
    with pytest.raises(ProjectError, match="no image with id 42"):
        project.image(42)
    with pytest.raises(ProjectError, match="no image with id 42"):
        project.acquire_lease(42)
    project.close()
    project.close()  # closing twice is harmless


def test_an_import_never_hides_saved_work(project, photo) -> None:
    # Importers (plain, alpha, COCO, labelme...) save through save_import on every backend.
    from fashion_annotator.dataset.storeio import ImportConflict

    rec = project.add_image(photo)
    first = np.zeros(rec.shape, np.uint8)
    first[2:10, 3:12] = 1
    v1 = project.save_import(rec.id, "garment", first)
    assert v1 is not None and v1.version == 1 and v1.source == "import"
    assert project.image(rec.id).status == "done"
    assert project.save_import(rec.id, "garment", first) is None  # a re-run adds nothing
    operator = first.copy()
    operator[0, 0] = 1
    project.save_mask(rec.id, "garment", operator)
    project.set_status(rec.id, "approved")
    with pytest.raises(ImportConflict, match="differs from saved version 2"):
        project.save_import(rec.id, "garment", first * 0)
    assert project.save_import(rec.id, "garment", operator.astype(np.int64)) is None
    v3 = project.save_import(rec.id, "garment", first * 0, overwrite=True)
    assert v3 is not None and v3.version == 3
    assert project.image(rec.id).status == "done"  # QA approved version 2, not this one: review again
    assert [v.source for v in project.mask_versions(rec.id, "garment")] == ["import", "operator", "import"]
    assert not project.load_mask(rec.id, "garment").any()
    assert np.array_equal(project.load_mask(rec.id, "garment", version=2), operator)


def test_an_overwriting_import_of_an_older_version_makes_it_the_latest(project, photo) -> None:
    """--overwrite with the file of version 1 after an operator's version 2 said 'unchanged' and
    left version 2 the latest (what every export writes)."""
    rec = project.add_image(photo)
    imported = np.zeros(rec.shape, np.uint8)
    imported[2:10, 3:12] = 1
    project.save_import(rec.id, "garment", imported)
    edited = imported.copy()
    edited[:2] = 1
    project.save_mask(rec.id, "garment", edited)
    assert project.save_import(rec.id, "garment", imported) is None, "without overwrite: already saved"
    restored = project.save_import(rec.id, "garment", imported, overwrite=True)
    assert restored is not None and restored.version == 3
    assert np.array_equal(project.load_mask(rec.id, "garment"), imported)
    assert project.save_import(rec.id, "garment", imported, overwrite=True) is None, "equal to the latest"


def test_add_image_counted_says_who_added_it_and_refuses_a_fifo(project, photo, tmp_path) -> None:
    # The photo importers count added / already present through add_image_counted.
    import os

    from fashion_annotator.core.images import ImageLoadError

    rec, added = project.add_image_counted(photo)
    again, added_again = project.add_image_counted(photo)
    assert added and not added_again and again.id == rec.id
    pipe = tmp_path / "pipe.jpg"
    os.mkfifo(pipe)  # reading it would block forever: refused before any read
    with pytest.raises(ImageLoadError, match="pipe.jpg.*FIFO"):
        project.add_image_counted(pipe)
    with pytest.raises(ImageLoadError, match="pipe.jpg.*FIFO"):
        project.add_image(pipe)
    assert [r.id for r in project.images()] == [rec.id]


def test_a_plain_mask_folder_imports_into_either_backend(location, ccp_dir) -> None:
    from fashion_annotator.dataset.formats.plain import import_plain

    with create_project(location, tasks=("garment",), user="alice") as project:
        first = import_plain(project, ccp_dir, "garment")
        again = import_plain(project, ccp_dir, "garment")  # a re-run adds nothing
        n = len(list((ccp_dir / "masks").glob("*.png")))
        assert first.added == n and again.added == 0 and again.existing == n
        assert project.counts()["done"] == n
        image = project.images()[0]
        assert [v.source for v in project.mask_versions(image.id, "garment")] == ["import"]


def test_mask_versions_of_task_reads_every_image_at_once(project: Project, tmp_path: Path, write_photo) -> None:
    """One query per task gives what ``mask_versions`` gives image by image (the Review tab's
    refresh read 42,005 of those on a 20,000-image project)."""
    ids = [project.add_image(write_photo(tmp_path / f"p{i}.png", seed=i)).id for i in range(4)]
    mask = np.zeros(project.image(ids[0]).shape, np.uint8)
    project.save_mask(ids[2], "garment", mask, seconds=3.5, actions=2)
    project.save_mask(ids[0], "garment", mask, source="import")
    project.save_mask(ids[2], "garment", mask + 1, seconds=7.0, actions=5, user="bob")
    project.save_mask(ids[1], "parsing7", mask, seconds=1.0, actions=1)
    for task in project.tasks:
        bulk = project.mask_versions_of_task(task)
        assert bulk == {i: project.mask_versions(i, task) for i in ids if project.mask_versions(i, task)}
        assert list(bulk) == sorted(bulk)
    assert [v.version for v in project.mask_versions_of_task("garment")[ids[2]]] == [1, 2]
    assert list(project.mask_versions_of_task("parsing7")) == [ids[1]]


def test_search_matches_the_file_name_only_folded_and_literally(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """A photo referenced in place is named by its absolute path: the search matched the folder
    too (``衣服``, ``%``, ``'``, ``tmp``... listed every photo of a shoot in "Shoot 衣服 50%_'"),
    and SQLite's lower() folded ASCII only (``MÜLLER`` found nothing; a hand test)."""
    shoot = tmp_path / "Shoot 衣服 50%_'"
    names = ("Müller niño.png", "CAFÉ.png", "straße.png", "plain.png", "a_b%c.png", "cafe\u0301 2.png")
    ids = {n: project.add_image(write_photo(shoot / n, seed=i), copy=False).id
           for i, n in enumerate(names)}  # fmt: skip
    stored = project.add_image(write_photo(tmp_path / "Stored 衣服" / "Tmp look.png", seed=9)).id

    def found(text: str) -> set[int]:
        return {r.id for r in project.images(search=text)}

    for folder_word in ("衣服", "Shoot", "50", "'", "Shoot 衣服 50%"):
        assert found(folder_word) == set(), folder_word
    assert found("%") == found("b%c") == found("_b") == {ids["a_b%c.png"]}
    assert found("MÜLLER") == found("müller") == found("NIÑO") == {ids["Müller niño.png"]}
    assert found("café") == found("CAFÉ") == {ids["CAFÉ.png"], ids["cafe\u0301 2.png"]}
    assert found("STRASSE") == found("straße") == {ids["straße.png"]}
    assert found("tmp") == found("TMP LOOK") == {stored}
    assert found(".png") == set(ids.values()) | {stored}


@pytest.mark.skipif(os.sep == "\\", reason="a backslash separates folders on Windows")
def test_search_finds_a_referenced_photo_by_the_part_of_its_name_before_a_backslash(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """``red\\dress.png`` is one file name on Linux and macOS: the search cut it at the
    backslash, so ``red`` found nothing."""
    shoot = tmp_path / "shoot"
    image = project.add_image(write_photo(shoot / "red\\dress.png"), copy=False)
    assert [r.id for r in project.images(search="red")] == [image.id]
    assert [r.id for r in project.images(search="d\\dr")] == [image.id]
    assert project.images(search="shoot") == []
