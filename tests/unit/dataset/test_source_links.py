"""A photo of an imported annotation file that is a link out of the source folder is refused,
whether the file names it in full or by its stem (CVAT ``look.jpg`` beside a link
``look.JPEG -> ~/private.jpg`` copied the private photo into the project)."""

from __future__ import annotations

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
