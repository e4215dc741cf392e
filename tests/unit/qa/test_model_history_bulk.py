"""Model history reads the proposals of every masked image in a few queries: 300 masked images
on a team project made 300 proposal queries (one per image, each with its PNGs), a window frozen
on a remote server; ``proposals_of`` gives each image what ``proposals`` gives it, on both
backends."""

from __future__ import annotations

import shutil

import pytest
from qa_synth import add_photo, square

from fashion_annotator.dataset import training_items
from fashion_annotator.dataset.postgres import training_rows
from fashion_annotator.dataset.store import create_project, open_project
from fashion_annotator.qa.model_history import proposal_quality

MASKED = 300


def _build(project, folder) -> list[int]:
    """``MASKED`` images, each with a proposal then a saved mask (half of them accepted as
    proposed, half drawn smaller), and two without a mask."""
    ids = [add_photo(project, folder, f"{i:03d}.png", i) for i in range(MASKED + 2)]
    for n, image_id in enumerate(ids[:MASKED]):
        project.save_proposal(image_id, "garment", square(2, 2, 10, 10), "1" if n < 200 else "2")
        project.save_mask(image_id, "garment", square(2, 2, 10, 10 if n % 2 else 6), status="done")
    project.save_proposal(ids[MASKED], "garment", square(2, 2, 10, 10), "1")  # no mask: not read
    return ids


def _proposal_reads(queries: list[str]) -> int:
    return sum("FROM proposals" in q for q in queries)


def test_three_hundred_masked_images_read_their_proposals_in_a_few_queries(
    pg_url, tmp_path, monkeypatch, pg_statements
) -> None:
    with create_project(pg_url, tasks=("garment",), user="alice") as project:
        _build(project, tmp_path / "src")
    with open_project(pg_url, user="bob") as project:
        shutil.rmtree(project.root / "proposals", ignore_errors=True)  # a desktop with no copies
        queries = pg_statements(project)
        quality = proposal_quality(project, "garment")
        assert [(q.model_version, q.n_images) for q in quality] == [("1", 200), ("2", 100)]
        assert quality[0].median == pytest.approx(0.85, abs=0.11)
        # the proposal rows without PNGs, then the 300 PNGs this desktop lacks, 200 a query
        assert _proposal_reads(queries) == 1 + 2, queries
        # the task list (twice), the versions, the images, the proposals, their PNGs (2), the masks (2)
        assert len(queries) == 9, f"{len(queries)} statements for {MASKED} masked images"
        del queries[:]
        assert proposal_quality(project, "garment") == quality
        assert _proposal_reads(queries) == 1, "every copy current: the rows alone"
        assert len(queries) == 5, queries


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_proposals_of_is_proposals_of_each_image(backend, pg_url, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(training_items, "IDS_PER_QUERY", 7)
    monkeypatch.setattr(training_rows, "FETCH_BATCH", 5)
    location = tmp_path / "proj" if backend == "sqlite" else pg_url
    with create_project(location, tasks=("garment",), user="alice") as project:
        ids = [add_photo(project, tmp_path / "src", f"{i:02d}.png", i) for i in range(20)]
        for n, image_id in enumerate(ids[:16]):
            for version in range(1 + n % 3):
                project.save_proposal(image_id, "garment", square(2, 2, 4 + version, 10), str(version))
    with open_project(location, user="bob") as project:
        got = project.proposals_of("garment", [*ids, *ids[:3]])
        assert sorted(got) == ids[:16], "images without a proposal have no entry"
        for image_id in ids:
            assert got.get(image_id, []) == project.proposals(image_id, "garment")
        assert all(p.path.is_file() for records in got.values() for p in records)
        assert project.proposals_of("garment", []) == {}
