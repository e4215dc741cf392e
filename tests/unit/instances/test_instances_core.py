"""Instance schema, derivation, colour naming and undoable edits (numpy only, no display)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.instances.colour import dominant_colours, load_palette
from fashion_annotator.instances.derive import (
    ProposalParams,
    ground_truth_instances,
    propose_instances,
)
from fashion_annotator.instances.document import InstanceDocument
from fashion_annotator.instances.model import (
    Instance,
    InstanceSet,
    accessory_ground,
    inconsistent_pixels,
)
from fashion_annotator.instances.schema import (
    attribute_schema_from_dict,
    instance_taxonomy_from_dict,
    load_attribute_schema,
    load_instance_taxonomy,
)

P7 = load_taxonomy("parsing7")
P18 = load_taxonomy("parsing18")
TAX = load_instance_taxonomy()
SCHEMA = load_attribute_schema()


def test_shipped_taxonomy_and_schema() -> None:
    assert {"blazer", "jeans", "boots", "bag", "sunglasses", "t-shirt"} <= set(TAX.names)
    assert not {"null", "skin", "hair"} & set(TAX.names)
    assert TAX.category("jeans").parent("parsing7") == "bottom"
    assert TAX.category("bag").parent("parsing7") == "background"
    assert {c.name for c in TAX.children("parsing7", "dress")} == {"dress", "romper"}
    assert SCHEMA.group_names == ["pattern", "sleeve", "length", "neckline", "fabric", "fit", "colour"]
    assert SCHEMA.attribute_id("pattern", "floral") == 0
    assert SCHEMA.attribute_id("sleeve", "long") == 6
    assert SCHEMA.flat[SCHEMA.attribute_id("fit", "loose")] == ("fit", "loose")


def test_bad_schema_files_name_the_problem() -> None:
    with pytest.raises(ValueError, match="x.json: group 0 .pattern.: 'values'"):
        attribute_schema_from_dict({"name": "a", "groups": [{"name": "pattern", "values": ["one"]}]}, "x.json")
    with pytest.raises(ValueError, match="y.json: duplicate category names"):
        instance_taxonomy_from_dict(
            {"name": "t", "categories": [{"name": "a", "color": [1, 2, 3]}, {"name": "a", "color": [1, 2, 3]}]}, "y.json"
        )
    with pytest.raises(ValueError, match="no value 'plaid'"):
        SCHEMA.validate({"pattern": "plaid"})


def test_ground_truth_instances_of_a_ccp_photo(ccp_photo: dict) -> None:
    labels, names = ccp_photo["labels"], ccp_photo["names"]
    fine = [i for i, n in names.items() if n in TAX.names]
    gt = ground_truth_instances(labels, fine)
    h, w = labels.shape
    assert len(gt) >= 3
    for k, cid in enumerate(gt.classes, start=1):
        pix = gt.map == k
        assert pix.sum() >= 0.0005 * h * w
        assert np.all(labels[pix] == cid)


def test_pairs_are_kept_apart_and_fragments_merged(two_shoes) -> None:
    apart = propose_instances(two_shoes(10), P7, TAX)
    assert sorted(P7.names[c] for c in apart.classes) == ["bottom", "shoes", "shoes", "top"]
    joined = propose_instances(two_shoes(-10), P7, TAX)
    shoes = [k for k, c in enumerate(joined.classes, start=1) if P7.names[c] == "shoes"]
    assert len(shoes) == 2, "two touching shoes split at the valley between them"
    m = two_shoes(10)
    m[52:54, 132:134] = 5  # a 4-pixel fragment of the bottom, 2 px from it
    m[5:7, 5:7] = 5  # a far fragment: dropped
    out = propose_instances(m, P7, TAX)
    bottom = [k for k, c in enumerate(out.classes, start=1) if P7.names[c] == "bottom"]
    assert len(bottom) == 1
    assert np.all(out.map[52:54, 132:134] == bottom[0])
    assert np.all(out.map[5:7, 5:7] == 0)


def test_every_component_the_ground_truth_counts_is_proposed() -> None:
    """A lone component as small as the ground truth's threshold is an instance, not a dropped
    fragment (a sunglasses lens, a watch: recall counts them)."""
    top = P7.names.index("top")
    m = np.zeros((400, 400), np.uint8)
    m[100:300, 120:280] = top
    m[20:30, 20:30] = top  # 100 px = 0.000625 of the photo, far from the big component
    gt = ground_truth_instances(m, [top])
    assert len(gt) == 2
    out = propose_instances(m, P7, TAX)
    assert len(out) == 2
    assert np.all(out.map[20:30, 20:30] > 0) and out.map[25, 25] != out.map[200, 200]
    m[20:30, 20:30] = 0
    m[20:26, 20:26] = top  # 36 px: below the threshold, far from the rest: dropped
    assert len(ground_truth_instances(m, [top])) == 1
    assert np.all(propose_instances(m, P7, TAX).map[20:26, 20:26] == 0)


def _ellipse(canvas: np.ndarray, cy: int, cx: int, ry: int, rx: int) -> None:
    yy, xx = np.mgrid[: canvas.shape[0], : canvas.shape[1]]
    canvas[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1] = True


def _shoes_mask(blobs: list[tuple[int, int, int, int]]) -> np.ndarray:
    """A parsing7 mask of 200 x 200 with one shoe blob made of the given ellipses."""
    shoe = np.zeros((200, 200), bool)
    for cy, cx, ry, rx in blobs:
        _ellipse(shoe, cy, cx, ry, rx)
    m = np.zeros((200, 200), np.uint8)
    m[shoe] = P7.names.index("shoes")
    return m


def test_one_shoe_in_front_of_the_other_splits_at_the_neck() -> None:
    # the back shoe higher and to the right, overlapping the front one: taller than wide, so no
    # column valley, but a neck where the two toes meet
    m = _shoes_mask([(120, 90, 14, 26), (98, 118, 13, 24)])
    out = propose_instances(m, P7, TAX)
    shoes = [k for k, c in enumerate(out.classes, start=1) if P7.names[c] == "shoes"]
    assert len(shoes) == 2
    assert out.map[120, 80] != out.map[98, 128]
    assert all(min((out.map == k).sum(), 10**9) > 0.3 * (m > 0).sum() for k in shoes)
    assert np.array_equal(out.map > 0, m > 0), "the split keeps every pixel"


@pytest.mark.parametrize(
    "blobs",
    [
        [(100, 100, 14, 30)],  # one shoe
        [(100, 100, 14, 30), (92, 80, 20, 12)],  # a boot: shaft and foot without a neck
        [(100, 100, 30, 30)],  # a round blob
    ],
)
def test_one_item_is_not_split(blobs: list[tuple[int, int, int, int]]) -> None:
    out = propose_instances(_shoes_mask(blobs), P7, TAX)
    assert [P7.names[c] for c in out.classes] == ["shoes"]


def _outer_mask(blobs: list[tuple[int, int, int, int]], bridge: tuple[slice, slice] | None, scale: int = 1) -> np.ndarray:
    """A parsing18 mask of 200 x 200 (times ``scale``): "outer" ellipses and a bridge between them."""
    m = _shoes_mask(blobs)
    if bridge is not None:
        m[bridge] = m.max()
    out = np.where(m > 0, P18.names.index("outer"), 0).astype(np.uint8)
    return np.kron(out, np.ones((scale, scale), np.uint8))


@pytest.mark.parametrize("scale", [1, 4])
def test_two_garments_of_one_class_joined_by_a_neck_are_two(scale: int) -> None:
    # the two panels of an open jacket, joined by a 6-pixel strip at the collar
    m = _outer_mask([(110, 70, 50, 22), (110, 130, 50, 22)], (slice(62, 68), slice(70, 130)), scale)
    out = propose_instances(m, P18, TAX)
    assert len(out) == 2
    assert out.map[110 * scale, 70 * scale] != out.map[110 * scale, 130 * scale]
    assert np.array_equal(out.map > 0, m > 0)


@pytest.mark.parametrize("scale", [1, 2])
def test_a_split_at_a_neck_leaves_no_pixel_of_its_class_out(scale: int) -> None:
    """Fragments merged into a split component and parts joined only at a corner keep an
    instance (the split's flooding never reached them: they were in neither piece)."""
    top = P7.index("top")
    m = np.zeros((800, 600), np.uint8)
    m[200:400, 100:280] = top  # two panels of an open jacket...
    m[200:400, 320:500] = top
    m[200:210, 280:320] = top  # ...joined at the collar
    m[410:420, 150:165] = top  # a fragment 10 px below the left panel
    m[400:460, 40:100] = top  # a part joined to the left panel at one corner only
    m = np.kron(m, np.ones((scale, scale), np.uint8))
    out = propose_instances(m, P7, TAX)
    assert len(out) == 2
    assert np.array_equal(out.map > 0, m == top)
    left = out.map[300 * scale, 150 * scale]
    assert out.map[415 * scale, 155 * scale] == left and out.map[430 * scale, 70 * scale] == left


def test_more_instances_than_an_image_holds_keeps_the_largest() -> None:
    """300 separate blobs (a noisy mask): 255 instances, the largest, instead of an error."""
    top = P7.index("top")
    m = np.zeros((400, 600), np.uint8)
    for i in range(300):
        y, x = 20 * (i // 25), 24 * (i % 25)
        side = 12 if i % 6 else 6  # every sixth blob is small (50 of them)
        m[y : y + side, x : x + side] = top
    for derived in (propose_instances(m, P7, TAX, params=ProposalParams(min_area_frac=0, neck=0)),
                    ground_truth_instances(m, [top], min_area_frac=0)):  # fmt: skip
        assert len(derived) == 255 and int(derived.map.max()) == 255
        sizes = np.bincount(derived.map.ravel())[1:]
        assert sorted(sizes.tolist()) == [36] * 5 + [144] * 250  # the 250 large blobs first


def test_a_garment_with_a_waist_stays_one() -> None:
    # a dress-like outline: two broad parts and a waist two thirds of their width
    m = _outer_mask([(70, 100, 40, 30), (140, 100, 40, 34)], (slice(100, 112), slice(80, 120)))
    assert len(propose_instances(m, P18, TAX)) == 1


def test_accessories_come_from_the_garment_mask(two_shoes) -> None:
    m = two_shoes(10)
    garment = m > 0
    garment[60:80, 150:180] = True  # a bag: garment pixels the parsing mask calls background
    out = propose_instances(m, P7, TAX, garment)
    acc = [k for k, c in enumerate(out.classes, start=1) if c == 0]
    assert len(acc) == 1
    assert np.all(out.map[60:80, 150:180] == acc[0])


def test_an_accessory_on_hair_is_consistent_and_survives_reconcile() -> None:
    parsing = np.zeros((120, 200), np.uint8)
    parsing[5:40, 80:120] = P7.index("hair")
    parsing[40:100, 60:140] = P7.index("top")
    garment = parsing == P7.index("top")
    garment[0:20, 75:125] = True  # a hat: cutout pixels over background and hair
    out = propose_instances(parsing, P7, TAX, garment)
    hat = next(k for k, c in enumerate(out.classes, start=1) if c == 0)
    assert int(((out.map == hat) & (parsing == P7.index("hair"))).sum()) == 15 * 40
    insts = {k: Instance(k, c, "hat" if c == 0 else "blouse") for k, c in enumerate(out.classes, start=1)}
    iset = InstanceSet(out.map.copy(), insts)
    ground = accessory_ground(P7, TAX)
    assert ground == {P7.index(n) for n in ("background", "skin", "hair")}
    assert inconsistent_pixels(iset, parsing, ground) == {}
    assert inconsistent_pixels(iset, parsing) == {hat: 600}, "without the ground only class 0 counts"
    doc = InstanceDocument(iset, TAX, SCHEMA, P7)
    assert doc.reconcile(parsing) == 0 and np.array_equal(doc.map, out.map)
    parsing[0:20, 75:125] = P7.index("top")  # the operator paints the hat as a top: it leaves the hat
    assert doc.reconcile(parsing) == 20 * 50
    assert hat not in doc.instances


def test_colour_names_from_the_palette() -> None:
    rgb = np.zeros((20, 20, 3), np.uint8)
    rgb[:, :15] = (30, 40, 150)  # blue-ish denim
    rgb[:, 15:] = (250, 250, 250)
    mask = np.ones((20, 20), bool)
    cols = dominant_colours(rgb, mask)
    assert cols[0].name in ("blue", "navy") and cols[0].share == pytest.approx(0.75, abs=0.05)
    assert cols[1].name == "white"
    assert dominant_colours(rgb, np.zeros((20, 20), bool)) == []
    palette = load_palette()
    assert set(palette.names) == set(SCHEMA.group("colour").values)
    # perceptual distance: dark navy and maroon keep their own names (plain Lab said blue, red)
    for colour, name in (((0, 0, 128), "navy"), ((128, 0, 0), "burgundy"), ((200, 30, 40), "red")):
        assert dominant_colours(np.full((4, 4, 3), colour, np.uint8), np.ones((4, 4), bool))[0].name == name


def _doc(two_shoes) -> tuple[InstanceDocument, np.ndarray]:
    m = two_shoes(10)
    d = propose_instances(m, P7, TAX)
    insts = {k: Instance(k, c, category={3: "blouse", 5: "jeans", 4: "boots"}[c]) for k, c in enumerate(d.classes, start=1)}
    for i in insts.values():
        i.proposed_category = i.category
    return InstanceDocument(InstanceSet(d.map, insts), TAX, SCHEMA, P7), m


def test_split_merge_delete_are_single_undo_steps(two_shoes) -> None:
    doc, parsing = _doc(two_shoes)
    start_map, start = doc.map.copy(), {k: i.category for k, i in doc.instances.items()}
    top = next(k for k, i in doc.instances.items() if i.category == "blouse")
    new = doc.split_line(top, (100, 0), (100, 120))  # vertical line at x=100
    assert doc.instances[new].category == "blouse"
    assert np.all(doc.map[5:50, 60:100][doc.map[5:50, 60:100] > 0] != doc.map[5:50, 100:140][0, 0])
    doc.merge([top, new])
    assert new not in doc.instances and np.all(doc.map[5:50, 60:140] == top)
    shoes = [k for k, i in doc.instances.items() if i.category == "boots"]
    with pytest.raises(ValueError, match=rf"cannot merge {top}\. blouse \(on top pixels\) with {shoes[0]}\. boots "
                       r"\(on shoes pixels\): an instance carries one parsing class; re-categorise"):
        doc.merge([top, shoes[0]])
    doc.delete(shoes[0])
    assert shoes[0] not in doc.instances and not np.any(doc.map == shoes[0])
    assert doc.undo() == "delete" and shoes[0] in doc.instances
    assert doc.undo() == "merge" and new in doc.instances
    assert doc.undo() == "split"
    assert np.array_equal(doc.map, start_map)
    assert {k: i.category for k, i in doc.instances.items()} == start
    assert doc.redo() == "split" and new in doc.instances
    assert inconsistent_pixels(doc.set, parsing) == {}


def test_recategorise_across_parsing_classes_relabels_the_parsing_mask(two_shoes) -> None:
    doc, parsing = _doc(two_shoes)
    top = next(k for k, i in doc.instances.items() if i.category == "blouse")
    assert doc.recategorise(top, "jacket") is None
    change = doc.recategorise(top, "dress")
    assert change is not None and change.label == P7.index("dress")
    assert inconsistent_pixels(doc.set, parsing) == {top: int(change.pixels.sum())}
    parsing[change.pixels] = change.label
    assert inconsistent_pixels(doc.set, parsing) == {}
    assert doc.instances[top].category_changed
    doc.set_attribute(top, "sleeve", "short")
    assert doc.parsing_change is None, "an attribute asks nothing of the parsing mask"
    with pytest.raises(ValueError, match="no value"):
        doc.set_attribute(top, "sleeve", "puffed")
    doc.undo()
    assert "sleeve" not in doc.instances[top].attributes
    # undoing the re-categorisation asks for the parsing pixels back, redoing for them again
    assert doc.undo() == "category" and doc.instances[top].category == "jacket"
    back = doc.parsing_change
    assert back is not None and back.label == P7.index("top") and np.array_equal(back.pixels, change.pixels)
    parsing[back.pixels] = back.label
    assert inconsistent_pixels(doc.set, parsing) == {} and doc.reconcile(parsing) == 0
    assert doc.redo() == "category" and doc.parsing_change is not None
    assert doc.parsing_change.label == P7.index("dress")
    assert doc.undo() == "category" and doc.undo() == "category"
    assert doc.parsing_change is None, "jacket and blouse share a parsing class"


def test_undoing_an_accessorys_recategorisation_gives_each_pixel_its_class_back() -> None:
    """Found in a hand test: a bag lying on skin and hair, re-categorised as a blouse and
    undone, gave its pixels background (the accessory's parsing class, 0) instead."""
    parsing = np.zeros((10, 10), np.uint8)
    parsing[2:8, 2:5] = P7.index("skin")
    parsing[2:8, 5:8] = P7.index("hair")
    imap = np.zeros((10, 10), np.uint8)
    imap[2:8, 2:8] = 1
    doc = InstanceDocument(InstanceSet(imap, {1: Instance(1, 0, category="bag")}), TAX, SCHEMA, P7)
    before = parsing.copy()
    change = doc.recategorise(1, "blouse", parsing)
    assert change is not None
    parsing[change.pixels] = change.label
    assert np.all(parsing[2:8, 2:8] == P7.index("top"))
    doc.undo()
    back = doc.parsing_change
    assert back is not None
    parsing[back.pixels] = back.label
    np.testing.assert_array_equal(parsing, before)
    assert doc.reconcile(parsing) == 0, "the bag lies on its ground again"


def test_recategorising_leaves_the_pixels_the_operator_painted() -> None:
    """A fuzz review: a row of a coat painted skin (not yet reconciled), then the coat
    re-categorised as a dress: the relabelling painted the skin row dress too. Its undo, after
    a pixel was painted since, wrote the remembered top over that pixel."""
    parsing = np.zeros((10, 10), np.uint8)
    parsing[2:8, 2:8] = P7.index("top")
    imap = np.zeros((10, 10), np.uint8)
    imap[2:8, 2:8] = 1
    doc = InstanceDocument(InstanceSet(imap, {1: Instance(1, P7.index("top"), "coat")}), TAX, SCHEMA, P7)
    parsing[4, 2:8] = P7.index("skin")  # the operator's correction
    change = doc.recategorise(1, "dress", parsing)
    assert change is not None
    change.apply(parsing)
    assert np.all(parsing[4, 2:8] == P7.index("skin")), "the skin row keeps the operator's class"
    assert np.all(parsing[2:8, 2:8][np.arange(6) != 2] == P7.index("dress"))
    assert doc.reconcile(parsing) == 6 and np.all(doc.map[4, 2:8] == 0), "the skin row leaves the dress"
    doc.undo()  # the reconcile
    parsing[2, 2] = P7.index("hair")  # painted after the re-categorisation
    assert doc.undo() == "category" and doc.parsing_change is not None
    doc.parsing_change.apply(parsing)
    assert parsing[2, 2] == P7.index("hair"), "the undo leaves a pixel painted since"
    assert np.all(parsing[4, 2:8] == P7.index("skin"))
    assert int((parsing == P7.index("top")).sum()) == 36 - 6 - 1
    assert doc.redo() == "category" and doc.parsing_change is not None
    doc.parsing_change.apply(parsing)
    assert parsing[2, 2] == P7.index("hair") and int((parsing == P7.index("dress")).sum()) == 29


def test_an_unchanged_choice_records_nothing(two_shoes) -> None:
    """A fuzz review: the category an instance has, or no value for an attribute it does not
    have, picked again recorded a step (a new operator version, an approved image undone)."""
    doc, _parsing = _doc(two_shoes)
    top = next(k for k, i in doc.instances.items() if i.category == "blouse")
    doc.mark_saved()
    assert doc.recategorise(top, "blouse") is None
    doc.set_attribute(top, "pattern", None)
    doc.set_attribute(top, "sleeve", "short")
    doc.mark_saved()
    doc.set_attribute(top, "sleeve", "short")
    assert not doc.dirty and doc.actions == 1 and doc.undo() == "attribute" and not doc.can_undo
    with pytest.raises(ValueError, match="no value"):
        doc.set_attribute(top, "sleeve", "puffed")


def test_instance_ids_are_checked_before_saving() -> None:
    m = np.zeros((10, 10), np.uint8)
    m[2:5, 2:5] = 1
    with pytest.raises(ValueError, match="record 1 says it is instance 2"):
        InstanceSet(m, {1: Instance(2, 3, "blouse")}).validate(TAX, SCHEMA)
    with pytest.raises(ValueError, match="instance id 0 outside 1..255"):
        InstanceSet(m, {0: Instance(0, 3, "blouse"), 1: Instance(1, 3, "blouse")}).validate(TAX, SCHEMA)
    with pytest.raises(ValueError, match="instance id 300 outside"):
        InstanceSet(m, {1: Instance(1, 3, "blouse"), 300: Instance(300, 3, "blouse")}).validate(TAX, SCHEMA)
    with pytest.raises(ValueError, match="colour must be a colour name"):
        InstanceSet(m, {1: Instance(1, 3, "blouse", colour=7)}).validate(TAX, SCHEMA)  # type: ignore[arg-type]


def test_splitting_into_more_parts_than_free_ids_changes_nothing() -> None:
    m = np.zeros((40, 40), np.uint8)
    m[0:2, 0:2] = 1
    m[10:12, 10:12] = 1
    m[20:22, 20:22] = 1
    insts = {1: Instance(1, 3, "blouse")} | {k: Instance(k, 3, "blouse") for k in range(2, 255)}
    doc = InstanceDocument(InstanceSet(m, insts), TAX, SCHEMA, P7)
    before = doc.map.copy()
    with pytest.raises(ValueError, match="3 parts; 1 free ids left"):
        doc.split_components(1)
    assert np.array_equal(doc.map, before) and set(doc.instances) == set(insts)
    assert not doc.can_undo and not doc.dirty


def test_split_parts_leaves_specks_with_the_instance() -> None:
    """A hand test: Split parts made 1-2 px instances of a proposal's specks."""
    m = np.zeros((200, 200), np.uint8)
    m[10:90, 10:90] = 1  # the garment
    m[120:150, 120:150] = 1  # a part of its own (900 px)
    m[195:197, 5:6] = 1  # a 2-px speck (under 0.05 % of the photo: 20 px)
    doc = InstanceDocument(InstanceSet(m, {1: Instance(1, 3, "blouse")}), TAX, SCHEMA, P7)
    new = doc.split_components(1)
    assert len(new) == 1 and np.all(doc.map[120:150, 120:150] == new[0])
    assert np.all(doc.map[195:197, 5:6] == 1)
    speck = np.zeros((200, 200), np.uint8)
    speck[10:90, 10:90] = 1
    speck[195:197, 5:6] = 1
    only = InstanceDocument(InstanceSet(speck, {1: Instance(1, 3, "blouse")}), TAX, SCHEMA, P7)
    with pytest.raises(ValueError, match="no other part of 20 pixels or more"):
        only.split_components(1)
    assert not only.can_undo


def test_reconcile_drops_pixels_whose_parsing_class_changed(two_shoes) -> None:
    doc, parsing = _doc(two_shoes)
    shoes = [k for k, i in doc.instances.items() if i.category == "boots"]
    parsing[100:115, 60:140] = 1  # the operator repainted both shoes as skin
    assert doc.reconcile(parsing) > 0
    assert not set(shoes) & set(doc.instances)
    assert inconsistent_pixels(doc.set, parsing) == {}
    doc.undo()
    assert set(shoes) <= set(doc.instances)


def test_every_instance_category_maps_to_a_class_of_each_parsing_taxonomy() -> None:
    path = Path(__file__).resolve().parents[3] / "resources" / "taxonomies" / "instances" / "ccp.json"
    assert [c["name"] for c in json.loads(path.read_text())["categories"]] == TAX.names
    for cat in TAX.categories:
        assert cat.parent("parsing7") in P7.names, cat.name
        assert cat.parent("parsing18") in P18.names, cat.name
    assert TAX.parent_classes("parsing18") - {"background"} <= set(P18.names[1:])
    for task, pairs in TAX.pair_classes.items():
        assert set(pairs) <= set(load_taxonomy(task).names), task
