"""Losses: values on known cases, the 20x boundary miss weight, class weights."""

from __future__ import annotations

import torch

from training.losses import (
    binary_loss,
    boundary_loss,
    boundary_target,
    class_weights,
    frequency_weights,
    parsing_loss,
    soft_dice_loss,
)


def _square(n: int = 1) -> torch.Tensor:
    t = torch.zeros(n, 16, 16)
    t[:, 4:12, 4:12] = 1
    return t


def test_dice_loss_is_zero_for_a_confident_match_and_one_for_the_opposite() -> None:
    t = _square(2)
    right = (t * 2 - 1)[:, None] * 50
    assert float(soft_dice_loss(right, t)) < 1e-3
    assert float(soft_dice_loss(-right, t)) > 0.95


def test_binary_loss_adds_bce_and_dice() -> None:
    t = _square()
    logits = torch.zeros(1, 1, 16, 16)
    bce_only = binary_loss(logits, t, dice_weight=0)
    torch.testing.assert_close(bce_only, torch.log(torch.tensor(2.0)))
    both = binary_loss(logits, t, dice_weight=1)
    torch.testing.assert_close(both - bce_only, soft_dice_loss(logits, t))


def test_parsing_loss_weights_the_background_less() -> None:
    target = torch.zeros(1, 4, 4, dtype=torch.long)
    target[0, :2] = 1
    logits = torch.zeros(1, 2, 4, 4)
    logits[0, 1] = 2.0  # every pixel says class 1: background pixels are wrong
    plain = parsing_loss(logits, target)
    light_bg = parsing_loss(logits, target, class_weights(2, 0.1))
    assert light_bg < plain
    assert class_weights(3, 0.5).tolist() == [0.5, 1.0, 1.0]


def test_boundary_target_marks_both_sides_of_an_edge() -> None:
    labels = torch.zeros(1, 6, 6, dtype=torch.long)
    labels[0, :, 3:] = 2
    edge = boundary_target(labels)
    assert edge[0, :, 2:4].eq(1).all()
    assert edge[0, :, :2].eq(0).all() and edge[0, :, 4:].eq(0).all()
    assert boundary_target(torch.ones(1, 5, 5, dtype=torch.long)).sum() == 0


def test_a_missed_boundary_pixel_costs_twenty_times_a_false_one() -> None:
    target = torch.tensor([[[1.0, 0.0]]])
    miss = torch.tensor([[[[-3.0, -30.0]]]])  # boundary pixel predicted absent
    false = torch.tensor([[[[30.0, 3.0]]]])  # background pixel predicted boundary
    ratio = boundary_loss(miss, target) / boundary_loss(false, target)
    torch.testing.assert_close(ratio, torch.tensor(20.0), rtol=1e-3, atol=0)


def test_frequency_weights_favour_rare_classes_and_keep_the_scale() -> None:
    counts = torch.tensor([800.0, 100.0, 25.0, 0.0])
    w = frequency_weights(counts)
    assert w[0] < w[1] < w[2] and w[3] == w[2]
    freq = counts / counts.sum()
    torch.testing.assert_close((freq * w).sum(), torch.tensor(1.0))
    torch.testing.assert_close(w[1] / w[2], torch.tensor(0.5))
