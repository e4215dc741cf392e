"""Parsing pixels painted next to an instance of their class join it at the next save
(:meth:`InstanceDocument.reconcile` with ``changed``, :func:`painted_joins`; numpy only).

Found by hand: a cataloguer painted the pants strip beside a skirt over as skirt; the window's
parsing mask showed one skirt, but the skirt instance (and the exported skirt mask) kept the
strip out: its pixels were in no instance.
"""

from __future__ import annotations

import numpy as np

from fashion_annotator.core.labels import load_taxonomy
from fashion_annotator.instances.derive import propose_instances
from fashion_annotator.instances.document import InstanceDocument
from fashion_annotator.instances.model import Instance, InstanceSet, inconsistent_pixels
from fashion_annotator.instances.schema import load_attribute_schema, load_instance_taxonomy

P7 = load_taxonomy("parsing7")
TAX = load_instance_taxonomy()
SCHEMA = load_attribute_schema()
TOP, BOTTOM, SHOES = P7.index("top"), P7.index("bottom"), P7.index("shoes")


def _doc(two_shoes) -> tuple[InstanceDocument, np.ndarray]:
    parsing = two_shoes(10)
    d = propose_instances(parsing, P7, TAX)
    cats = {TOP: "blouse", BOTTOM: "jeans", SHOES: "boots"}
    insts = {k: Instance(k, c, cats[c]) for k, c in enumerate(d.classes, start=1)}
    return InstanceDocument(InstanceSet(d.map, insts), TAX, SCHEMA, P7), parsing


def _id(doc: InstanceDocument, category: str) -> int:
    return next(k for k, i in doc.instances.items() if i.category == category)


def test_a_gap_painted_onto_the_blouse_joins_the_blouse(two_shoes) -> None:
    doc, parsing = _doc(two_shoes)
    blouse = _id(doc, "blouse")
    before = parsing.copy()
    parsing[10:40, 140:150] = TOP  # background beside the blouse painted as top
    parsing[20:30, 160:170] = TOP  # a patch of top touching no instance
    painted = parsing != before
    assert doc.reconcile(parsing, painted) == 300
    assert np.all(doc.map[10:40, 140:150] == blouse)
    assert not doc.map[20:30, 160:170].any(), "a patch touching nothing stays in no instance"
    assert inconsistent_pixels(doc.set, parsing) == {}


def test_a_strip_painted_over_to_another_class_moves_to_that_instance_and_back(two_shoes) -> None:
    """Jeans pixels painted as top leave the jeans for the blouse; the stroke undone and saved
    again, the instances are as they were before it."""
    doc, parsing = _doc(two_shoes)
    start = doc.map.copy()
    blouse, jeans = _id(doc, "blouse"), _id(doc, "jeans")
    before = parsing.copy()
    parsing[50:60, 70:130] = TOP
    assert doc.reconcile(parsing, parsing != before) == 2 * 600
    assert np.all(doc.map[50:60, 70:130] == blouse)
    undone = parsing.copy()
    parsing[50:60, 70:130] = BOTTOM
    doc.reconcile(parsing, parsing != undone)
    np.testing.assert_array_equal(doc.map, start)
    assert jeans in doc.instances


def test_pixels_of_class_unchanged_join_nothing(two_shoes) -> None:
    """A deleted shoe's pixels are of the shoes class, next to the other shoe: their class did
    not change, so they stay in no instance (and with ``changed`` unknown nothing joins)."""
    doc, parsing = _doc(two_shoes)
    left = int(doc.map[105, 65])
    doc.delete(left)
    assert doc.reconcile(parsing, np.zeros(parsing.shape, bool)) == 0
    before = parsing.copy()
    parsing[10:40, 140:150] = TOP
    assert doc.reconcile(parsing) == 0 and not doc.map[10:40, 140:150].any()
    assert doc.reconcile(parsing, parsing != before) == 300
    assert not doc.map[100:115, 60:95].any()


def test_a_patch_between_two_shoes_joins_the_one_it_touches_most(two_shoes) -> None:
    doc, parsing = _doc(two_shoes)
    left, right = int(doc.map[105, 65]), int(doc.map[105, 135])
    before = parsing.copy()
    parsing[100:115, 95:100] = SHOES  # one patch: along the left shoe's 15 rows ...
    parsing[100:105, 100:105] = SHOES  # ... and the right one's top 5
    assert doc.reconcile(parsing, parsing != before) == 100
    assert np.all(doc.map[100:115, 95:100] == left) and np.all(doc.map[100:105, 100:105] == left)
    assert np.all(doc.map[100:115, 105:140] == right)


def test_a_strip_painted_apart_joins_with_the_stroke_that_links_it(two_shoes) -> None:
    """A strip painted beside the blouse but apart from it stays in no instance at its save; a
    later stroke linking it to the blouse brings the whole strip in."""
    doc, parsing = _doc(two_shoes)
    blouse = _id(doc, "blouse")
    before = parsing.copy()
    parsing[10:40, 145:150] = TOP
    assert doc.reconcile(parsing, parsing != before) == 0
    before = parsing.copy()
    parsing[20:22, 140:145] = TOP
    assert doc.reconcile(parsing, parsing != before) == 150 + 10
    assert np.all(doc.map[10:40, 145:150] == blouse)


def test_a_small_stroke_on_a_large_photo_labels_a_window_around_it(monkeypatch) -> None:
    """Measured on CCP photos scaled to 22 MP: each save after a parsing stroke spent 260-370 ms
    on the GUI thread labelling every free pixel of the photo for the stroke's class; only the
    free pixels of that class (the stroke's gap, a few thousand) and the ring around them count,
    so the labelling reads their box grown by one, with the same joins."""
    from fashion_annotator.instances import painted

    labelled: list[tuple[int, ...]] = []
    label = painted.ndimage.label

    def spy(array: np.ndarray, *args: object, **kwargs: object) -> object:
        labelled.append(array.shape)
        return label(array, *args, **kwargs)

    monkeypatch.setattr(painted.ndimage, "label", spy)
    instance_map = np.zeros((3000, 2000), np.uint8)
    instance_map[1000:2000, 500:1500] = 1
    parsing = np.where(instance_map > 0, TOP, 0).astype(np.uint8)
    parsing[1200:1300, 1500:1520] = TOP  # a strip beside the blouse
    parsing[0, 0] = TOP  # a corner pixel painted too, touching no instance
    changed = np.zeros(parsing.shape, bool)
    changed[1200:1300, 1500:1520] = changed[0, 0] = True
    joins = painted.painted_joins(instance_map, {1: TOP}, parsing, changed)
    assert np.all(joins[1200:1300, 1500:1520] == 1) and int((joins > 0).sum()) == 100 * 20
    labelled.clear()
    parsing[0, 0] = changed[0, 0] = 0
    painted.painted_joins(instance_map, {1: TOP}, parsing, changed)
    assert labelled == [(102, 22)], "the labelling read more than the strip's box grown by one"
