"""U-Net for cutout (one sigmoid output) and parsing (one output per class) networks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fashion_annotator.models.attention import AttentionBottleneck
from fashion_annotator.models.blocks import ConvBlock
from fashion_annotator.models.sizes import MODEL_SIZES

__all__ = ["MODEL_SIZES", "UNet"]


class UNet(nn.Module):
    """Encoder-decoder with skip connections; ``forward`` returns logits.

    The full-resolution level has a single convolution on each side (it dominates the cost on a
    CPU); deeper levels have two. Channels double per level up to ``8 * base``.

    Parameters
    ----------
    in_ch : int
        Input channels (3 for normalised RGB).
    out_ch : int
        Output channels: 1 for a binary cutout (sigmoid), else one per class (softmax).
    base : int
        Channels at full resolution.
    depth : int
        Number of 2x downsamplings; inputs are padded to a multiple of ``2 ** depth``.
    norm : {"group", "batch"}
        GroupNorm + SiLU or BatchNorm + ReLU.
    attention : bool
        Multi-head self-attention over the lowest-resolution features.
    boundary_head : bool
        An extra 1-channel boundary logit map, returned by ``forward(x, with_boundary=True)``
        (training only).
    """

    def __init__(
        self,
        in_ch: int = 3,
        out_ch: int = 1,
        base: int = 16,
        depth: int = 4,
        norm: str = "group",
        attention: bool = False,
        boundary_head: bool = False,
    ) -> None:
        super().__init__()
        if out_ch < 1 or in_ch < 1 or base < 1 or depth < 1:
            raise ValueError(
                f"in_ch, out_ch, base and depth must be positive, got {in_ch}, {out_ch}, {base}, {depth}"
            )
        widths = [base * 2 ** min(i, 3) for i in range(depth + 1)]
        self.depth = depth
        self.stem = ConvBlock(in_ch, widths[0], norm, n_convs=1)
        self.down = nn.ModuleList(ConvBlock(widths[i], widths[i + 1], norm) for i in range(depth))
        heads = 4 if widths[-1] % 4 == 0 else 1
        self.bottleneck = AttentionBottleneck(widths[-1], heads) if attention else nn.Identity()
        self.up = nn.ModuleList(
            ConvBlock(widths[i + 1] + widths[i], widths[i], norm, n_convs=1 if i == 0 else 2)
            for i in reversed(range(depth))
        )
        self.head = nn.Conv2d(widths[0], out_ch, 1)
        self.boundary = nn.Conv2d(widths[0], 1, 1) if boundary_head else None

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Return the last decoder features ``(N, base, H, W)`` for input ``(N, in_ch, H, W)``."""
        h, w = x.shape[-2:]
        m = 2**self.depth
        pad_h, pad_w = (-h) % m, (-w) % m
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
        skips = [self.stem(x)]
        for block in self.down:
            skips.append(block(F.max_pool2d(skips[-1], 2)))
        y = self.bottleneck(skips.pop())
        for block in self.up:
            skip = skips.pop()
            y = F.interpolate(y, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            y = block(torch.cat([y, skip], dim=1))
        return y[..., :h, :w]

    def forward(
        self, x: torch.Tensor, with_boundary: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor | None]:
        """Map ``(N, in_ch, H, W)`` float32 to logits ``(N, out_ch, H, W)``.

        With ``with_boundary`` return ``(logits, boundary_logits)``, the latter
        ``(N, 1, H, W)`` or None without a boundary head (training; DDP needs one entry point).
        """
        f = self.features(x)
        if not with_boundary:
            return self.head(f)
        return self.head(f), (self.boundary(f) if self.boundary is not None else None)
