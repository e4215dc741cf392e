"""A coco-instances export and its import back keep what a person did and write only what a
person saved (QA and studio hand tests, s52): the model's proposals came back empty, so
every imported value counted as a person's; instances came back renumbered; the model's
untouched instances of a photo only opened were exported; instance pixels that a later saved
parsing mask gives another class were exported."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.instances.qa import instance_qa_row
from fashion_annotator.instances.schema import load_attribute_schema

H, W = 40, 60
TOP, SHOES, BOTTOM, DRESS = 3, 4, 5, 6  # parsing7


def _parsing() -> np.ndarray:
    parsing = np.zeros((H, W), np.uint8)
    parsing[2:15, 5:35] = TOP
    parsing[16:30, 5:25] = BOTTOM
    parsing[32:38, 5:15] = SHOES
    parsing[32:38, 40:55] = SHOES
    return parsing


def _instances(parsing: np.ndarray) -> InstanceSet:
    """The model's proposal, numbered as the window numbered it (not largest first): 1 the
    smaller boot, 2 the skirt, 3 the blouse, 4 the larger boot."""
    imap = np.zeros((H, W), np.uint8)
    imap[32:38, 5:15] = 1
    imap[parsing == BOTTOM] = 2
    imap[parsing == TOP] = 3
    imap[32:38, 40:55] = 4
    kept = {"pattern": "solid", "fit": "loose"}
    return InstanceSet(imap, {
        1: Instance(1, SHOES, "boots", "boots", 0.91, {}, {}),
        2: Instance(2, BOTTOM, "skirt", "skirt", 0.62, {"pattern": "solid"}, {"pattern": "solid"}),
        3: Instance(3, TOP, "blouse", "blouse", 0.55, dict(kept), dict(kept)),
        4: Instance(4, SHOES, "boots", "boots", 0.87, {}, {}),
    })  # fmt: skip


def _source(tmp_path: Path, name: str = "look.png") -> tuple[Project, int, Path]:
    """A project whose photo is done: the model's instances, then an operator's version (the
    blouse made a shirt, its pattern striped)."""
    photo = tmp_path / "photos" / name
    photo.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (H, W, 3), np.uint8)).save(photo)
    project = Project.create(tmp_path / "src", tasks=("parsing7",))
    record = project.add_image(photo)
    parsing = _parsing()
    project.save_mask(record.id, "parsing7", parsing, status="done")
    iset = _instances(parsing)
    project.save_instances(record.id, iset, source="model")
    iset.instances[3].category = "shirt"
    iset.instances[3].attributes["pattern"] = "striped"
    project.save_instances(record.id, iset, source="operator")
    return project, record.id, photo


def _imported(tmp_path: Path, photo: Path, src: Path) -> tuple[Project, int]:
    """A new project holding the photo, its parsing mask done, and the export imported."""
    project = Project.create(tmp_path / "dst", tasks=("parsing7",))
    record = project.add_image(photo)
    project.save_mask(record.id, "parsing7", _parsing(), status="done")
    summary = import_source(project, src, "coco-instances")
    assert summary.errors == [] and summary.instances == 1
    return project, record.id


def test_a_round_trip_keeps_the_models_proposals(tmp_path: Path) -> None:
    """QA hand test: every re-imported instance had no proposed attributes and no score, so
    the Review's "attributes filled by a person" and the attribute retrain counted the model's
    values as a person's (per image 0-1 slots became 6-15)."""
    from training.instance_attributes import count_labelled

    source, image_id, photo = _source(tmp_path)
    with source:
        export_project(source, tmp_path / "out", "coco-instances")
        saved = source.load_instances(image_id)
        row = instance_qa_row(source, source.image(image_id), saved)
        labelled = count_labelled(source, load_attribute_schema())
    coco = json.loads((tmp_path / "out" / "instances.json").read_text())
    blouse = next(a for a in coco["annotations"] if a["fa_instance"] == 3)
    assert blouse["fa_proposed"]["category_score"] == 0.55 and len(blouse["fa_proposed"]["attribute_ids"]) == 2
    dst, back_id = _imported(tmp_path, photo, tmp_path / "out")
    with dst:
        back = dst.load_instances(back_id)
        assert back is not None and saved is not None and row is not None
        for k, inst in saved.instances.items():
            got = back.instances[k]
            assert (got.category, got.proposed_category, got.category_score) == (
                inst.category, inst.proposed_category, inst.category_score)  # fmt: skip
            assert (got.attributes, got.proposed_attributes) == (inst.attributes, inst.proposed_attributes)
        back_row = instance_qa_row(dst, dst.image(back_id), back)
        assert back_row is not None
        assert (back_row.attributes_filled, back_row.category_changed) == (row.attributes_filled, row.category_changed)
        assert count_labelled(dst, load_attribute_schema()) == labelled == (1, 1)
        again = import_source(dst, tmp_path / "out", "coco-instances")
        assert again.unchanged == 1 and len(dst.instance_versions(back_id)) == 1, "a second import adds nothing"


def test_a_file_without_the_proposals_imports_as_before(tmp_path: Path) -> None:
    """A file of another tool (no fa_proposed): no proposals, every value a person's."""
    source, _image_id, photo = _source(tmp_path)
    with source:
        export_project(source, tmp_path / "out", "coco-instances")
    path = tmp_path / "out" / "instances.json"
    coco = json.loads(path.read_text())
    for ann in coco["annotations"]:
        del ann["fa_proposed"]
    path.write_text(json.dumps(coco))
    dst, back_id = _imported(tmp_path, photo, path)
    with dst:
        back = dst.load_instances(back_id)
    assert back is not None
    assert {(i.category_score, str(i.proposed_attributes)) for i in back.instances.values()} == {(None, "{}")}


def test_a_round_trip_keeps_the_instance_numbers(tmp_path: Path) -> None:
    """QA hand test: "3. coat" in the window became instance 2 after the round trip, so a
    reviewer comparing by number looked at another garment."""
    source, image_id, photo = _source(tmp_path)
    with source:
        export_project(source, tmp_path / "out", "coco-instances")
        saved = source.load_instances(image_id)
    dst, back_id = _imported(tmp_path, photo, tmp_path / "out")
    with dst:
        back = dst.load_instances(back_id)
    assert back is not None and saved is not None
    assert {k: (i.category, n) for k, n in back.areas().items() for i in [back.instances[k]]} == {
        k: (i.category, n) for k, n in saved.areas().items() for i in [saved.instances[k]]
    }
    assert back.instances[3].category == "shirt" and np.array_equal(back.map, saved.map)


def test_numbers_shared_by_two_annotations_are_given_anew(tmp_path: Path) -> None:
    """Only a number no other annotation of the image has is kept; the summary says so."""
    source, _image_id, photo = _source(tmp_path)
    with source:
        export_project(source, tmp_path / "out", "coco-instances")
    path = tmp_path / "out" / "instances.json"
    coco = json.loads(path.read_text())
    for ann in coco["annotations"]:
        if ann["fa_instance"] in (1, 4):  # the two boots both say 4
            ann["fa_instance"] = 4
    path.write_text(json.dumps(coco))
    with Project.create(tmp_path / "dst", tasks=("parsing7",)) as dst:
        summary = import_source(dst, path, "coco-instances")
        back = dst.load_instances(dst.images()[0].id)
    assert back is not None
    assert {k: i.category for k, i in back.instances.items()} == {1: "boots", 2: "skirt", 3: "shirt", 4: "boots"}
    assert int((back.map == 1).sum()) == 90, "the larger boot takes the first free number"
    assert any("2 annotations share an 'fa_instance' number with another" in what for _, what in summary.notes)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("fa_instance", 0, "'fa_instance' must be an instance number from 1 to 255, got 0"),
        ("fa_proposed", {"category_score": 2}, "'fa_proposed' 'category_score' must be a number from 0 to 1, got 2"),
        ("fa_proposed", [1], "'fa_proposed' must be an object"),
    ],
)
def test_a_malformed_number_or_proposal_refuses_the_image(tmp_path: Path, key: str, value: object, message: str) -> None:
    source, _image_id, photo = _source(tmp_path)
    with source:
        export_project(source, tmp_path / "out", "coco-instances")
    path = tmp_path / "out" / "instances.json"
    coco = json.loads(path.read_text())
    coco["annotations"][0][key] = value
    path.write_text(json.dumps(coco))
    with Project.create(tmp_path / "dst", tasks=("parsing7",)) as dst:
        summary = import_source(dst, path, "coco-instances")
        ((_where, problem),) = summary.errors
        assert message in problem and dst.images_with_instances() == []


def test_the_models_untouched_instances_are_not_exported(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """QA hand test: a photo only opened in the window (its proposed instances recorded), then
    `export --format coco-instances` wrote those instances as annotations, saying only "not
    finished: 1 never saved by an operator"."""
    from fashion_annotator.cli import main

    source, image_id, _photo = _source(tmp_path)
    with source:
        opened = tmp_path / "photos" / "opened.png"
        Image.fromarray(np.random.default_rng(4).integers(0, 256, (H, W, 3), np.uint8)).save(opened)
        record = source.add_image(opened)
        source.save_instances(record.id, _instances(_parsing()), source="model")  # as the window records them
    code = main(["export", str(tmp_path / "src"), str(tmp_path / "out"), "--format", "coco-instances"])
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert code == 0
    coco = json.loads((tmp_path / "out" / "instances.json").read_text())
    assert [i["file_name"] for i in coco["images"]] == ["look.png"]
    assert {a["image_id"] for a in coco["annotations"]} == {image_id}
    assert not (tmp_path / "out" / "images" / "opened.png").exists()
    assert "never saved by an operator (opened.png); check them in Annotate's Instances panel" in out
    assert "not finished" not in out


def test_instance_pixels_the_saved_parsing_mask_took_are_not_written(tmp_path: Path) -> None:
    """Studio hand test: instances over pixels the operator no longer counts as that garment
    were exported. A parsing mask saved after the instances (here: the small boot painted
    background, the skirt's lower half painted dress) takes its pixels from them."""
    source, image_id, _photo = _source(tmp_path)
    with source:
        parsing = _parsing()
        parsing[32:38, 5:15] = 0
        parsing[23:30, 5:25] = DRESS
        source.save_mask(image_id, "parsing7", parsing)
        saved = source.load_instances(image_id)
        summary = export_project(source, tmp_path / "out", "coco-instances")
    assert saved is not None and summary.count == 1 and summary.errors == []
    coco = json.loads((tmp_path / "out" / "instances.json").read_text())
    areas = {a["fa_instance"]: a["area"] for a in coco["annotations"]}
    assert areas == {2: 7 * 20, 3: 13 * 30, 4: 6 * 15}, "the boot is gone, the skirt keeps its upper rows"
    assert summary.notes[0].startswith("1 image: instance pixels that the saved parsing7 mask gives another class")
    assert summary.notes[1] == f"  look.png: {6 * 10 + 7 * 20} pixels; left with none, not written: 1. boots"
    assert "without a category" not in "\n".join(summary.lines())
    with Project.create(tmp_path / "dst", tasks=("parsing7",)) as dst:  # the export agrees with its parsing mask
        assert import_source(dst, tmp_path / "out", "coco-instances").errors == []
