"""Multi-head self-attention over the lowest-resolution U-Net features."""

from __future__ import annotations

import torch
from torch import nn


class AttentionBottleneck(nn.Module):
    """Pre-norm transformer layer applied to every spatial position of a feature map.

    At the bottleneck the map is small (1/16 of the input on each side), so global attention is
    cheap and lets every position see the whole figure, which a stack of 3x3 convolutions at
    that scale only partly does. A depthwise 3x3 convolution adds position information.

    Parameters
    ----------
    channels : int
        Feature channels; must be divisible by ``heads``.
    heads : int
        Attention heads.
    """

    def __init__(self, channels: int, heads: int = 4) -> None:
        super().__init__()
        if channels % heads:
            raise ValueError(f"channels ({channels}) must be divisible by heads ({heads})")
        self.pos = nn.Conv2d(channels, channels, 3, padding=1, groups=channels)
        self.norm1 = nn.LayerNorm(channels)
        self.attn = nn.MultiheadAttention(channels, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(channels)
        self.mlp = nn.Sequential(
            nn.Linear(channels, 2 * channels), nn.SiLU(), nn.Linear(2 * channels, channels)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, C, h, w)`` float32 to the same shape."""
        n, c, h, w = x.shape
        x = x + self.pos(x)
        tokens = x.flatten(2).transpose(1, 2)
        y = self.norm1(tokens)
        tokens = tokens + self.attn(y, y, y, need_weights=False)[0]
        tokens = tokens + self.mlp(self.norm2(tokens))
        return tokens.transpose(1, 2).reshape(n, c, h, w)
