"""The index's change token (:meth:`fashion_annotator.dataset.store.Project.change_token`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fashion_annotator.dataset.store import Project


def test_the_token_moves_on_commits_to_images_not_on_lease_writes(
    project: Project, photo: Path, write_photo
) -> None:
    """The image list polls the token: this connection's own saves must move it (the list kept
    "To do" for images its own window had saved), a lease taken, renewed every 20 s or
    released must not (each poll re-read the whole list: a review)."""
    rec = project.add_image(photo)
    other = project.add_image(write_photo(photo.parent / "other.png", seed=1))
    start = project.change_token()
    project.leases.acquire(rec.id, ttl_s=60)
    project.leases.acquire(rec.id, ttl_s=60)  # a renewal
    assert project.claim_next().id == other.id  # a claim's lease
    project.leases.release(rec.id)
    project.leases.release(other.id)
    assert project.change_token() == start
    project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
    after = project.change_token()
    assert after is not None and start is not None and after[1] > start[1] and after[0] == start[0]
    with Project.open(project.root, user="bob") as bob:  # a colleague's commit moves the other count
        bob.set_status(rec.id, "done")
    assert project.change_token()[0] != after[0]


def test_a_proposal_moves_no_token_and_a_save_names_its_image(
    project: Project, photo: Path, write_photo
) -> None:
    """A proposal changes nothing the image list shows: recorded at every image, it made every
    switch re-read the whole list (a scale review). A save names the image it changed, so the
    list re-reads that row alone; a rolled-back write names none."""
    rec = project.add_image(photo)
    other = project.add_image(write_photo(photo.parent / "other.png", seed=1))
    start = project.change_token()
    assert start is not None
    project.save_proposal(rec.id, "garment", np.ones(rec.shape, np.uint8), "1")
    assert project.change_token() == start and project.changed_images(start) == []
    project.save_mask(other.id, "garment", np.ones(other.shape, np.uint8), status="done")
    project.set_status(other.id, "approved")
    assert project.changed_images(start) == [other.id]
    after = project.change_token()
    try:
        with project._tx() as conn:
            conn.execute("UPDATE images SET status = 'done' WHERE id = ?", (rec.id,))
            raise RuntimeError("cut short")
    except RuntimeError:
        pass
    assert project.change_token() == after and project.changed_images(after) == []
    assert project.images(ids=[rec.id, other.id], status="approved") == [project.image(other.id)]


def test_another_connection_opening_the_project_moves_no_token(project: Project, photo: Path) -> None:
    """Every Review refresh starts a thread on a connection of its own (the cutout/parsing check,
    scoring); each open rewrote the index's schema version, a commit for every other connection,
    so the image list took it for a colleague's save and read every row after each QA decision
    (about 1 s at 20,000 images). Opening a project whose index is current writes nothing."""
    project.add_image(photo)
    start = project.change_token()
    with Project.open(project.root, user="reviewer-thread"):
        pass
    assert project.change_token() == start


def test_the_proposal_token_moves_with_each_proposal_anyones(project: Project, photo: Path) -> None:
    """The Review tab shown again reads again when a proposal was recorded (its scores and
    unscored reasons depend on them): the change token does not move for one."""
    rec = project.add_image(photo)
    start = project.proposal_token()
    project.save_mask(rec.id, "garment", np.ones(rec.shape, np.uint8))
    assert project.proposal_token() == start
    project.save_proposal(rec.id, "garment", np.ones(rec.shape, np.uint8), "1")
    own = project.proposal_token()
    assert own != start
    with Project.open(project.root, user="bob") as bob:
        bob.save_proposal(rec.id, "garment", np.zeros(rec.shape, np.uint8), "1")
    assert project.proposal_token() not in (start, own)
