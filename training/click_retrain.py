"""Retrain the click model from a project's corrections (Train > Retrain click model).

``fashion-annotator train --project P --task click`` fine-tunes the project's current click
model (its active one, else the shipped one) on the project's corrected cutouts of one binary
task, with the clicks operators logged beside each mask version replayed as first clicks
(:func:`training.click_data.project_samples`; the train / val split of every project retrain), for
a time budget. Both the new and the current model
are scored by NoC (clicks to IoU 0.90 / 0.95, max 20, simulated clicker from an empty mask) on
the same held-out photos; the new one is registered as task ``click`` and made active with
``--promote-if-better`` when it is better by the rule of :func:`click_shortfall` (NoC@90 lower
by :data:`CLICK_PROMOTE_MARGIN` clicks, fewer clicks on more val photos than more, NoC@95 not
higher; the ``done`` event's ``not_promoted`` says why not). Events follow the
``train`` command's ``--json-progress`` protocol (``start``, ``step``, ``val``, ``done``). A
cancel that comes after the last step (while both models are scored) still registers nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.core.tasks import CLICK_TASK
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.postgres.url import describe_location
from fashion_annotator.models.weights import read_meta
from training.finetune import paired_gains
from training.request import TrainRequest

Emit = Callable[[dict[str, Any]], None]
#: Default time budget of a retrain, minutes.
DEFAULT_MINUTES = 10.0
#: Cutout tasks a click model learns from, most preferred first.
SOURCE_TASKS = ("garment", "person")


def source_task(project: ProjectStore) -> str:
    """The project's cutout task with the most training masks (garment first on a tie).

    Raises
    ------
    ValueError
        The project has no garment or person task.
    """
    from fashion_annotator.dataset.training_set import select_training_masks

    tasks = [t for t in SOURCE_TASKS if t in project.tasks]
    if not tasks:
        raise ValueError(
            f"{describe_location(project.location)}: the click model learns from garment or person cutouts; "
            f"the project's tasks are {list(project.tasks)}"
        )
    counts = {t: len(select_training_masks(project, t).items(True)) for t in tasks}
    return max(tasks, key=lambda t: (counts[t], -tasks.index(t)))


def current_click_model(project: ProjectStore) -> Path:
    """The project's active click model file, else the shipped one."""
    from fashion_annotator.segmentation.clicks import default_click_model_path

    record = project.models.active(CLICK_TASK)
    return Path(record.path) if record is not None else default_click_model_path()


#: A retrained click model is promoted only when its NoC@90 is lower than the current model's,
#: on the same val photos, by at least this many clicks a photo (and :func:`click_shortfall`'s
#: other rules hold). Its figure is the best of up to three evaluations on those very photos (the
#: trainer keeps the best weights): on 5 val photos, one click saved on one photo (0.2) promoted
#: a model whose NoC@95 was worse (a code review).
CLICK_PROMOTE_MARGIN = 0.25


def paired_clicks(new: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """How the new click model fares against the current one photo by photo (same val photos).

    The counterpart of :func:`training.finetune.paired_comparison` for clicks (lower is better).

    Parameters
    ----------
    new, current : dict
        NoC figures with ``per_image_noc90`` (:func:`training.clicks.noc`; lists in the same
        photo order).

    Returns
    -------
    dict
        ``n``, ``better`` (photos the new model reaches IoU 0.90 on in fewer clicks), ``worse``
        (in more), ``median_gain`` (clicks saved a photo, the median), or an empty dict when
        either side has no per-photo figures.
    """
    if not current or "per_image_noc90" not in new or "per_image_noc90" not in current:
        return {}
    saved_new, saved_current = (-np.asarray(side["per_image_noc90"], dtype=np.float64) for side in (new, current))
    return paired_gains(saved_new, saved_current)  # fewer clicks is better: the gain is the clicks saved


def _better(new: dict[str, Any], current: dict[str, Any] | None) -> bool:
    """Whether the new click model is promoted over the current one (:func:`click_shortfall`)."""
    return click_shortfall(new, current) is None


def click_shortfall(new: dict[str, Any], current: dict[str, Any] | None) -> str | None:
    """Why the new click model is not promoted over the current one, or None when it is.

    It must need :data:`CLICK_PROMOTE_MARGIN` fewer clicks to IoU 0.90 a photo on average
    (NoC@90), fewer clicks on more of the val photos than more (:func:`paired_clicks`, when both
    sides have per-photo figures) and not more clicks to IoU 0.95 (NoC@95). With no current
    model's figures there is nothing to beat.

    Returns
    -------
    str or None
        Every rule it fails, in words, naming both models' figures.
    """
    if current is None:
        return None
    photos = f"the same {current['n']} val photos" if "n" in current else "the same val photos"
    reasons = []
    if new["noc90"] > current["noc90"] - CLICK_PROMOTE_MARGIN:
        reasons.append(f"its NoC@90 {new['noc90']:.2f} is not at least {CLICK_PROMOTE_MARGIN:g} clicks lower than "
                       f"the current model's {current['noc90']:.2f}")  # fmt: skip
    paired = paired_clicks(new, current)
    if paired and paired["better"] <= paired["worse"]:
        reasons.append(f"it needs fewer clicks on {paired['better']} of the {paired['n']} photos and "
                       f"more on {paired['worse']}")  # fmt: skip
    if new["noc95"] > current["noc95"]:
        reasons.append(f"its NoC@95 {new['noc95']:.2f} is higher than the current model's {current['noc95']:.2f}")
    return f"on {photos}, " + "; ".join(reasons) if reasons else None


def _figures(noc: dict[str, Any], task: str) -> dict[str, Any]:
    """The comparison table's rows of one model's NoC figures."""
    return {"source_task": task, **{k: noc[k] for k in ("noc90", "noc95", "fail90", "fail95", "n")}}


def run(args: TrainRequest, emit: Emit, cancelled: Callable[[], bool]) -> dict[str, Any]:
    """``fashion-annotator train --project P --task click``; return the ``done`` event."""
    from fashion_annotator.dataset.store import open_project
    from training.clicks import main as train_clicks
    from training.loop import TrainingCancelled

    if not args.project:
        raise ValueError("the click model retrains from a project's corrections: use --project")
    if args.resume or args.init:
        raise ValueError("--task click starts from the project's current click model and runs in one "
                         "go: --init and --resume do not apply (Model history rolls back a version)")  # fmt: skip
    with open_project(args.project) as project:
        task = source_task(project)
        init = current_click_model(project)
        out = project.root / "cache" / "training" / CLICK_TASK
    size = read_meta(init)["input_size"]
    argv = [
        "--project", str(args.project), "--tasks", task, "--out", str(out),
        "--max-minutes", f"{args.max_minutes or DEFAULT_MINUTES:g}", "--device", args.device,
        "--init", str(init), "--compare", str(init), "--input-size", str(size[0]), str(size[1]),
        "--seed", str(args.seed),
    ]  # fmt: skip
    if args.exclude_unchanged:
        argv.append("--exclude-unchanged")
    if args.batch_size:
        argv += ["--batch", str(args.batch_size)]
    if args.threads:
        argv += ["--threads", str(args.threads)]

    def forward(event: dict[str, Any]) -> None:
        if event.get("event") != "done":  # the done event below replaces the trainer's
            if event.get("event") == "start":  # in the train command's words (it said "None train")
                event = {**event, "task": CLICK_TASK, "train_images": event.get("train"),
                         "val_images": event.get("val")}  # fmt: skip
            emit(event)

    try:
        train_clicks(argv, emit=forward, cancelled=cancelled)
    except SystemExit as exc:  # the trainer's usage/data refusals
        raise ValueError(str(exc.code)) from None
    if cancelled():  # Cancel came during the final evaluation or the --compare scoring
        raise TrainingCancelled
    metrics = json.loads((out / "metrics.json").read_text())
    new = metrics["tasks"][task]
    current = (metrics.get("compare") or {}).get(task)
    meta = read_meta(out / "click.safetensors")
    figures = _figures(new, task)
    promote = bool(args.promote_if_better and _better(new, current))
    shortfall = click_shortfall(new, current) if args.promote_if_better and not promote else None
    with open_project(args.project) as project:
        reg = project.models.register(
            CLICK_TASK, out / "click.safetensors", figures, list(meta.get("trained_on", [])),
            activate=promote,
        )  # fmt: skip
    current_figures = None if current is None else _figures(current, task)
    # the promotion rule's verdict, asked for or not: the Retrain dialog warns before "Use this model"
    refused = None if _better(new, current) else click_shortfall(new, current)
    if shortfall is not None:
        emit({"event": "info", "message": f"not promoted: {shortfall}; make it active by hand if wanted "
              f"(Train > Model history, or models --task {CLICK_TASK} --activate {reg.version})"})  # fmt: skip
    return {
        "event": "done",
        "task": CLICK_TASK,
        "version": reg.version,
        "model_path": str(reg.path),
        "comparison": {"new": figures, "current": current_figures, **({"refused": refused} if refused else {})},
        "promoted": promote,
        **({"not_promoted": shortfall} if shortfall is not None else {}),
    }
