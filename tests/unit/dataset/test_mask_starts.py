"""What the Retrain dialog's count reads of each image (its mask versions and the proposal it
started from) comes for every image at once: the same on SQLite and PostgreSQL, and on a team
project in a few queries whatever the number of images (it made two per image: 605 round trips
at 300 masks, seconds on a remote server)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.postgres import training_rows
from fashion_annotator.dataset.records import started_from
from fashion_annotator.dataset.store import create_project, open_project
from fashion_annotator.dataset.training_set import select_training_masks

SHAPE = (24, 32)


class _Stop(Exception):
    """The cancel a callback raises."""


def _mask(x0: int, x1: int) -> np.ndarray:
    mask = np.zeros(SHAPE, np.uint8)
    mask[4:20, x0:x1] = 1
    return mask


def _build(project, src: Path, write_photo) -> list[int]:
    """Twelve images, each a case of the count (the same calls on either backend)."""
    ids = [project.add_image(write_photo(src / f"{i:02d}.png", SHAPE, seed=i)).id for i in range(12)]
    proposal = _mask(8, 20)
    for image_id in ids[:9]:
        project.save_proposal(image_id, "garment", proposal, "1")
    project.save_proposal(ids[9], "parsing7", _mask(1, 30), "1")  # another task's proposal
    project.save_mask(ids[0], "garment", _mask(6, 22), status="done")  # edited
    project.save_mask(ids[1], "garment", proposal, status="done")  # accepted unchanged
    project.save_mask(ids[2], "garment", _mask(8, 24), status="in_progress")  # edited, saved
    project.save_mask(ids[3], "garment", proposal, status="in_progress")  # opened, untouched
    project.save_mask(ids[4], "garment", _mask(2, 20), status="approved")
    project.save_mask(ids[5], "garment", _mask(5, 20), status="done")
    project.record_decision(ids[5], "garment", "reject", reason="wrong label")
    project.save_mask(ids[6], "garment", proposal, status="done")
    project.save_proposal(ids[6], "garment", _mask(10, 18), "2")  # after the save: not shown
    project.save_mask(ids[7], "garment", _mask(3, 20), status="done")
    project.record_decision(ids[7], "garment", "reject", reason="wrong label")
    project.save_mask(ids[7], "garment", proposal, status="done")  # fixed back to the proposal
    project.save_mask(ids[8], "garment", proposal, status="done")
    project.save_mask(ids[8], "garment", _mask(9, 20), status="done")  # edited later
    project.save_mask(ids[9], "garment", np.zeros(SHAPE, np.uint8), status="done")  # blank
    project.save_mask(ids[10], "garment", _mask(4, 12), status="done")  # drawn without a proposal
    project.save_import(ids[11], "garment", _mask(7, 19))
    project.save_proposal(ids[11], "garment", _mask(7, 19), "1")  # after the import: not shown
    return ids


def _described(selection) -> dict[str, object]:
    """A selection by image names (the paths differ between the backends)."""
    return {
        "corrected": [(it.name, it.status, it.kind) for it in selection.corrected],
        "unchanged": [(it.name, it.status) for it in selection.unchanged],
        "blank": [(it.name, it.status) for it in selection.blank],
        "by_status": selection.by_status,
        "unreadable": selection.unreadable,
    }


def test_sqlite_and_postgresql_select_the_same_masks(pg_url, tmp_path, write_photo) -> None:
    selections = {}
    for location in (tmp_path / "proj", pg_url):
        with create_project(location, user="alice") as project:
            ids = _build(project, tmp_path / "src", write_photo)
            names = {i: project.image(i).name for i in ids}
        with open_project(location, user="bob") as project:  # a desktop that copies from the server
            if location == pg_url:
                shutil.rmtree(project.root / "proposals")
            selections[str(location)] = _described(select_training_masks(project, "garment"))
    sqlite, postgresql = selections.values()
    assert sqlite == postgresql
    assert sqlite["corrected"] == [(names[ids[i]], s, "corrected") for i, s in
                                   ((0, "done"), (8, "done"), (10, "done"), (11, "done"), (4, "approved"), (2, "in_progress"))]  # fmt: skip
    assert sqlite["unchanged"] == [(names[ids[i]], "done") for i in (1, 6, 7)]
    assert sqlite["blank"] == [(names[ids[9]], "done")]
    assert sqlite["by_status"] == {"done": 4, "approved": 1, "in_progress": 1} and sqlite["unreadable"] == []


def test_mask_starts_is_what_each_image_reads_one_by_one(location, tmp_path, write_photo) -> None:
    with create_project(location, user="alice") as project:
        ids = _build(project, tmp_path / "src", write_photo)
        unknown = max(ids) + 1
        for task in project.tasks:
            starts = project.mask_starts(task, [*ids, unknown])
            assert list(starts) == [*ids, unknown]
            for image_id in ids:
                versions = project.mask_versions(image_id, task)
                shown = started_from(project.proposals(image_id, task), versions)
                assert starts[image_id].versions == tuple(versions)
                assert starts[image_id].shown == shown
                if shown is not None:
                    assert shown.path.read_bytes() == starts[image_id].shown.path.read_bytes()
            assert starts[unknown].versions == () and starts[unknown].shown is None
        assert project.mask_starts("garment", ids[:2]).keys() == {ids[0], ids[1]}


def test_a_team_projects_count_reads_every_image_in_the_same_few_queries(pg_url, tmp_path, write_photo, pg_statements) -> None:
    with create_project(pg_url, user="alice") as project:
        _build(project, tmp_path / "src", write_photo)
    with open_project(pg_url, user="bob") as project:
        first = _described(select_training_masks(project, "garment"))  # copies what this desktop lacks
        queries = pg_statements(project)
        calls: list[tuple[int, int]] = []
        again = select_training_masks(project, "garment", progress=lambda done, total: calls.append((done, total)))
        assert _described(again) == first
        assert calls == [(i, 11) for i in range(11)], "progress before each saved mask, as before"
        # the training items, the image list (one for the four statuses: it read one each),
        # the versions, the proposals
        assert len([q for q in queries if "FROM images" in q and "JOIN" not in q]) == 1, queries
        assert len(queries) == 4, queries
        more = [project.add_image(write_photo(tmp_path / "more" / f"{i}.png", SHAPE, seed=50 + i)).id for i in range(10)]
        for image_id in more:
            project.save_proposal(image_id, "garment", _mask(8, 20), "1")
            project.save_mask(image_id, "garment", _mask(6, 22), status="done")
        shutil.rmtree(project.root / "proposals")
        select_training_masks(project, "garment")
        del queries[:]
        assert len(select_training_masks(project, "garment").corrected) == 16
        assert len(queries) == 4, "ten more images: no more queries"


def test_the_shown_proposals_are_copied_in_batches_and_a_cancel_keeps_whole_files(pg_url, tmp_path, write_photo, monkeypatch, pg_statements) -> None:
    with create_project(pg_url, user="alice") as project:
        ids = _build(project, tmp_path / "src", write_photo)
    monkeypatch.setattr(training_rows, "FETCH_BATCH", 2)
    with open_project(pg_url, user="bob") as project:
        expected = _described(select_training_masks(project, "garment"))
        usable = [i for i in ids if i != ids[5]]  # the rejected mask does not train
        shown = {i: s.shown for i, s in project.mask_starts("garment", usable).items() if s.shown is not None}
        assert len(shown) == 8
        server = {i: bytes(project._db.query("SELECT png FROM proposals WHERE image_id = %s AND task = 'garment'"
                                             " AND version = %s", (i, p.version))[0]["png"])
                  for i, p in shown.items()}  # fmt: skip
        shutil.rmtree(project.root / "proposals")
        copying: list[tuple[int, int]] = []

        def stop_at_the_third_proposal(done: int, total: int) -> None:
            copying.append((done, total))
            if len(copying) == 12 + 3:
                raise _Stop

        with pytest.raises(_Stop):
            select_training_masks(project, "garment", copying=stop_at_the_third_proposal)
        # the 11 training images (then 11 / 11), then each of their 8 proposals shown (not the
        # rejected one's, nor the one made after the import), counted on from the images
        assert copying == [(i, 11) for i in range(12)] + [(11, 19), (12, 19), (13, 19)]
        written = sorted(p for p in (project.root / "proposals").rglob("*") if p.is_file())
        assert len(written) == 2 and all(p.read_bytes() == server[int(p.parts[-3])] for p in written)
        assert not list((project.root / "proposals").rglob("*.tmp")), "no partial file left"
        stale = shown[ids[1]].path
        stale.parent.mkdir(parents=True, exist_ok=True)
        stale.write_bytes(b"left by a project of the same name since re-created")
        queries = pg_statements(project)
        assert _described(select_training_masks(project, "garment")) == expected
        fetched = [q for q in queries if "SELECT id, png FROM proposals" in q]
        assert len(fetched) == 4, "seven proposals copied (the stale one again), two a query"
        for image_id, proposal in shown.items():
            assert proposal.path.read_bytes() == server[image_id]
        del queries[:]
        select_training_masks(project, "garment")
        assert not [q for q in queries if "SELECT id, png FROM proposals" in q], "all here: none fetched"


def test_a_team_projects_first_count_counts_its_copies_once_never_going_back(pg_url, tmp_path, write_photo) -> None:
    """The masks and photos were counted 0..11 of 11, then the proposals shown 0..9 of 9: the
    Retrain dialog's "Copying … N / M" went back to 0. The proposals are counted on now, and
    the count ends at M / M (it stopped at M - 1 / M: each call came before its copy)."""
    with create_project(pg_url, user="alice") as project:
        _build(project, tmp_path / "src", write_photo)
    with open_project(pg_url, user="bob") as project:  # a desktop that copies from the server
        shutil.rmtree(project.root / "proposals")
        calls: list[tuple[int, int]] = []
        select_training_masks(project, "garment", copying=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 11) for i in range(12)] + [(11 + i, 19) for i in range(9)], "ends at 19 / 19"


def test_an_imported_mask_is_never_an_accepted_proposal(location, tmp_path, write_photo) -> None:
    """QA scores a mask only against a proposal recorded before its first version, but the
    start the Retrain count read still chose, for an imported mask, the first proposal made
    after the import: a model's later proposal equal to it counted as accepted unchanged (and
    --exclude-unchanged left the import out of training). Both stores follow QA's rule."""
    with create_project(location, user="alice") as project:
        imported, shown = (project.add_image(write_photo(tmp_path / "src" / f"{i}.png", SHAPE, seed=i)).id
                           for i in range(2))  # fmt: skip
        project.save_import(imported, "garment", _mask(7, 19))
        project.save_proposal(imported, "garment", _mask(7, 19), "1")  # a model's, after the import
        project.save_proposal(shown, "garment", _mask(7, 19), "1")
        project.save_mask(shown, "garment", _mask(7, 19), status="done")  # accepted as proposed
        starts = project.mask_starts("garment", [imported, shown])
        assert starts[imported].shown is None and starts[imported].later
        assert starts[shown].shown is not None and not starts[shown].later
        versions = project.mask_versions(imported, "garment")
        assert started_from(project.proposals(imported, "garment"), versions) is None
        selection = select_training_masks(project, "garment")
        assert [it.image_id for it in selection.unchanged] == [shown]
        assert [it.image_id for it in selection.corrected] == [imported]
