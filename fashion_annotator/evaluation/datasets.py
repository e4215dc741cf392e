"""Score a model against a plain mask-folder dataset (the CCP layout), numpy in and numpy out.

A plain mask-folder dataset is ``images/<stem>.<ext>`` photos, ``masks/<stem>.png`` label masks
in the dataset's own ids, ``taxonomies.json`` mapping those ids to each task's classes, and
optionally ``splits.json`` (split name -> list of stems). Metrics are computed at the photos'
full resolution with :mod:`fashion_annotator.core.metrics`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.core.labels import mapping_from_taxonomies_json
from fashion_annotator.core.metrics import MeanIoUAccumulator, dice
from fashion_annotator.core.samples import (
    ALL_SPLIT,
    DEFAULT_SPLIT,
    TAXONOMIES_JSON,
    Sample,
    check_samples,
    list_samples,
    read_sample,
    scored_split,
    task_classes,
)

__all__ = [
    "ALL_SPLIT",
    "DEFAULT_SPLIT",
    "PredictFn",
    "Sample",
    "TaskScores",
    "evaluate_dataset",
    "list_samples",
    "task_classes",
]

#: ``predict(photos) -> masks``: ``(H, W, 3) uint8`` photos to ``(H, W) uint8`` class masks.
PredictFn = Callable[[list[np.ndarray]], list[np.ndarray]]


def _json_float(value: float) -> float | None:
    # JSON has no NaN: an absent class or an empty score list becomes null.
    value = float(value)
    return None if np.isnan(value) else value


class TaskScores:
    """Accumulate a task's metrics over (prediction, ground truth) mask pairs.

    Parameters
    ----------
    classes : sequence of str
        The task's class names, index 0 the background; two names make it a binary task,
        which adds per-photo Dice of class 1.
    """

    def __init__(self, classes: Sequence[str]) -> None:
        self.classes = list(classes)
        self.is_binary = len(self.classes) == 2
        self._acc = MeanIoUAccumulator(len(self.classes))
        self.dices: list[float] = []
        self.n_images = 0

    def update(self, pred: np.ndarray, gt: np.ndarray, name: str = "") -> None:
        """Add one photo: ``pred`` and ``gt`` are ``(H, W) uint8`` class masks of equal shape."""
        if pred.shape != gt.shape:
            raise ValueError(
                f"{name or 'prediction'}: shape {pred.shape} differs from ground truth {gt.shape}"
            )
        self._acc.update(pred, gt)
        if self.is_binary:
            self.dices.append(float(dice(pred == 1, gt == 1)))
        self.n_images += 1

    def summary(self) -> dict[str, Any]:
        """Return ``n_images``, ``miou``, ``per_class_iou`` and ``per_class_dice`` (name ->
        figure or null; the Dice from the same pooled pixel counts, ``2 IoU / (1 + IoU)``),
        ``pixel_accuracy``, ``subject_accuracy`` (pixel accuracy over the ground truth's
        non-background pixels), ``mean_dice`` and ``median_dice`` (of the per-photo Dice of
        class 1, binary tasks; null otherwise: the names the training and ``models`` use)."""
        if self.n_images == 0:
            raise ValueError("no photos were scored")
        per_class = np.asarray(self._acc.per_class_iou, dtype=np.float64)
        has_dice = self.is_binary and bool(self.dices)
        return {
            "n_images": self.n_images,
            "miou": _json_float(self._acc.miou),
            "per_class_iou": {
                n: _json_float(v) for n, v in zip(self.classes, per_class, strict=True)
            },
            "per_class_dice": {
                n: _json_float(2 * v / (1 + v)) for n, v in zip(self.classes, per_class, strict=True)
            },
            "pixel_accuracy": _json_float(self._acc.pixel_accuracy),
            "subject_accuracy": _json_float(self._acc.subject_accuracy),
            "mean_dice": float(np.mean(self.dices)) if has_dice else None,
            "median_dice": float(np.median(self.dices)) if has_dice else None,
        }


def score_masks(
    pairs: Iterable[tuple[np.ndarray, np.ndarray]], classes: Sequence[str]
) -> dict[str, Any]:
    """Score (prediction, ground truth) mask pairs; see :meth:`TaskScores.summary`."""
    scores = TaskScores(classes)
    for pred, gt in pairs:
        scores.update(pred, gt)
    return scores.summary()


def evaluate_dataset(
    predict: PredictFn,
    data_dir: Path | str,
    task: str,
    *,
    split: str = DEFAULT_SPLIT,
    limit: int | None = None,
    batch_size: int = 4,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Predict every photo of a split and score the masks against the dataset's labels.

    Parameters
    ----------
    predict : callable
        ``predict(photos) -> masks`` for a list of ``(H, W, 3) uint8`` photos, returning
        ``(H, W) uint8`` masks of the task's class indices at the photos' resolution.
    data_dir : Path or str
        A plain mask-folder dataset.
    task : str
        A task of the dataset's ``taxonomies.json`` (e.g. ``"garment"``, ``"parsing7"``).
    split : str
        See :func:`list_samples`.
    limit : int, optional
        Score only the first ``limit`` photos of the split.
    batch_size : int
        Photos per ``predict`` call.
    progress : callable, optional
        ``progress(done, total)`` after each batch.

    Returns
    -------
    dict
        ``task``, ``split``, the :meth:`TaskScores.summary` keys, and ``seconds_per_image``
        (prediction only, photo decoding and scoring excluded).
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    classes = task_classes(data_dir, task)
    mapping = mapping_from_taxonomies_json(Path(data_dir) / TAXONOMIES_JSON, task)
    samples = list_samples(data_dir, split)[:limit]
    if not samples:
        raise ValueError(f"{data_dir}: split {split!r} has no photos")
    check_samples(samples, mapping, str(data_dir))  # every bad file named before any prediction
    scores = TaskScores(classes)
    predict_seconds = 0.0
    for start in range(0, len(samples), batch_size):
        batch = samples[start : start + batch_size]
        photos, truths = zip(*(read_sample(s, mapping) for s in batch), strict=True)
        t0 = time.perf_counter()
        try:
            preds = predict(list(photos))
        except ValueError as exc:  # "photo too small for superpixels: 1x1": which photo?
            raise ValueError(_failed_photo(predict, batch, photos, exc)) from exc
        predict_seconds += time.perf_counter() - t0
        if len(preds) != len(batch):
            raise ValueError(f"predict returned {len(preds)} masks for {len(batch)} photos")
        for sample, pred, gt in zip(batch, preds, truths, strict=True):
            if pred.max(initial=0) >= len(classes):
                raise ValueError(
                    f"{sample.image}: prediction has class {int(pred.max())} but task {task!r} "
                    f"has {len(classes)} classes"
                )
            scores.update(pred, gt, name=str(sample.image))
        if progress is not None:
            progress(start + len(batch), len(samples))
    summary = scores.summary()
    return {
        "task": task,
        "split": scored_split(data_dir, split),
        **summary,
        "seconds_per_image": predict_seconds / summary["n_images"],
    }


def _failed_photo(predict: PredictFn, batch: list[Sample], photos: tuple[np.ndarray, ...], exc: ValueError) -> str:
    """``PHOTO: MESSAGE`` for a ``predict`` of ``batch`` that raised ``exc``: the photo is found
    by predicting the batch's photos one at a time (a failure costs these passes only)."""
    if len(batch) > 1:
        for sample, photo in zip(batch, photos, strict=True):
            try:
                predict([photo])
            except ValueError as one:
                return _named(sample, one)
    return _named(batch[0], exc) if len(batch) == 1 else f"one of {batch[0].image} to {batch[-1].image}: {exc}"


def _named(sample: Sample, exc: ValueError) -> str:
    """``exc``'s message, naming ``sample``'s photo unless it does."""
    return str(exc) if str(sample.image) in str(exc) else f"{sample.image}: {exc}"
