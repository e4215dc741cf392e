"""A photo of an imported annotation file that is a link out of the source folder is refused,
whether the file names it in full or by its stem (CVAT ``look.jpg`` beside a link
``look.JPEG -> ~/private.jpg`` copied the private photo into the project)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project

H, W = 24, 32


def _cvat(folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "annotations.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><annotations><version>1.1</version>'
        f'<image id="0" name="{name}" width="{W}" height="{H}">'
        '<box label="garment" xtl="2" ytl="2" xbr="20" ybr="20" occluded="0"/></image></annotations>',
        encoding="utf-8",
    )


@pytest.mark.parametrize(("named", "link"), [("look.jpg", "look.jpg"), ("look.jpg", "look.JPEG"), ("look", "look.png")])
def test_a_link_out_of_the_source_folder_is_never_imported(
    project: Project, tmp_path: Path, write_photo, named: str, link: str
) -> None:
    private = write_photo(tmp_path / "home" / "private.png", (H, W))
    src = tmp_path / "vendor"
    _cvat(src, named)
    (src / "images").mkdir()
    (src / "images" / link).symlink_to(private)
    summary = import_source(project, src, "cvat", "garment")
    assert project.images() == []
    assert summary.added == 0 and summary.masks == 0
    ((file, problem),) = summary.errors
    assert "leads outside" in problem


def test_a_label_studio_task_naming_a_too_long_file_is_refused_alone(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """A task whose image name no file system takes (5,000 bytes) stopped the whole import with
    'File name too long'; it is refused and the other tasks are imported."""
    src = tmp_path / "ls"
    write_photo(src / "images" / "look.png", (H, W))
    box = {"type": "rectanglelabels", "from_name": "l", "to_name": "image", "original_width": W,
           "original_height": H, "value": {"x": 10, "y": 10, "width": 50, "height": 50,
                                           "rectanglelabels": ["garment"]}}  # fmt: skip
    tasks = [{"id": n, "data": {"image": name}, "annotations": [{"id": n, "result": [box]}]}
             for n, name in enumerate(("a" * 5000 + ".png", "look.png"), 1)]  # fmt: skip
    (src / "tasks.json").write_text(json.dumps(tasks), encoding="utf-8")
    summary = import_source(project, src, "labelstudio", "garment")
    assert [r.name for r in project.images()] == ["look.png"] and summary.masks == 1
    assert len(summary.errors) == 1
