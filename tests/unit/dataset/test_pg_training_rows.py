"""A PostgreSQL project's training items: mask PNGs and photos copied from the server in
batches (photos by count and bytes), with a callback between images that may stop the copy (the
Retrain dialog's cancel); the photos of images that do not train are not copied."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.postgres import training_rows
from fashion_annotator.dataset.store import create_project, open_project


class _Stop(Exception):
    """The cancel a callback raises."""


@pytest.fixture
def pg_masks(pg_url: str, tmp_path: Path, write_photo) -> tuple[str, list[int]]:
    """Seven images with garment masks (two versions of some, a reject, a fixed reject, one
    image still new), their local copies removed: a desktop that has none of the masks."""
    with create_project(pg_url, user="alice") as project:
        recs = [project.add_image(write_photo(tmp_path / f"{i}.png", seed=i)) for i in range(8)]
        for i, rec in enumerate(recs[:7]):
            project.save_mask(rec.id, "garment", np.full(rec.shape, i % 2, np.uint8), status="done")
        project.save_mask(recs[1].id, "garment", np.zeros(recs[1].shape, np.uint8), status="done")
        project.record_decision(recs[2].id, "garment", "reject", reason="bad")
        project.record_decision(recs[3].id, "garment", "reject", reason="bad")
        project.save_mask(recs[3].id, "garment", np.ones(recs[3].shape, np.uint8), status="done")
        project.save_mask(recs[7].id, "garment", np.ones(recs[7].shape, np.uint8))  # still new
        shutil.rmtree(project.root / "masks")
    return pg_url, [r.id for r in recs]


def _latest(project, image_id: int) -> tuple[int, str]:
    """The latest garment version of an image and its SHA-256, as the server has them."""
    row = project._db.query(
        "SELECT version, sha256 FROM mask_versions WHERE image_id = %s AND task = 'garment'"
        " ORDER BY version DESC LIMIT 1",
        (image_id,),
    )[0]
    return row["version"], row["sha256"]


def _count_fetches(project, monkeypatch) -> list[int]:
    """The number of PNGs each batch query asks the server for, recorded as the store runs it."""
    asked: list[int] = []
    real = project._db.query

    def query(sql, params=None):
        if "SELECT id, png FROM mask_versions" in sql:
            asked.append(len(params[0]))
        return real(sql, params)

    monkeypatch.setattr(project._db, "query", query)
    return asked


def test_the_masks_are_copied_in_batches_with_the_items_of_one_query(pg_masks, monkeypatch) -> None:
    url, ids = pg_masks
    monkeypatch.setattr(training_rows, "FETCH_BATCH", 2)
    calls: list[tuple[int, int]] = []

    def record(done: int, total: int) -> None:
        calls.append((done, total))

    with open_project(url, user="bob") as project:
        asked = _count_fetches(project, monkeypatch)
        items = project.training_items("garment", progress=record)
        assert [i for i, _, _ in items] == [ids[0], ids[1], ids[3], ids[4], ids[5], ids[6]]
        assert calls == [(i, 6) for i in range(7)]  # before each image's copies, then 6 / 6
        assert asked == [2, 2, 2]  # three queries of two PNGs
        for image_id, photo, mask in items:
            version, sha = _latest(project, image_id)
            assert mask == project.root / "masks" / str(image_id) / "garment" / f"v{version}.png"
            assert hashlib.sha256(mask.read_bytes()).hexdigest() == sha
            assert photo == project.image(image_id).path and photo.is_file()
        everything = project.training_items("garment", ("done", "rejected"), False, record)
        assert [i for i, _, _ in everything] == ids[:7]
        assert asked[3:] == [1]  # only the rejected mask was not here yet
        assert project.training_items("garment", statuses=("new",)) == [
            (ids[7], project.image(ids[7]).path, project.root / "masks" / str(ids[7]) / "garment" / "v1.png")
        ]
        assert project.training_items("garment", ("done", "rejected"), False, record) == everything
        assert len(asked) == 5, "every PNG is here: none fetched again (the 'new' image's one was)"


def test_a_cancel_between_images_leaves_only_complete_copies(pg_masks, monkeypatch) -> None:
    url, ids = pg_masks
    monkeypatch.setattr(training_rows, "FETCH_BATCH", 2)
    calls: list[int] = []

    def stop_before_the_third_image(done: int, total: int) -> None:
        calls.append(done)
        if done == 2:
            raise _Stop

    with open_project(url, user="bob") as project:
        with pytest.raises(_Stop):
            project.training_items("garment", progress=stop_before_the_third_image)
        assert calls == [0, 1, 2]
        written = sorted(p for p in (project.root / "masks").rglob("*") if p.is_file())
        assert written == [project.root / "masks" / str(ids[i]) / "garment" / f"v{v}.png" for i, v in ((0, 1), (1, 2))]
        for path in written:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == _latest(project, int(path.parts[-3]))[1]
        asked = _count_fetches(project, monkeypatch)
        items = project.training_items("garment")
        assert asked == [2, 2] and [i for i, _, _ in items] == [ids[0], ids[1], ids[3], ids[4], ids[5], ids[6]]


def _record_queries(project, monkeypatch) -> list[tuple[str, object]]:
    """Every query the project's connection runs, with its parameters, as the store runs it."""
    queries: list[tuple[str, object]] = []
    real = project._db.query

    def query(sql, params=None):
        queries.append((sql, params))
        return real(sql, params)

    monkeypatch.setattr(project._db, "query", query)
    return queries


def _photo_fetches(queries) -> list[int]:
    """The number of photos each photo query asked for."""
    return [len(params[0]) for sql, params in queries if "SELECT sha256, data FROM photos" in sql]


def test_the_photos_are_copied_in_batches_by_count_and_bytes(pg_masks, monkeypatch) -> None:
    url, ids = pg_masks
    used = [ids[0], ids[1], ids[3], ids[4], ids[5], ids[6]]
    with open_project(url, user="bob") as project:
        shutil.rmtree(project.root / "images")
        sizes = [len(project.photo_bytes(i)) for i in used]  # fetches them: removed again below
        shutil.rmtree(project.root / "images")
        monkeypatch.setattr(training_rows, "PHOTO_BATCH", 4)
        monkeypatch.setattr(training_rows, "PHOTO_BYTES", 2 * max(sizes))  # two photos a query
        queries = _record_queries(project, monkeypatch)
        calls: list[int] = []
        items = project.training_items("garment", progress=lambda done, total: calls.append(done))
        assert calls == list(range(7)) and [i for i, _, _ in items] == used  # ends at 6 / 6
        assert _photo_fetches(queries) == [2, 2, 2]
        assert not [sql for sql, _ in queries if "FROM images WHERE id" in sql], "no query per photo"
        for image_id, photo, _ in items:
            assert photo == project.image(image_id).path
            assert hashlib.sha256(photo.read_bytes()).hexdigest() == project.image(image_id).sha256
        shutil.rmtree(project.root / "images")
        monkeypatch.setattr(training_rows, "PHOTO_BYTES", 64 * 2**20)
        del queries[:]
        project.training_items("garment")
        assert _photo_fetches(queries) == [4, 2]  # by count
        del queries[:]
        project.training_items("garment")
        assert _photo_fetches(queries) == [] and len(queries) == 1, "everything is here: one query"
        monkeypatch.setattr(training_rows, "PHOTO_BYTES", 1)
        (project.root / "images" / items[0][1].name).unlink()
        (project.root / "images" / items[1][1].name).unlink()
        del queries[:]
        project.training_items("garment")
        assert _photo_fetches(queries) == [1, 1], "a photo bigger than the cap comes alone"


def test_a_cancel_between_images_leaves_the_photos_copied_so_far(pg_masks, monkeypatch) -> None:
    url, ids = pg_masks
    monkeypatch.setattr(training_rows, "PHOTO_BATCH", 2)

    def stop_before_the_fourth_image(done: int, total: int) -> None:
        if done == 3:
            raise _Stop

    with open_project(url, user="bob") as project:
        shutil.rmtree(project.root / "images")
        with pytest.raises(_Stop):
            project.training_items("garment", progress=stop_before_the_fourth_image)
        written = sorted(p.name for p in (project.root / "images").iterdir())
        assert written == sorted(project.image(i).name for i in (ids[0], ids[1], ids[3]))
        assert not list((project.root / "images").glob("*.tmp")), "no partial file left"


def test_the_retrain_count_copies_no_photo_of_an_image_without_a_mask_of_its_task(pg_masks, tmp_path, write_photo) -> None:
    from fashion_annotator.dataset.training_set import select_training_masks

    url, ids = pg_masks
    with open_project(url, user="bob") as project:
        unmasked = project.add_image(write_photo(tmp_path / "unmasked.png", seed=99))
        project.set_status(unmasked.id, "done")
        shutil.rmtree(project.root / "images")
        selection = select_training_masks(project, "garment")
        assert unmasked.id not in {item.image_id for item in selection.items(True)}
        names = {r.id: r.name for r in project.images(fetch_photos=False)}
        on_disk = {p.name for p in (project.root / "images").iterdir()}
        assert on_disk == {names[i] for i in (ids[0], ids[1], ids[3], ids[4], ids[5], ids[6])}
