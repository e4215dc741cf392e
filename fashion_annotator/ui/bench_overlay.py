"""``bench overlay``: showing a huge photo's label mask, the colour table against recolouring.

A ``(H, W) uint8`` mask of seven garment-like classes (ellipses over most of the frame, the
size of a camera's full frame by default) is shown as the canvas shows it at a task switch:
:class:`~.annotate.overlay.LabelOverlay` (an Indexed8 view of the mask with a colour table)
against the way it was, the mask recoloured through the lookup table into a reused
premultiplied ARGB32 buffer (the labelled box looked up with ``np.take``, the rest filled).
Both are also drawn into a 1600x1000 viewport, at half opacity, fitted to it and at 1:1, since
the colour table moves the colouring into the paint. Runs are interleaved; the medians and the
old way over the new are printed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication, QImage, QPainter, QTransform

from fashion_annotator.ui.annotate.image_view import draw_pixels
from fashion_annotator.ui.annotate.overlay import LabelOverlay, label_lut

#: The viewport the overlay is drawn into, (width, height).
VIEWPORT = (1600, 1000)


def bench_mask(size: tuple[int, int], classes: int = 7, seed: int = 0) -> np.ndarray:
    """``(H, W) uint8``: ``classes`` filled ellipses (ids 1..classes) over a ``size`` ``(W, H)``
    frame, overlapping like garments on a person."""
    w, h = size
    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), np.uint8)
    for label in range(1, classes + 1):
        centre = (int(rng.uniform(0.15, 0.85) * w), int(rng.uniform(0.12, 0.88) * h))
        axes = (int(rng.uniform(0.1, 0.3) * w), int(rng.uniform(0.1, 0.28) * h))
        cv2.ellipse(mask, centre, axes, 0, 0, 360, label, -1)
    return mask


def recoloured(mask: np.ndarray, lut: np.ndarray, buffer: np.ndarray | None) -> tuple[np.ndarray, QImage]:
    """The overlay as it was built: ``mask`` recoloured through ``lut`` into ``buffer`` (a new
    one when None), wrapped as a premultiplied ARGB32 QImage."""
    if buffer is None or buffer.shape != mask.shape:
        buffer = np.empty(mask.shape, np.uint32)
    x, y, w, h = cv2.boundingRect(mask)
    buffer.fill(lut[0])
    if w and h:
        box = (slice(y, y + h), slice(x, x + w))
        np.take(lut, mask[box], out=buffer[box], mode="clip")
    image = QImage(buffer.data, mask.shape[1], mask.shape[0], buffer.strides[0],
                   QImage.Format.Format_ARGB32_Premultiplied)  # fmt: skip
    return buffer, image


def _draw(target: QImage, image: QImage, scale: float, rect: QRect) -> None:
    """Draw ``rect`` of ``image`` at ``scale``, half opaque, as the canvas item does
    (:func:`~.annotate.image_view.draw_pixels`)."""
    target.fill(0xFF808080)
    painter = QPainter(target)
    painter.setTransform(QTransform().scale(scale, scale).translate(-rect.x(), -rect.y()))
    painter.setOpacity(0.5)
    draw_pixels(painter, image, rect, scale)
    painter.end()


def _seconds(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(size: tuple[int, int] = (6000, 9000), runs: int = 5) -> dict[str, Any]:
    """Time both ways ``runs`` times, interleaved; print and return the medians (ms).

    Parameters
    ----------
    size : (int, int)
        The mask's ``(W, H)``.
    runs : int
        Timed runs of each step.

    Returns
    -------
    dict
        ``size``, ``runs``, ``median_ms`` per step and way, ``old_over_new`` per step and the
        raw ``times_ms``.
    """
    QGuiApplication.instance() or QGuiApplication([])
    from fashion_annotator.core.labels import load_taxonomy

    mask = bench_mask(size)
    colors = load_taxonomy("parsing7").colors
    lut = label_lut(colors)
    h, w = mask.shape
    vw, vh = VIEWPORT
    fit = min(vw / w, vh / h)
    views = {"paint_fit": (fit, QRect(0, 0, w, h)),
             "paint_1to1": (1.0, QRect(max(0, (w - vw) // 2), max(0, (h - vh) // 2), min(w, vw), min(h, vh)))}  # fmt: skip
    target = QImage(vw, vh, QImage.Format.Format_RGB32)
    times: dict[str, list[float]] = {f"{step}_{way}": [] for step in ("show", *views) for way in ("old", "new")}
    buffer, old_image = recoloured(mask, lut, None)  # the old way reused the last task's buffer
    new = LabelOverlay(mask, colors)
    for _ in range(runs):
        times["show_old"].append(_seconds(lambda: recoloured(mask, lut, buffer)))
        times["show_new"].append(_seconds(lambda: LabelOverlay(mask, colors)))
        for name, (scale, rect) in views.items():
            for way, image in (("old", old_image), ("new", new.image)):
                times[f"{name}_{way}"].append(_seconds(partial(_draw, target, image, scale, rect)))
    median = {k: 1000.0 * float(np.median(v)) for k, v in times.items()}
    ratios = {step: median[f"{step}_old"] / max(median[f"{step}_new"], 1e-6) for step in ("show", *views)}
    print(f"{w}x{h} mask, 7 classes, median of {runs} runs (ms; old = recoloured ARGB buffer, "
          f"new = Indexed8 colour table)")  # fmt: skip
    labels = {"show": "build the overlay (task switch)", "paint_fit": f"paint {vw}x{vh}, fitted",
              "paint_1to1": f"paint {vw}x{vh}, 1:1"}  # fmt: skip
    for step, label in labels.items():
        print(f"  {label:<32} old {median[f'{step}_old']:9.1f}  new {median[f'{step}_new']:9.1f}"
              f"  old/new {ratios[step]:8.1f}")  # fmt: skip
    return {"size": [w, h], "runs": runs, "median_ms": median, "old_over_new": ratios,
            "times_ms": {k: [1000.0 * t for t in v] for k, v in times.items()}}  # fmt: skip

