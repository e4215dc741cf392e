"""Tool formats: a VOC import's task, --overwrite for every importer, CVAT folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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


@pytest.mark.parametrize("fmt", ["labelme", "cvat", "voc", "labelstudio", "yolo"])
def test_overwrite_makes_a_changed_tool_export_a_new_version(tmp_path: Path, write_photo, fmt: str) -> None:
    """Export, fix in the tool, import again: the refusal said "pass --overwrite", and then
    --overwrite was "not supported by the importer yet"."""
    photo = write_photo(tmp_path / "look.png", (40, 30))
    with Project.create(tmp_path / "tool", tasks=("parsing7",)) as tool:  # the fixed masks
        record = tool.add_image(photo)
        names = tool.taxonomy("parsing7").names
        fixed = np.zeros(record.shape, np.uint8)
        fixed[5:20, 5:25], fixed[25:35, 5:25] = names.index("top"), names.index("bottom")
        tool.save_mask(record.id, "parsing7", fixed)
        export_project(tool, tmp_path / "out", fmt, task="parsing7")
    with Project.create(tmp_path / "p", tasks=("parsing7",)) as project:
        record = project.add_image(photo)
        mask = np.zeros(record.shape, np.uint8)
        mask[5:20, 5:25] = names.index("top")
        project.save_mask(record.id, "parsing7", mask)
        refused = import_source(project, tmp_path / "out", fmt)
        assert refused.errors and "--overwrite" in str(refused.errors[0][1])
        taken = import_source(project, tmp_path / "out", fmt, overwrite=True)
        assert taken.errors == [] and taken.masks == 1
        assert np.array_equal(project.load_mask(record.id, "parsing7"), fixed)
        assert len(project.mask_versions(record.id, "parsing7")) == 2


@pytest.mark.parametrize("fmt", ["plain", "coco", "labelme", "cvat", "yolo"])
def test_an_export_refuses_a_project_photo_replaced_by_one_of_another_size(tmp_path: Path, write_photo,
                                                                           fmt: str) -> None:  # fmt: skip
    """A review: the project's own copy of a photo overwritten by a larger one was exported
    beside its masks of the old size, with no error (the window and the cutout export refuse)."""
    with Project.create(tmp_path / "p", tasks=("garment",)) as project:
        record = project.add_image(write_photo(tmp_path / "look.png", (60, 40)))
        mask = np.zeros(record.shape, np.uint8)
        mask[10:50, 5:35] = 1
        project.save_mask(record.id, "garment", mask)
        write_photo(record.path, (90, 70))
        summary = export_project(project, tmp_path / fmt, fmt, task="garment")
        assert summary.count == 0
        ((name, problem),) = summary.errors
        # found by its content before its size (the content check of copied photos)
        assert "the file changed since it was added" in problem and name.endswith("look.png")


def _cvat_folder(src: Path, write_photo, xml_names: tuple[str, ...]) -> None:
    """A CVAT for images folder as Datumaro writes it (``SUBSET.xml``, ``images/``)."""
    write_photo(src / "images" / "look.jpg", (24, 32))
    xml = (
        '<?xml version="1.0" encoding="utf-8"?><annotations><version>1.1</version>'
        '<image id="0" name="look.jpg" width="32" height="24">'
        '<box label="top" source="manual" occluded="0" xtl="2" ytl="2" xbr="12" ybr="10" z_order="0"/>'
        "</image></annotations>"
    )
    for name in xml_names:
        (src / name).write_text(xml)


def test_a_cvat_folder_with_one_xml_file_imports_it(project: Project, tmp_path: Path, write_photo) -> None:
    """Datumaro's cvat export names the file after the subset (default.xml): the folder was
    refused for lacking annotations.xml."""
    _cvat_folder(tmp_path / "cvat", write_photo, ("default.xml",))
    summary = import_source(project, tmp_path / "cvat", "cvat")
    assert (summary.masks, summary.errors) == (1, [])
    (record,) = project.images_by_stem("look")
    mask = project.load_mask(record.id, "parsing7")
    assert (mask == project.taxonomy("parsing7").names.index("top")).sum() == 80


def test_a_cvat_folder_with_several_xml_files_and_no_annotations_xml_is_refused_naming_them(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "cvat"
    _cvat_folder(src, write_photo, ("train.xml", "val.xml"))
    with pytest.raises(ValueError) as caught:
        import_source(project, src, "cvat")
    assert str(caught.value) == (
        f"{src}: no annotations.xml and several .xml files (train.xml, val.xml); "
        "import one of them by its path"
    )
    assert project.images() == []


def test_a_cvat_folder_with_annotations_xml_imports_it_beside_other_xml_files(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "cvat"
    _cvat_folder(src, write_photo, ("annotations.xml",))
    (src / "notes.xml").write_text("<notes/>")
    summary = import_source(project, src, "cvat")
    assert (summary.masks, summary.errors) == (1, [])
