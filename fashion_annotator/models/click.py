"""The click-to-correct network: photo + current mask + click maps on a zoomed crop -> mask logits.

The network is a U-Net of the model registry (:class:`~.unet.UNet`, or the EfficientNet-Lite0
:class:`~.effunet.EffUNet` started from a proposal model) with six input channels (normalised
RGB, the current mask in {0, 1}, a positive-click map and a negative-click map, each a disk of
``click_radius`` network pixels per click) and one logit output. It always sees a crop of the photo: a box of
fixed aspect ratio (``input_size``) around the clicks and the current mask, resampled to
``input_size`` (the zoom-in of FocalClick), so edges stay sharp on large photos and a click costs
one small forward pass on the CPU.

The model file is the usual safetensors + JSON pair (:mod:`.weights`); its meta carries
``"network": "click_unet"`` besides the ``architecture`` and its ``arch``, the ``input_size``, the
``click_radius`` and the input ``channels``. Only torch, numpy and OpenCV are imported here, so
the GPU trainer can use this module without the application's other dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fashion_annotator.models.preprocess import MEAN, STD
from fashion_annotator.models.registry import DEFAULT_ARCHITECTURE, build_model
from fashion_annotator.models.weights import LoadedModel, ModelFileError, load_model

#: The ``network`` meta value of click models (the UNet ``arch`` alone does not say it).
NETWORK = "click_unet"
#: Input channels, in order.
CHANNELS = ("red", "green", "blue", "mask", "positive_clicks", "negative_clicks")
#: Default network input ``(h, w)``: crops are boxes of this aspect ratio.
INPUT_SIZE = (384, 256)
#: Default click disk radius in network pixels (RITM's 5 px at a similar input size).
CLICK_RADIUS = 5
#: IoUs the standard NoC protocol counts the clicks to (NoC@90, NoC@95; :func:`next_click`).
NOC_THRESHOLDS = (0.90, 0.95)
#: Default UNet arguments (1.96 M parameters, about 8 MB on disk).
DEFAULT_ARCH: dict[str, Any] = {
    "in_ch": len(CHANNELS),
    "out_ch": 1,
    "base": 16,
    "depth": 5,
    "norm": "group",
    "attention": True,
    "boundary_head": False,
}
#: Default arguments per registry architecture a click network may use.
DEFAULT_ARCHS: dict[str, dict[str, Any]] = {
    "unet": DEFAULT_ARCH,
    "effunet": {"in_ch": len(CHANNELS), "out_ch": 1, "decoder": [96, 64, 48, 32, 16]},
}


def build_click_net(arch: dict[str, Any] | None = None, architecture: str = DEFAULT_ARCHITECTURE) -> nn.Module:
    """Return a fresh click network of a registry ``architecture`` (``unet`` or ``effunet``).

    ``arch`` overrides keys of that architecture's defaults (:data:`DEFAULT_ARCHS`).

    Raises
    ------
    ValueError
        An architecture a click network cannot use, or not 6 inputs and 1 output.
    """
    if architecture not in DEFAULT_ARCHS:
        raise ValueError(f"a click network is one of {', '.join(DEFAULT_ARCHS)}, not {architecture!r}")
    kwargs = {**DEFAULT_ARCHS[architecture], **(arch or {})}
    if kwargs["in_ch"] != len(CHANNELS) or kwargs["out_ch"] != 1:
        raise ValueError(f"a click network has {len(CHANNELS)} inputs and 1 output, got {kwargs}")
    return build_model({"architecture": architecture, "arch": kwargs})


def click_meta(
    arch: dict[str, Any],
    input_size: tuple[int, int] = INPUT_SIZE,
    click_radius: int = CLICK_RADIUS,
    mean: Any = MEAN,
    std: Any = STD,
    architecture: str = DEFAULT_ARCHITECTURE,
    **extra: Any,
) -> dict[str, Any]:
    """Return the meta dict of a click model file (:data:`.weights.REQUIRED_META` and more).

    ``mean`` and ``std`` are the photo normalisation (0..1 scale) the network was trained with;
    ``architecture`` the registry name of the network ``arch`` builds.
    """
    return {
        "task": "click",
        "network": NETWORK,
        "architecture": architecture,
        "classes": ["background", "object"],
        "arch": dict(arch),
        "input_size": [int(input_size[0]), int(input_size[1])],
        "click_radius": int(click_radius),
        "channels": list(CHANNELS),
        "mean": [float(v) for v in mean],
        "std": [float(v) for v in std],
        "threshold": 0.5,
        **extra,
    }


def load_click_model(path: Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Load a click model file; raise :class:`ModelFileError` if it is not one."""
    loaded = load_model(path, device)
    meta = loaded.meta
    if meta.get("network") != NETWORK or meta["arch"].get("in_ch") != len(CHANNELS):
        raise ModelFileError(Path(path), f"not a click model (network {meta.get('network')!r})")
    return loaded


@dataclass(frozen=True)
class CropBox:
    """An axis-aligned box in photo pixels (may extend past the photo) mapped onto ``size``.

    Attributes
    ----------
    y0, x0 : float
        Top-left corner in photo pixel coordinates (pixel centres at integers).
    scale : float
        Network pixels per photo pixel.
    size : (h, w)
        Network input size.
    """

    y0: float
    x0: float
    scale: float
    size: tuple[int, int]

    @property
    def height(self) -> float:
        """Box height in photo pixels."""
        return self.size[0] / self.scale

    @property
    def width(self) -> float:
        """Box width in photo pixels."""
        return self.size[1] / self.scale

    def affine(self) -> np.ndarray:
        """Return the ``(2, 3) float64`` matrix photo -> network pixel coordinates (x, y order)."""
        s = self.scale
        return np.array([[s, 0.0, -self.x0 * s], [0.0, s, -self.y0 * s]])

    def to_crop(self, yx: np.ndarray) -> np.ndarray:
        """Map ``(N, 2)`` photo ``(y, x)`` to network ``(y, x)`` float64 coordinates."""
        yx = np.asarray(yx, np.float64).reshape(-1, 2)
        return (yx - [self.y0, self.x0]) * self.scale

    def photo_bounds(self, shape: tuple[int, int]) -> tuple[int, int, int, int]:
        """Return the box clipped to a photo of ``shape``: ``(y0, y1, x0, x1)`` ints (end-exclusive)."""
        y0 = max(0, int(np.floor(self.y0)))
        x0 = max(0, int(np.floor(self.x0)))
        y1 = min(shape[0], int(np.ceil(self.y0 + self.height)))
        x1 = min(shape[1], int(np.ceil(self.x0 + self.width)))
        return y0, y1, x0, x1

    def read_bounds(self, shape: tuple[int, int]) -> tuple[int, int, int, int]:
        """Return the photo pixels the box's samples read, clipped to a photo of ``shape``:
        :meth:`photo_bounds` and one more pixel at the far ends, as the last network row and
        column sample between the box's last pixel and the next (the zero border blended into
        them darkened up to 19 of 384 rows of a zoomed crop)."""
        y0, _, x0, _ = self.photo_bounds(shape)
        y1 = min(shape[0], int(np.floor(self.y0 + self.height)) + 2)
        x1 = min(shape[1], int(np.floor(self.x0 + self.width)) + 2)
        return y0, y1, x0, x1


def fit_box(
    y0: float, x0: float, y1: float, x1: float, size: tuple[int, int] = INPUT_SIZE
) -> CropBox:
    """Return the smallest :class:`CropBox` of ``size``'s aspect ratio centred on a box.

    Parameters
    ----------
    y0, x0, y1, x1 : float
        The box to cover, photo pixels (end-exclusive).
    size : (h, w)
        Network input size.
    """
    h, w = max(y1 - y0, 1.0), max(x1 - x0, 1.0)
    scale = min(size[0] / h, size[1] / w)
    cy, cx = (y0 + y1) / 2, (x0 + x1) / 2
    return CropBox(cy - size[0] / scale / 2, cx - size[1] / scale / 2, scale, size)


def warp_crop(array: np.ndarray, box: CropBox, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Resample ``array`` ((H, W) or (H, W, C), uint8 or float32) inside ``box`` to ``box.size``.

    Outside the photo the result is 0. Only the part of the photo under the box is read; shrinking
    by more than 2x first area-resizes it, so thin structures are not aliased away.
    """
    y0, y1, x0, x1 = box.read_bounds(array.shape[:2])
    out_size = (box.size[1], box.size[0])
    if y1 <= y0 or x1 <= x0:
        return np.zeros(box.size + array.shape[2:], array.dtype)
    sub = array[y0:y1, x0:x1]
    m = box.affine()
    m[:, 2] += m[:, :2] @ [x0, y0]  # the sub-array's pixel (0, 0) is the photo's (x0, y0)
    if box.scale < 0.5 and interpolation != cv2.INTER_NEAREST:
        f = box.scale * 1.25
        small = cv2.resize(
            sub,
            (max(1, round(sub.shape[1] * f)), max(1, round(sub.shape[0] * f))),
            interpolation=cv2.INTER_AREA,
        )
        rx, ry = sub.shape[1] / small.shape[1], sub.shape[0] / small.shape[0]
        # INTER_AREA is centre-aligned: the small pixel x is the sub-array's (x + 0.5) r - 0.5
        m[:, 2] += m[:, :2] @ [0.5 * (rx - 1), 0.5 * (ry - 1)]
        m[:, 0] *= rx
        m[:, 1] *= ry
        sub = small
    return cv2.warpAffine(
        sub, m, out_size, flags=interpolation, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )


def paste_logits(logits: np.ndarray, box: CropBox, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Resample network-size ``logits`` ``(h, w) float32`` back onto the photo under ``box``.

    Returns
    -------
    region : (y1 - y0, x1 - x0) float32
        Logits for the photo pixels under the box (bilinear).
    bounds : (y0, y1, x0, x1)
        Where ``region`` sits in a photo of ``shape``.
    """
    y0, y1, x0, x1 = box.photo_bounds(shape)
    m = box.affine()
    m[:, 2] += m[:, :2] @ [x0, y0]
    region = cv2.warpAffine(
        logits.astype(np.float32), m, (max(x1 - x0, 0), max(y1 - y0, 0)),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE,
    )
    return region, (y0, y1, x0, x1)


def add_disks(maps: torch.Tensor, yx: torch.Tensor, channel: torch.Tensor, radius: float) -> None:
    """Draw one click disk per sample into ``maps`` in place.

    Parameters
    ----------
    maps : (B, 2, H, W) float tensor
        Positive (channel 0) and negative (channel 1) click maps.
    yx : (B, 2) tensor
        Click centres in network pixels.
    channel : (B,) long tensor
        0 for a positive click, 1 for a negative one, -1 for no click.
    radius : float
        Disk radius in network pixels.
    """
    _, _, h, w = maps.shape
    ys = torch.arange(h, device=maps.device, dtype=torch.float32).view(1, h, 1)
    xs = torch.arange(w, device=maps.device, dtype=torch.float32).view(1, 1, w)
    yx = yx.to(maps.device, torch.float32)
    disk = ((ys - yx[:, 0, None, None]) ** 2 + (xs - yx[:, 1, None, None]) ** 2) <= radius**2
    channel = channel.to(maps.device)
    for c in (0, 1):
        sel = (channel == c).view(-1, 1, 1) & disk
        maps[:, c] = torch.maximum(maps[:, c], sel.to(maps.dtype))


def click_maps(
    clicks: list[tuple[float, float, bool]], size: tuple[int, int], radius: float = CLICK_RADIUS
) -> torch.Tensor:
    """Return ``(2, h, w) float32`` disk maps for ``(y, x, positive)`` clicks in network pixels."""
    maps = torch.zeros(1, 2, *size)
    for y, x, positive in clicks:
        add_disks(maps, torch.tensor([[y, x]]), torch.tensor([0 if positive else 1]), radius)
    return maps[0]


def network_input(
    image: torch.Tensor, mask: torch.Tensor, maps: torch.Tensor, mean: Any, std: Any
) -> torch.Tensor:
    """Stack the network input ``(B, 6, H, W) float32``.

    Parameters
    ----------
    image : (B, 3, H, W) uint8 or float tensor
        RGB in 0..255.
    mask : (B, 1, H, W) tensor
        Current mask in {0, 1}.
    maps : (B, 2, H, W) tensor
        Click maps from :func:`add_disks`.
    mean, std : sequence of 3 floats
        Photo normalisation (0..1 scale).
    """
    m = torch.as_tensor(mean, dtype=torch.float32, device=image.device).view(1, 3, 1, 1)
    s = torch.as_tensor(std, dtype=torch.float32, device=image.device).view(1, 3, 1, 1)
    x = (image.float() / 255.0 - m) / s
    return torch.cat([x, mask.float(), maps.float()], dim=1)


def simulated_clicks(
    pred: torch.Tensor,
    gt: torch.Tensor,
    max_dist: int = 32,
    generator: torch.Generator | None = None,
    deterministic: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Place the next simulated click per sample, as in RITM, on the device of the masks.

    The click goes into the larger of the false-negative and false-positive regions (by the
    largest distance to their edges, the photo border counting as an edge), at a random point
    farther than half that distance from the edge (``deterministic``: the farthest point).
    Distances are chessboard distances from repeated 3x3 erosions, capped at ``max_dist``.

    Parameters
    ----------
    pred, gt : (B, H, W) bool tensors
        Current prediction and ground truth.

    Returns
    -------
    yx : (B, 2) long tensor
        Click positions in pixels.
    channel : (B,) long tensor
        0 positive, 1 negative, -1 where the prediction is already exact.
    """
    err = torch.stack([gt & ~pred, ~gt & pred], dim=1).float()
    dist = torch.zeros_like(err)
    cur = err
    for _ in range(max_dist):
        dist += cur
        cur = -F.max_pool2d(-F.pad(cur, (1, 1, 1, 1), value=0.0), 3, stride=1)
    peak = dist.amax(dim=(2, 3))
    positive = peak[:, 0] >= peak[:, 1]
    chosen = torch.where(positive.view(-1, 1, 1), dist[:, 0], dist[:, 1])
    top = peak.amax(dim=1)
    if deterministic:
        score = chosen
    else:
        score = (chosen > top.view(-1, 1, 1) / 2).float() * torch.rand(
            chosen.shape, device=chosen.device, generator=generator
        )
    flat = score.flatten(1).argmax(dim=1)
    w = gt.shape[-1]
    yx = torch.stack([flat // w, flat % w], dim=1)
    channel = torch.where(positive, 0, 1)
    channel = torch.where(top > 0, channel, -1)
    return yx, channel


def next_click(pred: np.ndarray, gt: np.ndarray) -> tuple[int, int, bool] | None:
    """Place the next click of the standard NoC protocol (RITM, FocalClick evaluation).

    The click goes at the point farthest from the edges (Euclidean distance, the photo border
    counting as an edge) of the larger error region: false negatives give a positive click,
    false positives a negative one.

    Parameters
    ----------
    pred, gt : (H, W) bool arrays
        Current mask and ground truth.

    Returns
    -------
    (y, x, positive) or None
        None when the mask is already exact.
    """
    best: tuple[float, int, int, bool] | None = None
    for err, positive in ((gt & ~pred, True), (pred & ~gt, False)):
        if not err.any():
            continue
        padded = np.pad(err.astype(np.uint8), 1)
        dist = cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)[1:-1, 1:-1]
        idx = int(np.argmax(dist))
        peak = float(dist.flat[idx])
        if best is None or peak > best[0]:
            best = (peak, idx // err.shape[1], idx % err.shape[1], positive)
    if best is None:
        return None
    return best[1], best[2], best[3]
