"""Batch augmentation on tensors: horizontal flip and mild colour jitter.

Strong geometric augmentation hurt in an earlier study on fashion photos (the figures are
upright, centred and similarly scaled), so only label-preserving, mild changes are applied.
"""

from __future__ import annotations

import torch


def augment_batch(
    images: torch.Tensor,
    labels: torch.Tensor,
    generator: torch.Generator,
    flip: bool = True,
    jitter: float = 0.1,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Randomly flip and colour-jitter a batch.

    Parameters
    ----------
    images : (N, 3, H, W) float32
        RGB in 0..1.
    labels : (N, H, W) integer
        Label map(s) flipped with the photos.
    generator : torch.Generator
        Source of randomness (CPU), so runs are reproducible.
    flip : bool
        Mirror half of the samples left-right.
    jitter : float
        Maximum relative change of brightness, contrast and saturation (0 disables).

    Returns
    -------
    images, labels
        New tensors; the inputs are not modified. Images stay in 0..1.
    """
    n = images.shape[0]
    if flip:
        mirror = torch.rand(n, generator=generator) < 0.5
        if mirror.any():
            images = images.clone()
            labels = labels.clone()
            images[mirror] = images[mirror].flip(-1)
            labels[mirror] = labels[mirror].flip(-1)
    if jitter > 0:
        shape = (n, 1, 1, 1)

        def factor() -> torch.Tensor:
            return (1 + (torch.rand(shape, generator=generator) * 2 - 1) * jitter).to(images)

        images = images * factor()
        mean = images.mean(dim=(1, 2, 3), keepdim=True)
        images = (images - mean) * factor() + mean
        gray = images.mean(dim=1, keepdim=True)
        images = (images - gray) * factor() + gray
        images = images.clamp(0, 1)
    return images, labels
