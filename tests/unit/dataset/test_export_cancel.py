"""An export cancelled between images (the window's Cancel, or its closing) keeps what it wrote
whole: the images done, the format's annotation file listing those alone, and the unfinished
note naming them. COCO, Label Studio and CVAT used to write their one annotation file after the
last image only: a cancelled export held the copied photos and no annotation file, while its
summary said "the folder holds those" (counting images without a mask as exported too)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.formats.common import UNFINISHED_EXPORT
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.ui.file_jobs import JobCancelled, cancelled_export

#: The images of the project, in order; ``look1`` has no mask (nor instances).
NAMES = [f"look{i}.png" for i in range(6)]
#: The progress call that cancels: after the third image looked at (look0, look1, look2).
STOP_AT = 3
EXPORTED = ["look0.png", "look2.png"]


def _cancel(done: int, total: int) -> None:
    if done == STOP_AT and done < total:
        raise JobCancelled(done, total)


def _mask(i: int) -> np.ndarray:
    mask = np.zeros((24, 32), np.uint8)
    mask[2 + i : 12 + i, 3:20] = 1
    return mask


@pytest.fixture
def masked(tmp_path: Path, write_photo) -> Project:
    with Project.create(tmp_path / "proj", user="alice") as proj:
        for i, name in enumerate(NAMES):
            record = proj.add_image(write_photo(tmp_path / "src" / name, seed=i))
            if i != 1:
                proj.save_mask(record.id, "garment", _mask(i))
                proj.save_instances(record.id, InstanceSet(_mask(i), {1: Instance(1, 3, "blazer")}))
        yield proj


def _cancelled(project: Project, out: Path, fmt: str) -> JobCancelled:
    with pytest.raises(JobCancelled) as caught:
        export_project(project, out, fmt, None if fmt == "coco-instances" else "garment", progress=_cancel)
    return caught.value


def _listed(out: Path, fmt: str) -> list[str]:
    """The photos the format's annotation file lists."""
    if fmt in ("coco", "coco-instances"):
        data = json.loads((out / ("annotations.json" if fmt == "coco" else "instances.json")).read_text())
        return [Path(entry["file_name"]).name for entry in data["images"]]
    if fmt == "labelstudio":
        return [Path(task["data"]["image"]).name for task in json.loads((out / "tasks.json").read_text())]
    if fmt == "cvat":
        return [node.get("name") for node in ET.parse(out / "annotations.xml").getroot().iter("image")]
    assert fmt == "voc"
    return [f"{stem}.png" for stem in (out / "ImageSets" / "Segmentation" / "default.txt").read_text().split()]


@pytest.mark.parametrize(
    ("fmt", "listed"),
    [
        ("coco", "annotations.json lists"),
        ("labelstudio", "tasks.json lists"),
        ("cvat", "annotations.xml lists"),
        ("voc", "ImageSets/Segmentation/default.txt lists"),
        ("coco-instances", "instances.json and instances.csv list"),
    ],
)
def test_a_cancelled_single_file_export_writes_its_file_for_the_images_done(masked, tmp_path, fmt, listed):
    out = tmp_path / "out"
    stop = _cancelled(masked, out, fmt)
    assert _listed(out, fmt) == EXPORTED, "the annotation file lists exactly the images exported"
    photos = sorted(p.name for p in out.rglob("look*.png") if "SegmentationClass" not in p.parts)
    assert photos == EXPORTED
    assert stop.export is not None and stop.export.count == len(EXPORTED)
    note = (out / UNFINISHED_EXPORT).read_text()
    assert f"cancelled after {STOP_AT} of 6 images" in note
    assert f"It holds the 2 images exported before the cancel ({listed} only those):" in note
    assert note.rstrip().endswith("  look0.png\n  look2.png")
    lines, went_wrong = cancelled_export(stop)
    missing = "saved instances (the Instances panel" if fmt == "coco-instances" else "a mask for the task"
    assert went_wrong and lines[:2] == [
        "Export cancelled (unfinished): 2 images written to out",
        f"Export cancelled after {STOP_AT} of 6 images: the folder holds the 2 images exported before it",
    ]
    assert lines[2].startswith(f"1 image without {missing}") and lines[2].endswith(" left out")
    assert lines[3:] == [
        f"{listed} only the images exported",
        f"The folder is a partial export: its {UNFINISHED_EXPORT} names the images in it; export again "
        "into a new or empty folder for every image.",
    ]
    if fmt != "coco-instances":  # the partial folder is a real export of those images
        (out / UNFINISHED_EXPORT).unlink()
        with Project.create(tmp_path / "again", user="bob") as again:
            summary = import_source(again, out, fmt, "garment")
            assert summary.masks == 2 and not summary.errors, summary.lines()
            got = {r.name: again.load_mask(r.id, "garment") for r in again.images()}
            assert sorted(got) == EXPORTED
            assert all(np.array_equal(got[f"look{i}.png"], _mask(i)) for i in (0, 2))


def test_a_cancelled_cutout_export_holds_the_cutouts_done_and_names_them(masked, tmp_path):
    out = tmp_path / "cutouts"
    stop = _cancelled(masked, out, "cutout")
    assert sorted(p.name for p in out.glob("*.png")) == EXPORTED
    note = (out / UNFINISHED_EXPORT).read_text()
    assert "It holds the 2 images exported before the cancel:\n  look0.png\n  look2.png\n" in note
    lines, _ = cancelled_export(stop)
    assert lines[:3] == [
        "Export cancelled (unfinished): 2 images written to cutouts",
        f"Export cancelled after {STOP_AT} of 6 images: the folder holds the 2 images exported before it",
        "1 image without a mask for the task left out",
    ]


def test_an_export_cancelled_before_any_masked_image_says_none_was_exported(tmp_path, write_photo):
    with Project.create(tmp_path / "proj", user="alice") as proj:
        for i in range(5):
            proj.add_image(write_photo(tmp_path / "src" / f"bare{i}.png", seed=i))
        with pytest.raises(JobCancelled) as caught:
            export_project(proj, tmp_path / "out", "coco", "garment", progress=_cancel)
    assert json.loads((tmp_path / "out" / "annotations.json").read_text())["images"] == []
    assert cancelled_export(caught.value)[0][:2] == [
        "Export cancelled (unfinished): no image written to out",
        f"Export cancelled after {STOP_AT} of 5 images: no image was exported before it",
    ]
    assert "No image was exported before the cancel (annotations.json lists none)." in (
        tmp_path / "out" / UNFINISHED_EXPORT
    ).read_text()
