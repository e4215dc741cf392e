"""Losses: BCE + Dice for cutouts, class-weighted cross-entropy for parsing, boundary BCE."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """``1 - mean Dice`` per image of ``sigmoid(logits)`` against a binary target.

    Parameters
    ----------
    logits : (N, 1, H, W) float
    target : (N, H, W) float in {0, 1}
    """
    prob = torch.sigmoid(logits[:, 0]).flatten(1)
    t = target.flatten(1)
    inter = (prob * t).sum(1)
    dice = (2 * inter + eps) / (prob.sum(1) + t.sum(1) + eps)
    return 1 - dice.mean()


def binary_loss(
    logits: torch.Tensor, target: torch.Tensor, dice_weight: float = 1.0
) -> torch.Tensor:
    """BCE with logits plus ``dice_weight`` times the soft Dice loss (cutout tasks).

    Parameters
    ----------
    logits : (N, 1, H, W) float
    target : (N, H, W) float in {0, 1}
    """
    bce = F.binary_cross_entropy_with_logits(logits[:, 0], target)
    if dice_weight == 0:
        return bce
    return bce + dice_weight * soft_dice_loss(logits, target)


def parsing_loss(
    logits: torch.Tensor, target: torch.Tensor, class_weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Cross-entropy over classes, optionally weighted per class.

    Parameters
    ----------
    logits : (N, K, H, W) float
    target : (N, H, W) int64 class ids
    class_weights : (K,) float or None
    """
    return F.cross_entropy(logits, target, weight=class_weights)


def class_weights(num_classes: int, background_weight: float) -> torch.Tensor:
    """Weights ``(K,)``: 1 for every class except ``background_weight`` for class 0."""
    w = torch.ones(num_classes)
    w[0] = background_weight
    return w


def frequency_weights(counts: torch.Tensor) -> torch.Tensor:
    """Inverse-square-root class frequency weights ``(K,)``, scaled so the mean pixel weight is 1.

    Rare classes (hair, shoes) weigh more, the dominant background less; absent classes get the
    largest present weight.

    Parameters
    ----------
    counts : (K,) pixel count per class
    """
    freq = counts.double() / counts.sum().clamp(min=1)
    present = freq > 0
    w = torch.zeros_like(freq)
    w[present] = freq[present].rsqrt()
    w = w / (freq * w).sum()
    w[~present] = w[present].max() if present.any() else 1.0
    return w.float()


def boundary_target(labels: torch.Tensor) -> torch.Tensor:
    """Mark pixels whose 4-neighbourhood holds another label.

    Parameters
    ----------
    labels : (N, H, W) integer

    Returns
    -------
    (N, H, W) float32 in {0, 1}
    """
    edge = torch.zeros(labels.shape, dtype=torch.bool, device=labels.device)
    dy = labels[:, 1:, :] != labels[:, :-1, :]
    dx = labels[:, :, 1:] != labels[:, :, :-1]
    edge[:, 1:, :] |= dy
    edge[:, :-1, :] |= dy
    edge[:, :, 1:] |= dx
    edge[:, :, :-1] |= dx
    return edge.float()


def boundary_loss(
    logits: torch.Tensor, target: torch.Tensor, miss_weight: float = 20.0
) -> torch.Tensor:
    """BCE on boundary logits where a missed boundary pixel costs ``miss_weight`` times more.

    Parameters
    ----------
    logits : (N, 1, H, W) float
    target : (N, H, W) float in {0, 1}
    """
    pos_weight = torch.tensor(miss_weight, device=logits.device)
    return F.binary_cross_entropy_with_logits(logits[:, 0], target, pos_weight=pos_weight)
