"""Instance evaluation: IoU matching, AP50, the per-category table, ``evaluate --task instances``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fashion_annotator.cli import main
from fashion_annotator.instances.derive import ground_truth_instances
from fashion_annotator.instances.evaluation import (
    InstanceScores,
    average_precision,
    ccp_category_names,
    evaluate_instances,
    iou_matrix,
)
from fashion_annotator.instances.proposer import InstanceProposals, ProposedInstance
from fashion_annotator.instances.schema import load_instance_taxonomy

TAX = load_instance_taxonomy()


def test_iou_matrix_and_ap() -> None:
    gt = np.zeros((10, 10), np.uint8)
    gt[:5, :5] = 1
    gt[5:, 5:] = 2
    pred = np.zeros((10, 10), np.uint8)
    pred[:5, :4] = 1  # IoU 0.8 with gt 1
    pred[5:, :] = 2  # IoU 25/50 = 0.5 with gt 2
    iou = iou_matrix(gt, pred, 2, 2)
    assert iou[0, 0] == pytest.approx(0.8) and iou[1, 1] == pytest.approx(0.5) and iou[0, 1] == 0
    assert average_precision([0.9, 0.8], [True, True], 2) == pytest.approx(1.0)
    assert average_precision([0.9, 0.8], [False, True], 1) == pytest.approx(0.5)
    assert average_precision([], [], 3) == 0.0


def test_scores_count_recall_top_k_and_ap() -> None:
    gt = np.zeros((10, 10), np.uint8)
    gt[:5, :5] = 1
    gt[5:, 5:] = 2
    pred = InstanceProposals(gt.copy(), [
        ProposedInstance(1, 3, [("blouse", 0.6), ("shirt", 0.3), ("top", 0.1)]),
        ProposedInstance(2, 5, [("pants", 0.5), ("jeans", 0.4)]),
    ])  # fmt: skip
    scores = InstanceScores(TAX.names)
    scores.update(gt, ["blouse", "jeans"], pred)
    s = scores.summary()
    assert s["n_instances"] == 2 and s["instance_recall50"] == 1.0
    assert s["category_top1"] == 0.5 and s["category_top3"] == 1.0
    rows = {r["category"]: r for r in s["per_category"]}
    assert rows["blouse"]["ap50"] == 1.0 and rows["jeans"]["ap50"] == 1.0
    assert rows["pants"]["n_gt"] == 0 and rows["pants"]["ap50"] is None
    assert s["ap50"] == 1.0


def test_confidence_ranks_the_detections() -> None:
    """Two "pants" detections of one category: the doubted false one no longer outranks the true one."""
    gt = np.zeros((10, 10), np.uint8)
    gt[:5] = 1
    pred_map = gt.copy()
    pred_map[7:, :3] = 2  # a spurious blob
    true = ProposedInstance(1, 5, [("pants", 0.6)], confidence=0.9)
    false = ProposedInstance(2, 5, [("pants", 0.8)], confidence=0.3)
    assert false.scored_categories()[0][1] == pytest.approx(0.8 * 0.3**2)
    assert ProposedInstance(3, 0, [("bag", 0.7)]).scored_categories() == [("bag", 0.7)]
    scores = InstanceScores(TAX.names)
    scores.update(gt, ["pants"], InstanceProposals(pred_map, [true, false]))
    assert scores.summary()["ap50"] == 1.0
    unweighted = InstanceScores(TAX.names)
    true.confidence = false.confidence = None
    unweighted.update(gt, ["pants"], InstanceProposals(pred_map, [true, false]))
    assert unweighted.summary()["ap50"] == pytest.approx(0.5, abs=0.01)


def test_ground_truth_proposals_score_perfectly(ccp_dir: Path) -> None:
    from fashion_annotator.core.label_images import load_mask
    from fashion_annotator.evaluation.datasets import list_samples

    names = ccp_category_names(ccp_dir, TAX)
    first = list_samples(ccp_dir, "val")[0]
    labels = load_mask(first.mask)

    def propose(rgb: np.ndarray, given: np.ndarray) -> InstanceProposals:
        assert rgb.shape[:2] == labels.shape and np.array_equal(given, labels)
        gt = ground_truth_instances(labels, sorted(names))
        return InstanceProposals(gt.map, [ProposedInstance(k, 0, [(names[c], 1.0)]) for k, c in enumerate(gt.classes, 1)])

    r = evaluate_instances(propose, ccp_dir, TAX, limit=1)
    assert r["instance_recall50"] == 1.0 and r["category_top1"] == 1.0 and r["ap50"] == 1.0
    assert r["n_images"] == 1 and r["n_instances"] >= 3


def test_instances_without_splits_json_say_they_scored_all(ccp_dir: Path, tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "ccp"
    shutil.copytree(ccp_dir, data, ignore=shutil.ignore_patterns("splits.json"))
    names = ccp_category_names(data, TAX)

    def propose(rgb: np.ndarray, given: np.ndarray) -> InstanceProposals:
        gt = ground_truth_instances(given, sorted(names))
        return InstanceProposals(gt.map, [ProposedInstance(k, 0, [(names[c], 1.0)]) for k, c in enumerate(gt.classes, 1)])

    assert evaluate_instances(propose, data, TAX, limit=1)["split"] == "all"
    assert evaluate_instances(propose, ccp_dir, TAX, limit=1)["split"] == "val"


@pytest.mark.slow
def test_evaluate_command_on_ccp(ccp_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "inst.json"
    assert main(["evaluate", "--data", str(ccp_dir), "--task", "instances", "--limit", "2", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    for key in ("n_instances", "instance_recall50", "ap50", "category_top1", "category_top3", "per_category"):
        assert key in r
    assert r["n_images"] == 2 and r["n_instances"] > 0
    assert {"category", "n_gt", "recall50", "top1", "top3", "ap50"} <= set(r["per_category"][0])


def test_ground_truth_parsing_bounds_the_proposal_code(ccp_dir: Path, tmp_path: Path) -> None:
    results = {}
    for task in ("parsing7", "parsing18"):
        out = tmp_path / f"oracle_{task}.json"
        assert main(["evaluate", "--data", str(ccp_dir), "--task", "instances", "--limit", "6",
                     "--ground-truth-parsing", "--parsing-task", task, "--json", str(out)]) == 0  # fmt: skip
        results[task] = r = json.loads(out.read_text())
        assert r["ground_truth_parsing"] is True and r["parsing_task"] == task
        assert r["models"][task] == "ground truth"
        assert r["n_images"] == 6 and r["n_instances"] > 0
    # parsing7 needs the garment cutout for accessories; parsing18 has classes for them
    assert results["parsing7"]["models"]["garment"] == "ground truth"
    assert "garment" not in results["parsing18"]["models"]
    # perfect parsing7 masks recall most, but not all, fine instances (parsing7 joins a coat and
    # the blouse under it); perfect parsing18 keeps them apart and recalls more
    assert 0.5 <= results["parsing7"]["instance_recall50"] < results["parsing18"]["instance_recall50"] <= 1.0


def test_evaluate_instances_runs_the_given_parsing_model_with_the_given_settings(
    ccp_dir: Path, tmp_path: Path
) -> None:
    from fashion_annotator.resources import resource_path

    model = resource_path("models", "parsing18.safetensors")
    results = {}
    for name, flags in (("shipped", []), ("small", ["--long-side", "256", "--no-flip-average"])):
        out = tmp_path / f"{name}.json"
        assert main(["evaluate", "--data", str(ccp_dir), "--task", "instances", "--limit", "3",
                     "--parsing-task", "parsing18", "--parsing-model", str(model), *flags,
                     "--json", str(out)]) == 0  # fmt: skip
        results[name] = json.loads(out.read_text())
    assert results["shipped"]["models"]["parsing18"] == str(model)
    meta = json.loads(model.with_suffix(".json").read_text())
    shipped = (results["shipped"]["parsing_long_side"], results["shipped"]["parsing_flip_average"])
    assert shipped == (meta["infer_long_side"], meta["flip_average"]) == (448, False)
    assert (results["small"]["parsing_long_side"], results["small"]["parsing_flip_average"]) == (256, False)
    # a coarser input is a different proposer, not a silently ignored flag
    assert [c["n_pred"] for c in results["shipped"]["per_category"]] != [
        c["n_pred"] for c in results["small"]["per_category"]
    ]


def test_evaluate_refuses_a_parsing_model_of_another_task_and_misplaced_flags(
    ccp_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    from fashion_annotator.resources import resource_path

    person = resource_path("models", "person.safetensors")
    assert main(["evaluate", "--data", str(ccp_dir), "--task", "instances", "--limit", "1",
                 "--parsing-task", "parsing18", "--parsing-model", str(person)]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert str(person) in err and "'person'" in err and "parsing18" in err
    assert main(["evaluate", "--data", str(ccp_dir), "--task", "person", "--shares-model", "none"]) == 1
    assert "--shares-model: only for --task instances" in capsys.readouterr().err


def test_evaluate_command_errors_name_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "images").mkdir()
    assert main(["evaluate", "--data", str(tmp_path), "--task", "instances"]) == 1
    assert "labels.json" in capsys.readouterr().err


def test_bench_instances_times_the_shipped_and_the_fast_proposals(tmp_path, capsys):
    results = {}
    for flags in ([], ["--fast"]):
        out = tmp_path / f"bench{len(flags)}.json"
        assert main(["bench", "instances", "--runs", "1", "--json", str(out), *flags]) == 0
        results[bool(flags)] = json.loads(out.read_text())
    assert results[False]["one_pass"] is False and results[True]["one_pass"] is True
    for figures in results.values():
        assert figures["size"] == [1728, 1152] and figures["instances"] >= 1
        assert 0 < figures["models_ms"] < figures["total_ms"]
        assert figures["categories_from"] == "share classifier"  # parsing18 probabilities at hand
    assert "one pass per model" in capsys.readouterr().out
    text = tmp_path / "a.jpg"
    text.write_text("not a photo")
    assert main(["bench", "instances", "--runs", "1", "--photo", str(text)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fashion-annotator bench instances: error: ") and str(text) in err
    assert "ImageLoadError" not in err and "traceback" not in err
