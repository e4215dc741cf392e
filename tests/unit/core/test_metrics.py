"""Metrics on tiny synthetic masks with hand-computed answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fashion_annotator.core.metrics import (
    MeanIoUAccumulator,
    confusion_matrix,
    dice,
    iou,
    per_class_iou,
    pixel_accuracy,
    subject_accuracy,
)


def test_dice_iou_known_values():
    pred = np.zeros((4, 4), np.uint8)
    gt = np.zeros((4, 4), np.uint8)
    pred[0, :3] = 1  # 3 px
    gt[0, 1:] = 2  # 3 px, overlap 2, union 4
    assert dice(pred, gt) == pytest.approx(2 * 2 / 6)
    assert iou(pred, gt) == pytest.approx(2 / 4)
    assert dice(gt, gt) == 1.0 and iou(gt, gt) == 1.0
    assert dice(pred, np.zeros_like(gt)) == 0.0


def test_empty_vs_empty_is_perfect():
    empty = np.zeros((3, 3), np.uint8)
    assert dice(empty, empty) == 1.0
    assert iou(empty, empty) == 1.0


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="does not match"):
        dice(np.zeros((2, 2)), np.zeros((2, 3)))


def test_confusion_matrix_and_per_class_iou():
    gt = np.array([[0, 0, 1, 1], [2, 2, 2, 0]], np.uint8)
    pred = np.array([[0, 1, 1, 1], [2, 2, 0, 0]], np.uint8)
    conf = confusion_matrix(pred, gt, 4)
    expected = np.array([[2, 1, 0, 0], [0, 2, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(conf, expected)
    assert conf.dtype == np.int64
    ious = per_class_iou(conf)
    np.testing.assert_allclose(ious[:3], [2 / 4, 2 / 3, 2 / 3])
    assert math.isnan(ious[3])
    with pytest.raises(ValueError, match="outside 0..3"):
        confusion_matrix(pred, gt + 3, 4)


def test_pixel_and_subject_accuracy():
    gt = np.array([[0, 0, 1, 1], [2, 2, 2, 0]], np.uint8)
    pred = np.array([[0, 1, 1, 1], [2, 2, 0, 0]], np.uint8)
    assert pixel_accuracy(pred, gt) == pytest.approx(6 / 8)
    assert subject_accuracy(pred, gt) == pytest.approx(4 / 5)
    assert math.isnan(subject_accuracy(pred, np.zeros_like(gt)))


def test_accumulator_sums_before_dividing():
    acc = MeanIoUAccumulator(3)
    # image 1: class 1 tiny and missed; image 2: class 1 large and right
    gt1 = np.array([[0, 1]], np.uint8)
    pred1 = np.array([[0, 0]], np.uint8)
    gt2 = np.array([[1, 1, 1, 0]], np.uint8)
    pred2 = np.array([[1, 1, 1, 0]], np.uint8)
    acc.update(pred1, gt1)
    acc.update(pred2, gt2)
    ious = acc.per_class_iou
    np.testing.assert_allclose(ious[:2], [2 / 3, 3 / 4])  # class 0: I=2,U=3; class 1: I=3,U=4
    assert math.isnan(ious[2])  # absent everywhere: excluded from the mean
    assert acc.miou == pytest.approx((2 / 3 + 3 / 4) / 2)
    assert acc.pixel_accuracy == pytest.approx(5 / 6)
    assert acc.subject_accuracy == pytest.approx(3 / 4)
    both = confusion_matrix(
        np.concatenate([pred1.ravel(), pred2.ravel()]),
        np.concatenate([gt1.ravel(), gt2.ravel()]),
        3,
    )
    np.testing.assert_array_equal(acc.confusion, both)
    summary = json.loads(json.dumps(acc.as_dict()))
    assert summary["per_class_iou"][2] is None and summary["images"] == 2


def test_class_only_in_prediction_counts_in_miou():
    acc = MeanIoUAccumulator(3)
    acc.update(np.array([[0, 2]], np.uint8), np.array([[0, 0]], np.uint8))
    # class 0: I=1, U=2; class 2: predicted but absent from gt: IoU 0, still averaged
    assert acc.miou == pytest.approx((0.5 + 0.0) / 2)


def test_empty_accumulator_is_nan():
    acc = MeanIoUAccumulator(2)
    assert math.isnan(acc.miou) and math.isnan(acc.pixel_accuracy)
    assert acc.as_dict()["miou"] is None
