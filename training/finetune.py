"""Fine-tuning a project's model from its own few corrected masks (10-100).

How the Retrain dialog, the background retrain, ``bench loop`` and ``train --project`` fine-tune
(the recipe's option values live in one place, :mod:`training.recipe`):

- **data**: the corrected masks of :mod:`fashion_annotator.dataset.training_set` (done,
  approved, edited in-progress; unchanged accepted proposals optional), with a deterministic,
  area-stratified validation share of at least :data:`~fashion_annotator.dataset.training_set.MIN_VAL`
  images;
- **optimisation**: start from the current model (its input size and normalisation), learning
  rate :data:`~training.recipe.LR` (a quarter of from-scratch training: the model is already good, few masks
  overfit quickly), all layers move (:data:`~training.recipe.FREEZE`), flips and mild colour jitter, binary
  tasks also train on each photo's object crop and then predict with the crop pass
  (:data:`~training.recipe.OBJECT_CROPS`: a garment covering 8 % of a studio frame is seen at several times the
  resolution), a number of
  epochs that gives every run about :data:`~training.recipe.PRESENTATIONS` sample presentations
  (:func:`~training.recipe.epochs_for`), bounded in time by ``--max-minutes``; the best epoch on val is kept;
- **decision**: the binary threshold is re-tuned on the project's val masks, and the new model is
  promoted only when its primary figure beats the current model's **on the same val images**;
  :func:`paired_comparison` reports on how many of them it is better (the spread, not one
  number). A task's first model (no shipped one, none promoted yet) must beat predicting
  background everywhere on those images (:func:`first_model_shortfall`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.core.label_images import load_mask
from fashion_annotator.dataset.training_set import (
    MIN_TRAIN,
    MIN_VAL,
    labelled_share,
    select_training_masks,
    stratified_split,
)
from training.data import Sample
from training.recipe import (
    MAX_MINUTES,
    epochs_for,
    project_recipe,
    recipe_arguments,
)

log = logging.getLogger(__name__)

#: Binary tasks: the retrain gives the model the chain of these (or the task's own,
#: ``resources/taxonomies``) whose proposals score the best median Dice on the project's val
#: masks (``train --choose-refinements``, metadata ``refinements``; ties to the task's). On the
#: 100 mannequin composites of CCP train photos left after 100 others were corrected in
#: ``bench loop``, with the model fine-tuned then: median Dice raw 0.9888, snap + GrabCut 0.9889,
#: guided filter 0.9904, snap + guided 0.9902, snap + GrabCut + guided (the garment task's)
#: 0.9910. The choice guards the projects whose photos favour another chain.
REFINEMENT_CHOICES: tuple[tuple[str, ...], ...] = ((), ("guided",), ("snap", "guided"))


def retrain_command(
    project_root: Path | str,
    task: str,
    n_masks: int,
    *,
    device: str = "auto",
    minutes: float = MAX_MINUTES,
    epochs: int | None = None,
    exclude_unchanged: bool = False,
    promote_if_better: bool = False,
    threads: int = 0,
    extra: list[str] | tuple[str, ...] = (),
) -> list[str]:
    """The ``train`` subcommand and its arguments for one project retrain (fine-tune recipe).

    Prefix the command line's program (``fashion_annotator.runtime.child.cli_command()``).

    Parameters
    ----------
    project_root : Path or str
    task : str
    n_masks : int
        Masks the run will use (sets the default epochs from the training share).
    device, minutes, epochs, exclude_unchanged, promote_if_better, threads
        As the ``train`` command's options.
    extra : sequence of str
        Appended last (tests pass a tiny model size); later options win.
    """
    from fashion_annotator.dataset.training_set import val_count

    n_train = max(1, n_masks - val_count(n_masks))
    recipe = {**project_recipe(), "max_minutes": minutes}
    args = [
        "train", "--project", str(project_root), "--task", task,
        "--epochs", str(epochs or epochs_for(n_train)), *recipe_arguments(recipe),
        "--device", device, "--json-progress",
    ]  # fmt: skip
    if exclude_unchanged:
        args.append("--exclude-unchanged")
    if promote_if_better:
        args.append("--promote-if-better")
    if threads:
        args += ["--threads", str(threads)]
    return [*args, *extra]


def project_samples(
    project: Any, task: str, exclude_unchanged: bool = False, trained_on: Collection[str] = ()
) -> tuple[list[Sample], list[Sample]]:
    """The (train, val) samples of a project's retrain, val stratified by labelled area and
    drawn first from photos the current model did not train on (``trained_on``: its names or
    stems; after a refit every earlier mask, which a fixed split would compare it on).

    Raises
    ------
    ValueError
        Fewer masks than a validation share needs, or no training mask with a pixel other than
        background, naming the project and the counts.
    """
    selection = select_training_masks(project, task)
    for name, problem in selection.unreadable:
        log.warning("%s: %s mask left out of the retrain: %s", name, task, problem)
    items = selection.items(include_unchanged=not exclude_unchanged)
    need = MIN_VAL + MIN_TRAIN
    if len(items) < need:
        left_out = f", {len(selection.unchanged)} unchanged proposals excluded" if (
            exclude_unchanged and selection.unchanged) else ""  # fmt: skip
        raise ValueError(
            f"{project.root}: {len(items)} usable {task} masks{left_out}; a retrain needs at "
            f"least {need} ({MIN_VAL} held for validation); correct and save more images"
        )
    samples = [Sample(Path(it.photo).name, Path(it.photo), Path(it.mask)) for it in items]
    areas = [labelled_share(load_mask(s.mask)) for s in samples]
    stems = {Path(str(name)).stem for name in trained_on}
    seen = {s.name for s in samples if Path(s.name).stem in stems}
    train_idx, val_idx = stratified_split([s.name for s in samples], areas, seen=seen)
    if not any(areas[i] > 0 for i in train_idx):  # 10 all-background masks trained, "compared"
        labelled = sum(a > 0 for a in areas)
        raise ValueError(
            f"{project.root}: none of the {len(train_idx)} {task} masks to train on has a pixel "
            f"other than background ({labelled} of all {len(samples)} usable masks have one): a "
            f"retrain would learn nothing; correct and save masks that show the {task} classes"
        )
    return [samples[i] for i in train_idx], [samples[i] for i in val_idx]


#: A retrained model is promoted only when its primary figure (median Dice, mIoU) beats the
#: current model's on the same val photos by at least this much, and (with per-image figures)
#: it wins on more of them than it loses. Its threshold is chosen on those very photos: a
#: network identical to the current one, only re-thresholded, "won" by 0.0002 (a code review).
PROMOTE_MARGIN = 0.002
#: New attribute heads are promoted only when their mean accuracy beats the current heads' (a
#: first model: predicting each group's most common value) by at least this much on the same
#: val instances (one instance of 20 is 0.05 of a group's accuracy; a sign test comes on top).
ATTRIBUTE_PROMOTE_MARGIN = 0.02


def promotes(key: str, comparison: dict[str, Any]) -> bool:
    """Whether the new model of ``comparison`` (``new``, ``current``, ``paired``; higher
    ``key`` is better) is better enough to be promoted (:data:`PROMOTE_MARGIN`).

    With no current model (a task's first), the new one must beat the prediction "background
    everywhere" on the same val photos (``comparison["background"]``,
    :func:`training.metrics.background_figures`) by the same margin: :func:`first_model_shortfall`.
    """
    new, current = comparison["new"], comparison["current"]
    if current is None:
        return first_model_shortfall(key, comparison) is None
    paired = comparison.get("paired") or {}
    if paired.get("n") and paired["better"] <= paired["worse"]:
        return False
    return bool(new[key] >= current[key] + PROMOTE_MARGIN)


def promotion(key: str, comparison: dict[str, Any], wanted: bool = True) -> tuple[bool, str | None]:
    """Whether a retrain that asks for it (``wanted``: ``--promote-if-better``) promotes its new
    model (:func:`promotes`), and why not when that is a first model that was not
    (:func:`first_model_shortfall`; otherwise None)."""
    if not wanted:
        return False, None
    if comparison["current"] is None:  # the shortfall is the whole rule then: computed once
        shortfall = first_model_shortfall(key, comparison)
        return shortfall is None, shortfall
    return promotes(key, comparison), None


def first_model_shortfall(key: str, comparison: dict[str, Any]) -> str | None:
    """Why a task's first model (``comparison["current"]`` None) is not promoted, or None when
    its ``key`` beats the all-background prediction's (``comparison["background"]``) by
    :data:`PROMOTE_MARGIN`. A first fine-tune with mIoU 0.02 was promoted: nothing to beat.

    Returns
    -------
    str or None
        The reason in words, naming both figures and the photos they were scored on.
    """
    new, floor = comparison["new"], comparison.get("background")
    if floor is None or key not in floor:
        return "there is no current model, and no figures of predicting background everywhere to beat"
    if new[key] >= floor[key] + PROMOTE_MARGIN:
        return None
    photos = f"{floor['images']} val photos" if "images" in floor else "val photos"
    return (f"its {key} {new[key]:.4f} does not beat predicting background everywhere "
            f"({key} {floor[key]:.4f}) by {PROMOTE_MARGIN:g} on the same {photos}")  # fmt: skip


def paired_comparison(new: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """How the new model fares against the current one image by image (same val images).

    Parameters
    ----------
    new, current : dict
        Val figures with ``per_image_dice`` (binary tasks; lists in the same image order).

    Returns
    -------
    dict
        ``n``, ``better``, ``worse``, ``median_gain`` (of the per-image Dice differences), or
        an empty dict when either side has no per-image figures.
    """
    if not current or "per_image_dice" not in new or "per_image_dice" not in current:
        return {}
    return paired_gains(new["per_image_dice"], current["per_image_dice"], 1e-4)


def paired_gains(new: Any, current: Any, tolerance: float = 0.0) -> dict[str, Any]:
    """``n``, ``better``, ``worse`` (gains ``new - current`` above ``tolerance``, below minus it)
    and ``median_gain`` of per-image figures (higher is better; the same images in the same
    order), or an empty dict when their lengths differ or there are none."""
    a = np.asarray(new, dtype=np.float64)
    b = np.asarray(current, dtype=np.float64)
    if a.shape != b.shape or a.size == 0:
        return {}
    d = a - b
    return {
        "n": int(a.size),
        "better": int((d > tolerance).sum()),
        "worse": int((d < -tolerance).sum()),
        "median_gain": float(np.median(d)),
    }
