"""Agreement overlay: where a reference mask (proposal or prediction) and the saved mask agree.

Every pixel falls in one category of :data:`CATEGORIES`; the review view and the HTML report
paint them with the same colours so a reviewer reads both the same way.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "AGREE",
    "CATEGORIES",
    "CONFUSED",
    "EXTRA",
    "MISSED",
    "NONE",
    "agreement_labels",
    "blend",
    "category_counts",
    "colorize",
]

NONE, AGREE, MISSED, EXTRA, CONFUSED = 0, 1, 2, 3, 4

#: id -> (name, legend text, RGB colour). Colours are distinguishable with red-green deficiency.
CATEGORIES: dict[int, tuple[str, str, tuple[int, int, int]]] = {
    AGREE: ("agree", "Both agree", (0, 170, 120)),
    MISSED: ("missed", "Saved mask has, model missed", (255, 140, 0)),
    EXTRA: ("extra", "Model has, saved mask lacks", (60, 110, 255)),
    CONFUSED: ("confused", "Both foreground, different class", (230, 0, 200)),
}


def agreement_labels(saved: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Classify every pixel by how the reference agrees with the saved mask.

    Parameters
    ----------
    saved, reference : (H, W) integer label masks, 0 is background

    Returns
    -------
    (H, W) uint8
        :data:`NONE` (both background), :data:`AGREE` (same foreground label),
        :data:`MISSED` (saved foreground, reference background), :data:`EXTRA` (reference
        foreground, saved background), :data:`CONFUSED` (both foreground, labels differ).
    """
    saved = np.asarray(saved)
    reference = np.asarray(reference)
    if saved.shape != reference.shape:
        raise ValueError(f"saved mask shape {saved.shape} differs from reference {reference.shape}")
    s_fg, r_fg = saved != 0, reference != 0
    out = np.zeros(saved.shape, dtype=np.uint8)
    out[s_fg & r_fg & (saved == reference)] = AGREE
    out[s_fg & r_fg & (saved != reference)] = CONFUSED
    out[s_fg & ~r_fg] = MISSED
    out[~s_fg & r_fg] = EXTRA
    return out


def category_counts(labels: np.ndarray) -> dict[str, int]:
    """Pixel count of each category name (``"agree"``, ``"missed"``...)."""
    counts = np.bincount(np.asarray(labels, dtype=np.uint8).ravel(), minlength=len(CATEGORIES) + 1)
    return {name: int(counts[i]) for i, (name, _, _) in CATEGORIES.items()}


def _lut() -> np.ndarray:
    lut = np.zeros((256, 3), dtype=np.uint8)
    for i, (_, _, rgb) in CATEGORIES.items():
        lut[i] = rgb
    return lut


def colorize(labels: np.ndarray) -> np.ndarray:
    """``(H, W, 3) uint8`` colours of the categories; :data:`NONE` is black."""
    return _lut()[np.asarray(labels, dtype=np.uint8)]


def blend(rgb: np.ndarray, labels: np.ndarray, alpha: float = 0.55) -> np.ndarray:
    """Tint the photo with the category colours (``NONE`` pixels keep the photo, dimmed).

    Parameters
    ----------
    rgb : (H, W, 3) uint8
    labels : (H, W) uint8 from :func:`agreement_labels`
    alpha : float
        Opacity of the colours, 0..1.

    Returns
    -------
    (H, W, 3) uint8
    """
    rgb = np.asarray(rgb)
    if rgb.shape[:2] != np.shape(labels):
        raise ValueError(f"photo shape {rgb.shape[:2]} differs from the labels {np.shape(labels)}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in 0..1, got {alpha}")
    colour = colorize(labels).astype(np.float32)
    photo = rgb.astype(np.float32)
    tinted = labels[..., None] != NONE
    # Dimming the untouched background keeps thin disagreement slivers visible against it.
    out = np.where(tinted, (1 - alpha) * photo + alpha * colour, 0.7 * photo)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
