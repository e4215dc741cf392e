"""A project retrain's comparison of the new model with the current one on the same val photos.

:func:`compare` scores both models (:func:`evaluate_file`, or
:func:`~training.metrics.evaluate_predictor` when either proposes beyond one plain pass) on the
val photos the current model did not train on (:func:`unseen_by`) and says in ``figures_of``
what the figures are: neither is the proposal the window shows, which also applies the
refinements and, for a parsing task, the agreement with the cutout tasks' proposals.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fashion_annotator.core.tasks import available_tasks, task_spec
from fashion_annotator.dataset.training_set import MIN_VAL
from fashion_annotator.models.preprocess import InputSpec
from fashion_annotator.models.weights import load_model, read_meta
from fashion_annotator.segmentation.proposals import BEYOND_ONE_PASS
from fashion_annotator.segmentation.refine import default_refinements
from training.data import Sample, load_split
from training.finetune import paired_comparison
from training.heads import Head
from training.metrics import background_figures, evaluate, evaluate_predictor

#: What one-pass figures are (:func:`evaluate_file`, the held-out run's own evaluation).
ONE_PASS = "network output, one pass at the training size"
#: What :func:`~training.metrics.evaluate_predictor`'s figures are.
AS_PREDICTED = "each model's network as it predicts (full photos; its threshold, crop pass and flips)"


def evaluate_file(
    path: Path, samples: list[Sample], head: Head, cache_dir: Path | None, tag: str | None = None
) -> dict[str, Any]:
    """Full-resolution val figures of a model file on ``samples`` (photos resized to its input;
    cached under ``tag``: :func:`~training.data.load_split`)."""
    loaded = load_model(path)
    meta = loaded.meta
    if list(meta["classes"]) != list(head.classes):
        raise ValueError(f"{path}: classes {meta['classes']} differ from the task's {head.classes}")
    pad = InputSpec.from_meta(meta).letterbox_pad
    split = load_split(
        samples, tuple(meta["input_size"]), cache_dir, keep_full=True, letterbox_pad=pad, tag=tag
    )
    single = Head(head.task, head.classes, head.lut, 0)
    thresholds = {head.task: float(meta.get("threshold", 0.5))}
    figures = evaluate(loaded.module, split, [single], meta["mean"], meta["std"], thresholds)
    return {**figures[head.task], "model_path": str(path), "version": meta.get("version")}


def unseen_by(current: Path | None, val: list[Sample]) -> tuple[list[Sample], int]:
    """The val photos to compare on: those the current model did not train on.

    A project's earlier retrains (a refit above all) may have trained the current model on
    masks that are validation masks now; comparing the two models on those would favour it.
    When fewer than :data:`~fashion_annotator.dataset.training_set.MIN_VAL` photos would be
    left, all of ``val`` is kept.

    Returns
    -------
    photos : list of Sample
    seen : int
        How many of ``photos`` the current model trained on (0 unless all were kept).
    """
    if current is None:
        return list(val), 0
    # by stem: a project's samples are named with the suffix ("0004.jpg"), a model trained on a
    # data folder (the shipped ones) lists stems ("0004")
    trained = {Path(str(name)).stem for name in read_meta(current).get("trained_on") or ()}
    fair = [s for s in val if Path(s.name).stem not in trained]
    if len(fair) >= MIN_VAL:
        return fair, 0
    return list(val), len(val) - len(fair)


def beyond_one_pass(path: Path) -> bool:
    """Whether the model file proposes with more than one plain pass (crop pass, flip averaging
    or its own inference long side), so it must be compared as it proposes."""
    meta = read_meta(path)
    return any(meta.get(key) not in (None, False) for key in BEYOND_ONE_PASS)


def figures_of(task: str, as_predicted: bool, models: Sequence[Path]) -> str:
    """What a comparison's figures are, in words: one network pass or the predictor's output,
    and which of the window's later steps they leave out (the refinements of ``models`` or of
    the task; the agreement with the cutouts a parsing task's spec names)."""
    text = AS_PREDICTED if as_predicted else ONE_PASS
    chains = [read_meta(p).get("refinements", default_refinements(task)) for p in models]
    later = ["refinements"] if any(chains) or default_refinements(task) else []
    if task in available_tasks() and task_spec(task).agrees_with:
        later.append(f"agreement with the {' and '.join(task_spec(task).agrees_with)} cutouts")
    return text + (f", before the window's {' and '.join(later)}" if later else "")


def compare(
    head: Head, new: Path, current: Path | None, val: list[Sample], held_out: dict[str, Any],
    as_proposed: dict[str, Any] | None, device: str, cache_dir: Path | None,
    current_version: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The comparison of the new model file ``new`` with ``current`` (None: no model yet).

    Parameters
    ----------
    head : Head
    new, current : Path
        The model files.
    val : list of Sample
        The retrain's val photos (those ``current`` trained on are left out: :func:`unseen_by`).
    held_out : dict
        The new network's one-pass figures on ``val`` (the held-out run's evaluation).
    as_proposed : dict or None
        The new model's :func:`~training.metrics.evaluate_predictor` figures on ``val``, when known.
    device : str
    cache_dir : Path or None
    current_version : int, optional
        The project's active registry version of ``current`` (None: the shipped model). A
        file's own meta may lack it: on a team project the meta is stored before the version
        is known, and another desktop fetches that.

    Returns
    -------
    dict
        ``new``, ``current`` (None without a current model), ``paired``, ``images``,
        ``left_out``, ``current_trained_on``, ``figures_of`` (:func:`figures_of`),
        ``current_version`` (the current model's registry version; None for a shipped model)
        and, without a current model, ``background``.
    """
    fair, seen = unseen_by(current, val)
    predicted = head.binary and (beyond_one_pass(new) or (current is not None and beyond_one_pass(current)))
    new_figures = held_out
    if predicted:  # one of the two proposes beyond one plain pass: compare them as they predict
        if as_proposed is not None and len(fair) == len(val):
            new_figures = as_proposed
        else:
            new_figures = evaluate_predictor(new, fair, head, device)
        current_figures = evaluate_predictor(current, fair, head, device) if current else None
    else:
        if len(fair) < len(val):
            new_figures = evaluate_file(new, fair, head, cache_dir, f"{head.task}-new")
        current_figures = evaluate_file(current, fair, head, cache_dir, f"{head.task}-current") if current else None
    out = {
        "new": new_figures,
        "current": current_figures,
        "paired": paired_comparison(new_figures, current_figures),
        "images": len(fair),
        "left_out": len(val) - len(fair),  # val photos the current model trained on
        "current_trained_on": seen,  # of the compared photos (when too few were unseen)
        "figures_of": figures_of(head.task, predicted, [new] + ([current] if current else [])),
        "current_version": None if current is None else current_version,
    }
    if current is None:  # a first model: what it must beat to be promoted
        out["background"] = background_figures(fair, head)
    return out


def registered_metrics(comparison: dict[str, Any], refit: bool) -> dict[str, Any]:
    """The figures a retrain registers for its new model: the comparison's ``new`` ones, with
    ``figures_of`` and, when the weights were then refit on every mask, ``before_refit``."""
    out = {**comparison["new"], "figures_of": comparison.get("figures_of")}
    if refit:
        out["before_refit"] = True
    return out
