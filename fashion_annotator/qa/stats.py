"""Summary statistics of per-image scores and the robust outlier rule.

An image is an outlier when its score lies below ``median - k * MAD``, where MAD is the
median absolute deviation from the median (unscaled). The rule ignores the outliers
themselves when placing the threshold, unlike a mean minus standard deviations rule, which a
few very bad masks drag down until they no longer stand out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DEFAULT_K",
    "MIN_MAD",
    "Stats",
    "Summary",
    "axis_ticks",
    "describe",
    "display_range",
    "histogram",
    "mad_text",
    "outlier_mask",
    "outlier_threshold",
    "score_digits",
    "summarize",
    "threshold_digits",
]

#: Default multiplier of the MAD in the outlier rule.
DEFAULT_K = 3.0
#: Floor of the MAD (score units: Dice or mIoU, 0..1). When more than half the scores tie
#: (proposals accepted unchanged score exactly 1.0) the MAD is 0 and every other score would be
#: an outlier; with the floor a score is flagged only ``k * MIN_MAD`` (0.03) below the median.
MIN_MAD = 0.01


@dataclass(frozen=True)
class Stats:
    """Mean, median and (population) standard deviation of ``n`` finite values; NaN when empty."""

    n: int
    mean: float
    median: float
    std: float


@dataclass(frozen=True)
class Summary:
    """Statistics of the scores with and without outliers, and the rule that found them.

    ``threshold`` is ``median - k * mad`` of all finite scores; ``outliers`` counts the scores
    strictly below it. ``mad_floored`` says the scores' own MAD was below :data:`MIN_MAD` and
    ``mad`` is the floor (most scores tie), which readers of the rule are told. ``digits`` is
    how many decimals show the threshold apart from every score (:func:`threshold_digits`).
    """

    all: Stats
    inliers: Stats
    k: float
    mad: float
    threshold: float
    outliers: int
    mad_floored: bool = False
    digits: int = 3


def _finite(values: np.ndarray | Sequence[float]) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    return arr[np.isfinite(arr)]


def describe(values: np.ndarray | Sequence[float]) -> Stats:
    """Mean, median and standard deviation of the finite values (NaNs are not scores yet)."""
    arr = _finite(values)
    if arr.size == 0:
        return Stats(0, float("nan"), float("nan"), float("nan"))
    return Stats(int(arr.size), float(arr.mean()), float(np.median(arr)), float(arr.std()))


def outlier_threshold(
    values: np.ndarray | Sequence[float], k: float = DEFAULT_K
) -> tuple[float, float]:
    """Return ``(threshold, mad)``: scores below ``median - k * mad`` are outliers; ``mad`` is the
    median absolute deviation, at least :data:`MIN_MAD`.

    Parameters
    ----------
    values : array-like of float
        Scores (higher is better); non-finite entries are ignored.
    k : float
        Non-negative multiplier of the median absolute deviation.
    """
    if not np.isfinite(k) or k < 0:
        raise ValueError(f"k must be a non-negative number, got {k}")
    arr = _finite(values)
    if arr.size == 0:
        return float("nan"), float("nan")
    median = float(np.median(arr))
    mad = max(_own_mad(arr), MIN_MAD)
    return median - k * mad, mad


def _own_mad(finite: np.ndarray) -> float:
    """The median absolute deviation of non-empty finite scores, with no floor."""
    return float(np.median(np.abs(finite - np.median(finite))))


def outlier_mask(values: np.ndarray | Sequence[float], k: float = DEFAULT_K) -> np.ndarray:
    """Boolean array, True where the score is an outlier (NaN scores are never outliers)."""
    arr = np.asarray(values, dtype=np.float64).ravel()
    threshold, _ = outlier_threshold(arr, k)
    with np.errstate(invalid="ignore"):
        return np.isfinite(arr) & (arr < threshold)


def mad_text(summary: Summary, digits: int = 3) -> str:
    """The MAD as the outlier rule's readers see it: ``"0.021"``, or ``"0.010 (the floor: most
    scores tie)"`` when :attr:`Summary.mad_floored` (``"... (the floor: one score has no
    spread)"`` of a single score)."""
    if not math.isfinite(summary.mad):
        return "-"
    text = f"{summary.mad:.{digits}f}"
    if not summary.mad_floored:
        return text
    return f"{text} (the floor: {'one score has no spread' if summary.all.n == 1 else 'most scores tie'})"


def summarize(values: np.ndarray | Sequence[float], k: float = DEFAULT_K) -> Summary:
    """Statistics of all scores and of the scores that are not outliers under ``k``."""
    arr = np.asarray(values, dtype=np.float64).ravel()
    threshold, mad = outlier_threshold(arr, k)
    out = outlier_mask(arr, k)
    finite = _finite(arr)
    return Summary(
        all=describe(arr),
        inliers=describe(arr[~out]),
        k=float(k),
        mad=mad,
        threshold=threshold,
        outliers=int(out.sum()),
        mad_floored=bool(finite.size and _own_mad(finite) < MIN_MAD),
        digits=threshold_digits(finite, threshold),
    )


def score_digits(value: float, threshold: float, digits: int = 3, most: int = 6) -> int:
    """Decimals that show ``value`` apart from the outlier ``threshold``: ``digits``, or more
    (``most`` at most) where both round alike (an outlier 0.95605 read "0.956" beside
    "outliers < 0.956", the threshold 0.95622). A score equal to it, or either one NaN, keeps
    ``digits``."""
    if not (math.isfinite(value) and math.isfinite(threshold)) or value == threshold:
        return digits
    while digits < most and f"{value:.{digits}f}" == f"{threshold:.{digits}f}":
        digits += 1
    return digits


def threshold_digits(values: np.ndarray | Sequence[float], threshold: float, digits: int = 3,
                     most: int = 6) -> int:  # fmt: skip
    """Decimals to show the outlier ``threshold`` with so that no finite score in ``values``
    reads as it: the most :func:`score_digits` of any."""
    return max((score_digits(float(v), threshold, digits, most) for v in _finite(values)), default=digits)


def histogram(
    values: np.ndarray | Sequence[float], bins: int = 20, lo: float = 0.0, hi: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Counts of the finite scores in ``bins`` equal bins over ``[lo, hi]``.

    Returns
    -------
    counts : (bins,) int64
    edges : (bins + 1,) float64
    """
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    arr = np.clip(_finite(values), lo, hi)
    counts, edges = np.histogram(arr, bins=bins, range=(lo, hi))
    return counts.astype(np.int64), edges


def display_range(
    values: np.ndarray | Sequence[float], threshold: float = float("nan"), step: float = 0.05
) -> tuple[float, float]:
    """The score interval a histogram should span: from below the lowest score to 1.

    Scores of good masks crowd near 1, so a fixed 0..1 axis squeezes them into two bars; this
    starts the axis at the lowest score (or the threshold, if lower) rounded down to ``step``.
    """
    arr = _finite(values)
    lows = [float(arr.min())] if arr.size else []
    if np.isfinite(threshold):
        lows.append(float(threshold))
    if not lows:
        return 0.0, 1.0
    lo = np.floor(min(lows) / step - 1e-9) * step
    return float(min(max(lo, 0.0), 1.0 - step)), 1.0


_NICE_STEPS = (1.0, 2.0, 2.5, 5.0)


def axis_ticks(lo: float, hi: float, max_ticks: int = 6) -> list[tuple[float, str]]:
    """Round tick values inside ``[lo, hi]`` and their labels, for an axis of scores.

    The step is the smallest of 1, 2, 2.5 or 5 times a power of ten that gives at most
    ``max_ticks`` ticks; each tick is a multiple of the step, so the labels are evenly spaced
    in value and can be placed at their true position.

    Parameters
    ----------
    lo, hi : float
        The axis interval, in score units; ``lo < hi`` for more than one tick.
    max_ticks : int
        Most ticks returned (at least 2).

    Returns
    -------
    list of (float, str)
        Each tick's value and its label, ascending; labels carry as many decimals as the
        step needs (0.95 .. 1.00 by 0.01, 0.925 by 0.025), so no two are alike. Empty for a
        non-finite interval; one tick when ``lo == hi``.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
        return []
    if hi == lo:
        return [(lo, f"{lo:g}")]
    max_ticks = max(int(max_ticks), 2)
    exponent = math.floor(math.log10((hi - lo) / max_ticks)) - 1
    while True:
        for factor in _NICE_STEPS:
            step = factor * 10.0**exponent
            first = math.ceil(lo / step - 1e-9)
            last = math.floor(hi / step + 1e-9)
            if last - first + 1 <= max_ticks:
                decimals = max(0, -exponent) + (1 if factor == 2.5 else 0)
                values = [round(k * step, decimals) for k in range(first, last + 1)]
                return [(v, f"{v:.{decimals}f}") for v in values]
        exponent += 1
