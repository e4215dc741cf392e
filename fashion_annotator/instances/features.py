"""What the instance classifier sees: a square crop of the photo and the instance mask.

The crop is the instance's box enlarged by ``margin`` on each side and padded to a square
(keeps the garment's shape), area-resized to ``size`` x ``size``. Channels: RGB and the
instance mask, kept as uint8 until :func:`normalise` (so training caches stay small). Beside
the crop go a few numbers about where the instance sits: centre, extent, area and aspect.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

N_GEOMETRY = 6
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def crop_instance(
    rgb: np.ndarray,
    instance_map: np.ndarray,
    instance_id: int,
    box: Sequence[int],
    size: int,
    margin: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Crop one instance.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
    instance_map : (H, W) integer
        Instance ids; the instance is where it equals ``instance_id``.
    instance_id : int
    box : (y0, x0, y1, x1)
        The instance's box, end exclusive.
    size : int
        Output side in pixels.
    margin : float
        Context added on each side, as a share of the box's longer side.

    Returns
    -------
    crop : (size, size, 4) uint8
        RGB and the mask channel (255 inside the instance).
    geometry : (N_GEOMETRY,) float32
        Centre y, x, height, width (shares of the photo), 10 x area share, log aspect.
    """
    h, w = instance_map.shape
    y0, x0, y1, x1 = (int(v) for v in box)
    bh, bw = y1 - y0, x1 - x0
    side = max(1, int(round(max(bh, bw) * (1 + 2 * margin))))
    cy, cx = (y0 + y1) / 2, (x0 + x1) / 2
    ty, tx = int(round(cy - side / 2)), int(round(cx - side / 2))
    sy0, sx0, sy1, sx1 = max(ty, 0), max(tx, 0), min(ty + side, h), min(tx + side, w)
    canvas = np.zeros((side, side, 4), np.uint8)
    canvas[sy0 - ty : sy1 - ty, sx0 - tx : sx1 - tx, :3] = rgb[sy0:sy1, sx0:sx1]
    inside = instance_map[sy0:sy1, sx0:sx1] == instance_id
    canvas[sy0 - ty : sy1 - ty, sx0 - tx : sx1 - tx, 3] = inside.astype(np.uint8) * 255
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    small = cv2.resize(canvas, (size, size), interpolation=interp)
    area = float(np.count_nonzero(inside)) / (h * w)
    geometry = np.array(
        [cy / h, cx / w, bh / h, bw / w, 10 * area, np.log(max(bh, 1) / max(bw, 1))], np.float32
    )
    return small, geometry


def normalise(crops: np.ndarray) -> np.ndarray:
    """``(N, S, S, 4) uint8`` crops to ``(N, 4, S, S) float32`` network input."""
    x = crops.astype(np.float32).transpose(0, 3, 1, 2) / 255.0
    x[:, :3] -= np.array(MEAN, np.float32)[None, :, None, None]
    x[:, :3] /= np.array(STD, np.float32)[None, :, None, None]
    return np.ascontiguousarray(x)


def crop_all(
    rgb: np.ndarray, instance_map: np.ndarray, ids: Sequence[int], boxes: dict, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Crops ``(N, S, S, 4) uint8`` and geometry ``(N, N_GEOMETRY) float32`` of ``ids``."""
    crops = np.zeros((len(ids), size, size, 4), np.uint8)
    geoms = np.zeros((len(ids), N_GEOMETRY), np.float32)
    for i, k in enumerate(ids):
        crops[i], geoms[i] = crop_instance(rgb, instance_map, k, boxes[k], size)
    return crops, geoms


N_TEXTURE = 8


def texture_features(crops: np.ndarray) -> np.ndarray:
    """Texture and colour spread inside each instance: ``(N, N_TEXTURE) float32``.

    Per crop, over the mask pixels: the standard deviation of R, G, B; the mean absolute
    horizontal and vertical gradient of the grey image at full and half resolution; and the
    share of vertical in all gradient energy. Patterns (stripes, prints) raise them, solid
    fabrics do not. Attribute heads read them beside the classifier embedding.
    """
    out = np.zeros((len(crops), N_TEXTURE), np.float32)
    for i, crop in enumerate(crops):
        inside = crop[..., 3] > 127
        if not inside.any():
            continue
        rgb = crop[..., :3].astype(np.float32) / 255.0
        grey = rgb.mean(axis=2)
        feats = [float(rgb[..., c][inside].std()) for c in range(3)]
        for scale in (1, 2):
            g = grey[::scale, ::scale]
            m = inside[::scale, ::scale]
            gx = np.abs(np.diff(g, axis=1))[m[:, 1:] & m[:, :-1]]
            gy = np.abs(np.diff(g, axis=0))[m[1:, :] & m[:-1, :]]
            feats += [float(gx.mean()) if gx.size else 0.0, float(gy.mean()) if gy.size else 0.0]
        ex, ey = feats[3], feats[4]
        feats.append(ey / (ex + ey + 1e-6))
        out[i] = feats
    return out
