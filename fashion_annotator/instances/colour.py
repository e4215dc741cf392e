"""Dominant colours of an instance, named from a fixed palette.

The palette (``resources/schemas/attributes/colour_palette.json``) lists reference sRGB
colours; each pixel takes the name of the nearest reference by CIEDE2000 (a perceptual
distance in CIELAB), and the names covering the most pixels are the instance's dominant colours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from fashion_annotator.resources import resource_path

#: Pixels sampled per instance (evenly strided) to name its colours.
MAX_SAMPLES = 4000


@dataclass(frozen=True)
class Palette:
    """Named reference colours: ``names`` (K,), ``rgb`` (K, 3) uint8, ``lab`` (K, 3) float32."""

    names: tuple[str, ...]
    rgb: np.ndarray
    lab: np.ndarray


@dataclass(frozen=True)
class DominantColour:
    """One dominant colour: palette ``name``, ``share`` of the pixels, ``rgb`` their mean."""

    name: str
    share: float
    rgb: tuple[int, int, int]


def _to_lab(rgb: np.ndarray) -> np.ndarray:
    """``(N, 3) uint8`` sRGB to ``(N, 3) float32`` CIELAB."""
    return cv2.cvtColor(rgb.reshape(-1, 1, 3).astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab).reshape(-1, 3)


#: Colours are named on a 32-level grid per channel (``rgb >> 3``, the cell's centre): at most
#: 4 grey levels from the pixel, far below any palette step.
_QUANT_SHIFT = 3


@lru_cache(maxsize=4)
def _nearest_table(names: tuple[str, ...], rgb: bytes) -> np.ndarray:
    """The palette entry nearest each of the 32 x 32 x 32 colour cells by CIEDE2000, ``(32768,)
    int64`` indexed ``r << 10 | g << 5 | b`` (cells of ``rgb >> 3``). CIEDE2000 rather than
    plain Lab distance: navy (0, 0, 128) is "navy", not "blue", maroon "burgundy", not "red".
    Made once per palette (about 0.4 s), so naming a colour is a lookup."""
    from skimage.color import deltaE_ciede2000

    ref = _to_lab(np.frombuffer(rgb, np.uint8).reshape(len(names), 3))
    cells = np.stack(np.meshgrid(*[np.arange(32)] * 3, indexing="ij"), -1).reshape(-1, 3)
    lab = _to_lab(((cells << _QUANT_SHIFT) + (1 << (_QUANT_SHIFT - 1))).astype(np.uint8))
    return np.stack([deltaE_ciede2000(lab, np.broadcast_to(r, lab.shape)) for r in ref], 1).argmin(1)


@lru_cache(maxsize=4)
def load_palette(name: str = "colour_palette") -> Palette:
    """Load ``resources/schemas/attributes/NAME.json`` (``{"colours": {name: [r, g, b]}}``)."""
    path = resource_path("schemas", "attributes", f"{name}.json")
    try:
        colours = json.loads(path.read_text(encoding="utf-8"))["colours"]
        names = tuple(colours)
        rgb = np.array([colours[n] for n in names], np.uint8).reshape(-1, 3)
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: not a colour palette ({exc})") from None
    return Palette(names, rgb, _to_lab(rgb))


def dominant_colours(rgb: np.ndarray, pixels: np.ndarray, top: int = 3, palette: Palette | None = None) -> list[DominantColour]:
    """Name the dominant colours of the masked pixels.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
    pixels : (H, W) bool
        The instance.
    top : int
        At most this many colours, most frequent first.
    palette : Palette, optional
        Default: the shipped palette.

    Returns
    -------
    list of DominantColour
        Empty when ``pixels`` selects nothing.
    """
    palette = palette or load_palette()
    ys, xs = np.nonzero(pixels)
    if ys.size == 0:
        return []
    step = max(1, ys.size // MAX_SAMPLES)
    sample = rgb[ys[::step], xs[::step]]
    q = (sample >> _QUANT_SHIFT).astype(np.int64)
    nearest = _nearest_table(palette.names, palette.rgb.tobytes())[(q[:, 0] << 10) | (q[:, 1] << 5) | q[:, 2]]
    counts = np.bincount(nearest, minlength=len(palette.names))
    out = []
    for k in np.argsort(-counts)[:top]:
        if counts[k] == 0:
            break
        r, g, b = (int(round(v)) for v in sample[nearest == k].mean(0))
        out.append(DominantColour(palette.names[k], float(counts[k] / nearest.size), (r, g, b)))
    return out
