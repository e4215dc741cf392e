"""What a PostgreSQL project's image list reads again, and what it copies to this desktop.

A scale review at 20,000 images: every 15 s poll of a team window read every image row (0.4-0.9
s on the GUI thread, whether or not anything changed) and a new desktop's first list fetched
every uploaded photo (about 3 minutes) before its window showed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.store import create_project, open_project


@pytest.fixture
def team(pg_url: str, tmp_path: Path, write_photo):
    """A project of three uploaded photos; alice's session."""
    with create_project(pg_url, user="lead") as lead:
        ids = [lead.add_image(write_photo(tmp_path / "in" / f"p{i}.png", seed=i)).id for i in range(3)]
    project = open_project(pg_url, user="alice")
    yield project, ids
    project.close()


def test_the_token_moves_with_commits_and_names_the_rows_that_changed(team, pg_url: str) -> None:
    project, ids = team
    start = project.change_token()
    project.leases.acquire(ids[0], ttl_s=60)
    project.save_proposal(ids[0], "garment", np.ones(project.image(ids[0]).shape, np.uint8), "1")
    assert project.change_token() == start  # a lease and a proposal change no image row
    assert project.changed_images(start) == []
    project.save_mask(ids[0], "garment", np.ones(project.image(ids[0]).shape, np.uint8))
    own = project.change_token()
    assert own[0] == start[0] and own[1] != start[1]
    assert project.changed_images(start) == [ids[0]]
    with open_project(pg_url, user="bob") as bob:
        bob.set_status(ids[2], "done")
    colleague = project.change_token()
    assert colleague[0] != own[0]  # another user committed: the Review tab refreshes too
    assert project.changed_images(own) == [ids[2]]
    assert project.changed_images(start) == [ids[0], ids[2]]
    assert project.images(ids=project.changed_images(own))[0].status == "done"


def test_the_same_users_other_session_is_another_session(team, pg_url: str) -> None:
    """The operator's second desktop saved: its rows moved no ``others`` count (it counted
    other user names), and the first desktop's Review tab missed the save until F5."""
    project, ids = team
    start = project.change_token()
    project.set_status(ids[0], "done")
    own = project.change_token()
    assert own[0] == start[0]  # this session's own write
    with open_project(pg_url, user="alice") as desktop:
        desktop.set_status(ids[1], "done")
    other = project.change_token()
    assert other[0] != own[0] and project.changed_images(own) == [ids[1]]
    with open_project(pg_url, user="alice") as desktop:
        desktop.save_mask(ids[0], "garment", np.ones(project.image(ids[0]).shape, np.uint8))
    assert project.change_token()[0] != other[0]  # a row this session wrote, written again



def test_a_colleagues_change_stays_theirs_when_this_session_writes_the_row_before_the_poll(
    team, pg_url: str
) -> None:
    """A colleague changed an image, then this session wrote it before the next poll (a Review
    decision): the row's stamp was this session's, ``others`` did not move and the window never
    refreshed Review (its Instances panel kept the colleague's old figures until F5)."""
    project, ids = team
    start = project.change_token()
    with open_project(pg_url, user="bob") as bob:
        bob.set_status(ids[1], "in_progress")
    project.set_status(ids[1], "done")
    project.save_mask(ids[1], "garment", np.ones(project.image(ids[1]).shape, np.uint8))
    after = project.change_token()
    assert after[0] != start[0] and project.changed_images(start) == [ids[1]]
    project.set_status(ids[1], "in_progress")  # this session's writes only, twice before a poll
    project.set_status(ids[1], "done")
    assert project.change_token()[0] == after[0]

def test_an_image_added_by_a_colleague_is_a_changed_row(team, pg_url: str, tmp_path: Path, write_photo) -> None:
    project, ids = team
    start = project.change_token()
    with open_project(pg_url, user="bob") as bob:
        added = bob.add_image(write_photo(tmp_path / "in" / "new.png", seed=9)).id
    project.change_token()
    assert project.changed_images(start) == [added]


def test_a_token_too_old_to_compare_reads_every_row(team) -> None:
    project, ids = team
    first = project.change_token()
    for image_id in ids:  # each write and poll keeps another token's stamps
        project.set_status(image_id, "in_progress")
        project.change_token()
        project.set_status(image_id, "new")
        project.change_token()
    assert project.changed_images(first) is None


def test_a_list_for_names_and_statuses_copies_no_photo_and_opening_one_copies_it(
    team, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new desktop (another working folder): listing copies nothing; the photo of the image
    opened is copied then, and only it."""
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "new-desktop"))
    with open_project(pg_url, user="carol") as carol:
        records = carol.images(fetch_photos=False)
        assert [r.id for r in records] == team[1]
        assert not any(r.path.exists() for r in records)
        path = carol.image_path(records[1].id)
        assert path.is_file() and path == records[1].path
        assert [r.path.exists() for r in records] == [False, True, False]
        assert carol.load_photo(records[1].id).rgb.shape[:2] == records[1].shape
        assert all(r.path.is_file() for r in carol.images())  # the default copies them all


def test_review_scores_on_a_new_desktop_copy_no_photo_and_call_none_missing(
    team, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Review tab's first visit copied every uploaded photo to a new desktop (minutes at
    20,000 images, on the GUI thread); an uploaded photo is in the database, never "missing"."""
    from fashion_annotator.qa.scores import score_project

    project, ids = team
    for image_id in ids[:2]:
        project.save_mask(image_id, "garment", np.ones(project.image(image_id).shape, np.uint8), status="done")
    monkeypatch.setenv("FA_LOCAL_DIR", str(tmp_path / "reviewer-desktop"))
    with open_project(pg_url, user="quinn") as quinn:
        rows = score_project(quinn, "garment")
        assert [r.image_id for r in rows] == ids[:2] and not any(r.problem for r in rows)
        assert not any(r.path.exists() for r in quinn.images(fetch_photos=False))
        assert quinn.load_photo(ids[0]).rgb.shape[:2] == quinn.image(ids[0]).shape  # copied when shown


def test_the_proposal_token_moves_with_each_proposal_anyones(team, pg_url: str) -> None:
    """The Review tab shown again reads again when a proposal was recorded (its scores and
    unscored reasons depend on them): the change token does not move for one."""
    project, ids = team
    shape = project.image(ids[0]).shape
    start = project.proposal_token()
    project.save_mask(ids[0], "garment", np.ones(shape, np.uint8))
    assert project.proposal_token() == start
    project.save_proposal(ids[0], "garment", np.ones(shape, np.uint8), "1")
    own = project.proposal_token()
    assert own != start
    with open_project(pg_url, user="bob") as bob:
        bob.save_proposal(ids[1], "garment", np.zeros(shape, np.uint8), "1")
    assert project.proposal_token() not in (start, own)
