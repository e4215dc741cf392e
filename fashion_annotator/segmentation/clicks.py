"""Click-to-correct inference: positive / negative clicks and box prompts turn into mask updates.

:class:`ClickPredictor` runs the click network of :mod:`fashion_annotator.models.click` on a
crop of the photo (numpy in, numpy out, no Qt):

- **crop**: the whole photo while the mask is empty (the first click), then a box of the
  network's aspect ratio around the current mask and the clicks, 1.4x their extent; when that
  box would shrink the photo more than ``1 / FOCUS_SCALE`` times, a *focus* box around the
  newest click, 0.45x that size (the zoom-in of FocalClick);
- **paste back**: the logits are resampled onto the photo pixels under the crop only; from the
  third click of a session on, only the changed areas connected to the newest click are taken
  (FocalClick's progressive merge), so a click never disturbs far-away parts of the mask;
- **box prompt**: GrabCut from the box gives the starting mask, a positive click at its deepest
  point and the network then correct it, and nothing outside the box is added.
  :func:`grabcut_box` alone is the baseline.

Parsing uses the same predictor on the mask of one class ("this class here / not here").
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from fashion_annotator.models.click import (
    CropBox,
    click_maps,
    fit_box,
    load_click_model,
    network_input,
    paste_logits,
    warp_crop,
)
from fashion_annotator.resources import resource_path

#: Extent of the object crop around the mask and clicks (FocalClick's expansion ratio).
OBJECT_MARGIN = 1.4
#: Use a focus crop when the object crop has fewer network pixels per photo pixel than this.
#: Measured with the interim model (``bench noc``, first 8 CCP val photos), with / without focus
#: crops: garment NoC@90 16.0 / 15.1, NoC@95 19.75 / 20; person NoC@90 7.6 / 7.3, NoC@95 14.75 / 20
#: (never reaching IoU 0.90: 0 % / 25 %): the zoom-in is what reaches the fine IoUs.
FOCUS_SCALE = 0.5
#: Size of the focus crop relative to the object crop.
FOCUS_FRACTION = 0.45
#: From this many clicks in a session on, only changes connected to the newest click are kept.
MERGE_FROM_CLICK = 3
#: Long side of the photo GrabCut runs on (its cost grows with the pixel count).
GRABCUT_SIDE = 360
GRABCUT_ITERATIONS = 4


@dataclass(frozen=True)
class Click:
    """One operator click in photo pixels; ``positive`` adds, negative removes."""

    y: float
    x: float
    positive: bool

    def as_dict(self) -> dict[str, float | bool]:
        """JSON-friendly form (the click log)."""
        return {"y": round(float(self.y), 1), "x": round(float(self.x), 1), "positive": self.positive}


@dataclass
class ClickUpdate:
    """The result of one click or box.

    Attributes
    ----------
    mask : (H, W) bool
        The whole corrected mask.
    bounds : (y0, y1, x0, x1)
        The photo area the network saw (clipped to the photo); nothing outside changed.
    changed : int
        Pixels that changed.
    crop : CropBox
        The crop that ran.
    elapsed_ms : float
        Wall time of the update.
    """

    mask: np.ndarray
    bounds: tuple[int, int, int, int]
    changed: int
    crop: CropBox
    elapsed_ms: float = field(default=0.0)


def default_click_model_path() -> Path:
    """The shipped click model ``resources/models/click.safetensors``."""
    return resource_path("models", "click.safetensors")


def grabcut_box(
    rgb: np.ndarray, box: tuple[float, float, float, float], iterations: int = GRABCUT_ITERATIONS
) -> np.ndarray:
    """GrabCut started from a box: the baseline box prompt.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
    box : (y0, x0, y1, x1)
        Photo pixels, end-exclusive.

    Returns
    -------
    (H, W) bool
        The foreground, never outside the box. GrabCut runs on a copy shrunk to
        :data:`GRABCUT_SIDE` pixels on the long side (the box's surroundings only), its result is
        enlarged back.
    """
    h, w = rgb.shape[:2]
    y0, x0, y1, x1 = _clip_box(box, (h, w))
    out = np.zeros((h, w), bool)
    if y1 - y0 < 2 or x1 - x0 < 2:
        return out
    my, mx = (y1 - y0) // 4 + 2, (x1 - x0) // 4 + 2
    cy0, cx0, cy1, cx1 = max(0, y0 - my), max(0, x0 - mx), min(h, y1 + my), min(w, x1 + mx)
    sub = rgb[cy0:cy1, cx0:cx1]
    f = min(1.0, GRABCUT_SIDE / max(sub.shape[:2]))
    small = cv2.resize(sub, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else sub
    rect = (
        int((x0 - cx0) * f), int((y0 - cy0) * f),
        max(2, int((x1 - x0) * f)), max(2, int((y1 - y0) * f)),
    )
    gc = np.zeros(small.shape[:2], np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(np.ascontiguousarray(small[..., ::-1]), gc, rect, bgd, fgd, iterations,
                    cv2.GC_INIT_WITH_RECT)
    except cv2.error:
        return out
    fg = ((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)).astype(np.uint8)
    big = cv2.resize(fg, (cx1 - cx0, cy1 - cy0), interpolation=cv2.INTER_LINEAR) > 0
    out[cy0:cy1, cx0:cx1] = big
    inside = np.zeros_like(out)
    inside[y0:y1, x0:x1] = True
    return out & inside


def _clip_box(box: Sequence[float], shape: tuple[int, int]) -> tuple[int, int, int, int]:
    y0, x0, y1, x1 = (float(v) for v in box)
    y0, y1 = sorted((y0, y1))
    x0, x1 = sorted((x0, x1))
    return (
        int(np.clip(np.floor(y0), 0, shape[0])), int(np.clip(np.floor(x0), 0, shape[1])),
        int(np.clip(np.ceil(y1), 0, shape[0])), int(np.clip(np.ceil(x1), 0, shape[1])),
    )


def _deepest_point(mask: np.ndarray) -> tuple[int, int] | None:
    if not mask.any():
        return None
    dist = cv2.distanceTransform(np.pad(mask.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
    idx = int(np.argmax(dist))
    return idx // mask.shape[1], idx % mask.shape[1]


class ClickPredictor:
    """Runs a click model on a photo: :meth:`set_image`, then :meth:`predict` per click.

    Parameters
    ----------
    path : Path, optional
        Click model file; the shipped one by default.
    device : str
        Torch device.
    threads : int, optional
        Torch CPU threads (``None`` keeps torch's setting).

    Raises
    ------
    ModelFileError
        The file is missing, corrupt or not a click model (naming the file).
    """

    def __init__(self, path: Path | None = None, device: str = "cpu", threads: int | None = None):
        self.path = Path(path) if path is not None else default_click_model_path()
        loaded = load_click_model(self.path, device)
        self.module = loaded.module
        self.meta = loaded.meta
        self.device = torch.device(device)
        self.size = (int(self.meta["input_size"][0]), int(self.meta["input_size"][1]))
        self.radius = float(self.meta.get("click_radius", 5))
        self.threshold = float(self.meta.get("threshold", 0.5))
        self.version = self.meta.get("version")
        if threads is not None:
            torch.set_num_threads(threads)
        self.rgb: np.ndarray | None = None

    def set_image(self, rgb: np.ndarray) -> None:
        """Use ``rgb`` ``(H, W, 3) uint8`` for the following predictions (kept by reference)."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 photo, got {rgb.shape} {rgb.dtype}")
        self.rgb = rgb

    def _photo(self) -> np.ndarray:
        if self.rgb is None:
            raise RuntimeError("ClickPredictor.set_image must be called before predict")
        return self.rgb

    def crop_for(
        self,
        mask: np.ndarray,
        clicks: Sequence[Click],
        box: tuple[float, float, float, float] | None = None,
    ) -> CropBox:
        """Choose the crop for ``mask`` ``(H, W) bool``, the session's ``clicks`` and a box."""
        h, w = mask.shape
        ys, xs = [], []
        if mask.any():
            rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
            ys += [rows[0], rows[-1] + 1]
            xs += [cols[0], cols[-1] + 1]
        elif box is None:
            return fit_box(0, 0, h, w, self.size)
        if box is not None:
            ys += [box[0], box[2]]
            xs += [box[1], box[3]]
        ys += [c.y for c in clicks] + [c.y + 1 for c in clicks]
        xs += [c.x for c in clicks] + [c.x + 1 for c in clicks]
        y0, y1, x0, x1 = min(ys), max(ys), min(xs), max(xs)
        min_side = 0.1 * max(h, w)
        hh = max(y1 - y0, min_side) * OBJECT_MARGIN / 2
        hw = max(x1 - x0, min_side) * OBJECT_MARGIN / 2
        cy, cx = (y0 + y1) / 2, (x0 + x1) / 2
        crop = fit_box(cy - hh, cx - hw, cy + hh, cx + hw, self.size)
        if crop.scale < FOCUS_SCALE and mask.any() and len(clicks) > 1 and box is None:
            last = clicks[-1]
            fh, fw = crop.height * FOCUS_FRACTION / 2, crop.width * FOCUS_FRACTION / 2
            crop = fit_box(last.y - fh, last.x - fw, last.y + fh, last.x + fw, self.size)
        return crop

    @torch.no_grad()
    def logits(self, mask: np.ndarray, clicks: Sequence[Click], crop: CropBox) -> np.ndarray:
        """Network logits ``(h, w) float32`` on ``crop`` for ``mask`` and ``clicks``."""
        rgb = self._photo()
        image = warp_crop(rgb, crop)
        prev = warp_crop(mask.astype(np.uint8) * 255, crop) > 127
        pts = crop.to_crop(np.array([[c.y, c.x] for c in clicks]).reshape(-1, 2))
        maps = click_maps(
            [(y, x, c.positive) for (y, x), c in zip(pts, clicks, strict=True)], self.size, self.radius
        )
        x = network_input(
            torch.from_numpy(image).permute(2, 0, 1)[None].to(self.device),
            torch.from_numpy(prev)[None, None].to(self.device),
            maps[None].to(self.device),
            self.meta["mean"],
            self.meta["std"],
        )
        out = self.module(x)
        return out[0, 0].float().cpu().numpy()

    def predict(
        self,
        mask: np.ndarray,
        clicks: Sequence[Click],
        box: tuple[float, float, float, float] | None = None,
    ) -> ClickUpdate:
        """Correct ``mask`` ``(H, W) bool`` (not modified) after the newest of ``clicks``.

        ``clicks`` are all the clicks of the session, oldest first (the network sees them all).
        With ``box`` ``(y0, x0, y1, x1)`` the crop covers the box.
        """
        t0 = time.perf_counter()
        rgb = self._photo()
        mask = np.asarray(mask, bool)
        if mask.shape != rgb.shape[:2]:
            raise ValueError(f"mask is {mask.shape}, the photo {rgb.shape[:2]}")
        crop = self.crop_for(mask, clicks, box)
        logits = self.logits(mask, clicks, crop)
        region, (y0, y1, x0, x1) = paste_logits(logits, crop, mask.shape)
        old = mask[y0:y1, x0:x1]
        new = region > _logit(self.threshold)
        diff = new != old
        if len(clicks) >= MERGE_FROM_CLICK and box is None and diff.any():
            diff = _connected_to(diff, clicks[-1], (y0, x0), self.radius / crop.scale)
        out = mask.copy()
        out[y0:y1, x0:x1] = np.where(diff, new, old)
        changed = int(diff.sum())
        return ClickUpdate(out, (y0, y1, x0, x1), changed, crop, (time.perf_counter() - t0) * 1e3)

    def predict_box(
        self, box: tuple[float, float, float, float], mask: np.ndarray | None = None
    ) -> tuple[ClickUpdate, Click]:
        """Fill ``box`` ``(y0, x0, y1, x1)``: GrabCut, a virtual positive click, the network.

        Returns the update (nothing added outside the box; ``mask`` outside it is kept) and the
        virtual click: at the deepest point of GrabCut's foreground, or the box centre when
        GrabCut found nothing.
        """
        t0 = time.perf_counter()
        rgb = self._photo()
        h, w = rgb.shape[:2]
        base = np.zeros((h, w), bool) if mask is None else np.asarray(mask, bool)
        y0, x0, y1, x1 = _clip_box(box, (h, w))
        start = grabcut_box(rgb, (y0, x0, y1, x1)) | base
        inside = np.zeros((h, w), bool)
        inside[y0:y1, x0:x1] = True
        point = _deepest_point(start & inside)
        if point is None:
            point = ((y0 + y1) // 2, (x0 + x1) // 2)
        click = Click(float(point[0]), float(point[1]), True)
        update = self.predict(start, [click], box=(y0, x0, y1, x1))
        result = np.where(inside, update.mask, base)
        update.changed = int((result != base).sum())
        update.mask = result
        update.elapsed_ms = (time.perf_counter() - t0) * 1e3
        return update, click


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def _connected_to(
    diff: np.ndarray, click: Click, origin: tuple[int, int], reach: float
) -> np.ndarray:
    """Keep the components of ``diff`` within ``reach`` pixels of ``click`` (photo coordinates)."""
    n, comp = cv2.connectedComponents(diff.astype(np.uint8), connectivity=8)
    if n <= 2:
        return diff
    cy, cx = click.y - origin[0], click.x - origin[1]
    r = max(1, int(np.ceil(reach)))
    ys = slice(max(0, int(cy) - r), max(0, int(cy) + r + 1))
    xs = slice(max(0, int(cx) - r), max(0, int(cx) + r + 1))
    keep = np.unique(comp[ys, xs])
    keep = keep[keep > 0]
    return np.isin(comp, keep) if keep.size else diff
