"""A project in a folder whose name is not UTF-8 (an old archive, a network share)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.store import Project


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file names are bytes")
def test_a_project_in_a_folder_named_in_latin_1_opens_again(tmp_path: Path, write_photo) -> None:
    """``new`` made it, then every open (the window, info, export) stopped with
    "UnicodeEncodeError: surrogates not allowed" (the index's read-only URI was quoted as text)."""
    folder = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9 shoot"))
    with Project.create(folder / "project") as project:
        record = project.add_image(write_photo(tmp_path / "look.png"))
    with Project.open(folder / "project") as again:
        again.save_mask(record.id, "garment", np.zeros(record.shape, np.uint8))
        assert len(again.mask_versions(record.id, "garment")) == 1
    with Project.open(folder / "project", readonly=True) as viewed:
        assert [r.id for r in viewed.images()] == [record.id]
