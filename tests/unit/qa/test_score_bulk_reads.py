"""The Review table's scores read every image's shown proposal and saved mask in a few queries
on a team project: the same scores as a folder project built alike, and a number of queries
that grows by one per batch of PNGs, not two per image (605 round trips at 300 images); the
scoring's progress still comes after each image and a cancel stops it between two."""

from __future__ import annotations

import errno
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from qa_synth import add_photo, square

from fashion_annotator.dataset.postgres import connection, training_rows
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import create_project, open_project
from fashion_annotator.qa.model_history import proposal_quality
from fashion_annotator.qa.scores import ScoreMemo, score_project


class _Stop(Exception):
    """The cancel a progress callback raises."""


def _build(project, folder: Path) -> list[int]:
    """Ten images, each a case of the scoring (the same calls on either backend)."""
    ids = [add_photo(project, folder, f"{i:02d}.png", i) for i in range(10)]
    proposal = square(2, 2, 10, 10)
    for image_id in ids[:7]:
        project.save_proposal(image_id, "garment", proposal, "1")
    project.save_mask(ids[0], "garment", proposal, status="done")  # accepted: Dice 1
    project.save_mask(ids[1], "garment", square(2, 2, 10, 6), status="done")  # half
    project.save_mask(ids[2], "garment", square(20, 20, 24, 24), status="done")  # disjoint
    project.save_mask(ids[3], "garment", square(2, 2, 10, 12), status="done")
    project.save_mask(ids[3], "garment", square(2, 2, 12, 12), status="done")  # the latest counts
    project.save_mask(ids[4], "garment", square(2, 2, 10, 10), status="done")
    project.save_proposal(ids[4], "garment", square(0, 0, 4, 4), "2")  # after the save: not shown
    project.save_proposal(ids[5], "garment", square(2, 2, 8, 8), "2")  # the latest before the save
    project.save_mask(ids[5], "garment", square(2, 2, 8, 8), status="done")
    project.save_mask(ids[6], "parsing7", square(2, 2, 10, 10, label=3), status="done")  # no garment mask
    project.save_mask(ids[7], "garment", square(4, 4, 9, 9), status="done")  # drawn without a proposal
    project.save_import(ids[8], "garment", square(3, 3, 9, 9))
    project.save_proposal(ids[8], "garment", square(3, 3, 9, 11), "1")  # after the import: never shown
    project.save_proposal(ids[9], "parsing7", square(2, 2, 10, 10, label=3), "1")
    project.save_mask(ids[9], "parsing7", square(2, 2, 10, 8, label=3), status="done")
    return ids


def _described(rows) -> list[tuple]:
    """Scored rows by image name (the paths differ between the backends)."""
    return [(r.name, r.versions, r.score, r.pixel_accuracy, r.reference, bool(r.problem)) for r in rows]


def _fetches(queries: list[str]) -> int:
    return sum("FROM mask_versions v JOIN images i" in q and "unnest" in q for q in queries)


def test_sqlite_and_postgresql_projects_built_alike_score_alike(pg_url, tmp_path) -> None:
    scored = {}
    for location in (tmp_path / "proj", pg_url):
        with create_project(location, tasks=("garment", "parsing7"), user="alice") as project:
            _build(project, tmp_path / "src")
        with open_project(location, user="bob") as project:
            if location == pg_url:  # a desktop that has copied nothing from the server yet
                shutil.rmtree(project.root / "proposals")
            scored[str(location)] = {task: _described(score_project(project, task)) for task in project.tasks}
    sqlite, postgresql = scored.values()
    assert sqlite == postgresql
    garment = {name: score for name, _, score, *_ in sqlite["garment"]}
    assert len(garment) == 8
    assert garment["00.png"] == 1.0 and garment["01.png"] == pytest.approx(2 / 3) and garment["02.png"] == 0.0
    assert garment["03.png"] == pytest.approx(2 * 64 / (64 + 100)) and garment["04.png"] == 1.0
    assert garment["05.png"] == 1.0 and math.isnan(garment["07.png"])
    assert math.isnan(garment["08.png"]), "an imported mask is not scored against a later proposal"
    assert [r[1:3] for r in sqlite["parsing7"] if r[0] == "09.png"] == [(1, pytest.approx(0.75))]


def test_load_masks_is_load_mask_of_each_version_on_both_backends(pg_url, tmp_path) -> None:
    for location in (tmp_path / "proj", pg_url):
        with create_project(location, tasks=("garment", "parsing7"), user="alice") as project:
            ids = _build(project, tmp_path / "src")
            wanted = [(ids[3], 1), (ids[0], 1), (ids[3], 2), (ids[3], 3), (ids[1], 1)]
            got = [(i, read()) for i, read in project.load_masks("garment", wanted)]
            assert [i for i, _ in got] == [ids[3], ids[0], ids[3], ids[3], ids[1]]
            for (image_id, version), (_, mask) in zip(wanted, got, strict=True):
                expected = project.load_mask(image_id, "garment", version)
                assert (mask is None) == (expected is None), (location, image_id, version)
                assert expected is None or np.array_equal(mask, expected)
            assert got[3][1] is None, "no version 3: None, as load_mask"


def test_a_damaged_mask_is_its_rows_problem_on_a_team_project(pg_url, tmp_path) -> None:
    with create_project(pg_url, tasks=("garment", "parsing7"), user="alice") as project:
        ids = _build(project, tmp_path / "src")
        project._db.conn.execute("UPDATE mask_versions SET png = %s WHERE image_id = %s", (b"not a png", ids[1]))
        rows = {r.image_id: r for r in score_project(project, "garment")}
        with pytest.raises(ProjectError) as caught:
            project.load_mask(ids[1], "garment")
        assert rows[ids[1]].problem == f"{rows[ids[1]].name}: {caught.value}"
        assert rows[ids[0]].score == 1.0 and not rows[ids[0]].problem


def test_a_team_projects_scoring_reads_in_batches_not_per_image(pg_url, tmp_path, monkeypatch, pg_statements) -> None:
    with create_project(pg_url, tasks=("garment", "parsing7"), user="alice") as project:
        _build(project, tmp_path / "src")
    monkeypatch.setattr(training_rows, "FETCH_BATCH", 3)
    with open_project(pg_url, user="bob") as project:
        first = _described(score_project(project, "garment"))  # copies the proposals this desktop lacks
        queries = pg_statements(project)
        assert _described(score_project(project, "garment")) == first
        counted = len(queries)
        # the task's versions, the images, the decisions, the shown proposals (versions and
        # proposals without PNGs), then the mask PNGs (8 masks, 3 a query); two per image before
        assert counted == 8, queries
        assert _fetches(queries) == 3, "8 masks, 3 a query"
        more = [add_photo(project, tmp_path / "more", f"m{i}.png", 50 + i) for i in range(9)]
        for image_id in more:
            project.save_proposal(image_id, "garment", square(2, 2, 10, 10), "1")
            project.save_mask(image_id, "garment", square(2, 2, 10, 8), status="done")
        score_project(project, "garment")
        del queries[:]
        assert len(score_project(project, "garment")) == 17
        assert _fetches(queries) == 6 and len(queries) == counted + 3, "nine more images: three more batches"


def test_progress_after_each_image_and_a_cancel_stops_the_fetches(pg_url, tmp_path, monkeypatch, pg_statements) -> None:
    with create_project(pg_url, tasks=("garment", "parsing7"), user="alice") as project:
        _build(project, tmp_path / "src")
    monkeypatch.setattr(training_rows, "FETCH_BATCH", 2)
    with open_project(pg_url, user="bob") as project:
        score_project(project, "garment")
        queries = pg_statements(project)
        calls: list[tuple[int, int]] = []

        def stop_after_the_third(done: int, total: int) -> None:
            calls.append((done, total))
            if done == 3:
                raise _Stop

        with pytest.raises(_Stop):
            score_project(project, "garment", progress=stop_after_the_third)
        assert calls == [(1, 8), (2, 8), (3, 8)]
        assert len(queries) == 7, "five reads, then the batches of the first three masks only"
        assert _fetches(queries) == 2
        memo: ScoreMemo = {}
        score_project(project, "garment", memo=memo)
        del queries[:]
        calls.clear()
        rows = score_project(project, "garment", memo=memo, progress=lambda d, t: calls.append((d, t)))
        assert calls == [(i, 8) for i in range(1, 9)]
        assert _fetches(queries) == 0, "every score in the memo: no mask fetched"
        assert len(rows) == 8


def test_the_model_history_reads_no_photos_and_nothing_per_maskless_image(pg_url, tmp_path, monkeypatch, pg_statements) -> None:
    quality = {}
    for location in (tmp_path / "proj", pg_url):
        with create_project(location, tasks=("garment", "parsing7"), user="alice") as project:
            _build(project, tmp_path / "src")
        with open_project(location, user="bob") as project:  # a desktop with no copies yet
            quality[str(location)] = proposal_quality(project, "garment")
    sqlite, postgresql = quality.values()
    assert [(q.model_version, q.n_images, q.median) for q in sqlite] == [("1", 6, pytest.approx((0.72 + 2 * 64 / 144) / 2)), ("2", 1, 1.0)]
    assert [(q.model_version, q.n_images, q.median, q.q25, q.q75) for q in sqlite] == \
        [(q.model_version, q.n_images, q.median, q.q25, q.q75) for q in postgresql]  # fmt: skip
    monkeypatch.setattr(training_rows, "FETCH_BATCH", 2)
    with open_project(pg_url, user="carol") as project:
        shutil.rmtree(project.root / "images")  # a desktop that has copied no photo
        queries = pg_statements(project)
        proposal_quality(project, "garment")
        assert not [p for p in (project.root / "images").rglob("*") if p.is_file()], "no photo copied"
        counted = len([q for q in queries if "FROM tasks" not in q])  # the task list, read once
        # the images, the task's versions, the proposals of the 8 images with a mask (one query,
        # every copy current: no PNG fetched), the first versions of the 6 that followed a
        # proposal (2 a query); a query per masked image before
        assert counted == 2 + 1 + 3, queries
        for i in range(20):
            add_photo(project, tmp_path / "plain", f"p{i}.png", 100 + i)
        del queries[:]
        proposal_quality(project, "garment")
        assert len([q for q in queries if "FROM tasks" not in q]) == counted, "twenty images without a mask: no more"


def test_a_proposal_that_cannot_be_copied_is_its_rows_problem_and_the_scoring_goes_on(
    pg_url, tmp_path, monkeypatch
) -> None:
    """A disk error while copying one image's shown proposal stopped the whole scoring."""
    with create_project(pg_url, tasks=("garment", "parsing7"), user="alice") as project:
        ids = _build(project, tmp_path / "src")
    with open_project(pg_url, user="bob") as project:
        expected = {r.image_id: r for r in score_project(project, "garment")}
        shutil.rmtree(project.root / "proposals")  # this desktop copies them again
        real = connection.atomic_write_bytes

        def full_disk_for_image_1(path: Path, data: bytes) -> None:
            if path.parts[-4:-2] == ("proposals", str(ids[1])):
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
            real(path, data)

        monkeypatch.setattr(connection, "atomic_write_bytes", full_disk_for_image_1)
        rows = {r.image_id: r for r in score_project(project, "garment")}
    assert rows[ids[1]].problem.startswith("01.png: its proposal could not be copied from the server: ")
    assert rows[ids[1]].problem.endswith(": cannot write the local copy: No space left on device")
    assert math.isnan(rows[ids[1]].score)
    assert sorted(rows) == sorted(expected)
    for image_id in set(rows) - {ids[1]}:
        assert _described([rows[image_id]]) == _described([expected[image_id]])


def _copied(root: Path) -> set[tuple[int, str]]:
    """``(image_id, "vN")`` of each proposal PNG this desktop holds."""
    return {(int(p.parts[-3]), p.stem) for p in (root / "proposals").rglob("*.png")}


def test_the_model_history_copies_only_the_proposals_it_compares_and_reports_each_copy(
    pg_url, tmp_path, monkeypatch
) -> None:
    """A code review: Model history on a team project copied every proposal of each masked image
    (those recorded after its first save too, never compared) before its first progress call, so
    closing the dialog waited for every copy."""
    with create_project(pg_url, tasks=("garment", "parsing7"), user="alice") as project:
        ids = _build(project, tmp_path / "src")
    monkeypatch.setattr(training_rows, "FETCH_BATCH", 2)
    with open_project(pg_url, user="bob") as project:
        expected = proposal_quality(project, "garment")
        shutil.rmtree(project.root / "proposals")
        calls: list[tuple[int, int]] = []
        assert proposal_quality(project, "garment", progress=lambda d, t: calls.append((d, t))) == expected
        shown = {(i, "v1") for i in ids[:6]} | {(ids[5], "v2")}  # not ids[4]'s v2 nor ids[8]'s: after the save
        assert _copied(project.root) == shown
        assert calls == [(i, 7) for i in range(8)] + [(i, 6) for i in range(1, 7)]

        shutil.rmtree(project.root / "proposals")

        def stop_at_the_fourth_copy(done: int, total: int) -> None:
            if done == 3:
                raise _Stop

        with pytest.raises(_Stop):
            proposal_quality(project, "garment", progress=stop_at_the_fourth_copy)
        assert len(_copied(project.root)) == 3, "a cancel stops between two copies"


def test_a_proposal_the_model_history_cannot_copy_is_its_images_problem(pg_url, tmp_path, monkeypatch) -> None:
    """A full disk while copying one image's proposal failed the whole measure."""
    with create_project(pg_url, tasks=("garment", "parsing7"), user="alice") as project:
        ids = _build(project, tmp_path / "src")
    with open_project(pg_url, user="bob") as project:
        shutil.rmtree(project.root / "proposals", ignore_errors=True)
        real = connection.atomic_write_bytes

        def full_disk_for_image_1(path: Path, data: bytes) -> None:
            if path.parts[-4:-2] == ("proposals", str(ids[1])):
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
            real(path, data)

        monkeypatch.setattr(connection, "atomic_write_bytes", full_disk_for_image_1)
        problems: list[str] = []
        quality = proposal_quality(project, "garment", problems)
    assert [(q.model_version, q.n_images) for q in quality] == [("1", 5), ("2", 1)]
    assert len(problems) == 1
    assert problems[0].startswith("01.png: its proposal could not be copied from the server: ")
    assert problems[0].endswith(": cannot write the local copy: No space left on device")
