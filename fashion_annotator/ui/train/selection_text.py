"""What a retrain will learn from, in the retrain dialog's words (no Qt)."""

from __future__ import annotations

import math
from typing import Any

from fashion_annotator.core.tasks import task_title
from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.training_set import (
    MIN_ATTRIBUTE_TRAIN,
    MIN_ATTRIBUTE_VAL,
    MIN_TRAIN,
    MIN_VAL,
    TrainingSelection,
    val_count,
)
from fashion_annotator.qa.model_history import BEFORE_REFIT
from training.finetune import PROMOTE_MARGIN, first_model_shortfall


def describe_selection(
    selection: TrainingSelection, task: str, include_unchanged: bool, refit: bool = False
) -> str:
    """The dialog's sentence on which masks count and how many are held for validation
    (``refit``: and that the chosen epochs are then trained on every mask); ``task`` is named
    by its title (a label set's own, :func:`~fashion_annotator.core.tasks.task_title`)."""
    by = selection.by_status
    names = {"in_progress": "in progress", "rejected": "fixed since a QA reject"}
    parts = [f"{by[s]} {names.get(s, s)}" for s in ("done", "approved", "in_progress", "rejected") if by.get(s)]
    text = counted(len(selection.corrected), f"corrected {task_title(task)} mask")
    text += f" ({', '.join(parts)})" if parts else ""
    n_unchanged = len(selection.unchanged)
    if n_unchanged:
        text += (f"; {counted(n_unchanged, 'accepted proposal')} saved unchanged "
                 f"({'included' if include_unchanged else 'left out'})")  # fmt: skip
    if selection.blank:
        text += (f"; {counted(len(selection.blank), 'mask')} of background only, with nothing "
                 "proposed, left out (marked done unpainted)")  # fmt: skip
    n = len(selection.items(include_unchanged))
    n_val = val_count(n)
    if n_val:
        text += f". Training on {n - n_val}, holding {n_val} for validation (same images for both models)"
        text += f", then once more on all {n} for the epochs chosen." if refit else "."
    else:
        text += f". A retrain needs at least {MIN_VAL + MIN_TRAIN} masks ({MIN_VAL} held for validation)."
    if selection.unreadable:
        name, problem = selection.unreadable[0]
        more = len(selection.unreadable) - 1
        others = f"; {counted(more, 'other')} in the log" if more else ""
        text += (f" {counted(len(selection.unreadable), 'mask')} left out, a photo or mask that cannot "
                 f"be used ({name}: {problem}{others}).")  # fmt: skip
    return text


def attribute_training_possible(images: int, instances: int) -> bool:
    """Whether ``instances`` labelled instances on ``images`` images can train attribute heads:
    two images or more (one is held for validation) and more than the training minimum in all
    (the trainer checks the exact count after the split)."""
    return images >= 2 and instances > MIN_ATTRIBUTE_TRAIN


def describe_attribute_selection(images: int, instances: int) -> str:
    """The sentence for Train > Retrain instance attributes: ``instances`` labelled instances
    (at least one attribute group the heads predict set by a person) on ``images``
    done or approved images."""
    text = (f"{counted(instances, 'labelled instance')} on {counted(images, 'image')} "
            "(done or approved images; instances with an attribute other than colour a person set: "
            "the model's proposals are left out)")  # fmt: skip
    if not attribute_training_possible(images, instances):
        return (text + f". Attribute training needs labelled instances on two images or more, "
                f"{MIN_ATTRIBUTE_TRAIN} or more of them outside the images held for validation.")  # fmt: skip
    return text + (". About a fifth of the images are held for validation (by name); a promotion needs "
                   f"{MIN_ATTRIBUTE_VAL} labelled instances or more on them.")  # fmt: skip


def worse_reason(comparison: dict) -> str | None:
    """Why the new model of a retrain's ``comparison`` looks worse than the current one on the
    same val images (its primary figure, or more val images worse than better), or is not shown
    to be better by promotion's rule (the two tie on every val image, as many better as worse,
    or its figure within :data:`~training.finetune.PROMOTE_MARGIN` of the current one's), or
    None: "Use this model" then never promotes silently what ``--promote-if-better`` refuses.

    ``comparison`` is the ``done`` event's: ``new`` / ``current`` figures (``median_dice``,
    ``miou``: higher is better; ``noc90``: clicks, lower is better) and ``paired`` counts; with
    no current model, ``background`` (the figures of predicting background everywhere).
    """
    if comparison.get("refused"):  # the trainer's own promotion rule (click model, attribute heads)
        return str(comparison["refused"])
    new, current = comparison.get("new") or {}, comparison.get("current") or {}
    key = next((k for k in ("median_dice", "miou", "noc90") if k in new), None)
    if key is not None and isinstance(current.get(key), (int, float)) and isinstance(new.get(key), (int, float)):
        lower_is_better = key == "noc90"
        if (new[key] > current[key]) if lower_is_better else (new[key] < current[key]):
            return f"its {key} is {new[key]:.4f} against the current model's {current[key]:.4f}"
    floor = comparison.get("background") or {}  # a first model: predicting background everywhere
    if key not in (None, "noc90") and not current and all(isinstance(f.get(key), (int, float)) for f in (new, floor)):
        return first_model_shortfall(key, {"new": new, "background": floor})  # promotion's own rule
    paired = comparison.get("paired") or {}
    if paired.get("worse", 0) > paired.get("better", 0):
        return (f"it is worse on {paired['worse']} of the {paired['n']} val images "
                f"and better on {paired['better']}")  # fmt: skip
    if paired.get("n") and paired.get("better") == paired.get("worse") == 0:  # e.g. masks of one class
        both = f" ({key} {new[key]:.4f} for both)" if key and new.get(key) == current.get(key) else ""
        return (f"no val photo tells the two models apart: they score the same on all {paired['n']} "
                f"val photos{both}")  # fmt: skip
    if paired.get("n") and paired.get("better") == paired.get("worse"):  # promotion's rule: more better
        return (f"it is better on {paired['better']} of the {paired['n']} val images and worse on as "
                "many")  # fmt: skip
    if key not in (None, "noc90") and isinstance(current.get(key), (int, float)) and new[key] < current[key] + PROMOTE_MARGIN:
        return (f"its {key} {new[key]:.4f} is within {PROMOTE_MARGIN:g} of the current model's "
                f"{current[key]:.4f}")  # fmt: skip
    return None


def describe_figures(done: dict[str, Any]) -> str:
    """The sentence under the comparison: what its figures are (the trainer's ``figures_of``)
    and, when the retrain then refit the new model on every mask (``refit``), that its figures
    are those of the weights before the refit. Empty when the event says neither."""
    comparison = done.get("comparison") or {}
    parts = [f"Figures: {comparison['figures_of']}."] if comparison.get("figures_of") else []
    if done.get("refit"):
        parts.append(f"New: {BEFORE_REFIT}, measured before its refit on every mask; the weights "
                     "registered then trained on these val images too.")  # fmt: skip
    return " ".join(parts)


def describe_skipped_refit(events: list[dict[str, Any]]) -> str:
    """The sentence that a retrain meant to refit on every mask did not, and what the registered
    weights learnt from then; empty when it refit, or was never going to.

    Parameters
    ----------
    events : list of dict
        The run's ``--json-progress`` events: the trainer's ``info`` saying why the refit was
        skipped or not used (``refit skipped: ...``, ``refit stopped ...``), the ``start``
        (``train_images``) and the ``done``.
    """
    done: dict[str, Any] = next((e for e in reversed(events) if e.get("event") == "done"), {})
    why = next((str(e.get("message")) for e in events if e.get("event") == "info"
                and str(e.get("message", "")).startswith(("refit skipped", "refit stopped"))), None)  # fmt: skip
    if done.get("refit") or why is None:
        return ""
    start: dict[str, Any] = next((e for e in events if e.get("event") == "start"), {})
    masks = start.get("train_images")
    learnt = f"its {counted(masks, 'training mask')} only" if isinstance(masks, int) else "its training masks only"
    return (f"Not refit on every mask ({why}): the registered model learnt from {learnt}, "
            "not from the val masks.")


def column_titles(done: dict[str, Any]) -> list[str]:
    """The comparison table's headers: the figure, the current model (its registry version, or
    "shipped") and the new one (its version; "before refit" when the retrain refit it after
    scoring it)."""
    comparison = done.get("comparison") or {}
    current = "Current"
    if comparison.get("current"):
        version = comparison.get("current_version")
        current += " (shipped)" if version is None and "current_version" in comparison else (
            f" (v{version})" if version is not None else "")  # fmt: skip
    new = [f"v{done['version']}"] if done.get("version") is not None else []
    new += [BEFORE_REFIT] if done.get("refit") else []
    return ["Figure", current, f"New ({', '.join(new)})" if new else "New"]


#: Keys of a comparison's figures that are how a model predicted, not how well.
SETTINGS = ("threshold", "crop_pass", "flip_average", "long_side", "crop_long_side")
#: Keys of a comparison's figures that are neither figures nor settings.
NOT_FIGURES = ("version", "model_path", "images", "best_threshold")


def figure_rows(new: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The keys of the comparison table's rows: the numeric figures of either model (settings,
    versions, paths and per-image or per-class lists left out)."""
    def numeric(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    keys = list(new) + [k for k in current if k not in new]
    return [k for k in keys if k not in SETTINGS + NOT_FIGURES and not k.startswith("best_")
            and (numeric(new.get(k)) or numeric(current.get(k)))]  # fmt: skip


def describe_settings(comparison: dict[str, Any]) -> str:
    """One line on how each model predicted for the comparison (threshold, crop pass, flips,
    long sides); empty when the figures carry none."""
    def side(fig: dict[str, Any]) -> str:
        parts = [f"{k.replace('_', ' ')} {v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool)
                 else f"{k.replace('_', ' ')} {'on' if v else 'off'}"
                 for k, v in fig.items() if k in SETTINGS and v is not None]  # fmt: skip
        return ", ".join(parts)

    new, current = side(comparison.get("new") or {}), side(comparison.get("current") or {})
    if not new and not current:
        return ""
    return f"Settings: current {current or '-'}; new {new or '-'}"


#: How the dialog names refinement chains (``refinements_val`` keys).
REFINEMENT_TITLES = {"raw": "none", "snap": "superpixel snap", "grabcut": "GrabCut band",
                     "guided": "guided filter", "consensus": "region consensus", "clean": "clean"}  # fmt: skip


def _chain_title(key: str) -> str:
    return " + ".join(REFINEMENT_TITLES.get(name, name) for name in key.split("+"))


def describe_refinements(done: dict[str, Any], every: bool = False) -> str:
    """One line on the refinements the retrain gave the new model and its median Dice on the val
    photos, against no refinement (``every``: every chain tried, best first, for the log);
    empty when the retrain chose none."""
    figures = (done.get("refinements_val") or {}).get("median_dice") or {}
    if "refinements" not in done or not figures:
        return ""
    chosen = "+".join(done["refinements"]) or "raw"
    n = done["refinements_val"].get("images", "?")
    if every:
        ranked = sorted(figures.items(), key=lambda kv: -kv[1])
        listed = ", ".join(f"{_chain_title(k)} {v:.4f}" for k, v in ranked)
        return f"refinements, median Dice on {n} val images: {listed}"
    raw = f", none {figures['raw']:.4f}" if "raw" in figures and chosen != "raw" else ""
    return f"Proposals refined with {_chain_title(chosen)}: val median Dice {figures.get(chosen, float('nan')):.4f}{raw}"


def format_eta(seconds: float | None) -> str:
    """``"ETA 2 min 05 s"``, or ``"ETA --"`` when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "ETA --"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"ETA {seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"ETA {seconds // 60} min {seconds % 60:02d} s"
    return f"ETA {seconds} s"


def format_figure(value: Any) -> str:
    """A figure as the dialog shows it: four decimals, ``-`` for none or not a number."""
    if isinstance(value, float):
        return f"{value:.4f}" if math.isfinite(value) else "-"
    return "-" if value is None else str(value)


def describe_comparison(comparison: dict[str, Any]) -> str:
    """One line: both models' figure with its spread on the same val images, and the pairing."""
    new, current = comparison.get("new") or {}, comparison.get("current") or {}
    key = next((k for k in ("median_dice", "miou", "noc90") if k in new), "miou")

    def side(fig: dict[str, Any]) -> str:
        text = format_figure(fig.get(key))
        if "dice_q25" in fig:
            text += f" (IQR {fig['dice_q25']:.3f}-{fig['dice_q75']:.3f})"
        return text

    line = f"{key} new {side(new)} vs current {side(current) if current else '-'}"
    paired = comparison.get("paired") or {}
    if paired:
        line += (f"; new better on {paired['better']} of {paired['n']} val images, "
                 f"worse on {paired['worse']}")  # fmt: skip
    if comparison.get("left_out"):
        line += f" ({comparison['left_out']} val images left out: the current model trained on them)"
    if comparison.get("current_trained_on"):
        line += f" (the current model trained on {comparison['current_trained_on']} of them)"
    return line
