"""The instances follow the parsing mask both ways (:meth:`InstanceDocument.reconcile`), and
merge, split and re-categorisation keep each instance's class and colour true (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.instances.derive import propose_instances
from fashion_annotator.instances.document import InstanceDocument
from fashion_annotator.instances.model import Instance, InstanceSet, inconsistent_pixels
from fashion_annotator.instances.schema import load_attribute_schema, load_instance_taxonomy

P7 = load_taxonomy("parsing7")
TAX = load_instance_taxonomy()
SCHEMA = load_attribute_schema()
TOP, SKIN = P7.index("top"), P7.index("skin")


def _doc(two_shoes) -> tuple[InstanceDocument, np.ndarray, int]:
    parsing = two_shoes(10)
    d = propose_instances(parsing, P7, TAX)
    cats = {TOP: "blouse", P7.index("bottom"): "jeans", P7.index("shoes"): "boots"}
    insts = {k: Instance(k, c, cats[c], attributes={"fit": "loose"}) for k, c in enumerate(d.classes, start=1)}
    doc = InstanceDocument(InstanceSet(d.map, insts), TAX, SCHEMA, P7)
    return doc, parsing, next(k for k, i in insts.items() if i.category == "blouse")


def test_pixels_a_reconcile_took_come_back_when_their_class_does(two_shoes) -> None:
    """A stroke across the blouse, reconciled (a save), then undone on the parsing mask: the
    pixels stayed in no instance. The next reconcile gives exactly those back."""
    doc, parsing, top = _doc(two_shoes)
    start_map, start = doc.map.copy(), {k: i.category for k, i in doc.instances.items()}
    parsing[20:30, 40:160] = SKIN
    taken = (start_map == top) & (parsing == SKIN)
    assert doc.reconcile(parsing) == int(taken.sum()) and not (doc.map[taken]).any()
    parsing[taken] = TOP  # the stroke undone on the blouse
    assert doc.reconcile(parsing) == int(taken.sum())
    np.testing.assert_array_equal(doc.map, start_map)
    assert {k: i.category for k, i in doc.instances.items()} == start
    assert inconsistent_pixels(doc.set, parsing) == {} and doc.reconcile(parsing) == 0


def test_an_instance_a_reconcile_removed_comes_back_with_its_attributes(two_shoes) -> None:
    doc, parsing, top = _doc(two_shoes)
    pixels = doc.map == top
    parsing[pixels] = SKIN
    assert doc.reconcile(parsing) and top not in doc.instances
    parsing[pixels] = TOP
    assert doc.reconcile(parsing) == int(pixels.sum())
    assert doc.instances[top].attributes == {"fit": "loose"} and np.array_equal(doc.map == top, pixels)


def test_only_what_stands_gives_back(two_shoes) -> None:
    """A reconcile undone in the panel, an instance deleted since, or a new proposal since:
    nothing comes back (the operator's own edit stands)."""
    doc, parsing, top = _doc(two_shoes)
    pixels = doc.map == top
    parsing[pixels] = SKIN
    doc.reconcile(parsing)
    doc.undo()
    parsing[pixels] = TOP
    doc.delete(top)
    assert doc.reconcile(parsing) == 0 and top not in doc.instances
    doc, parsing, top = _doc(two_shoes)
    parsing[20:30, 40:160] = SKIN
    doc.reconcile(parsing)
    hole = doc.map.copy()
    doc.delete(top)
    parsing[20:30, 60:140] = TOP
    assert doc.reconcile(parsing) == 0 and top not in doc.instances
    doc.undo()  # the delete
    doc.replace(InstanceSet(hole.copy(), {k: i for k, i in doc.instances.items()}))
    assert doc.reconcile(parsing) == 0 and np.array_equal(doc.map, hole)


def test_a_removed_instances_id_taken_by_a_split_gets_none_of_its_pixels(two_shoes) -> None:
    """A fuzz of the window: an instance removed by a save's reconcile, then another split (its
    new part takes the smallest free id: the removed one's), then the removal undone: all the
    removed instance's pixels joined the split's new part, which then covered both, with the
    other's record. The removed one comes back only while its id is free: it stays out here."""
    doc, parsing, _ = _doc(two_shoes)
    shoes = sorted(k for k, i in doc.instances.items() if i.parsing_class == P7.index("shoes"))
    first, second = shoes[0], shoes[1]
    pixels = doc.map == first
    parsing[pixels] = 0
    assert doc.reconcile(parsing) and first not in doc.instances
    ys, xs = np.nonzero(doc.map == second)
    new = doc.split_line(second, (float(xs.min()), float(ys.mean())), (float(xs.max()), float(ys.mean())))
    assert new == first  # the smallest free id
    part = doc.map == new
    parsing[pixels] = P7.index("shoes")  # the removal undone on the parsing mask
    doc.reconcile(parsing)
    np.testing.assert_array_equal(doc.map == new, part)
    assert not (doc.map[pixels]).any()


def _skirts() -> tuple[InstanceDocument, np.ndarray]:
    """A skirt on bottom pixels and a piece of it a proposal named skirt on dress pixels."""
    parsing = np.zeros((10, 10), np.uint8)
    parsing[2:5, 2:8], parsing[5:8, 2:8] = P7.index("bottom"), P7.index("dress")
    imap = np.zeros((10, 10), np.uint8)
    imap[2:5, 2:8], imap[5:8, 2:8] = 1, 2
    insts = {1: Instance(1, P7.index("bottom"), "skirt"), 2: Instance(2, P7.index("dress"), "skirt")}
    return InstanceDocument(InstanceSet(imap, insts), TAX, SCHEMA, P7), parsing


def test_picking_the_category_again_moves_the_pixels_to_its_class() -> None:
    doc, parsing = _skirts()
    change = doc.recategorise(2, "skirt", parsing)
    assert change is not None and doc.instances[2].parsing_class == P7.index("bottom")
    change.apply(parsing)
    assert np.all(parsing[2:8, 2:8] == P7.index("bottom"))
    assert doc.recategorise(2, "skirt", parsing) is None, "now it changes nothing"
    assert doc.undo() == "category" and doc.parsing_change is not None
    doc.parsing_change.apply(parsing)
    assert np.all(parsing[5:8, 2:8] == P7.index("dress")) and doc.instances[2].parsing_class == P7.index("dress")


def test_merging_one_category_across_classes_brings_it_to_the_category_class() -> None:
    doc, parsing = _skirts()
    assert doc.merge([1, 2], parsing) == 1 and doc.parsing_change is not None
    doc.parsing_change.apply(parsing)
    assert np.all(doc.map[2:8, 2:8] == 1) and np.all(parsing[2:8, 2:8] == P7.index("bottom"))
    assert inconsistent_pixels(doc.set, parsing) == {}
    assert doc.undo() == "merge" and doc.parsing_change is not None
    doc.parsing_change.apply(parsing)
    assert np.all(parsing[5:8, 2:8] == P7.index("dress")) and np.all(doc.map[5:8, 2:8] == 2)
    doc.instances[2].category = "dress"
    with pytest.raises(ValueError, match="re-categorise 2 as skirt first"):
        doc.merge([1, 2], parsing)


def _red_and_blue() -> tuple[InstanceDocument, np.ndarray]:
    """A blouse whose left half is red and right half blue, named by the colour of both."""
    rgb = np.zeros((20, 20, 3), np.uint8)
    rgb[:, :10], rgb[:, 10:] = (200, 30, 40), (30, 60, 200)
    imap = np.zeros((20, 20), np.uint8)
    imap[4:16, 4:16] = 1
    blouse = Instance(1, TOP, "blouse", attributes={"colour": "purple", "length": "mini"},
                      colour="purple", colour_rgb=(115, 45, 120))  # fmt: skip
    doc = InstanceDocument(InstanceSet(imap, {1: blouse}), TAX, SCHEMA, P7, photo=lambda: rgb)
    return doc, rgb


def test_a_split_names_each_parts_colour_from_its_own_pixels() -> None:
    """Both halves of a split kept the colour of the whole (exported as dominant_colour)."""
    doc, _rgb = _red_and_blue()
    right = doc.split_line(1, (9.5, 20), (9.5, 0))
    left = doc.instances[1]
    assert np.all(doc.map[4:16, 10:16] == right) and np.all(doc.map[4:16, 4:10] == 1)
    assert (left.colour, left.colour_rgb, left.attributes["colour"]) == ("red", (200, 30, 40), "red")
    other = doc.instances[right]
    assert (other.colour, other.colour_rgb, other.attributes["colour"]) == ("blue", (30, 60, 200), "blue")
    assert other.attributes["length"] == "mini", "the operator's attributes stay"
    doc.instances[right].attributes["colour"] = "navy"  # the operator's own choice
    doc.merge([1, right])
    merged = doc.instances[1]
    assert merged.colour in ("red", "blue") and merged.colour_rgb in ((200, 30, 40), (30, 60, 200))
    assert merged.attributes["colour"] == merged.colour
    assert doc.undo() == "merge" and doc.instances[1].colour == "red"
    doc.instances[1].attributes["colour"] = "pink"
    doc.merge([right, 1])
    assert doc.instances[right].attributes["colour"] == "navy", "a colour the operator chose stays"


def test_split_parts_names_each_parts_colour() -> None:
    doc, rgb = _red_and_blue()
    doc.map[:, 9:11] = 0
    new = doc.split_components(1)
    assert {doc.instances[k].colour for k in (1, *new)} == {"red", "blue"}


def test_an_instance_whose_pixels_took_another_garment_class_follows_them(two_shoes) -> None:
    """A QA hand test: shoes proposed as accessories on background pixels, then a newer
    proposal saved that calls those pixels shoes: the save removed both instances ("their
    pixels are no longer of that class"). An instance now mostly on another garment's class
    keeps its pixels and category and takes that class (flagged where its category is another
    class's); its undo gives the old class back."""
    doc, parsing, top = _doc(two_shoes)
    pixels = doc.map == top
    parsing[pixels] = P7.index("dress")  # the operator relabelled the blouse as dress
    assert doc.reconcile(parsing) == int(pixels.sum())
    blouse = doc.instances[top]
    assert blouse.category == "blouse" and blouse.parsing_class == P7.index("dress")
    assert blouse.attributes == {"fit": "loose"} and np.array_equal(doc.map == top, pixels)
    assert inconsistent_pixels(doc.set, parsing) == {}
    assert TAX.off_class(blouse.category, blouse.parsing_class, "parsing7", P7.names)
    doc.undo()
    assert doc.instances[top].parsing_class == TOP


def test_a_part_relabelled_leaves_and_a_garment_painted_skin_is_removed(two_shoes) -> None:
    """The rule is the majority: a strip relabelled leaves its instance, and pixels painted a
    class of no garment (skin) leave it too, the instance removed when none is left."""
    doc, parsing, top = _doc(two_shoes)
    pixels = doc.map == top
    strip = pixels & (np.cumsum(pixels, axis=None).reshape(pixels.shape) <= pixels.sum() // 4)
    parsing[strip] = P7.index("dress")
    doc.reconcile(parsing)
    assert doc.instances[top].parsing_class == TOP and not (doc.map[strip] == top).any()
    parsing[pixels] = SKIN
    doc.reconcile(parsing)
    assert top not in doc.instances


def test_shoes_proposed_on_background_follow_a_saved_mask_that_calls_them_shoes() -> None:
    """The hand test's loss itself: "6. shoes, 7. shoes" (accessories on background pixels of an
    older proposal) were removed when the next proposal, saved, called their pixels shoes."""
    parsing = np.zeros((10, 10), np.uint8)
    imap = np.zeros((10, 10), np.uint8)
    imap[6:9, 2:5] = 6
    doc = InstanceDocument(InstanceSet(imap, {6: Instance(6, 0, "shoes")}), TAX, SCHEMA, P7)
    parsing[6:9, 2:5] = P7.index("shoes")
    assert doc.reconcile(parsing) == 9
    assert doc.instances[6].parsing_class == P7.index("shoes") and np.array_equal(doc.map, imap)
