"""Convolution block shared by the encoder and decoder of :class:`~.unet.UNet`."""

from __future__ import annotations

import torch
from torch import nn

NORMS = ("group", "batch")


def group_count(channels: int, max_groups: int = 8) -> int:
    """Return the largest number of GroupNorm groups <= ``max_groups`` dividing ``channels``."""
    groups = min(max_groups, channels)
    while channels % groups:
        groups -= 1
    return groups


def make_norm(norm: str, channels: int) -> nn.Module:
    """Return a normalisation layer: ``"group"`` (GroupNorm) or ``"batch"`` (BatchNorm2d)."""
    if norm == "group":
        return nn.GroupNorm(group_count(channels), channels)
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    raise ValueError(f"unknown norm {norm!r}; expected one of {NORMS}")


class ConvBlock(nn.Module):
    """``n_convs`` times (3x3 convolution, normalisation, activation).

    GroupNorm pairs with SiLU, BatchNorm with ReLU (the classic U-Net), so the ``norm`` choice
    switches the whole block style in one argument.

    Parameters
    ----------
    in_ch, out_ch : int
        Input and output channels.
    norm : {"group", "batch"}
        Normalisation layer.
    n_convs : int
        Number of convolutions (1 or 2 in practice).
    """

    def __init__(self, in_ch: int, out_ch: int, norm: str = "group", n_convs: int = 2) -> None:
        super().__init__()
        act = nn.SiLU if norm == "group" else nn.ReLU
        layers: list[nn.Module] = []
        for i in range(n_convs):
            layers += [
                nn.Conv2d(in_ch if i == 0 else out_ch, out_ch, 3, padding=1, bias=False),
                make_norm(norm, out_ch),
                act(inplace=True),
            ]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, in_ch, H, W)`` float32 to ``(N, out_ch, H, W)``."""
        return self.body(x)
