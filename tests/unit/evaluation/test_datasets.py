"""Evaluation on plain mask-folder datasets, checked against metrics computed by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_annotator.evaluation.datasets import (
    TaskScores,
    evaluate_dataset,
    list_samples,
    score_masks,
    task_classes,
)

# Source ids 0..3 of the synthetic dataset; "parts" maps 3 (hair) to background like CCP's garment.
TAXONOMIES = {
    "cutout": {"classes": ["background", "garment"], "from_ccp": {"0": 0, "1": 1, "2": 1, "3": 0}},
    "parts": {
        "classes": ["background", "top", "bottom"],
        "from_ccp": {"0": 0, "1": 1, "2": 2, "3": 0},
    },
}


def _source_mask(seed: int) -> np.ndarray:
    """A 6x8 mask of source ids 0..3 with a known layout."""
    mask = np.zeros((6, 8), np.uint8)
    mask[1:3, 2 : 2 + seed] = 1  # top, 2*seed pixels
    mask[3:5, 2:6] = 2  # bottom, 8 pixels
    mask[0, 0] = 3  # hair -> background
    return mask


def write_dataset(root: Path, stems: list[str], splits: dict | None = None) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for i, stem in enumerate(stems):
        rgb = np.full((6, 8, 3), 40 * i, np.uint8)
        Image.fromarray(rgb).save(root / "images" / f"{stem}.png")
        Image.fromarray(_source_mask(i + 1)).save(root / "masks" / f"{stem}.png")
    (root / "taxonomies.json").write_text(json.dumps(TAXONOMIES))
    if splits is not None:
        (root / "splits.json").write_text(json.dumps(splits))
    return root


def test_list_samples_uses_splits_json_then_all(tmp_path):
    data = write_dataset(tmp_path / "d", ["a", "b", "c"], {"train": ["a", "b"], "val": ["c"]})
    assert [s.name for s in list_samples(data)] == ["c"]
    assert [s.name for s in list_samples(data, "train")] == ["a", "b"]
    assert [s.name for s in list_samples(data, "all")] == ["a", "b", "c"]
    sample = list_samples(data)[0]
    assert sample.image == data / "images" / "c.png" and sample.mask == data / "masks" / "c.png"


def test_list_samples_without_splits_json_defaults_to_all(tmp_path):
    data = write_dataset(tmp_path / "d", ["b", "a"])
    assert [s.name for s in list_samples(data)] == ["a", "b"]
    with pytest.raises(ValueError, match="no splits.json"):
        list_samples(data, "train")


def test_list_samples_errors_name_the_file(tmp_path):
    data = write_dataset(tmp_path / "d", ["a", "b"], {"val": ["a", "zz"]})
    with pytest.raises(ValueError, match="splits.json: no split 'test'"):
        list_samples(data, "test")
    with pytest.raises(ValueError, match="'zz' but no such photo"):
        list_samples(data)
    (data / "masks" / "b.png").unlink()
    with pytest.raises(ValueError, match=r"b\.png: mask for photo b\.png is missing"):
        list_samples(data, "all")
    with pytest.raises(ValueError, match="no images/ folder"):
        list_samples(tmp_path)
    # a code review: with a.jpg beside a.png one of them was scored against masks/a.png silently
    Image.fromarray(np.zeros((6, 8, 3), np.uint8)).save(data / "images" / "a.jpg")
    with pytest.raises(ValueError, match=r"two photos share the name 'a' \(a\.jpg and a\.png\)"):
        list_samples(data, "all")


def test_list_samples_refuses_a_photo_named_twice_or_in_two_splits(tmp_path):
    """A CLI test: ``{"val": ["a", "a", "a", "b"]}`` scored 4 images from 2 photos (Dice
    weighted 3:1), a val photo also listed under train was trained on, and ``"val": "a"``
    (a string, not a list) said "names '0' but no such photo exists"."""
    data = write_dataset(tmp_path / "d", ["a", "b", "c"], {"val": ["a", "a", "a", "b"]})
    with pytest.raises(ValueError, match=r"d/splits\.json: split 'val' names a photo more than once: 'a'"):
        list_samples(data)
    (data / "splits.json").write_text(json.dumps({"train": ["a", "b", "c"], "val": ["c", "b"]}))
    with pytest.raises(ValueError, match=r"splits\.json: splits 'train' and 'val' share 2 photos: 'b', 'c'"):
        list_samples(data, "train")
    (data / "splits.json").write_text(json.dumps({"val": "a"}))
    with pytest.raises(ValueError, match=r"splits\.json: split 'val' must be a list of photo names, not str"):
        list_samples(data)
    (data / "splits.json").write_text(json.dumps({"val": ["a", None]}))
    with pytest.raises(ValueError, match=r"splits\.json: split 'val' lists None, not a photo name"):
        list_samples(data)
    (data / "splits.json").write_text(json.dumps({"train": ["a", "b"], "val": ["c"]}))
    assert [s.name for s in list_samples(data, "train")] == ["a", "b"]


def test_task_classes_reads_taxonomies_json(tmp_path):
    data = write_dataset(tmp_path / "d", ["a"])
    assert task_classes(data, "parts") == ["background", "top", "bottom"]
    with pytest.raises(ValueError, match="taxonomies.json: no task 'person'"):
        task_classes(data, "person")
    (data / "taxonomies.json").write_text(json.dumps({"parts": ["background", "top"]}))
    with pytest.raises(ValueError, match="taxonomies.json: task 'parts' must be an object"):
        task_classes(data, "parts")


def test_binary_scores_match_hand_computation():
    gt = np.zeros((4, 4), np.uint8)
    gt[:2] = 1  # 8 foreground pixels
    pred = np.zeros((4, 4), np.uint8)
    pred[1:3] = 1  # 8 predicted, 4 overlap
    perfect = gt.copy()
    summary = score_masks([(pred, gt), (perfect, gt)], ["background", "garment"])
    # Summed over both images: fg intersection 4 + 8, union 12 + 8; bg the same by symmetry.
    assert summary["per_class_iou"] == {
        "background": pytest.approx(12 / 20),
        "garment": pytest.approx(12 / 20),
    }
    assert summary["miou"] == pytest.approx(0.6)
    assert summary["pixel_accuracy"] == pytest.approx((8 + 16) / 32)
    assert summary["subject_accuracy"] == pytest.approx((4 + 8) / 16)
    assert summary["mean_dice"] == pytest.approx((0.5 + 1.0) / 2)
    assert summary["median_dice"] == pytest.approx(0.75)
    assert summary["n_images"] == 2


def test_multiclass_scores_absent_class_is_null_and_no_dice():
    gt = np.array([[0, 1], [1, 0]], np.uint8)
    pred = np.array([[0, 1], [0, 0]], np.uint8)
    summary = score_masks([(pred, gt)], ["background", "top", "bottom"])
    assert summary["per_class_iou"]["bottom"] is None
    assert summary["per_class_iou"]["top"] == pytest.approx(0.5)
    assert summary["per_class_iou"]["background"] == pytest.approx(2 / 3)
    assert summary["miou"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert summary["mean_dice"] is None and summary["median_dice"] is None
    json.dumps(summary, allow_nan=False)


def test_task_scores_refuse_shape_mismatch_and_empty():
    scores = TaskScores(["background", "garment"])
    with pytest.raises(ValueError, match="no photos"):
        scores.summary()
    with pytest.raises(ValueError, match=r"x\.png: shape \(2, 2\) differs"):
        scores.update(np.zeros((2, 2), np.uint8), np.zeros((3, 2), np.uint8), name="x.png")


def test_evaluate_dataset_with_controlled_predictions(tmp_path):
    data = write_dataset(tmp_path / "d", ["a", "b", "c"], {"val": ["a", "b"]})
    seen = []

    def predict_all_garment(photos):
        seen.append([p.shape for p in photos])
        return [np.ones(p.shape[:2], np.uint8) for p in photos]

    progress = []
    result = evaluate_dataset(
        predict_all_garment,
        data,
        "cutout",
        batch_size=1,
        progress=lambda d, t: progress.append((d, t)),
    )
    assert seen == [[(6, 8, 3)], [(6, 8, 3)]]
    assert progress == [(1, 2), (2, 2)]
    # Garment pixels: a has 2 + 8 = 10, b has 4 + 8 = 12, of 48 each (hair maps to background).
    fg = np.array([10, 12])
    assert result["task"] == "cutout" and result["split"] == "val" and result["n_images"] == 2
    assert result["per_class_iou"]["garment"] == pytest.approx(22 / 96)
    assert result["per_class_iou"]["background"] == pytest.approx(0.0)
    assert result["miou"] == pytest.approx(11 / 96)
    assert result["pixel_accuracy"] == pytest.approx(22 / 96)
    assert result["subject_accuracy"] == pytest.approx(1.0)
    dices = 2 * fg / (fg + 48)
    assert result["mean_dice"] == pytest.approx(dices.mean())
    assert result["median_dice"] == pytest.approx(np.median(dices))
    assert result["seconds_per_image"] >= 0 and math.isfinite(result["seconds_per_image"])


def test_evaluate_dataset_multiclass_perfect_and_limit(tmp_path):
    data = write_dataset(tmp_path / "d", ["a", "b", "c"])
    lut = np.array([0, 1, 2, 0], np.uint8)
    truths = {i: lut[_source_mask(i + 1)] for i in range(3)}
    calls = iter(range(3))

    def oracle(photos):
        return [truths[next(calls)] for _ in photos]

    result = evaluate_dataset(oracle, data, "parts", split="all", limit=2, batch_size=2)
    assert result["n_images"] == 2
    assert result["miou"] == pytest.approx(1.0)
    assert result["pixel_accuracy"] == pytest.approx(1.0)
    assert result["mean_dice"] is None


def test_evaluate_dataset_rejects_bad_predictions(tmp_path):
    data = write_dataset(tmp_path / "d", ["a"])
    with pytest.raises(ValueError, match="a.png: prediction has class 5"):
        evaluate_dataset(lambda ps: [np.full(p.shape[:2], 5, np.uint8) for p in ps], data, "parts")
    with pytest.raises(ValueError, match="returned 0 masks for 1 photos"):
        evaluate_dataset(lambda ps: [], data, "parts")
    with pytest.raises(ValueError, match="differs from ground truth"):
        evaluate_dataset(lambda ps: [np.zeros((2, 2), np.uint8) for _ in ps], data, "parts")
    with pytest.raises(ValueError, match="limit must be at least 1"):
        evaluate_dataset(lambda ps: [], data, "parts", limit=0)
