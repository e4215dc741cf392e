"""Segmentation quality metrics for binary and multi-class label masks.

All functions take ``pred`` and ``gt`` as same-shape integer arrays (usually ``(H, W) uint8``
label ids). Binary metrics treat any non-zero value as foreground.

Definitions (``P`` predicted foreground, ``G`` ground-truth foreground, ``|.|`` pixel count):

- Dice: ``2 |P & G| / (|P| + |G|)``; 1.0 when both are empty.
- IoU (Jaccard): ``|P & G| / |P | G|``; 1.0 when both are empty.
- Per-class IoU over a confusion matrix ``C`` (rows ground truth, columns prediction):
  ``C[k, k] / (sum_j C[k, j] + sum_i C[i, k] - C[k, k])``; NaN for a class absent from both.
- Dataset mIoU: intersections and unions summed over all images first, then IoU per class, then
  the mean over classes present in the ground truth or the prediction of any image.
- Pixel accuracy: fraction of pixels whose predicted label equals the ground truth.
- Subject accuracy: pixel accuracy restricted to ground-truth non-background pixels (it ignores
  the easy background that dominates fashion photos); NaN when there are none.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "dice",
    "iou",
    "confusion_matrix",
    "per_class_iou",
    "pixel_accuracy",
    "subject_accuracy",
    "MeanIoUAccumulator",
]


def _pair(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f"pred shape {pred.shape} does not match gt shape {gt.shape}")
    return pred, gt


def dice(pred: np.ndarray, gt: np.ndarray) -> float:
    """Dice coefficient of two binary masks (non-zero = foreground); empty vs empty is 1.0."""
    pred, gt = _pair(pred, gt)
    p, g = pred != 0, gt != 0
    total = int(np.count_nonzero(p)) + int(np.count_nonzero(g))
    if total == 0:
        return 1.0
    return 2.0 * int(np.count_nonzero(p & g)) / total


def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    """Intersection over union of two binary masks (non-zero = foreground); empty vs empty is 1.0."""
    pred, gt = _pair(pred, gt)
    p, g = pred != 0, gt != 0
    union = int(np.count_nonzero(p | g))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(p & g)) / union


def confusion_matrix(pred: np.ndarray, gt: np.ndarray, num_classes: int) -> np.ndarray:
    """Pixel confusion matrix.

    Parameters
    ----------
    pred, gt : integer arrays of the same shape
        Label ids in ``0..num_classes-1``.
    num_classes : int
        ``K``.

    Returns
    -------
    (K, K) int64
        ``C[i, j]`` = number of pixels with ground truth ``i`` predicted as ``j``.
    """
    pred, gt = _pair(pred, gt)
    if num_classes <= 0:
        raise ValueError(f"num_classes must be positive, got {num_classes}")
    for name, arr in (("pred", pred), ("gt", gt)):
        if not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"{name} must hold integer label ids, got dtype {arr.dtype}")
        if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= num_classes):
            raise ValueError(
                f"{name} has label ids outside 0..{num_classes - 1}: "
                f"min {int(arr.min())}, max {int(arr.max())}"
            )
    index = gt.astype(np.int64).ravel() * num_classes + pred.astype(np.int64).ravel()
    counts = np.bincount(index, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


def per_class_iou(conf: np.ndarray) -> np.ndarray:
    """IoU per class from a ``(K, K)`` confusion matrix; NaN where a class is absent from both.

    Returns
    -------
    (K,) float64
    """
    conf = np.asarray(conf, dtype=np.float64)
    if conf.ndim != 2 or conf.shape[0] != conf.shape[1]:
        raise ValueError(f"confusion matrix must be square (K, K), got shape {conf.shape}")
    inter = np.diag(conf)
    union = conf.sum(axis=0) + conf.sum(axis=1) - inter
    out = np.full(conf.shape[0], np.nan)
    present = union > 0
    out[present] = inter[present] / union[present]
    return out


def pixel_accuracy(pred: np.ndarray, gt: np.ndarray) -> float:
    """Fraction of pixels with ``pred == gt``; NaN for empty arrays."""
    pred, gt = _pair(pred, gt)
    if gt.size == 0:
        return float("nan")
    return int(np.count_nonzero(pred == gt)) / gt.size


def subject_accuracy(pred: np.ndarray, gt: np.ndarray, background: int = 0) -> float:
    """Pixel accuracy over ground-truth pixels that are not ``background``; NaN if none."""
    pred, gt = _pair(pred, gt)
    subject = gt != background
    n = int(np.count_nonzero(subject))
    if n == 0:
        return float("nan")
    return int(np.count_nonzero((pred == gt) & subject)) / n


class MeanIoUAccumulator:
    """Dataset-level segmentation metrics accumulated image by image.

    Intersections and unions are summed over every image before dividing (a class that is
    tiny in one photo does not dominate), so the result equals the metrics of all images
    concatenated. Memory is one ``(K, K)`` int64 matrix.

    Parameters
    ----------
    num_classes : int
        ``K``, including background (class 0).
    background : int
        Class excluded by :attr:`subject_accuracy`.
    """

    def __init__(self, num_classes: int, background: int = 0) -> None:
        if num_classes <= 0:
            raise ValueError(f"num_classes must be positive, got {num_classes}")
        self.num_classes = int(num_classes)
        self.background = int(background)
        self.confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
        self.images = 0

    def update(self, pred: np.ndarray, gt: np.ndarray) -> None:
        """Add one image's prediction and ground truth (same shape, ids ``0..K-1``)."""
        self.confusion += confusion_matrix(pred, gt, self.num_classes)
        self.images += 1

    @property
    def per_class_iou(self) -> np.ndarray:
        """``(K,)`` float64 IoU per class; NaN for classes never seen in gt or prediction."""
        return per_class_iou(self.confusion)

    @property
    def miou(self) -> float:
        """Mean IoU over classes present in the ground truth or the prediction; NaN if none."""
        values = self.per_class_iou
        present = ~np.isnan(values)
        if not present.any():
            return float("nan")
        return float(values[present].mean())

    @property
    def pixel_accuracy(self) -> float:
        """Correct pixels over all pixels seen; NaN before any update."""
        total = int(self.confusion.sum())
        if total == 0:
            return float("nan")
        return int(np.trace(self.confusion)) / total

    @property
    def subject_accuracy(self) -> float:
        """Correct pixels over ground-truth non-background pixels; NaN if there were none."""
        keep = np.arange(self.num_classes) != self.background
        total = int(self.confusion[keep].sum())
        if total == 0:
            return float("nan")
        return int(np.diag(self.confusion)[keep].sum()) / total

    def as_dict(self) -> dict[str, float | int | None | list[float | None]]:
        """JSON-ready summary; NaN (undefined) values are written as ``None``."""

        def num(v: float) -> float | None:
            return None if np.isnan(v) else float(v)

        return {
            "miou": num(self.miou),
            "pixel_accuracy": num(self.pixel_accuracy),
            "subject_accuracy": num(self.subject_accuracy),
            "per_class_iou": [num(v) for v in self.per_class_iou],
            "images": self.images,
        }
