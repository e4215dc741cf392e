"""The category classifier reads parents of a finer parsing than the one it was trained with."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.instances.classifier import (
    AttributeHeads,
    InstanceClassifier,
    default_classifier_path,
    load_attribute_heads,
    save_attribute_heads,
)
from fashion_annotator.instances.features import N_TEXTURE
from fashion_annotator.instances.proposer import needs_garment
from fashion_annotator.instances.schema import load_attribute_schema, load_instance_taxonomy
from fashion_annotator.models.weights import ModelFileError


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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.pop("parent_task"), "needs 'parent_task'"),
        (lambda m: m["arch"].update(width=-1), r"'arch.width' must be an integer in 1..256"),
        (lambda m: m["arch"].update(width=10**6), r"'arch.width' must be an integer in 1..256"),
        (lambda m: m.update(classes=[*m["classes"][:-1], "zzz"]), r"categories \['zzz'\] are not in the instance taxonomy"),
        (lambda m: m.update(parent_classes="top"), "'classes' and 'parent_classes'"),
    ],
)
def test_a_bad_classifier_meta_names_the_file_before_building_a_network(tmp_path: Path, change, message: str) -> None:
    src = default_classifier_path()
    dst = tmp_path / "clf.safetensors"
    shutil.copyfile(src, dst)
    meta = json.loads(src.with_suffix(".json").read_text())
    change(meta)
    dst.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match=message) as err:
        InstanceClassifier.load(dst, shares_path=None)
    assert str(dst) in str(err.value)


def test_attribute_heads_outside_the_schema_are_refused(tmp_path: Path) -> None:
    crop = InstanceClassifier.load(shares_path=None)
    embed = crop.net.embed_dim + N_TEXTURE
    path = tmp_path / "attributes.safetensors"
    schema = load_attribute_schema()
    fit = list(schema.group("fit").values)
    save_attribute_heads(path, AttributeHeads(embed, {"fit": len(fit)}), schema, {"input_size": [64, 64]})
    assert load_attribute_heads(path, embed)[1]["groups"]["fit"] == fit
    meta = json.loads(path.with_suffix(".json").read_text())
    for groups, message in (({"fit": ["huge", "tiny", "mid"]}, "group 'fit'.*no value 'huge'"), ({"fit": 3}, "lacks 'groups'")):
        meta["groups"] = groups
        path.with_suffix(".json").write_text(json.dumps(meta))
        with pytest.raises(ModelFileError, match=message):
            load_attribute_heads(path, embed)
