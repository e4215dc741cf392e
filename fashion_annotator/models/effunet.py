"""U-Net decoder on an EfficientNet-Lite0 encoder, for cutout and parsing networks.

The encoder is EfficientNet-Lite0 (Tan and Le 2019, the "Lite" variant for mobile CPUs: no
squeeze-and-excitation, ReLU6, a fixed 32-channel stem), so that it can start from ImageNet
weights (:mod:`training.pretrained` converts them; the app never needs them: a trained model
file holds every weight). Its strided convolutions pad like TensorFlow's ``"SAME"`` (more on the
bottom and right), as the weights were trained. Its batch normalisations are frozen
(:class:`FrozenBatchNorm`: the statistics stay, the scale and shift learn): batches of a few
photos on a CPU would give poor batch statistics.

The decoder upsamples the 1/32 features through the 1/16, 1/8, 1/4 and 1/2 encoder features
(GroupNorm + SiLU blocks, like :class:`~.unet.UNet`) and ends at full resolution with a light
block that also sees the photo, so edges are drawn at pixel level.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fashion_annotator.models.blocks import ConvBlock

#: Lite0 stages: (kernel, stride, expansion, input channels, output channels, repeats).
LITE0_STAGES = (
    (3, 1, 1, 32, 16, 1),
    (3, 2, 6, 16, 24, 2),
    (5, 2, 6, 24, 40, 2),
    (3, 2, 6, 40, 80, 3),
    (5, 1, 6, 80, 112, 3),
    (5, 2, 6, 112, 192, 4),
    (3, 1, 6, 192, 320, 1),
)
#: Indices of the blocks whose outputs are the 1/2, 1/4, 1/8, 1/16 and 1/32 features.
TAPS = (0, 2, 4, 10, 15)
TAP_CHANNELS = (16, 24, 40, 112, 320)


class FrozenBatchNorm(nn.Module):
    """Batch normalisation with fixed statistics (``running_mean``, ``running_var``) and a
    learnt scale and shift (``weight``, ``bias``); keys as ``nn.BatchNorm2d``'s, all float."""

    running_mean: torch.Tensor
    running_var: torch.Tensor

    def __init__(self, channels: int, eps: float = 1e-3) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``(N, C, H, W)`` float32 with the stored statistics."""
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)


class SameConv(nn.Conv2d):
    """A bias-free convolution padded like TensorFlow's ``"SAME"`` (extra pixel bottom-right)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(in_ch, out_ch, kernel, stride, padding=0, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, in_ch, H, W)`` to ``(N, out_ch, ceil(H / s), ceil(W / s))``.

        Unstrided convolutions pad symmetrically, inside the convolution (no padded copy of
        ``x``: 1x1 convolutions, two in every block, need none); strided ones pad ``x`` first.
        """
        k, s = self.kernel_size[0], self.stride[0]
        if s == 1 and k % 2 == 1:
            return F.conv2d(x, self.weight, self.bias, 1, k // 2, 1, self.groups)
        pads = []
        for size in (x.shape[-1], x.shape[-2]):
            total = max((-(-size // s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads))


def fold_frozen_batchnorms(module: nn.Module) -> int:
    """Fold every :class:`FrozenBatchNorm` that follows a :class:`SameConv` into it, in place.

    For inference only: the convolution gains a bias, its weights are scaled in float64 and the
    normalisation becomes ``nn.Identity`` (the logits move by about 1e-5; the state dict's keys
    change, so a folded module is never saved or trained). Works on any module holding
    Lite0 encoders (an :class:`EffUNet`, an ensemble with one).

    Returns
    -------
    int
        How many normalisations were folded.
    """
    folded = 0
    for seq in module.modules():
        if not isinstance(seq, nn.Sequential):
            continue
        for i in range(len(seq) - 1):
            conv, norm = seq[i], seq[i + 1]
            if not (isinstance(conv, SameConv) and isinstance(norm, FrozenBatchNorm)):
                continue
            with torch.no_grad():
                scale = norm.weight.double() / torch.sqrt(norm.running_var.double() + norm.eps)
                shift = norm.bias.double() - norm.running_mean.double() * scale
                if conv.bias is not None:
                    shift = shift + conv.bias.double() * scale
                dtype = conv.weight.dtype
                conv.weight = nn.Parameter((conv.weight.double() * scale[:, None, None, None]).to(dtype))
                conv.bias = nn.Parameter(shift.to(dtype))
            seq[i + 1] = nn.Identity()
            folded += 1
    return folded


class MBConv(nn.Module):
    """Inverted residual block without squeeze-and-excitation (EfficientNet-Lite)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = in_ch * expand
        self.expand = (
            nn.Sequential(SameConv(in_ch, mid, 1), FrozenBatchNorm(mid), nn.ReLU6(inplace=True))
            if expand != 1
            else nn.Identity()
        )
        self.depthwise = nn.Sequential(
            SameConv(mid, mid, kernel, stride, groups=mid), FrozenBatchNorm(mid), nn.ReLU6(inplace=True)
        )
        self.project = nn.Sequential(SameConv(mid, out_ch, 1), FrozenBatchNorm(out_ch))
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(N, in_ch, H, W)`` float32 to ``(N, out_ch, H / stride, W / stride)``."""
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.residual else y


class Lite0Encoder(nn.Module):
    """EfficientNet-Lite0 up to its last block; ``forward`` returns the five tapped feature maps."""

    def __init__(self, in_ch: int = 3) -> None:
        super().__init__()
        self.stem = nn.Sequential(SameConv(in_ch, 32, 3, 2), FrozenBatchNorm(32), nn.ReLU6(inplace=True))
        blocks: list[nn.Module] = []
        for kernel, stride, expand, cin, cout, repeats in LITE0_STAGES:
            for r in range(repeats):
                blocks.append(MBConv(cin if r == 0 else cout, cout, kernel, stride if r == 0 else 1, expand))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``(N, in_ch, H, W)`` -> features at 1/2, 1/4, 1/8, 1/16 and 1/32 (:data:`TAP_CHANNELS`)."""
        y = self.stem(x)
        out = []
        for i, block in enumerate(self.blocks):
            y = block(y)
            if i in TAPS:
                out.append(y)
        return out


class EffUNet(nn.Module):
    """EfficientNet-Lite0 encoder + U-Net decoder; ``forward`` returns full-resolution logits.

    Parameters
    ----------
    in_ch : int
        Input channels (3 for normalised RGB).
    out_ch : int
        Output channels: 1 for a binary cutout (sigmoid), else one per class (softmax).
    decoder : tuple of int
        Decoder channels at 1/16, 1/8, 1/4, 1/2 and full resolution.
    """

    def __init__(self, in_ch: int = 3, out_ch: int = 1, decoder: tuple[int, ...] | list[int] = (96, 64, 48, 32, 16)) -> None:
        super().__init__()
        decoder = tuple(int(c) for c in decoder)
        if out_ch < 1 or in_ch < 1 or len(decoder) != 5 or min(decoder) < 1:
            raise ValueError(f"in_ch and out_ch must be positive and decoder 5 positive widths, got {in_ch}, {out_ch}, {decoder}")
        self.encoder = Lite0Encoder(in_ch)
        widths = (TAP_CHANNELS[-1], *decoder[:4])
        skips = TAP_CHANNELS[-2::-1]
        self.up = nn.ModuleList(ConvBlock(widths[i] + skips[i], widths[i + 1], "group") for i in range(4))
        self.photo = ConvBlock(in_ch, decoder[4], "group", n_convs=1)
        self.full = ConvBlock(decoder[3] + decoder[4], decoder[4], "group", n_convs=1)
        self.head = nn.Conv2d(decoder[4], out_ch, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Return the last decoder features ``(N, decoder[-1], H, W)`` for input ``(N, in_ch, H, W)``."""
        taps = self.encoder(x)
        y = taps.pop()
        for block in self.up:
            skip = taps.pop()
            y = F.interpolate(y, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            y = block(torch.cat([y, skip], dim=1))
        y = F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return self.full(torch.cat([y, self.photo(x)], dim=1))

    def forward(
        self, x: torch.Tensor, with_boundary: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, None]:
        """Map ``(N, in_ch, H, W)`` float32 to logits ``(N, out_ch, H, W)``.

        ``with_boundary`` returns ``(logits, None)``: the training loop's entry point for networks
        with an optional boundary head (:class:`~.unet.UNet`); this one has none.
        """
        logits = self.head(self.features(x))
        return (logits, None) if with_boundary else logits
