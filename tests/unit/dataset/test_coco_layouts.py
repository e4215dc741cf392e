"""COCO and coco-instances import find photos in the standard COCO folder layouts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.schema import load_instance_taxonomy

H, W = 24, 32
BOX = [[2, 2, 12, 2, 12, 10, 2, 10]]


def _coco_file(path: Path, name: str = "look.jpg", categories: list[dict] | None = None) -> Path:
    """A COCO file at ``path`` listing one photo ``name`` with one box annotation."""
    data = {
        "images": [{"id": 1, "file_name": name, "width": W, "height": H}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": BOX, "iscrowd": 0}],
        "categories": categories or [{"id": 1, "name": "garment"}],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("json_name", "photo_folder"),
    [
        ("annotations/instances_default.json", "images/default"),  # datumaro, CVAT "COCO 1.0"
        ("annotations/instances_val2017.json", "val2017"),  # the official COCO zips
        ("annotations/instances_val2017.json", "images"),
        ("annotations/instances_val2017.json", "."),
        ("annotations/default.json", "images/default"),  # the plain stem as the subset
        ("Annotations/instances_train.json", "train"),
    ],
)
def test_a_coco_file_in_annotations_finds_its_photos_in_the_standard_layout(
    project: Project, tmp_path: Path, write_photo, json_name: str, photo_folder: str
) -> None:
    """Every image was refused ("no photo named 'look' in the project or the source"): only the
    JSON's own folder and its images/ were searched."""
    src = tmp_path / "coco"
    write_photo(src / photo_folder / "look.jpg", (H, W))
    path = _coco_file(src / json_name)
    summary = import_source(project, path, "coco")
    assert (summary.masks, summary.errors) == (1, [])
    (record,) = project.images_by_stem("look")
    assert np.count_nonzero(project.load_mask(record.id, "garment")) == 80


def test_the_parent_is_searched_only_for_a_file_in_a_folder_named_annotations(
    project: Project, tmp_path: Path, write_photo
) -> None:
    src = tmp_path / "coco"
    write_photo(src / "images" / "default" / "look.jpg", (H, W))
    path = _coco_file(src / "labels" / "instances_default.json")
    summary = import_source(project, path, "coco")
    ((where, problem),) = summary.errors
    assert where == f"{path}: images[0], image 'look.jpg'" and "no photo named 'look.jpg'" in problem
    assert project.images() == []


@pytest.mark.parametrize(
    ("json_name", "name", "photo"),
    [
        ("annotations/instances_...json", "look.jpg", "look.jpg"),  # subset '..' is no folder
        ("annotations/instances_default.json", "../../look.jpg", "look.jpg"),
    ],
)
def test_the_standard_layout_does_not_lead_out_of_the_dataset(
    project: Project, tmp_path: Path, write_photo, json_name: str, name: str, photo: str
) -> None:
    """A photo above the dataset folder (tmp_path/coco) is never imported."""
    write_photo(tmp_path / photo, (H, W))
    path = _coco_file(tmp_path / "coco" / json_name, name)
    summary = import_source(project, path, "coco")
    assert summary.masks == 0 and len(summary.errors) == 1
    assert project.images() == []


def test_coco_instances_find_their_photos_in_the_standard_layout(tmp_path: Path, write_photo) -> None:
    """coco-instances shares the photo lookup: annotations/instances_default.json, images/default/."""
    tax = load_instance_taxonomy()
    src = tmp_path / "coco"
    write_photo(src / "images" / "default" / "look.jpg", (H, W))
    path = src / "annotations" / "instances_default.json"
    _coco_file(path, categories=[{"id": c.id, "name": c.name} for c in tax.categories])
    data = json.loads(path.read_text())
    data["annotations"][0]["category_id"] = tax.index("blazer")
    path.write_text(json.dumps(data))
    with Project.create(tmp_path / "p", tasks=("parsing7",)) as project:
        summary = import_source(project, path, "coco-instances")
        assert summary.errors == []
        (record,) = project.images_by_stem("look")
        instances = project.load_instances(record.id)
        assert instances is not None and len(instances.instances) == 1


def _rle(region: np.ndarray) -> dict:
    """A compressed COCO RLE of a ``bool`` region (as pycocotools writes it)."""
    rle = mask_utils.encode(np.asfortranarray(region.astype(np.uint8)))
    return {"size": list(region.shape), "counts": rle["counts"].decode("ascii")}


def _coco_root(root: Path, subsets: tuple[str, ...], write_photo, extra: tuple[str, ...] = ()) -> Path:
    """A COCO dataset ROOT as the official zips lay it out: ``annotations/instances_SUBSET.json``
    (a polygon on ``look.png``, an RLE on ``shot.jpg``) and the photos in ``SUBSET/``;
    ``extra`` JSON files (``captions_val2017.json``) beside them."""
    region = np.zeros((H, W), bool)
    region[4:20, 16:30] = True
    for subset in subsets:
        write_photo(root / subset / "look.png", (H, W), seed=1)
        write_photo(root / subset / "shot.jpg", (H, W), seed=2)
        data = {
            "images": [
                {"id": 1, "file_name": "look.png", "width": W, "height": H},
                {"id": 2, "file_name": "shot.jpg", "width": W, "height": H},
            ],
            "annotations": [
                {"id": 1, "image_id": 1, "category_id": 1, "segmentation": BOX, "iscrowd": 0},
                {"id": 2, "image_id": 2, "category_id": 1, "segmentation": _rle(region), "iscrowd": 1},
            ],
            "categories": [{"id": 1, "name": "garment"}],
        }
        (root / "annotations").mkdir(parents=True, exist_ok=True)
        (root / "annotations" / f"instances_{subset}.json").write_text(json.dumps(data))
    for name in extra:
        (root / "annotations" / name).write_text(json.dumps({"images": [], "annotations": []}))
    return root


def test_a_coco_root_folder_imports_its_one_instance_file_from_annotations(
    project: Project, tmp_path: Path, write_photo
) -> None:
    """Importing the dataset's ROOT (not its JSON) read ROOT/annotations.json and failed
    ("not a readable COCO JSON ([Errno 2] ...)"): the standard layout's annotations/ was never looked in."""
    root = _coco_root(tmp_path / "coco", ("val2017",), write_photo)
    summary = import_source(project, root, "coco")
    assert (summary.added, summary.masks, summary.errors, summary.skipped) == (2, 2, [], [])
    (look,) = project.images_by_stem("look")
    (shot,) = project.images_by_stem("shot")
    assert np.count_nonzero(project.load_mask(look.id, "garment")) == 80
    assert np.count_nonzero(project.load_mask(shot.id, "garment")) == 16 * 14


def test_a_coco_root_takes_the_instance_file_and_says_which_others_it_left_out(
    project: Project, tmp_path: Path, write_photo
) -> None:
    root = _coco_root(tmp_path / "coco", ("val2017",), write_photo, extra=("captions_val2017.json",))
    summary = import_source(project, root, "coco")
    assert (summary.masks, summary.errors) == (2, [])
    chosen = root / "annotations" / "instances_val2017.json"
    assert summary.skipped == [
        (str(root / "annotations" / "captions_val2017.json"), f"not an instance file; imported {chosen}")
    ]


def test_a_coco_root_with_several_instance_files_is_refused_naming_them(
    project: Project, tmp_path: Path, write_photo
) -> None:
    root = _coco_root(tmp_path / "coco", ("train2017", "val2017"), write_photo)
    with pytest.raises(ValueError) as caught:
        import_source(project, root, "coco")
    assert str(caught.value) == (
        f"{root}: several COCO files in {root / 'annotations'} (instances_train2017.json, "
        "instances_val2017.json); import one of them by its path"
    )
    assert project.images() == []


def test_a_folder_with_no_coco_file_says_where_it_looked(project: Project, tmp_path: Path, write_photo) -> None:
    write_photo(tmp_path / "coco" / "images" / "look.png", (H, W))
    (tmp_path / "coco" / "annotations").mkdir()
    with pytest.raises(ValueError) as caught:
        import_source(project, tmp_path / "coco", "coco")
    root = tmp_path / "coco"
    assert str(caught.value) == (
        f"{root}: no annotations.json, and no .json file in {root / 'annotations'}; "
        "pass the COCO file's path"
    )


def test_coco_instances_import_a_root_folder_too(tmp_path: Path, write_photo) -> None:
    tax = load_instance_taxonomy()
    src = tmp_path / "coco"
    write_photo(src / "images" / "default" / "look.jpg", (H, W))
    path = _coco_file(src / "annotations" / "instances_default.json",
                      categories=[{"id": c.id, "name": c.name} for c in tax.categories])  # fmt: skip
    data = json.loads(path.read_text())
    data["annotations"][0]["category_id"] = tax.index("blazer")
    path.write_text(json.dumps(data))
    with Project.create(tmp_path / "p", tasks=("parsing7",)) as project:
        summary = import_source(project, src, "coco-instances")
        assert summary.errors == []
        (record,) = project.images_by_stem("look")
        assert project.load_instances(record.id) is not None
