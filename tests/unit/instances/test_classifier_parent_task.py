"""The category classifier reads parents of a finer parsing than the one it was trained with."""

from __future__ import annotations

import numpy as np

from fashion_annotator.instances.classifier import InstanceClassifier
from fashion_annotator.instances.proposer import needs_garment
from fashion_annotator.instances.schema import load_instance_taxonomy


def test_parsing18_parents_map_to_the_classifiers_own() -> None:
    clf = InstanceClassifier.load()
    assert clf.parent_task == "parsing7"
    assert clf.own_parent("outer", "parsing18") == "top"
    assert clf.own_parent("skirt", "parsing18") == "bottom"
    assert clf.own_parent("footwear", "parsing18") == "shoes"
    assert clf.own_parent("bag", "parsing18") == "background"
    assert clf.own_parent("top", None) == "top" and clf.own_parent("top", "parsing7") == "top"
    onehot = clf.parent_onehot(["outer", "bag"], "parsing18")
    assert np.array_equal(onehot, clf.parent_onehot(["top", "background"]))
    cats = np.array(clf.categories)
    # a fine class lets its coarse class's categories compete: the fine parsing's confusions
    # between siblings (skirt / pants, outer / top) do not force a wrong category
    assert np.array_equal(clf.allowed("outer", "parsing18"), clf.allowed("top"))
    assert np.array_equal(clf.allowed("skirt", "parsing18"), clf.allowed("bottom"))
    assert {"coat", "blouse"} <= set(cats[clf.allowed("outer", "parsing18")])
    assert "skirt" in set(cats[clf.allowed("pants", "parsing18")])
    assert "coat" not in set(cats[clf.allowed("bag", "parsing18")])


def test_predictions_from_parsing18_parents_stay_within_the_coarse_class() -> None:
    clf = InstanceClassifier.load()
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (120, 80, 3), dtype=np.uint8)
    instance_map = np.zeros((120, 80), np.uint8)
    instance_map[10:60, 10:70] = 1
    instance_map[70:110, 20:60] = 2
    preds = clf.predict(rgb, instance_map, {1: "outer", 2: "skirt"}, parent_task="parsing18")
    tops = {c.name for c in clf.taxonomy.children("parsing7", "top")}
    bottoms = {c.name for c in clf.taxonomy.children("parsing7", "bottom")}
    assert {name for name, _ in preds[1].categories} <= tops
    assert {name for name, _ in preds[2].categories} <= bottoms
    probs = [p for _, p in preds[1].categories]
    assert probs == sorted(probs, reverse=True) and 0 < probs[-1] and sum(probs) <= 1 + 1e-6
    plain = clf.predict(rgb, instance_map, {1: "top", 2: "bottom"})
    assert plain[1].categories == preds[1].categories and plain[2].categories == preds[2].categories


def test_only_parsing7_needs_the_garment_cutout_for_accessories() -> None:
    taxonomy = load_instance_taxonomy()
    assert needs_garment(taxonomy, "parsing7") is True
    assert needs_garment(taxonomy, "parsing18") is False
