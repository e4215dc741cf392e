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
