"""Studio-style composites for benchmarks: CCP figures on a plain studio backdrop.

A studio shoots garments on a mannequin or a model in front of a seamless backdrop, at a high
resolution, the garment covering a small share of the frame. :func:`make_studio_set` builds such
photos from a plain mask-folder dataset with a ``person`` and a ``garment`` task (CCP): the
person (garments, skin, hair) is cut out with its person mask and placed on a backdrop
(a vertical grey-to-tint gradient with a soft floor shadow and sensor noise), scaled so that the
garment covers a share of the frame drawn uniformly in ``share`` (default 3-19%); the ground
truth is the scaled garment mask. The output is a plain mask folder (``images/*.jpg``,
``masks/*.png`` with ids 0/1, ``taxonomies.json`` for the ``garment`` task) plus
``studio-START.json`` with each photo's source and actual garment share.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from fashion_annotator.segmentation.effort import iter_dataset

#: Photo size (height, width) of the composites.
FRAME = (1728, 1152)
#: Range of the garment's share of the frame.
SHARE = (0.03, 0.19)
#: Backdrop tints (RGB, the gradient's lower end): white, grey, warm beige, cool blue-grey.
TINTS = ((236, 236, 234), (206, 208, 210), (226, 214, 196), (200, 208, 218))


def _backdrop(rng: np.random.Generator, frame: tuple[int, int]) -> np.ndarray:
    """A seamless backdrop: ``(H, W, 3) float32`` 0..255, lighter at the top."""
    h, w = frame
    tint = np.array(TINTS[rng.integers(len(TINTS))], np.float32)
    top = np.minimum(tint + rng.uniform(8, 20), 250)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    bg = top * (1 - t) + tint * t
    return np.broadcast_to(bg, (h, w, 3)).copy()


def composite(
    rgb: np.ndarray,
    person: np.ndarray,
    garment: np.ndarray,
    share: float,
    rng: np.random.Generator,
    frame: tuple[int, int] = FRAME,
) -> tuple[np.ndarray, np.ndarray]:
    """Place one figure on a studio backdrop.

    Parameters
    ----------
    rgb : (h, w, 3) uint8
        The source photo.
    person, garment : (h, w) bool
        The figure to cut out and the garment inside it.
    share : float
        Wanted share of the frame covered by the garment (reduced when the figure would not
        fit in 90% of the frame's height or width).
    rng : numpy Generator
    frame : (H, W)

    Returns
    -------
    photo : (H, W, 3) uint8
    mask : (H, W) uint8
        1 on the garment.
    """
    ys, xs = np.nonzero(person)
    if ys.size == 0 or not garment.any():
        raise ValueError("the source photo has no person or no garment")
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    h, w = frame
    scale = float(np.sqrt(share * h * w / garment.sum()))
    scale = min(scale, 0.9 * h / (y1 - y0), 0.9 * w / (x1 - x0))
    size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
    cut_rgb = cv2.resize(rgb[y0:y1, x0:x1], size, interpolation=cv2.INTER_LINEAR)
    alpha = cv2.resize(person[y0:y1, x0:x1].astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
    alpha = cv2.GaussianBlur(alpha, (3, 3), 0)
    cut_gt = cv2.resize(garment[y0:y1, x0:x1].astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
    fh, fw = cut_rgb.shape[:2]
    top = int(rng.integers(max(1, (h - fh) // 4), max(2, h - fh - (h - fh) // 8 + 1)))
    left = int(np.clip((w - fw) // 2 + rng.normal(0, w * 0.05), 0, w - fw))
    bg = _backdrop(rng, frame)
    shadow = np.zeros((h, w), np.float32)
    shadow[top : top + fh, left : left + fw] = alpha
    shadow = cv2.GaussianBlur(np.roll(shadow, (int(0.01 * h), int(0.02 * w)), (0, 1)), (0, 0), 0.01 * h)
    bg *= (1 - 0.18 * shadow)[..., None]
    out = bg
    region = out[top : top + fh, left : left + fw]
    a = alpha[..., None]
    region[:] = region * (1 - a) + cut_rgb.astype(np.float32) * a
    out += rng.normal(0, 2.0, out.shape).astype(np.float32)
    mask = np.zeros((h, w), np.uint8)
    mask[top : top + fh, left : left + fw] = (cut_gt >= 0.5) & (alpha >= 0.5)
    return np.clip(out, 0, 255).astype(np.uint8), mask


def make_studio_set(
    source: Path | str,
    out: Path | str,
    count: int,
    *,
    split: str = "train",
    start: int = 0,
    seed: int = 0,
    share: tuple[float, float] = SHARE,
    frame: tuple[int, int] = FRAME,
    progress: Callable[[int, str], None] | None = None,
) -> dict[str, Any]:
    """Write ``count`` studio composites of ``source`` (a CCP-style mask folder) to ``out``.

    Photo ``i`` of the split (from ``start``) becomes ``studio_{i:04d}``, drawn with its own
    random generator (``seed``, ``i``), so a set made in several parts equals one made at once.

    Returns
    -------
    dict
        ``count``, ``frame``, ``share`` (min, median, max of the actual garment shares).
    """
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    people = iter_dataset(source, "person", split=split, limit=start + count)
    garments = iter_dataset(source, "garment", split=split, limit=start + count)
    rows = []
    for i, (p, g) in enumerate(zip(people, garments, strict=True)):
        if i < start:
            continue
        rng = np.random.default_rng([seed, i])
        wanted = float(rng.uniform(*share))
        photo, mask = composite(p.rgb, p.gt == 1, g.gt == 1, wanted, rng, frame)
        name = f"studio_{i:04d}"
        Image.fromarray(photo).save(out / "images" / f"{name}.jpg", quality=92)
        Image.fromarray(mask).save(out / "masks" / f"{name}.png")
        rows.append({"name": name, "source": p.name, "share": float(mask.mean())})
        if progress is not None:
            progress(i + 1 - start, name)
    taxonomy = {"garment": {"classes": ["background", "garment"], "from_ccp": {"0": 0, "1": 1}}}
    (out / "taxonomies.json").write_text(json.dumps(taxonomy, indent=1))
    shares = [r["share"] for r in rows]
    summary = {
        "count": len(rows), "frame": list(frame), "source": str(source), "split": split,
        "start": start, "seed": seed,
        "share": [float(np.min(shares)), float(np.median(shares)), float(np.max(shares))],
    }  # fmt: skip
    (out / f"studio-{start}.json").write_text(json.dumps({**summary, "photos": rows}, indent=1))
    return summary
