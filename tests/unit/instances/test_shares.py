"""The share classifier: categories from the parsing model's class probabilities."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from fashion_annotator.cli import main
from fashion_annotator.instances.classifier import InstanceClassifier
from fashion_annotator.instances.derive import instance_boxes
from fashion_annotator.instances.features import (
    N_COLOUR,
    N_GEOMETRY,
    class_shares,
    colour_stats,
    foreground_shares,
    share_features,
)
from fashion_annotator.instances.proposer import InstanceProposer
from fashion_annotator.instances.shares import (
    SHARES_TASK,
    ShareClassifier,
    ShareNet,
    default_shares_path,
    n_share_inputs,
)
from fashion_annotator.models.weights import ModelFileError, save_model
from fashion_annotator.segmentation.pipeline import Proposal
from training.instance_shares import fit, top_k
from training.instance_shares import main as train_main


def _two_instances() -> tuple[np.ndarray, np.ndarray]:
    """A 40x60 map: instance 1 the left half, instance 2 one pixel; probs (2, 4, 6)."""
    instance_map = np.zeros((40, 60), np.uint8)
    instance_map[:, :30] = 1
    instance_map[33, 45] = 2
    probs = np.zeros((2, 4, 6), np.float32)
    probs[0, :, :3] = 0.8
    probs[1, :, :3] = 0.2
    probs[0, :, 3:] = 0.1
    probs[1, :, 3:] = 0.9
    return instance_map, probs


def test_class_shares_average_probabilities_inside_each_instance() -> None:
    instance_map, probs = _two_instances()
    shares = class_shares(probs, instance_map, [1, 2, 7])
    assert shares.shape == (3, 2) and shares.dtype == np.float32
    np.testing.assert_allclose(shares[0], [0.8, 0.2], atol=1e-6)
    # every pixel reads the probability cell it falls in
    np.testing.assert_allclose(shares[1], probs[:, 3, 4], atol=1e-6)
    assert not shares[2].any()  # an absent id
    parsing = (instance_map == 1).astype(np.uint8)
    np.testing.assert_allclose(foreground_shares(probs, parsing), [0.8, 0.2], atol=1e-6)
    assert not foreground_shares(probs, np.zeros_like(parsing)).any()


def test_colour_stats_are_cielab_of_the_instance_pixels() -> None:
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[:, :30] = (200, 30, 30)
    rgb[:, 30:] = (20, 20, 220)
    instance_map = np.zeros((40, 60), np.uint8)
    instance_map[:, :28] = 1  # 7 whole cells of the 4x shrunk photo
    stats = colour_stats(rgb, instance_map, [1])
    lab = cv2.cvtColor(np.array([[[200, 30, 30]]], np.uint8), cv2.COLOR_RGB2LAB)[0, 0].astype(np.float32)
    np.testing.assert_allclose(stats[0, :3], lab / 100, atol=0.011)
    assert stats.shape == (1, N_COLOUR) and stats[0, 3:].max() < 1e-3


def test_colour_stats_read_a_thin_instance_where_it_lies() -> None:
    """A review: the instance map was shrunk from each 4x4 block's top-left pixel, 1.5 px off the
    area-shrunk photo, so a 12 px black belt on white read lightness 66 (black is 0)."""
    rgb = np.full((1728, 1152, 3), 255, np.uint8)
    instance_map = np.zeros((1728, 1152), np.uint8)
    rgb[801:813, 301:851] = 0
    instance_map[801:813, 301:851] = 1
    lightness = colour_stats(rgb, instance_map, [1])[0, 0] * 100
    assert lightness < 30  # the belt's own pixels, blended only at its two edges


def test_share_features_shape_and_errors() -> None:
    instance_map, probs = _two_instances()
    rgb = np.full((40, 60, 3), 128, np.uint8)
    parsing = (instance_map > 0).astype(np.uint8)
    feats = share_features(rgb, probs, parsing, instance_map, [1, 2], instance_boxes(instance_map))
    assert feats.shape == (2, n_share_inputs(2)) == (2, 2 * 2 + N_COLOUR + N_GEOMETRY)
    assert np.isfinite(feats).all()
    with pytest.raises(ValueError, match=r"\(K, h, w\)"):
        share_features(rgb, probs[0], parsing, instance_map, [1], instance_boxes(instance_map))


def test_share_net_refuses_sizes_out_of_bounds() -> None:
    with pytest.raises(ValueError, match="members"):
        ShareNet(10, 5, 16, 0)
    with pytest.raises(ValueError, match="hidden"):
        ShareNet(10, 5, 10**6, 1)


def _train_toy_head(path: Path, categories: list[str], base: np.ndarray | None = None) -> ShareClassifier:
    """A head whose category is the argmax of the first three shares: 0 -> coat, 1 -> skirt, 2 -> bag.

    Training features are ``base`` (default zeros) plus noise, with one of the first three raised.
    """
    rng = np.random.default_rng(0)
    n_classes = 18
    n_in = n_share_inputs(n_classes)
    base = np.zeros(n_in, np.float32) if base is None else base
    x = (base + rng.normal(0.0, 0.05, (600, n_in))).astype(np.float32)
    x[:, :3] = rng.normal(0.0, 0.05, (600, 3))
    x[np.arange(600), rng.integers(0, 3, 600)] += 1.0
    names = ["coat", "skirt", "bag"]
    y = np.array([categories.index(names[int(np.argmax(r[:3]))]) for r in x])
    net, mean, std = fit(x, y, len(categories), members=2, epochs=30, hidden=32)
    assert top_k(net, mean, std, x, y)["top1"] > 0.9
    meta = {
        "task": SHARES_TASK, "architecture": "instance_shares",
        "arch": {"n_inputs": n_in, "n_categories": len(categories), "hidden": 32, "members": 2},
        "classes": categories, "input_size": [8, 8], "mean": [0.5] * 3, "std": [0.25] * 3,
        "feature_mean": mean.tolist(), "feature_std": std.tolist(),
        "parsing_task": "parsing18", "parsing_classes": [f"c{i}" for i in range(n_classes)],
    }  # fmt: skip
    save_model(path, net, meta)
    return ShareClassifier.load(path)


def test_the_share_head_names_categories_when_the_probabilities_are_given(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 255, (120, 80, 3), dtype=np.uint8)
    instance_map = np.zeros((120, 80), np.uint8)
    instance_map[10:60, 10:70] = 1
    parsing = (instance_map > 0).astype(np.uint8) * 6  # parsing18 "skirt"
    probs = np.zeros((18, 12, 8), np.float32)
    probs[0] = 1.0  # "coat" wins: the first share is the largest inside the instance
    probe = share_features(rgb, probs, parsing, instance_map, [1], instance_boxes(instance_map))[0]
    crop = InstanceClassifier.load(shares_path=None)
    head = _train_toy_head(tmp_path / "shares.safetensors", crop.categories, probe)
    clf = InstanceClassifier(crop.net, crop.meta, shares={"parsing18": head})
    assert head.reads("parsing18", 18) and not head.reads("parsing7", 7)
    with_probs = clf.predict(rgb, instance_map, {1: "skirt"}, parent_task="parsing18", probs=probs, parsing=parsing)
    assert with_probs[1].category == "coat"  # every category competes, not only the skirt's siblings
    without = clf.predict(rgb, instance_map, {1: "skirt"}, parent_task="parsing18")
    bottoms = {c.name for c in clf.taxonomy.children("parsing7", "bottom")}
    assert {n for n, _ in without[1].categories} <= bottoms  # the crop network, within its class
    # another parsing's probabilities are not this head's input: the crop network answers
    p7 = clf.predict(rgb, instance_map, {1: "bottom"}, parent_task="parsing7", probs=probs[:7], parsing=parsing)
    assert {n for n, _ in p7[1].categories} <= bottoms
    # the proposer passes a proposal's probabilities through
    proposer = InstanceProposer(clf, "parsing18")
    out = proposer.from_masks(rgb, parsing, None, colours=False, probs=probs)
    assert [i.category for i in out.instances] == ["coat"]


def test_bad_share_files_name_the_file_and_the_problem(tmp_path: Path) -> None:
    crop = InstanceClassifier.load(shares_path=None)
    path = tmp_path / "shares.safetensors"
    _train_toy_head(path, crop.categories)
    meta_file = path.with_suffix(".json")
    meta = json.loads(meta_file.read_text())
    meta["feature_mean"] = meta["feature_mean"][:-1]
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="mean/std") as err:
        ShareClassifier.load(path)
    assert str(path) in str(err.value)
    meta["feature_mean"] = [0.0] * meta["arch"]["n_inputs"]
    meta["task"] = "parsing18"
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="not 'instance_shares'"):
        ShareClassifier.load(path)
    meta["task"] = SHARES_TASK
    meta["classes"] = list(reversed(meta["classes"]))
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="other categories"):
        InstanceClassifier.load(shares_path=path)


def test_the_shipped_share_heads_read_parsing18_and_parsing7() -> None:
    clf = InstanceClassifier.load()
    assert set(clf.shares) == {"parsing18", "parsing7"}
    assert clf.shares["parsing18"].reads("parsing18", 18) and clf.shares["parsing7"].reads("parsing7", 7)
    assert all(head.categories == clf.categories for head in clf.shares.values())
    assert InstanceClassifier.load(shares_path=None).shares == {}
    probs = np.full((7, 4, 4), 1 / 7, np.float32)
    assert clf.share_head("parsing7", probs) is clf.shares["parsing7"]
    assert clf.share_head("parsing7", probs[:5]) is None and clf.share_head("parsing18", probs) is None


def test_proposals_carry_network_resolution_probabilities() -> None:
    logits = np.random.default_rng(0).normal(size=(3, 5, 4)).astype(np.float32)
    e = np.exp(logits - logits.max(0))
    made = []
    prop = Proposal(np.zeros((50, 40), np.uint8), lambda: np.zeros((3, 50, 40), np.float32), "parsing7",
                    coarse_probs=lambda: made.append(1) or e / e.sum(0))  # fmt: skip
    assert prop.coarse_probs.shape == (3, 5, 4) and prop.coarse_probs is prop.coarse_probs
    assert made == [1]  # computed once
    plain = Proposal(np.zeros((6, 6), np.uint8), np.ones((2, 6, 6), np.float32), "garment")
    assert plain.coarse_probs is plain.probs


def test_training_script_writes_a_loadable_head(ccp_dir: Path, tmp_path: Path) -> None:
    torch.manual_seed(0)
    report = train_main(["--data", str(ccp_dir), "--out", str(tmp_path), "--limit", "3", "--members", "2",
                         "--epochs", "3", "--cache", str(tmp_path / "f.npz")])  # fmt: skip
    assert report["n_train"] > 0 and report["val_matched_proposals"]["n"] >= 0
    head = ShareClassifier.load(tmp_path / "instance_shares_parsing18.safetensors")
    assert head.parsing_task == "parsing18" and len(head.parsing_classes) == 18
    assert (tmp_path / "f.npz").is_file()
    # the cache makes a second run skip the parsing model's pass
    again = train_main(["--data", str(ccp_dir), "--out", str(tmp_path / "b"), "--limit", "3", "--members", "1",
                        "--epochs", "1", "--cache", str(tmp_path / "f.npz")])  # fmt: skip
    assert again["n_train"] == report["n_train"]


def test_evaluate_reports_which_share_head_ran(ccp_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "e.json"
    assert main(["evaluate", "--data", str(ccp_dir), "--task", "instances", "--limit", "1",
                 "--shares-model", "none", "--json", str(out)]) == 0  # fmt: skip
    assert json.loads(out.read_text())["models"]["share_classifier"] is None
    assert main(["evaluate", "--data", str(ccp_dir), "--task", "instances", "--limit", "1", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["models"]["share_classifier"].endswith("instance_shares_parsing18.safetensors")
    parsing7_head = str(default_shares_path("parsing7"))
    assert main(["evaluate", "--data", str(ccp_dir), "--task", "instances", "--limit", "1",
                 "--parsing-task", "parsing18", "--shares-model", parsing7_head]) == 1  # fmt: skip


def test_training_for_parsing7_uses_the_garment_cutout(ccp_dir: Path, tmp_path: Path) -> None:
    report = train_main(["--data", str(ccp_dir), "--out", str(tmp_path), "--parsing-model", "parsing7",
                         "--limit", "2", "--members", "1", "--epochs", "1"])  # fmt: skip
    head = ShareClassifier.load(tmp_path / "instance_shares_parsing7.safetensors")
    assert head.parsing_task == "parsing7" and head.meta["arch"]["n_inputs"] == n_share_inputs(7)
    assert report["n_train"] > 0


def test_attribute_heads_still_read_the_crop_embedding_beside_a_share_head(tmp_path: Path) -> None:
    from fashion_annotator.instances.classifier import AttributeHeads
    from fashion_annotator.instances.features import N_TEXTURE

    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 255, (120, 80, 3), dtype=np.uint8)
    instance_map = np.zeros((120, 80), np.uint8)
    instance_map[10:60, 10:70] = 1
    parsing = (instance_map > 0).astype(np.uint8) * 6
    probs = np.zeros((18, 12, 8), np.float32)
    probs[0] = 1.0
    probe = share_features(rgb, probs, parsing, instance_map, [1], instance_boxes(instance_map))[0]
    crop = InstanceClassifier.load(shares_path=None)
    head = _train_toy_head(tmp_path / "shares.safetensors", crop.categories, probe)
    heads = AttributeHeads(crop.net.embed_dim + N_TEXTURE, {"sleeve": 3})
    clf = InstanceClassifier(crop.net, crop.meta, (heads.eval(), {"groups": {"sleeve": ["long", "short", "none"]}}),
                             shares={"parsing18": head})  # fmt: skip
    pred = clf.predict(rgb, instance_map, {1: "skirt"}, parent_task="parsing18", probs=probs, parsing=parsing)
    assert pred[1].category == "coat"  # the share head names it
    assert pred[1].attributes["sleeve"][0] in {"long", "short", "none"}  # the crop embedding fed the heads


def test_proposals_carry_the_parsing_models_confidence_in_their_pixels() -> None:
    parsing = np.zeros((40, 60), np.uint8)
    parsing[:, :30] = 5  # parsing18 "pants", the left half
    parsing[5:15, 40:55] = 3  # "top"
    probs = np.zeros((18, 4, 6), np.float32)
    probs[0] = 1.0
    probs[:, :, :3] = 0.0
    probs[5, :, :3] = 0.7  # the left cells: pants at 0.7
    probs[0, :, :3] = 0.3
    probs[0, :, 3:] = 0.6  # the right cells: top at 0.4
    probs[3, :, 3:] = 0.4
    proposer = InstanceProposer(None, "parsing18")
    out = proposer.from_masks(np.zeros((40, 60, 3), np.uint8), parsing, None, colours=False, probs=probs)
    sure = {i.parsing_class: i.confidence for i in out.instances}
    assert sure[5] == pytest.approx(0.7) and sure[3] == pytest.approx(0.4)
    plain = proposer.from_masks(np.zeros((40, 60, 3), np.uint8), parsing, None, colours=False)
    assert [i.confidence for i in plain.instances] == [None, None]


def test_shares_and_colours_equal_the_per_pixel_definitions_on_random_maps() -> None:
    rng = np.random.default_rng(3)
    instance_map = cv2.resize(rng.integers(0, 5, (7, 5)).astype(np.uint8), (53, 71), interpolation=cv2.INTER_NEAREST)
    probs = rng.random((4, 13, 9)).astype(np.float32)
    rgb = rng.integers(0, 256, (71, 53, 3)).astype(np.uint8)
    ids = [1, 2, 3, 4, 9]
    shares = class_shares(probs, instance_map, ids)
    rows, cols = np.arange(71) * 13 // 71, np.arange(53) * 9 // 53
    per_pixel = probs[:, rows[:, None], cols[None, :]]  # each pixel's cell, (K, H, W)
    small = cv2.resize(instance_map, (53 // 4, 71 // 4), interpolation=cv2.INTER_NEAREST_EXACT)
    lab = cv2.cvtColor(cv2.resize(rgb, (53 // 4, 71 // 4), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2LAB)
    stats = colour_stats(rgb, instance_map, ids)
    for i, key in enumerate(ids):
        inside = instance_map == key
        expected = per_pixel[:, inside].mean(axis=1) if inside.any() else np.zeros(4)
        np.testing.assert_allclose(shares[i], expected, atol=1e-5)
        px = lab[small == key].astype(np.float64)
        expected = np.concatenate([px.mean(axis=0), px.std(axis=0)]) / 100 if len(px) else np.zeros(N_COLOUR)
        np.testing.assert_allclose(stats[i], expected, atol=1e-4)
