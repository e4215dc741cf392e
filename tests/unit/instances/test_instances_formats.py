"""COCO (attribute_ids) + CSV export and import of instances: round trip on a real CCP photo."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.dataset.formats import export_project, import_source
from fashion_annotator.dataset.store import Project
from fashion_annotator.instances.derive import propose_instances
from fashion_annotator.instances.model import Instance, InstanceSet, inconsistent_pixels
from fashion_annotator.instances.schema import load_attribute_schema, load_instance_taxonomy

CATS = {3: "blazer", 4: "boots", 5: "skirt", 6: "dress"}


def _project(tmp_path: Path, ccp_dir: Path, parsing: np.ndarray) -> tuple[Project, int, InstanceSet]:
    proj = Project.create(tmp_path / "src", user="ann")
    rec = proj.add_image(ccp_dir / "images" / "0019.jpg")
    d = propose_instances(parsing, load_taxonomy("parsing7"), load_instance_taxonomy())
    insts = {
        k: Instance(k, c, category=CATS[c], proposed_category="coat" if c == 3 else CATS[c],
                    attributes={"pattern": "solid", "fit": "loose"} if c == 3 else {"colour": "black"},
                    colour="black")
        for k, c in enumerate(d.classes, start=1)
    }  # fmt: skip
    iset = InstanceSet(d.map, insts)
    proj.save_mask(rec.id, "parsing7", parsing)
    proj.save_instances(rec.id, iset)
    return proj, rec.id, iset


def test_round_trip(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    proj, image_id, iset = _project(tmp_path, ccp_dir, ccp_photo["parsing"])
    with proj:
        summary = export_project(proj, tmp_path / "out", "coco-instances")
    assert summary.count == 1
    coco = json.loads((tmp_path / "out" / "instances.json").read_text())
    assert len(coco["annotations"]) == len(iset.instances)
    schema, tax = load_attribute_schema(), load_instance_taxonomy()
    blazer = next(a for a in coco["annotations"] if a["category_id"] == tax.index("blazer"))
    assert blazer["attribute_ids"] == sorted([schema.attribute_id("pattern", "solid"), schema.attribute_id("fit", "loose")])
    assert blazer["proposed_category_id"] == tax.index("coat")
    assert {a["name"] for a in coco["attributes"] if a["supercategory"] == "sleeve"} == {"long", "short", "sleeveless"}
    rows = list(csv.DictReader((tmp_path / "out" / "instances.csv").open()))
    assert len(rows) == len(iset.instances)
    assert {r["category"] for r in rows} == {CATS[i.parsing_class] for i in iset.instances.values()}
    assert next(r for r in rows if r["category"] == "blazer")["fit"] == "loose"
    assert {r["dominant_colour"] for r in rows} == {"black"}, "the dominant colour has its own column"
    assert {r["colour"] for r in rows} == {"", "black"}, "the colour attribute keeps its column"

    with Project.create(tmp_path / "dst") as dst:
        result = import_source(dst, tmp_path / "out", "coco-instances")
        assert result.errors == [] and result.added == 1
        rec = dst.images()[0]
        back = dst.load_instances(rec.id)
        assert dst.load_mask(rec.id, "parsing7") is None, "instances alone are no finished parsing mask"
        parsing = dst.load_proposal(rec.id, "parsing7")
        assert parsing is not None, "the import proposes a parsing mask when the image has none"
        assert rec.status == "new" and dst.training_items("parsing7") == []
        assert inconsistent_pixels(back, parsing) == {}
        # same partition of pixels into instances, same categories and attributes
        def described(s: InstanceSet) -> set:
            return {
                (int((s.map == k).sum()), i.parsing_class, i.category, i.proposed_category,
                 tuple(sorted(i.attributes.items())), i.colour)
                for k, i in s.instances.items()
            }

        assert described(back) == described(iset)
        assert np.array_equal(back.map > 0, iset.map > 0)


def test_import_errors_name_the_file(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    proj, _, _ = _project(tmp_path, ccp_dir, ccp_photo["parsing"])
    with proj:
        export_project(proj, tmp_path / "out", "coco-instances")
    path = tmp_path / "out" / "instances.json"
    coco = json.loads(path.read_text())
    coco["categories"][coco["annotations"][0]["category_id"]]["name"] = "cloak"
    path.write_text(json.dumps(coco))
    with Project.create(tmp_path / "dst") as dst, pytest.raises(ValueError, match=r"instances.json: categories \['cloak'\]"):
        import_source(dst, path, "coco-instances")
    coco["categories"][coco["annotations"][0]["category_id"]]["name"] = "blazer"
    coco["annotations"][0]["segmentation"]["size"] = [3, 3]
    path.write_text(json.dumps(coco))
    with Project.create(tmp_path / "dst2") as dst:
        result = import_source(dst, path, "coco-instances")
        assert len(result.errors) == 1 and "RLE size [3, 3]" in result.errors[0][1]
        assert dst.images_with_instances() == []


def test_reimport_saves_nothing_and_a_differing_import_needs_overwrite(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    proj, image_id, iset = _project(tmp_path, ccp_dir, ccp_photo["parsing"])
    with proj:
        export_project(proj, tmp_path / "out", "coco-instances")
        again = import_source(proj, tmp_path / "out", "coco-instances")
        assert again.errors == [] and again.unchanged == 1
        assert len(proj.instance_versions(image_id)) == 1, "an import equal to saved instances adds no version"
        path = tmp_path / "out" / "instances.json"
        coco = json.loads(path.read_text())
        skirt = next(a for a in coco["annotations"] if a["category_id"] == load_instance_taxonomy().index("skirt"))
        skirt["category_id"] = load_instance_taxonomy().index("shorts")
        path.write_text(json.dumps(coco))
        refused = import_source(proj, path, "coco-instances")
        assert len(refused.errors) == 1 and "differ from saved version 1" in refused.errors[0][1]
        assert "--overwrite" in refused.errors[0][1]
        assert len(proj.instance_versions(image_id)) == 1
        kept = proj.load_instances(image_id)
        assert kept is not None and "shorts" not in {i.category for i in kept.instances.values()}
        forced = import_source(proj, path, "coco-instances", overwrite=True)
        assert forced.errors == [] and len(proj.instance_versions(image_id)) == 2
        latest = proj.load_instances(image_id)
        assert latest is not None and "shorts" in {i.category for i in latest.instances.values()}


def _exported(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> tuple[Path, dict]:
    proj, _, _ = _project(tmp_path, ccp_dir, ccp_photo["parsing"])
    with proj:
        export_project(proj, tmp_path / "out", "coco-instances")
    path = tmp_path / "out" / "instances.json"
    return path, json.loads(path.read_text())


def test_parsing_classes_of_another_task_fall_back_to_the_category_parents(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    path, coco = _exported(tmp_path, ccp_dir, ccp_photo)
    assert coco["info"]["parsing_task"] == "parsing7"
    coco["info"]["parsing_task"] = "parsing18"  # as a parsing18 project writes it: names the parsing7 project lacks
    for ann in coco["annotations"]:
        ann["parsing_class"] = "outer"
    path.write_text(json.dumps(coco))
    with Project.create(tmp_path / "dst") as dst:
        assert import_source(dst, path, "coco-instances").errors == []
        back = dst.load_instances(dst.images()[0].id)
    tax, p7 = load_instance_taxonomy(), load_taxonomy("parsing7")
    assert back is not None and back.instances
    for inst in back.instances.values():
        assert inst.parsing_class == p7.index(tax.category(inst.category).parent("parsing7")) != 0


BAD = {
    "RLE string too short": ("segmentation", {"counts": "0a0"}, "RLE counts add up to"),
    "short RLE list": ("segmentation", {"counts": [10, 20]}, "RLE counts add up to"),
    "RLE string with a foreign character": ("segmentation", {"counts": "zzzz"}, "invalid character"),
    "empty mask": ("segmentation", "empty", "empty mask"),
    "odd polygon": ("segmentation", [[1, 2, 3, 4, 5]], "polygon"),
    "attribute_ids not a list": ("attribute_ids", 3, "'attribute_ids' must be a list"),
    "attribute_ids nested": ("attribute_ids", [[1]], "'attribute_ids' must be a list"),
    "two values of one group": ("attribute_ids", [0, 1], "attribute group 'pattern' has two values"),
    "category id a list": ("category_id", [1], "unknown category"),
    "category id not listed": ("category_id", 999, "unknown category 999 (the file's 'categories' list has no such id)"),
    "a bounding box alone": ("segmentation", [], "no segmentation (a bounding box alone)"),
    "colour a number": ("colour", 7, "'colour' must be a colour name"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_annotation_refuses_its_image_and_names_it(tmp_path: Path, ccp_dir: Path, ccp_photo: dict, case: str) -> None:
    path, coco = _exported(tmp_path, ccp_dir, ccp_photo)
    key, value, message = BAD[case]
    ann = coco["annotations"][0]
    if value == "empty":
        h, w = ann["segmentation"]["size"]
        value = {"size": [h, w], "counts": [h * w]}
    elif key == "segmentation" and isinstance(value, dict):
        value = {"size": ann["segmentation"]["size"], **value}
    ann[key] = value
    path.write_text(json.dumps(coco))
    with Project.create(tmp_path / "dst") as dst:
        result = import_source(dst, path, "coco-instances")
        assert len(result.errors) == 1, result.errors
        where, problem = result.errors[0]
        assert where.startswith(str(path)) and "0019.jpg" in where
        assert f"annotation {ann['id']}" in problem and message in problem
        assert dst.images_with_instances() == [], "nothing of a refused image is saved"
        assert result.without_mask == ["0019.jpg"], "its photo is imported, listed without instances"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c.update(info=[1]), "'info' must be an object"),
        (lambda c: c["info"].update(instance_taxonomy=5), "info 'instance_taxonomy' must be a name"),
        (lambda c: c["categories"].append(dict(c["categories"][0])), "category id 0 is listed twice"),
    ],
)
def test_a_malformed_file_is_refused_with_its_name(tmp_path: Path, ccp_dir: Path, ccp_photo: dict, edit, message: str) -> None:
    path, coco = _exported(tmp_path, ccp_dir, ccp_photo)
    edit(coco)
    path.write_text(json.dumps(coco))
    with Project.create(tmp_path / "dst") as dst, pytest.raises(ValueError, match=f"instances.json: {message}"):
        import_source(dst, path, "coco-instances")


def test_an_unreadable_instance_map_is_listed_and_the_other_images_exported(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    proj, image_id, iset = _project(tmp_path, ccp_dir, ccp_photo["parsing"])
    with proj:
        other = proj.add_image(ccp_dir / "images" / "0001.jpg")
        small = np.zeros(other.shape, np.uint8)
        small[10:60, 10:60] = 1
        proj.save_instances(other.id, InstanceSet(small, {1: Instance(1, 3, "blazer")}))
        for png in (tmp_path / "src" / "instances" / str(image_id)).glob("v*.png"):
            png.unlink()
        summary = export_project(proj, tmp_path / "out", "coco-instances")
    assert summary.count == 1 and len(summary.errors) == 1
    assert summary.errors[0][0] == "0019.jpg" and "v1.png" in summary.errors[0][1]
    coco = json.loads((tmp_path / "out" / "instances.json").read_text())
    assert [i["file_name"] for i in coco["images"]] == ["0001.jpg"] and len(coco["annotations"]) == 1


def test_instances_that_contradict_the_saved_parsing_mask_need_overwrite(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    """A project whose parsing mask says otherwise than the imported instances: refused, naming
    what lies where (a window save would drop such instances); --overwrite paints the
    instances' classes into a new parsing version, so both agree."""
    path, _coco = _exported(tmp_path, ccp_dir, ccp_photo)
    p7 = load_taxonomy("parsing7")
    with Project.create(tmp_path / "dst") as dst:
        rec = dst.add_image(ccp_dir / "images" / "0019.jpg")
        other = ccp_photo["parsing"].copy()
        other[other == p7.index("bottom")] = p7.index("dress")  # this project calls the skirt a dress
        dst.save_mask(rec.id, "parsing7", other)
        dst.set_status(rec.id, "approved")
        refused = import_source(dst, path, "coco-instances")
        assert len(refused.errors) == 1 and "skirt on dress" in refused.errors[0][1]
        assert "--overwrite" in refused.errors[0][1] and dst.images_with_instances() == []
        forced = import_source(dst, path, "coco-instances", overwrite=True)
        assert forced.errors == [] and forced.masks == 1
        parsing = dst.load_mask(rec.id, "parsing7")
        back = dst.load_instances(rec.id)
        assert back is not None and parsing is not None and inconsistent_pixels(back, parsing) == {}
        assert len(dst.mask_versions(rec.id, "parsing7")) == 2, "the operator's version is kept"
        # a review: the repainted version stayed "approved", unreviewed, and trained as approved
        assert dst.image(rec.id).status == "done"


def test_what_an_import_leaves_out_is_said(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    """Annotations of no listed image, crowd regions, unknown attribute ids and Fashionpedia's
    attributes are not imported, and the summary says each; a photo of another size than the
    file gives and an image listed twice are refused by name."""
    path, coco = _exported(tmp_path, ccp_dir, ccp_photo)
    anns = coco["annotations"]
    anns.append({**anns[0], "id": 900, "image_id": 77})
    anns[1]["iscrowd"] = 1
    anns[2]["attribute_ids"] = [999]
    coco["attributes"].append({"id": 500, "name": "tiered", "supercategory": "silhouette"})
    anns[0]["attribute_ids"] = [*anns[0].get("attribute_ids", []), 500]
    path.write_text(json.dumps(coco))
    with Project.create(tmp_path / "dst") as dst:
        result = import_source(dst, path, "coco-instances")
        text = "\n".join(result.lines())
        assert len(result.errors) == 1 and "annotation 900: image_id 77 matches no (valid, unique) image" in text
        assert "1 crowd region (iscrowd 1) not imported" in text
        assert "silhouette:tiered (1x)" in text and "999 (1x)" in text
        back = dst.load_instances(dst.images()[0].id)
        assert back is not None and len(back.instances) == len(anns) - 2  # the crowd and the orphan
    coco["images"][0]["width"] += 10
    coco["images"].append(dict(coco["images"][0], id=5))
    path.write_text(json.dumps(coco))
    with Project.create(tmp_path / "dst2") as dst:
        problems = [p for _where, p in import_source(dst, path, "coco-instances").errors]
        assert any("the photo has" in p and "would not line up" in p for p in problems)
        assert any("listed twice in 'images' (ids" in p for p in problems)
        assert dst.images_with_instances() == []


def test_images_sharing_an_id_are_refused_with_their_annotations(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    """Two exports merged by joining their lists both number their first image 1: neither
    image gets the other's instances; both entries and every annotation of that id are refused
    and named, and nothing is saved."""
    path, coco = _exported(tmp_path, ccp_dir, ccp_photo)
    (first,) = coco["images"]
    (path.parent / "images" / "0001.jpg").write_bytes((ccp_dir / "images" / "0001.jpg").read_bytes())
    coco["images"].append({**first, "file_name": "0001.jpg"})
    path.write_text(json.dumps(coco))
    with Project.create(tmp_path / "dst") as dst:
        result = import_source(dst, path, "coco-instances")
        problems = [p for _where, p in result.errors]
        assert sum(f"image id {first['id']} is used by 2 images" in p for p in problems) == 2
        assert sum("shared by several images; not imported" in p for p in problems) == len(coco["annotations"])
        assert dst.images_with_instances() == [] and result.masks == 0


def test_the_export_names_images_without_saved_instances(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    proj, _, _ = _project(tmp_path, ccp_dir, ccp_photo["parsing"])
    with proj:
        proj.add_image(ccp_dir / "images" / "0001.jpg")
        summary = export_project(proj, tmp_path / "out", "coco-instances")
    assert summary.count == 1 and "1 without saved instances" in summary.lines()[0]


def test_the_export_summary_counts_instances_left_out_without_a_category(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    """Only instances.json's info held the count: the command said nothing."""
    proj, image_id, iset = _project(tmp_path, ccp_dir, ccp_photo["parsing"])
    with proj:
        first = min(iset.instances)
        iset.instances[first] = Instance(first, iset.instances[first].parsing_class, category=None)
        proj.save_instances(image_id, iset)
        summary = export_project(proj, tmp_path / "out", "coco-instances")
    assert any(line.startswith("1 instance without a category") for line in summary.lines()), summary.lines()


def test_an_unknown_instance_taxonomy_names_the_import_file_and_the_known_ones(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    path, coco = _exported(tmp_path, ccp_dir, ccp_photo)
    coco["info"]["instance_taxonomy"] = "fashionpedia"
    path.write_text(json.dumps(coco))
    with Project.create(tmp_path / "dst") as dst, pytest.raises(ValueError) as caught:
        import_source(dst, path, "coco-instances")
    message = str(caught.value)
    assert message.startswith(f"{path}: instance taxonomy 'fashionpedia'") and "(ccp)" in message
    assert "resources" not in message


def test_a_linked_photo_changed_on_disk_is_refused_not_exported_with_old_instances(
    tmp_path: Path, ccp_dir: Path
) -> None:
    """A review: every other export refused a photo referenced in place whose file changed;
    coco-instances copied the new photo beside instances drawn on the old one (old size too)."""
    import shutil

    linked = tmp_path / "shoot" / "look.jpg"
    linked.parent.mkdir()
    shutil.copyfile(ccp_dir / "images" / "0019.jpg", linked)
    with Project.create(tmp_path / "p", user="ann") as proj:
        rec = proj.add_image(linked, copy=False)
        small = np.zeros(rec.shape, np.uint8)
        small[10:60, 10:60] = 1
        proj.save_instances(rec.id, InstanceSet(small, {1: Instance(1, 3, "blazer")}))
        shutil.copyfile(ccp_dir / "images" / "0001.jpg", linked)  # another photo, same name
        summary = export_project(proj, tmp_path / "out", "coco-instances")
    assert summary.count == 0
    ((name, problem),) = summary.errors
    assert "the file changed since it was added" in problem
    assert not list((tmp_path / "out" / "images").iterdir())


def test_the_export_summary_says_which_images_are_not_finished(tmp_path: Path, ccp_dir: Path, ccp_photo: dict) -> None:
    """A hand test: coco-instances shipped a rejected image and one with the model's proposals
    only, without a word; the other exports say "not finished: 1 rejected by QA". (A later hand
    test: the model's untouched proposals are no annotations: that image is left out, named.)"""
    proj, image_id, iset = _project(tmp_path, ccp_dir, ccp_photo["parsing"])
    with proj:
        proj.set_status(image_id, "rejected")
        other = proj.add_image(ccp_dir / "images" / "0014.jpg")
        proposed = InstanceSet(np.zeros(other.shape, np.uint8))
        proposed.map[10:20, 10:20] = 1
        proposed.instances[1] = Instance(1, 3, category="blouse")
        proj.save_instances(other.id, proposed, source="model")
        summary = export_project(proj, tmp_path / "out", "coco-instances")
    assert summary.count == 1 and summary.by_status == {"rejected": 1}
    assert summary.lines()[0].endswith("; not finished: 1 rejected by QA")
    assert "1 image left out: its instances are the model's proposal, never saved by an operator (0014.jpg)" in (
        summary.lines()[1]
    )


def test_categories_name_their_class_of_the_projects_parsing_task(tmp_path: Path, ccp_dir: Path) -> None:
    """A parsing18 project's export gave bag, belt, hat and sunglasses the supercategory
    "background" (their parsing7 class): the supercategory is the class of the project's task."""
    with Project.create(tmp_path / "p18", tasks=("garment", "parsing18")) as proj:
        rec = proj.add_image(ccp_dir / "images" / "0019.jpg")
        iset = InstanceSet(np.zeros(rec.shape, np.uint8), parsing_task="parsing18")
        iset.map[10:20, 10:20] = 1
        iset.instances[1] = Instance(1, load_taxonomy("parsing18").index("bag"), category="bag")
        proj.save_instances(rec.id, iset)
        export_project(proj, tmp_path / "out", "coco-instances")
    coco = json.loads((tmp_path / "out" / "instances.json").read_text())
    parents = {c["name"]: c["supercategory"] for c in coco["categories"]}
    assert (parents["bag"], parents["belt"], parents["hat"], parents["sunglasses"]) == ("bag", "belt", "headwear", "eyewear")
    assert parents["blouse"] == "top" and coco["info"]["parsing_task"] == "parsing18"


def test_the_command_says_coco_instances_takes_no_task(tmp_path: Path, ccp_dir: Path, ccp_photo: dict, capsys) -> None:
    """A QA hand test exported coco-instances with --task garment and with --task parsing7 and
    got identical files, with nothing said: the command says --task is not used."""
    from fashion_annotator.cli import main

    proj, _image_id, _iset = _project(tmp_path, ccp_dir, ccp_photo["parsing"])
    proj.close()
    code = main(["export", str(tmp_path / "src"), str(tmp_path / "out"), "--format", "coco-instances", "--task", "garment"])
    assert code == 0
    assert "note: --task garment is not used: coco-instances exports the garment instances" in capsys.readouterr().err
    assert (tmp_path / "out" / "instances.json").is_file()
