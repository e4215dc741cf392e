"""A COCO ``file_name`` written on Windows (``sub\\look.png``) finds its photo in the source.

The tool formats read ``\\`` as a folder separator; the COCO import looked for a file named
``sub\\look.png`` and refused the image ("no photo named 'sub_look.png'").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

H, W = 24, 32


@pytest.mark.parametrize("name", ["sub\\look.png", "images\\sub\\look.png"])
def test_a_windows_file_name_finds_its_photo(project: Project, tmp_path: Path, write_photo, name: str) -> None:
    write_photo(tmp_path / "images" / "sub" / "look.png", (H, W))
    data = {
        "images": [{"id": 1, "file_name": name, "height": H, "width": W}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[2, 2, 20, 2, 20, 20, 2, 20]]}],
        "categories": [{"id": 1, "name": "top"}],
    }
    (tmp_path / "annotations.json").write_text(json.dumps(data))
    summary = import_source(project, tmp_path, "coco")
    assert (summary.errors, summary.masks, summary.added) == ([], 1, 1)
    (record,) = project.images()
    assert record.name == "look.png" and project.load_mask(record.id, "parsing7")[10, 10] == 3


def test_a_windows_name_that_climbs_out_is_still_refused(project: Project, tmp_path: Path, write_photo) -> None:
    write_photo(tmp_path / "look.png", (H, W))
    data = {
        "images": [{"id": 1, "file_name": "images\\..\\..\\look.png", "height": H, "width": W}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[2, 2, 20, 2, 20, 20, 2, 20]]}],
        "categories": [{"id": 1, "name": "top"}],
    }
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "annotations.json").write_text(json.dumps(data))
    summary = import_source(project, tmp_path / "in", "coco")
    ((_, problem),) = summary.errors
    assert "escapes the source folder" in problem and project.images() == []
