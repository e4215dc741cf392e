"""What the instance classifiers see.

The crop classifier (:class:`~fashion_annotator.instances.classifier.InstanceNet`) reads a square
crop of the photo and the instance mask: the instance's box enlarged by ``margin`` on each side
and padded to a square (keeps the garment's shape), area-resized to ``size`` x ``size``.
Channels: RGB and the instance mask, kept as uint8 until :func:`normalise` (so training caches
stay small). Beside the crop go a few numbers about where the instance sits: centre, extent,
area and aspect (:func:`instance_geometry`).

The share classifier (:mod:`fashion_annotator.instances.shares`) reads what the parsing network
saw instead (:func:`share_features`): the mean class probabilities inside the instance, the
instance's CIELAB colour statistics, the mean class probabilities over the photo's foreground
(what else the person wears) and the geometry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import cv2
import numpy as np

from fashion_annotator.instances.derive import Box, instance_boxes
from fashion_annotator.models.preprocess import MEAN, STD

N_GEOMETRY = 6


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
    return small, instance_geometry(box, int(np.count_nonzero(inside)), (h, w))


def instance_geometry(box: Sequence[int], area_px: int, shape: tuple[int, int]) -> np.ndarray:
    """Where an instance sits: ``(N_GEOMETRY,) float32``.

    Parameters
    ----------
    box : (y0, x0, y1, x1)
        The instance's box, end exclusive.
    area_px : int
        Its pixel count.
    shape : (H, W)
        The photo's size.

    Returns
    -------
    (N_GEOMETRY,) float32
        Centre y, x, height, width (shares of the photo), 10 x area share, log aspect.
    """
    h, w = shape
    y0, x0, y1, x1 = (int(v) for v in box)
    bh, bw = y1 - y0, x1 - x0
    area = float(area_px) / (h * w)
    return np.array(
        [(y0 + y1) / 2 / h, (x0 + x1) / 2 / w, bh / h, bw / w, 10 * area,
         np.log(max(bh, 1) / max(bw, 1))], np.float32,
    )  # fmt: skip


def normalise(crops: np.ndarray) -> np.ndarray:
    """``(N, S, S, 4) uint8`` crops to ``(N, 4, S, S) float32`` network input."""
    x = crops.astype(np.float32).transpose(0, 3, 1, 2) / 255.0
    x[:, :3] -= np.array(MEAN, np.float32)[None, :, None, None]
    x[:, :3] /= np.array(STD, np.float32)[None, :, None, None]
    return np.ascontiguousarray(x)


def crop_all(
    rgb: np.ndarray, instance_map: np.ndarray, ids: Sequence[int], boxes: Mapping[int, Box], size: int
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


#: Colour statistics per instance: CIELAB L, a, b means and standard deviations / 100.
N_COLOUR = 6
#: The photo is shrunk by this factor before colour statistics (a 1152x1728 photo: 288x432).
COLOUR_SHRINK = 4


def class_shares(
    probs: np.ndarray, instance_map: np.ndarray, ids: Sequence[int], boxes: Mapping[int, Box] | None = None
) -> np.ndarray:
    """Mean class probabilities inside each instance.

    Parameters
    ----------
    probs : (K, h, w) float32
        Class probabilities of a parsing model at any resolution covering the whole photo
        (the network's own, :attr:`Proposal.coarse_probs`, is enough and cheap).
    instance_map : (H, W) integer
        Instance ids of the photo.
    ids : sequence of int
    boxes : {id: (y0, x0, y1, x1)}, optional
        The instances' boxes (computed when not given); only pixels inside them are read.

    Returns
    -------
    (N, K) float32
        Every pixel of the instance reads the probability cell it falls in (row ``y * h // H``,
        column ``x * w // W``); the mean over its pixels. Absent ids give zeros.
    """
    k, ph, pw = probs.shape
    h, w = instance_map.shape
    if boxes is None:
        boxes = instance_boxes(instance_map)
    row_cell = np.arange(h) * ph // h
    col_cell = np.arange(w) * pw // w
    out = np.zeros((len(ids), k), np.float32)
    for i, key in enumerate(ids):
        if key not in boxes:
            continue
        y0, x0, y1, x1 = boxes[key]
        inside = (instance_map[y0:y1, x0:x1] == key).astype(np.int32)
        # pixel counts per probability cell: sums over the runs of rows, then of columns, that
        # fall in one cell (the cells' rows and columns are runs of the photo's)
        rows, cols = row_cell[y0:y1], col_cell[x0:x1]
        row_runs = np.flatnonzero(np.diff(rows, prepend=-1))
        col_runs = np.flatnonzero(np.diff(cols, prepend=-1))
        counts = np.add.reduceat(np.add.reduceat(inside, row_runs, axis=0), col_runs, axis=1)
        total = int(counts.sum())
        if total == 0:
            continue
        cells = probs[:, rows[row_runs][:, None], cols[col_runs][None, :]]
        out[i] = np.tensordot(cells, counts, axes=([1, 2], [0, 1])) / total
    return out


def foreground_shares(probs: np.ndarray, parsing: np.ndarray) -> np.ndarray:
    """Mean class probabilities over the photo's foreground: ``(K,) float32``.

    Parameters
    ----------
    probs : (K, h, w) float32
        As in :func:`class_shares`.
    parsing : (H, W) integer
        The parsing mask; foreground is every class but 0. A photo without foreground gives
        zeros.
    """
    k, ph, pw = probs.shape
    weight = cv2.resize((parsing > 0).astype(np.float32), (pw, ph), interpolation=cv2.INTER_AREA)
    total = float(weight.sum())
    if total <= 1e-6:
        return np.zeros(k, np.float32)
    return (probs.reshape(k, -1) @ weight.reshape(-1) / total).astype(np.float32)


def colour_stats(rgb: np.ndarray, instance_map: np.ndarray, ids: Sequence[int]) -> np.ndarray:
    """CIELAB statistics inside each instance: ``(N, N_COLOUR) float32``.

    The photo is area-shrunk by :data:`COLOUR_SHRINK` and converted with OpenCV's 8-bit CIELAB
    (L, a, b in 0..255); per instance the mean and standard deviation of each channel, / 100.
    An instance too small to keep a pixel after shrinking gets zeros.
    """
    h, w = instance_map.shape
    size = (max(1, w // COLOUR_SHRINK), max(1, h // COLOUR_SHRINK))
    lab = cv2.cvtColor(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2LAB)
    # the block's centre pixel, as the area-shrunk photo is centred (INTER_NEAREST's top-left
    # pixel sat 1.5 px up-left of it: a thin belt's colour came from the blouse around it)
    small = cv2.resize(instance_map.astype(np.uint8, copy=False), size, interpolation=cv2.INTER_NEAREST_EXACT)
    out = np.zeros((len(ids), N_COLOUR), np.float32)
    if not len(ids):
        return out
    # per-id pixel counts, sums of each channel and of its square, one pass each (float64)
    flat_ids = small.ravel()
    values = lab.reshape(-1, 3).astype(np.float64)
    n = np.bincount(flat_ids, minlength=256)
    sums = np.stack([np.bincount(flat_ids, values[:, c], minlength=256) for c in range(3)], axis=1)
    squares = np.stack([np.bincount(flat_ids, values[:, c] ** 2, minlength=256) for c in range(3)], axis=1)
    for i, key in enumerate(ids):
        if 0 <= key < 256 and n[key]:
            mean = sums[key] / n[key]
            std = np.sqrt(np.maximum(squares[key] / n[key] - mean**2, 0.0))
            out[i] = np.concatenate([mean, std]) / 100.0
    return out


def share_features(
    rgb: np.ndarray,
    probs: np.ndarray,
    parsing: np.ndarray,
    instance_map: np.ndarray,
    ids: Sequence[int],
    boxes: Mapping[int, Box],
    shares: np.ndarray | None = None,
) -> np.ndarray:
    """What the share classifier reads: ``(N, 2 K + N_COLOUR + N_GEOMETRY) float32``.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
    probs : (K, h, w) float32
        The parsing model's class probabilities (see :func:`class_shares`).
    parsing : (H, W) integer
        The parsing mask (its foreground for :func:`foreground_shares`).
    instance_map : (H, W) uint8
    ids : sequence of int
    boxes : {id: (y0, x0, y1, x1)}
    shares : (N, K) float32, optional
        :func:`class_shares` of ``ids``, when the caller has them already.

    Returns
    -------
    (N, D) float32
        Per instance: :func:`class_shares`, :func:`colour_stats`, the photo's
        :func:`foreground_shares` and :func:`instance_geometry`, in that order.
    """
    if probs.ndim != 3:
        raise ValueError(f"probs must be (K, h, w), got shape {probs.shape}")
    ids = list(ids)
    if shares is None:
        shares = class_shares(probs, instance_map, ids, boxes)
    colour = colour_stats(rgb, instance_map, ids)
    context = np.broadcast_to(foreground_shares(probs, parsing), (len(ids), probs.shape[0]))
    geometry = np.zeros((len(ids), N_GEOMETRY), np.float32)
    shape = (instance_map.shape[0], instance_map.shape[1])
    for i, key in enumerate(ids):
        y0, x0, y1, x1 = boxes[key]
        area = int(np.count_nonzero(instance_map[y0:y1, x0:x1] == key))
        geometry[i] = instance_geometry(boxes[key], area, shape)
    return np.concatenate([shares, colour, context, geometry], axis=1).astype(np.float32)
