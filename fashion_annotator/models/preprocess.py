"""The one place that turns a photo into network input and network output back into the photo's frame.

Training (validation and the GPU recipe) and inference (:class:`~fashion_annotator.segmentation.proposals.Predictor`)
both call these functions, so the network sees the same pixels in both.

Two resize modes, chosen by the model file's metadata:

``"letterbox"`` (``meta["resize"] = "letterbox"``, the default for new models)
    The photo keeps its aspect ratio: its long side is resized to ``meta["long_side"]`` pixels
    (area interpolation when shrinking, bilinear when enlarging), then the normalised input is
    zero-padded at the bottom and right to a multiple of ``meta["stride"]``. A landscape photo is
    never squashed into a portrait input. Logits are cropped back to the content before they are
    enlarged to the photo's size.
``"squash"`` (no ``resize`` key: models trained before letterboxing)
    The photo is resized to ``meta["input_size"]`` whatever its aspect, as those models were
    trained.

Padding is zero *after* normalisation, i.e. the training set's mean colour.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

RESIZE_MODES = ("letterbox", "squash")
#: ImageNet statistics in ``[0, 1]`` units: the click network and the instance classifiers
#: normalise their RGB with them (and store them in their meta).
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class InputSpec:
    """How a model wants its input.

    Attributes
    ----------
    mode : {"letterbox", "squash"}
    input_size : (int, int)
        ``(H, W)`` of a squashed input; for letterbox models the nominal portrait input used for
        size checks (``long_side`` by two thirds of it).
    long_side : int
        Letterbox: pixels of the resized photo's longer side.
    stride : int
        Letterbox: the padded input's sides are multiples of this (the network's total
        downsampling).
    mean, std : (3,) float32
        Per-channel normalisation on the 0..1 scale.
    """

    mode: str
    input_size: tuple[int, int]
    long_side: int
    stride: int
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> InputSpec:
        """Build the spec from a model's metadata; raise ``ValueError`` on bad values."""
        mode = str(meta.get("resize", "squash"))
        if mode not in RESIZE_MODES:
            raise ValueError(f"resize must be one of {RESIZE_MODES}, got {mode!r}")
        try:
            h, w = (int(v) for v in meta["input_size"])
        except (TypeError, ValueError, KeyError):
            raise ValueError(f"input_size must be [H, W], got {meta.get('input_size')!r}") from None
        if not (8 <= h <= 4096 and 8 <= w <= 4096):
            raise ValueError(f"input_size {[h, w]} outside 8..4096")
        long_side = int(meta.get("long_side", max(h, w)))
        stride = int(meta.get("stride", 32))
        if not 8 <= long_side <= 4096:
            raise ValueError(f"long_side {long_side} outside 8..4096")
        if not 1 <= stride <= 256:
            raise ValueError(f"stride {stride} outside 1..256")
        mean = np.asarray(meta["mean"], dtype=np.float32).reshape(3)
        std = np.asarray(meta["std"], dtype=np.float32).reshape(3)
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and np.all(std > 0)):
            raise ValueError(f"mean/std must be finite and std positive, got {mean}, {std}")
        return cls(mode, (h, w), long_side, stride, mean, std)

    def for_inference(self, meta: dict[str, Any], long_side: int | None = None) -> InputSpec:
        """The spec a predictor runs with: this one, its long side replaced by ``long_side``, else
        by the metadata's ``"infer_long_side"`` (chosen on validation photos after training),
        else unchanged. Squash models keep their fixed input. Raises ``ValueError`` on bad values."""
        side = long_side if long_side is not None else meta.get("infer_long_side")
        if side is None or self.mode != "letterbox":
            return self
        if isinstance(side, bool) or not isinstance(side, int) or not 8 <= side <= 4096:
            raise ValueError(f"infer_long_side must be an integer in 8..4096, got {str(side)[:40]}")
        return replace(self, long_side=side)

    @property
    def letterbox_pad(self) -> np.ndarray | None:
        """Letterbox models: the ``(3,) uint8`` mean colour that pads a training canvas (it
        normalises to the zeros :func:`to_input` pads with); None for squash models."""
        if self.mode != "letterbox":
            return None
        return np.clip(np.round(self.mean * 255), 0, 255).astype(np.uint8)

    def meta(self) -> dict[str, Any]:
        """The metadata keys that describe this spec (for writing model files)."""
        out: dict[str, Any] = {
            "input_size": list(self.input_size),
            "mean": [round(float(v), 4) for v in self.mean],
            "std": [round(float(v), 4) for v in self.std],
        }
        if self.mode == "letterbox":
            out.update(resize="letterbox", long_side=self.long_side, stride=self.stride)
        return out


@dataclass(frozen=True)
class Geometry:
    """Where a photo sits in the network input.

    Attributes
    ----------
    shape : (int, int)
        The photo's ``(H, W)``.
    content : (int, int)
        ``(h, w)`` of the resized photo inside the input (top-left aligned).
    padded : (int, int)
        ``(h, w)`` of the network input, padding included.
    """

    shape: tuple[int, int]
    content: tuple[int, int]
    padded: tuple[int, int]


def content_size(shape: tuple[int, int], spec: InputSpec) -> tuple[int, int]:
    """``(h, w)`` of the resized photo for a photo of ``shape = (H, W)``."""
    if spec.mode == "squash":
        return spec.input_size
    big = max(shape)
    scale = spec.long_side / big
    return max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale))


def geometry(shape: tuple[int, int], spec: InputSpec) -> Geometry:
    """The :class:`Geometry` of a photo of ``shape = (H, W)``."""
    h, w = content_size(shape, spec)
    if spec.mode == "squash":
        return Geometry((int(shape[0]), int(shape[1])), (h, w), (h, w))
    s = spec.stride
    return Geometry((int(shape[0]), int(shape[1])), (h, w), (-(-h // s) * s, -(-w // s) * s))


def resize_photo(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize ``(H, W, 3) uint8`` to ``size = (h, w)``: area when shrinking, bilinear otherwise."""
    h, w = size
    shrinking = rgb.shape[0] >= h and rgb.shape[1] >= w
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(rgb, (w, h), interpolation=interp)


def fit_size(shape: tuple[int, int], canvas: tuple[int, int]) -> tuple[int, int]:
    """``(h, w)`` of a photo of ``shape = (H, W)`` scaled to fit inside ``canvas`` (aspect kept).

    The training path of letterbox models places photos this way in fixed-size batches; for a
    photo of the canvas's aspect (CCP and studio 2:3 portraits) it equals :func:`content_size`.
    """
    scale = min(canvas[0] / shape[0], canvas[1] / shape[1])
    return (
        min(canvas[0], max(1, round(shape[0] * scale))),
        min(canvas[1], max(1, round(shape[1] * scale))),
    )


def letterbox_photo(
    rgb: np.ndarray, canvas: tuple[int, int], pad_rgb: np.ndarray
) -> tuple[np.ndarray, tuple[int, int]]:
    """Place a photo, aspect kept, at the top-left of a ``canvas = (h, w)`` uint8 image.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
    canvas : (int, int)
    pad_rgb : (3,) uint8
        Colour of the padding: the model's mean colour, which normalises to the zeros that
        :func:`to_input` pads with.

    Returns
    -------
    image : (h, w, 3) uint8
    content : (int, int)
        ``(h, w)`` of the photo inside the canvas.
    """
    content = fit_size(rgb.shape[:2], canvas)
    out = np.empty((*canvas, 3), np.uint8)
    out[:] = np.asarray(pad_rgb, np.uint8)
    out[: content[0], : content[1]] = resize_photo(rgb, content)
    return out, content


def normalise(x01: Any, mean: Any, std: Any, channel_axis: int = -1) -> Any:
    """Per-channel ``(x01 - mean) / std``: the one normalisation of training and inference.

    Parameters
    ----------
    x01 : numpy array or torch tensor, float
        Pixels on the 0..1 scale, channels on ``channel_axis`` (``-1`` for ``(..., H, W, 3)``,
        ``1`` for torch's ``(N, 3, H, W)``). Torch tensors stay on their device.
    mean, std : sequence of 3 float
        The model's ``mean`` / ``std`` (0..1 scale).

    Returns
    -------
    Same type and shape as ``x01``.
    """
    shape = [1] * x01.ndim
    shape[channel_axis] = 3
    if hasattr(x01, "new_tensor"):  # a torch tensor (torch is not imported here)
        m = x01.new_tensor([float(v) for v in mean]).reshape(shape)
        s = x01.new_tensor([float(v) for v in std]).reshape(shape)
    else:
        m = np.asarray(mean, np.float32).reshape(shape)
        s = np.asarray(std, np.float32).reshape(shape)
    return (x01 - m) / s


def to_input(rgb: np.ndarray, spec: InputSpec) -> tuple[np.ndarray, Geometry]:
    """Turn a photo into normalised network input.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
        The photo.
    spec : InputSpec

    Returns
    -------
    x : (3, h_pad, w_pad) float32
        Normalised photo, zero-padded at the bottom and right (letterbox mode).
    geometry : Geometry
    """
    if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(
            f"expected an (H, W, 3) uint8 photo, got shape {getattr(rgb, 'shape', None)}"
        )
    if rgb.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 photo, got dtype {rgb.dtype}")
    geo = geometry(rgb.shape[:2], spec)
    small = normalise(
        resize_photo(rgb, geo.content).astype(np.float32) / 255.0, spec.mean, spec.std
    )
    x = np.zeros((3, *geo.padded), np.float32)
    x[:, : geo.content[0], : geo.content[1]] = small.transpose(2, 0, 1)
    return x, geo


def stack_inputs(inputs: list[np.ndarray]) -> np.ndarray:
    """Zero-pad ``(3, h_i, w_i)`` inputs to the largest size and stack them: ``(N, 3, h, w)``."""
    h = max(x.shape[1] for x in inputs)
    w = max(x.shape[2] for x in inputs)
    out = np.zeros((len(inputs), inputs[0].shape[0], h, w), np.float32)
    for i, x in enumerate(inputs):
        out[i, :, : x.shape[1], : x.shape[2]] = x
    return out


def crop_output(logits: np.ndarray, geo: Geometry) -> np.ndarray:
    """Drop the padding from ``(C, h_pad, w_pad)`` logits: ``(C, h, w)`` of the content."""
    return logits[:, : geo.content[0], : geo.content[1]]
