"""A photo whose stem is that of the export's list of renamed photos (``export_names``) keeps
its annotation: a labelme export wrote it as ``export_names.json``, which the list then
replaced, or which the import read as the list and refused the whole export."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.store import Project

H, W = 24, 32


def test_a_photo_named_export_names_survives_a_labelme_round_trip(tmp_path: Path, write_photo) -> None:
    masks = {}
    with Project.create(tmp_path / "p", tasks=("garment",)) as project:
        for n, name in enumerate(("export_names.png", "look.png"), 1):
            record = project.add_image(write_photo(tmp_path / "shoot" / name, (H, W), seed=n))
            mask = np.zeros((H, W), np.uint8)
            mask[n : n + 5, 2 * n : 2 * n + 6] = 1
            project.save_mask(record.id, "garment", mask)
            masks[name] = mask
        assert export_project(project, tmp_path / "out", "labelme", "garment").count == 2
    with Project.create(tmp_path / "q", tasks=("garment",)) as copy:
        for name in masks:
            copy.add_image(tmp_path / "shoot" / name)
        summary = import_source(copy, tmp_path / "out", "labelme", "garment")
        assert (summary.masks, summary.errors) == (2, [])
        for record in copy.images():
            loaded = copy.load_mask(record.id, "garment")
            assert loaded is not None
            assert np.array_equal(loaded, masks[record.name])
