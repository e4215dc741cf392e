"""A folder project's ``mask_starts`` reads the rows of the images asked for, not the task's
every row: the Review tab's poll rescoring the one image a colleague changed read all the
task's mask versions and proposals (0.6 s at 15,000 images, each poll), and an id list longer
than SQLite's parameter limit (999 on older builds) still reads every image's rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fashion_annotator.dataset.records import started_from
from fashion_annotator.dataset.store import create_project, open_project

IMAGES = 2500


def _project(root: Path) -> None:
    """A project of :data:`IMAGES` images with two mask versions and two proposals each (rows
    written straight into the index: the files are never read by ``mask_starts``)."""
    with create_project(root, user="alice"):
        pass
    ids = range(1, IMAGES + 1)
    with sqlite3.connect(root / "project.sqlite") as conn:
        conn.executemany(
            "INSERT INTO images (id, name, original_name, stem, source, stored, sha256, width, height,"
            " status, created, updated, user) VALUES (?, ?, ?, ?, 'x', 1, ?, 32, 24, 'done', 1, 1, 'alice')",
            [(i, f"{i}.png", f"{i}.png", str(i), f"sha{i}") for i in ids],
        )
        conn.executemany(
            "INSERT INTO mask_versions (image_id, task, version, path, sha256, source, seconds, actions,"
            " user, created) VALUES (?, 'garment', ?, ?, 'x', 'edit', 1, 1, 'alice', ?)",
            [(i, v, f"masks/{i}/garment/v{v}.png", 10 + v) for i in ids for v in (1, 2)],
        )
        conn.executemany(
            "INSERT INTO proposals (image_id, task, version, path, model_version, user, created)"
            " VALUES (?, 'garment', ?, ?, ?, 'alice', ?)",
            [(i, v, f"proposals/{i}/garment/v{v}.png", str(v), 10 * v) for i in ids for v in (1, 2)],
        )


def _steps(project, ids: list[int]) -> int:
    """SQLite virtual machine steps (in thousands) that ``mask_starts`` of ``ids`` costs."""
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0

    project._conn.set_progress_handler(tick, 1000)
    try:
        project.mask_starts("garment", ids)
    finally:
        project._conn.set_progress_handler(None, 0)
    return count[0]


def test_a_few_images_read_their_rows_only(tmp_path) -> None:
    _project(tmp_path / "p")
    with open_project(tmp_path / "p", user="bob") as project:
        every = list(range(1, IMAGES + 1))
        assert _steps(project, [7]) * 50 < _steps(project, every)


def test_more_ids_than_a_statement_takes_read_every_image(tmp_path) -> None:
    _project(tmp_path / "p")
    with open_project(tmp_path / "p", user="bob") as project:
        every = list(range(IMAGES, 0, -1))  # any order, one id twice
        starts = project.mask_starts("garment", [*every, 3])
        assert set(starts) == set(every)
        for image_id in (1, 999, 1000, 1001, IMAGES):
            versions = project.mask_versions(image_id, "garment")
            assert list(starts[image_id].versions) == versions
            assert starts[image_id].shown == started_from(project.proposals(image_id, "garment"), versions)
            assert starts[image_id].shown is not None and starts[image_id].shown.version == 1
