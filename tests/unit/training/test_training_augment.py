"""Augmentation: flips move photo and labels together, jitter stays mild and in range."""

from __future__ import annotations

import torch

from training.augment import augment_batch


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    images = torch.rand(16, 3, 8, 6)
    labels = torch.arange(6).repeat(16, 8, 1)
    return images, labels


def test_flip_mirrors_photo_and_labels_together() -> None:
    images, labels = _batch()
    out, lab = augment_batch(images, labels, torch.Generator().manual_seed(1), jitter=0)
    flipped = lab[:, 0, 0] == 5
    assert 0 < int(flipped.sum()) < 16
    torch.testing.assert_close(out[flipped], images[flipped].flip(-1))
    torch.testing.assert_close(out[~flipped], images[~flipped])
    assert torch.equal(lab[flipped], labels[flipped].flip(-1))
    assert torch.equal(labels, torch.arange(6).repeat(16, 8, 1))  # inputs untouched


def test_jitter_is_mild_and_keeps_the_range() -> None:
    images, labels = _batch()
    out, lab = augment_batch(images, labels, torch.Generator().manual_seed(2), flip=False)
    assert torch.equal(lab, labels)
    assert out.min() >= 0 and out.max() <= 1
    change = (out - images).abs().mean()
    assert 0 < float(change) < 0.1


def test_same_generator_seed_same_batch() -> None:
    images, labels = _batch()
    a = augment_batch(images, labels, torch.Generator().manual_seed(5))
    b = augment_batch(images, labels, torch.Generator().manual_seed(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
