"""Model versions of a project and the quality of their proposals over time.

The figure that matters to a studio is how much its operators had to change each model's
proposals: per model version, the Dice (binary tasks) or foreground mIoU (parsing) of its
recorded proposals against the masks operators saved for the same images
(:func:`fashion_annotator.qa.scores.score_masks`, the saved mask as ground truth).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.tasks import task_title
from fashion_annotator.core.wording import model_label
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.qa.scores import score_masks
from fashion_annotator.resources import resource_path


@dataclass(frozen=True)
class ModelQuality:
    """Proposal quality of one model version.

    Attributes
    ----------
    model_version : str
        As recorded with the proposals (a registry version, or the shipped model's date stamp).
    n_images : int
        Images with a proposal of this version and a saved mask.
    median, q25, q75 : float
        Of the per-image scores (Dice or foreground mIoU).
    first_seen : float
        Epoch seconds of the version's first recorded proposal (orders versions in time).
    """

    model_version: str
    n_images: int
    median: float
    q25: float
    q75: float
    first_seen: float


def proposal_quality(
    project: Any, task: str, problems: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ModelQuality]:  # fmt: skip
    """Per model version, how its proposals compared with the masks operators saved from them.

    A proposal counts against the first mask version saved after it was shown (what the
    operator made of it); each image counts once per model version (its latest proposal that a
    save followed). A proposal recorded once a mask was saved (an image opened again after a QA
    reject or once finished: the window opens the saved mask, and a model trained on that very
    mask scored about 1.0) counts for nothing. Versions are ordered by their first proposal.

    ``problems``, when given, receives one line per image whose files could not be read (the
    image is left out; one damaged file kept the Model history from opening).

    ``progress(done, total)``, when given, is called before each proposal a team project copies
    to this desktop (``total``: the copies; only those shown before their image's first save)
    and after the last, then after each image compared (``total``: the images whose proposals
    a save followed); an exception it raises (a cancel) ends the call between two copies or two
    images, fetching no more.
    """
    if task in MODEL_ONLY_TASKS:  # the click model and the attribute heads propose no mask
        return []
    taxonomy = project.taxonomy(task)
    scores: dict[str, list[float]] = {}
    first: dict[str, float] = {}
    saved = project.mask_versions_of_task(task)  # one query; an image without a mask reads nothing
    followed_of: dict[int, tuple[Any, dict[str, Any]]] = {}
    masked = [record for record in project.images(fetch_photos=False) if saved.get(record.id)]  # no photo copied
    # every masked image's proposals in a few queries (a team project made one per image); a
    # team project copies the PNGs of those shown before the first save alone (the others are
    # never compared), a copy that fails is that image's problem
    first_save = {record.id: saved[record.id][0].created for record in masked}
    failed: dict[int, str] = {}
    proposals_of = project.proposals_of(
        task, list(first_save), wanted=lambda p: p.created <= first_save[p.image_id], progress=progress,
        problems=failed,
    )  # fmt: skip
    for record in masked:
        if record.id in failed:
            if problems is not None:
                problems.append(f"{record.name}: {failed[record.id]}")
            continue
        versions = saved[record.id]
        proposals = proposals_of.get(record.id, [])
        for p in proposals:
            first[p.model_version] = min(first.get(p.model_version, p.created), p.created)
        # oldest first: the latest followed proposal of each version wins
        followed = {p.model_version: p for p in proposals if p.created <= versions[0].created}
        if followed:
            followed_of[record.id] = (record, followed)
    # the first saved versions read as the store reads them (refused when changed since their
    # save), a team project's a batch a query
    wanted = [(image_id, saved[image_id][0].version) for image_id in followed_of]
    for done, (image_id, read) in enumerate(project.load_masks(task, wanted), 1):
        record, followed = followed_of[image_id]
        try:
            mask = read()
            for version, p in followed.items():
                score = score_masks(load_mask(p.path), mask, taxonomy).score
                scores.setdefault(version, []).append(score)
        except (ValueError, OSError, ProjectError) as exc:
            if problems is not None:
                problems.append(f"{record.name}: {exc}")
        if progress is not None:
            progress(done, len(wanted))
    out = []
    for version, values in scores.items():
        q25, med, q75 = np.quantile(values, [0.25, 0.5, 0.75])
        out.append(ModelQuality(version, len(values), float(med), float(q25), float(q75), first[version]))
    return sorted(out, key=lambda m: m.first_seen)


#: Models a project retrains that propose no mask of a task of their own: Smart click's and
#: the instance attribute heads.
MODEL_ONLY_TASKS = ("click", "instance_attributes")
#: The figure a model's row shows: the first of these its metrics have.
ROW_METRICS = ("median_dice", "miou", "noc90", "mean_accuracy")


#: Row metrics where a lower figure is the better one (clicks to reach 90 % IoU).
LOWER_IS_BETTER = ("noc90",)


#: How a row's figure is marked when the retrain refit the model on every mask after scoring
#: it: the registered weights then trained on the very val masks the figure was measured on.
BEFORE_REFIT = "before refit"
#: What a registered figure is when its retrain did not say (models registered before it did).
FIGURES_OF_UNKNOWN = "the retrain's comparison figure on its val masks"


#: Display names of the models that have no mask task (:data:`MODEL_ONLY_TASKS`).
MODEL_ONLY_TITLES = {"click": "Smart click", "instance_attributes": "Instance attributes"}


def model_title(task: str) -> str:
    """Display name of the model of ``task``: a mask task's title (``Garment cutout``), or
    that of a model with no mask (``Smart click``)."""
    return MODEL_ONLY_TITLES.get(task) or task_title(task)


def model_tasks(project: Any) -> list[str]:
    """The tasks whose models a project can register: its mask tasks, then
    :data:`MODEL_ONLY_TASKS`."""
    return [*project.tasks, *MODEL_ONLY_TASKS]


def model_rows(project: Any, task: str) -> list[dict[str, Any]]:
    """One row per registered model version, oldest first, with its val figures.

    Keys: ``version``, ``created`` (epoch s), ``trained_on`` (count), ``active``, ``metric``
    (the first of :data:`ROW_METRICS` the model has: ``noc90`` for a click model, lower is
    better), ``value``, ``q25``, ``q75`` (NaN when unknown), ``val_images``, ``figures_of``
    (what the figure is, in words), ``before_refit`` (the figure was measured before the
    retrain refit the model on every mask, its val masks included) and ``training`` (how it
    was trained, its metadata's ``training``: request, seed, duration; empty for a version
    trained before the metadata recorded it).
    """
    rows = []
    for m in project.models(task):
        metrics = m.metrics or {}
        key = next((k for k in ROW_METRICS if k in metrics), ROW_METRICS[0])
        per_image = metrics.get("per_image_dice") or []
        meta = _meta(m.path)
        rows.append({
            "version": m.version, "created": m.created, "trained_on": len(m.trained_on),
            "active": m.active, "metric": key, "value": float(metrics.get(key, float("nan"))),
            "q25": float(metrics.get("dice_q25", float("nan"))),
            "q75": float(metrics.get("dice_q75", float("nan"))),
            "val_images": len(per_image),
            "figures_of": str(metrics.get("figures_of") or FIGURES_OF_UNKNOWN),
            # a refit recorded in the model file's metadata alone: registered before the figures said so
            "before_refit": bool(metrics.get("before_refit")) or bool(meta.get("refit")),
            "training": training if isinstance(training := meta.get("training"), dict) else {},
        })  # fmt: skip
    return rows


def _meta(path: Any) -> dict[str, Any]:
    """A model file's metadata (the ``.json`` beside it); empty when it is missing, unreadable
    or not a JSON object."""
    with contextlib.suppress(OSError, ValueError, TypeError):
        meta = json.loads(Path(path).with_suffix(".json").read_text(encoding="utf-8"))
        return meta if isinstance(meta, dict) else {}
    return {}


def _val_names(path: Any) -> list[str] | None:
    """The val photos a model file's metadata says its figures were measured on, or None."""
    names = _meta(path).get("val_images")
    return sorted(str(n) for n in names) if isinstance(names, list) else None


def activation_warning(project: Any, task: str, version: int | None) -> str | None:
    """Why making ``version`` of ``task`` active looks like a step back, or None.

    Said when the version's recorded figure (:func:`model_rows`) is worse than that of the
    active registered version, both of one metric: both figures, and, when the two were not
    measured on the same val photos (or either's are not recorded), that they may not compare.
    None for the shipped model (``version`` None; it has no figure here), the active version
    itself, or when either figure is unknown.
    """
    if version is None:
        return None
    records = {m.version: m for m in project.models(task)}
    rows = {r["version"]: r for r in model_rows(project, task)}
    chosen = rows.get(version)
    active = next((r for r in rows.values() if r["active"]), None)
    if chosen is None or active is None or active is chosen or chosen["metric"] != active["metric"]:
        return None
    new, now = chosen["value"], active["value"]
    if not (math.isfinite(new) and math.isfinite(now)):
        return None
    if not (new > now if chosen["metric"] in LOWER_IS_BETTER else new < now):
        return None
    text = (f"v{version}'s recorded {chosen['metric']} is {new:.4f}, worse than the active "
            f"v{active['version']}'s {now:.4f}.")  # fmt: skip
    val_new, val_now = (_val_names(records[r["version"]].path) for r in (chosen, active))
    if val_new is None or val_now is None or val_new != val_now:
        text += " The two figures may be on different val masks, so they may not compare."
    return text


def _stamp(path: Any) -> str | None:
    """The version stamp a model file's metadata carries, or None."""
    stamp = _meta(path).get("version")
    return None if stamp is None else str(stamp)


def version_names(project: Any, task: str) -> dict[str, str]:
    """Recorded proposal model versions (the stamp a model file carries, ``20261204-134248``)
    -> the model's name as the status bar, the promotion message and the Review tab give it
    (:func:`~fashion_annotator.core.wording.model_label`): ``v3 (20261205-054523)``, or
    ``shipped (20261204-134248)``.

    A stamp two models share names both (``v2 (3)/v3 (3)``); a stamp no registered or shipped
    model carries (a model since replaced, an import) is absent: callers show it raw.
    """
    names: dict[str, list[str]] = {}
    shipped = _stamp(resource_path("models", f"{task}.safetensors"))
    if shipped is not None:
        names[shipped] = [model_label(shipped, None)]
    for m in project.models(task):
        stamp = _stamp(m.path)
        if stamp is not None:
            names.setdefault(stamp, []).append(model_label(stamp, m.version))
    return {stamp: "/".join(found) for stamp, found in names.items()}


def row_text(row: dict[str, Any]) -> dict[str, str]:
    """How Model history and ``fashion-annotator models`` write a :func:`model_rows` row:
    ``version`` ("v2"), ``created`` (local "YYYY-MM-DD HH:MM"), ``figure`` ("median_dice
    0.9312", "median_dice 0.9312, before refit" for a figure measured before the refit on every
    mask (:data:`BEFORE_REFIT`), "-" when unknown), ``iqr`` ("0.901-0.955", "-"), ``active``
    ("yes", "") and, from the run's ``training`` record ("-" when not recorded), ``lr``
    ("0.0005"), ``epochs`` (run / asked, "12/40"), ``seed`` and ``took`` ("7.9 min")."""
    training = row.get("training") or {}
    request = training.get("request") or {}
    figure = f"{row['metric']} {row['value']:.4f}" if math.isfinite(row["value"]) else "-"
    if figure != "-" and row.get("before_refit"):
        figure += f", {BEFORE_REFIT}"
    return {
        "version": f"v{row['version']}",
        "created": dt.datetime.fromtimestamp(row["created"]).strftime("%Y-%m-%d %H:%M"),
        "figure": figure,
        "iqr": f"{row['q25']:.3f}-{row['q75']:.3f}" if math.isfinite(row["q25"]) else "-",
        "active": "yes" if row["active"] else "",
        "lr": f"{request['lr']:g}" if isinstance(request.get("lr"), int | float) else "-",
        "epochs": (f"{training.get('epochs_run', '?')}/{training['epochs_requested']}"
                   if training.get("epochs_requested") is not None else "-"),
        "seed": str(training["seed"]) if "seed" in training else "-",
        "took": f"{training['duration_s'] / 60:.1f} min" if isinstance(training.get("duration_s"), int | float) else "-",
    }  # fmt: skip
