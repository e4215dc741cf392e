"""A photo of an imported annotation file that is a link out of the source folder is refused,
whether the file names it in full or by its stem (CVAT ``look.jpg`` beside a link
``look.JPEG -> ~/private.jpg`` copied the private photo into the project)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.formats import export_project, import_source
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


def test_a_stored_photo_replaced_by_a_link_to_another_file_is_not_exported(
    tmp_path: Path, write_photo
) -> None:
    """A project folder from elsewhere whose ``images/look.png`` links to a private photo of
    the same size: the export copied the private photo out as ``look.png``."""
    private = write_photo(tmp_path / "home" / "private.png", (H, W), seed=7)
    root = tmp_path / "p"
    with Project.create(root) as project:
        record = project.add_image(write_photo(tmp_path / "look.png", (H, W)))
        project.save_mask(record.id, "garment", np.ones((H, W), np.uint8))
    stored = root / "images" / "look.png"
    same = tmp_path / "same.png"
    stored.rename(same)
    stored.symlink_to(same)  # a link to the very photo added: still exported
    with Project.open(root) as project:
        assert export_project(project, tmp_path / "ok", "plain", "garment").count == 1
    stored.unlink()
    stored.symlink_to(private)
    with Project.open(root) as project:
        summary = export_project(project, tmp_path / "out", "plain", "garment")
    assert summary.count == 0 and "a link to" in summary.errors[0][1]
    assert not any(p.read_bytes() == private.read_bytes() for p in (tmp_path / "out").rglob("*.png"))


def test_a_deeply_nested_export_names_file_is_refused_naming_it(project: Project, tmp_path: Path, write_photo) -> None:
    """An ``export_names.json`` nested 200,000 deep stopped the import with a bare
    'RecursionError' that named no file."""
    src = tmp_path / "vendor"
    _cvat(src, "look.png")
    write_photo(src / "images" / "look.png", (H, W))
    (src / "export_names.json").write_text('{"renamed": ' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8")
    with pytest.raises(ValueError, match="export_names.json: cannot be read .JSON nested too deeply"):
        import_source(project, src, "cvat", "garment")
