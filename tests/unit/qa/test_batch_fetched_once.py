"""A team project's batched PNG reads fetch each batch once: a mask version the server no
longer has (deleted meanwhile, or never saved) fetched its whole batch again (up to 200 PNGs)
and put back the bytes already handed out, held until the read ended."""

from __future__ import annotations

import numpy as np
from qa_synth import add_photo, square

from fashion_annotator.dataset.store import create_project


def test_a_missing_version_does_not_fetch_its_batch_again(pg_url, tmp_path, pg_statements) -> None:
    with create_project(pg_url, tasks=("garment",), user="alice") as project:
        ids = [add_photo(project, tmp_path / "src", f"{i:02d}.png", i) for i in range(3)]
        for i, image_id in enumerate(ids):
            project.save_mask(image_id, "garment", square(2, 2, 6 + i, 10), status="done")
        queries = pg_statements(project)
        wanted = [(ids[0], 1), (ids[1], 9), (ids[2], 1), (ids[1], 1)]
        got = [(image_id, read()) for image_id, read in project.load_masks("garment", wanted)]
        fetches = [q for q in queries if "FROM mask_versions v JOIN images i" in q]
        assert len(fetches) == 1, f"one batch, one query; got {len(fetches)}"
        assert [image_id for image_id, _ in got] == [ids[0], ids[1], ids[2], ids[1]]
        assert got[1][1] is None, "no version 9: None, as load_mask"
        for (image_id, version), (_, mask) in zip(wanted, got, strict=True):
            if version == 1:
                assert np.array_equal(mask, project.load_mask(image_id, "garment", 1))



def test_load_masks_gives_each_version_once_on_both_backends(pg_url, tmp_path) -> None:
    """A folder project gave a version asked twice twice, a team project once: a caller pairing
    the reads with its own list (the Review scoring does) went out of step on one backend."""
    for location in (tmp_path / "proj", pg_url):
        with create_project(location, tasks=("garment",), user="alice") as project:
            ids = [add_photo(project, tmp_path / "src", f"{i:02d}.png", i) for i in range(2)]
            for image_id in ids:
                project.save_mask(image_id, "garment", square(2, 2, 8, 10), status="done")
            wanted = [(ids[0], 1), (ids[1], 1), (ids[0], 1), (ids[1], 1)]
            got = [image_id for image_id, _ in project.load_masks("garment", wanted)]
            assert got == [ids[0], ids[1]], location
