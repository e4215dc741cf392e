"""coco-instances import on small synthetic files: what it refuses and what it marks done."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.formats import import_source
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.schema import load_instance_taxonomy

H, W = 40, 30


def _photo(path: Path, seed: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (H, W, 3), np.uint8)).save(path)


def _box(ann_id: int, image_id: int, category: str, x0: int, y0: int, x1: int, y1: int, **extra: object) -> dict:
    return {"id": ann_id, "image_id": image_id, "category_id": load_instance_taxonomy().index(category),
            "segmentation": [[x0, y0, x1, y0, x1, y1, x0, y1]], "iscrowd": 0, **extra}  # fmt: skip


def _instances_file(src: Path, annotations: list[dict] | None, stems: tuple[str, ...] = ("look",)) -> Path:
    images = []
    for k, stem in enumerate(stems, 1):
        _photo(src / "images" / f"{stem}.png", k)
        images.append({"id": k, "file_name": f"{stem}.png", "width": W, "height": H})
    tax = load_instance_taxonomy()
    data: dict = {"images": images, "categories": [{"id": c.id, "name": c.name} for c in tax.categories]}
    if annotations is not None:
        data["annotations"] = annotations
    path = src / "instances.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("annotations", [None, []])
def test_a_file_without_annotations_is_refused(tmp_path: Path, annotations: list | None) -> None:
    """Every listed image got empty instances and an all-background parsing mask."""
    path = _instances_file(tmp_path / "src", annotations)
    with Project.create(tmp_path / "p", tasks=("parsing7",)) as project:
        with pytest.raises(ValueError, match="1 image listed but no annotations") as caught:
            import_source(project, path, "coco-instances")
        assert str(caught.value).startswith(f"{path}: ")
        assert project.images() == []


def test_parsing_painted_from_instances_alone_is_a_proposal_not_finished_training_data(tmp_path: Path) -> None:
    """Skin and hair became background in a parsing mask saved as done, in the training set."""
    path = _instances_file(tmp_path / "src", [_box(1, 1, "blazer", 2, 2, 20, 20), _box(2, 1, "boots", 5, 30, 25, 38)])
    with Project.create(tmp_path / "p", tasks=("garment", "parsing7")) as project:
        _photo(tmp_path / "src" / "images" / "look.png", 1)
        (record,) = [project.add_image(tmp_path / "src" / "images" / "look.png")]
        garment = np.zeros((H, W), np.uint8)
        garment[2:20, 2:20] = 1
        project.save_mask(record.id, "garment", garment, status="done")  # done for another task
        summary = import_source(project, path, "coco-instances")
        assert (summary.errors, summary.masks) == ([], 0)
        ((where, note),) = summary.notes
        assert where == str(path) and note.startswith("1 image had no parsing7 mask") and "proposal" in note
        # a hand test: "1 left out:" headed this line, which says what was saved
        assert summary.skipped == [] and not summary.went_wrong and summary.notable
        assert summary.lines()[1:] == ["1 note on what was saved:", f"  {path}: {note}"]
        assert project.load_mask(record.id, "parsing7") is None
        assert project.training_items("parsing7") == []
        proposal = project.load_proposal(record.id, "parsing7")
        names = project.taxonomy("parsing7").names
        assert proposal is not None and proposal[10, 10] == names.index("top") and proposal[35, 10] == names.index("shoes")
        assert project.load_instances(record.id) is not None


@pytest.mark.parametrize(
    ("proposed", "message"),
    [
        (999, "proposed category 'Blouse' ('proposed_category_id' 999) is not in the instance taxonomy 'ccp'"),
        (12345, "proposed category id 12345 ('proposed_category_id') is not in the file's 'categories' list"),
    ],
)
def test_an_image_with_a_bad_proposed_category_saves_nothing(tmp_path: Path, proposed: int, message: str) -> None:
    """The parsing mask was saved, then saving the instances failed on the proposed category:
    a half import, and the summary said the photo had no mask."""
    anns = [_box(1, 1, "blazer", 2, 2, 20, 20, proposed_category_id=proposed), _box(2, 2, "skirt", 2, 2, 20, 20)]
    path = _instances_file(tmp_path / "src", anns, stems=("bad", "good"))
    data = json.loads(path.read_text())
    data["categories"].append({"id": 999, "name": "Blouse"})  # in the file, not in the taxonomy
    path.write_text(json.dumps(data))
    with Project.create(tmp_path / "p", tasks=("parsing7",)) as project:
        summary = import_source(project, path, "coco-instances")
        ((where, problem),) = summary.errors
        assert where == f"{path}: images[0], image 'bad.png'" and problem == f"annotation 1: {message}"
        (bad,) = project.images_by_stem("bad")
        assert project.instance_versions(bad.id) == [] and project.mask_versions(bad.id, "parsing7") == []
        assert project.proposals(bad.id, "parsing7") == [] and bad.status == "new"
        assert summary.without_mask == ["bad.png"]
        (good,) = project.images_by_stem("good")
        assert project.load_instances(good.id) is not None


def test_overlapping_annotations_say_how_many_pixels_went_to_another_instance(tmp_path: Path) -> None:
    """The overlap silently went to one instance, the other saved smaller than its annotation."""
    anns = [_box(1, 1, "blazer", 2, 2, 22, 22), _box(2, 1, "skirt", 12, 12, 27, 32)]  # 400 px, 300 px
    path = _instances_file(tmp_path / "src", anns)
    with Project.create(tmp_path / "p", tasks=("parsing7",)) as project:
        summary = import_source(project, path, "coco-instances")
        assert summary.errors == []
        assert (f"{path}: images[0], image 'look.png'", "its annotations overlap: 100 pixels of larger instances went to "
                "smaller ones painted over them (largest first)") in summary.notes  # fmt: skip
        assert "left out:" not in "\n".join(summary.lines())


@pytest.mark.parametrize(("key", "value"), [("width", "30"), ("height", 40.5), ("width", True)])
def test_a_width_or_height_that_is_not_an_integer_refuses_the_image(tmp_path: Path, key: str, value: object) -> None:
    """A size given as a string ("1100") was not checked at all."""
    path = _instances_file(tmp_path / "src", [_box(1, 1, "blazer", 2, 2, 22, 22)])
    data = json.loads(path.read_text())
    data["images"][0][key] = value
    path.write_text(json.dumps(data))
    with Project.create(tmp_path / "p", tasks=("parsing7",)) as project:
        summary = import_source(project, path, "coco-instances")
        ((where, problem),) = summary.errors
        assert where == f"{path}: images[0], image 'look.png'"
        assert problem == f"'{key}' must be an integer number of pixels, got {value!r}"
        assert project.images_with_instances() == []


def test_a_whole_number_given_as_a_float_is_a_size(tmp_path: Path) -> None:
    """A review: ``"width": 30.0`` was refused, which plain COCO (and this import before) took."""
    path = _instances_file(tmp_path / "src", [_box(1, 1, "blazer", 2, 2, 22, 22)])
    data = json.loads(path.read_text())
    data["images"][0]["width"] = float(data["images"][0]["width"])
    path.write_text(json.dumps(data))
    with Project.create(tmp_path / "p", tasks=("parsing7",)) as project:
        summary = import_source(project, path, "coco-instances")
        assert summary.errors == [] and len(project.images_with_instances()) == 1


def test_a_refused_entry_is_named_as_plain_coco_names_it(tmp_path: Path) -> None:
    """A review: plain COCO's refusals began ``FILE.json: images[i], image 'name'``, coco-instances'
    ``FILE.json: image 'name'`` without the entry, for the same fault of the same file."""
    path = _instances_file(tmp_path / "src", [_box(1, 1, "blazer", 2, 2, 22, 22), _box(2, 2, "skirt", 2, 2, 22, 22)],
                           stems=("good", "bad"))  # fmt: skip
    data = json.loads(path.read_text())
    data["images"][1]["width"] = W + 10
    path.write_text(json.dumps(data))
    plain = path.with_name("parsing.json")  # the same images as plain COCO, with parsing7 classes
    plain.write_text(json.dumps({**data, "categories": [{"id": 3, "name": "top"}],
                                 "annotations": [{**a, "category_id": 3} for a in data["annotations"]]}))  # fmt: skip
    found = {}
    for fmt, source in (("coco-instances", path), ("coco", plain)):
        with Project.create(tmp_path / fmt, tasks=("parsing7",)) as project:
            ((where, problem),) = import_source(project, source, fmt).errors
            assert problem.startswith(f"the file gives {W + 10}x{H} pixels, the photo has {W}x{H}")
            found[fmt] = where.replace(str(source), "FILE")
    assert found["coco-instances"] == found["coco"] == "FILE: images[1], image 'bad.png'"


def test_an_unknown_taxonomy_option_is_named_as_the_option_not_the_file(tmp_path: Path) -> None:
    """A QA hand test passed ``--taxonomy garment`` (a mask task) to a coco-instances import of a
    file saying ``ccp``: the message blamed the file ("instance taxonomy 'garment' is not one
    this program has"); it names the option and what the file says."""
    path = _instances_file(tmp_path / "src", [_box(1, 1, "blazer", 2, 2, 20, 20)])
    data = json.loads(path.read_text())
    data["info"] = {"instance_taxonomy": "ccp"}
    path.write_text(json.dumps(data))
    with Project.create(tmp_path / "p", tasks=("parsing7",)) as project:
        with pytest.raises(ValueError) as caught:
            import_source(project, path, "coco-instances", "garment")
        assert str(caught.value).startswith(
            f"{path}: --taxonomy 'garment' is not an instance taxonomy this program has (ccp"
        )
        assert "(the file says 'ccp')" in str(caught.value)
        data["info"] = {"instance_taxonomy": "deepfashion9"}
        path.write_text(json.dumps(data))
        with pytest.raises(ValueError, match="instance taxonomy 'deepfashion9' is not one this program has"):
            import_source(project, path, "coco-instances")
        assert project.images() == []
