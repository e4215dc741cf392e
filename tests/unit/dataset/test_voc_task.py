"""A VOC import picks its task from the whole label map, not from the labels the masks use."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.store import Project


def test_a_parsing18_export_using_only_parsing7_names_goes_back_to_parsing18(tmp_path: Path, write_photo) -> None:
    """Its masks happened to use only background, hair, top and dress: it landed in parsing7."""
    with Project.create(tmp_path / "a", tasks=("parsing18",)) as source:
        record = source.add_image(write_photo(tmp_path / "look.png", (40, 30)))
        names = source.taxonomy("parsing18").names
        mask = np.zeros(record.shape, np.uint8)
        mask[5:20, 5:25], mask[20:35, 5:25], mask[:3, :3] = (names.index(n) for n in ("top", "dress", "hair"))
        source.save_mask(record.id, "parsing18", mask)
        export_project(source, tmp_path / "voc", "voc", task="parsing18")
    with Project.create(tmp_path / "b", tasks=("parsing7", "parsing18")) as target:
        assert import_source(target, tmp_path / "voc", "voc").masks == 1
        (image,) = target.images()
        assert target.mask_versions(image.id, "parsing7") == []
        assert np.array_equal(target.load_mask(image.id, "parsing18"), mask)
