"""The closed loop, simulated: a team corrects proposals, retrains, and the proposals improve.

:func:`run_loop` is ``fashion-annotator bench loop``. On a plain mask folder (photos and ground
truth) it makes a project holding every photo, registers the starting model as the project's
active one, then for each round:

1. **order**: the photos not yet corrected are ranked by the tool (model uncertainty with
   diversity, :mod:`fashion_annotator.segmentation.active`) or at random, and the next ones are
   taken until ``corrected`` reaches the round's figure;
2. **correct**: each proposal, refined as the window refines it (``pipeline.propose``), is
   saved as the proposal shown, and the simulated operator of ``bench effort`` (same greedy
   oracle, superpixel levels and cost model) corrects it to the target (Dice 0.98 / pixel
   accuracy 0.97), recording its actions; the ground truth is saved as the operator's mask
   (status ``done``, the actions logged);
3. **retrain**: the same child process and fine-tune recipe as the Retrain dialog
   (:func:`training.finetune.retrain_command`, time-bounded by ``minutes_per_round``,
   ``--promote-if-better``: promoted only when better on the same val images);
4. **score**: the active model's proposals for every photo not yet corrected are scored
   against the ground truth: the network's own masks (``median_dice_rest``, ``mean_dice_rest``,
   or ``miou_rest`` for parsing tasks; they also give the uncertainties for the next round's
   order) and, for tasks with refinements, the masks the window shows (``pipeline.propose``:
   ``median_dice_rest_shown``, ``mean_dice_rest_shown``). A model fine-tuned with object crops
   predicts with its crop pass in both. The same figures of the starting model on the same
   photos (``..._start``, e.g. ``median_dice_rest_start``) come with each round: the photos
   left are not those of the round before (the tool order takes the hardest first, so the
   rest's figures rise without any retraining), and the gain is the difference.

A round entry with ``corrected = 0`` scores the starting model. :func:`plot_runs` draws the
curves of one or more runs (e.g. tool order against random) as a PNG.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.core.images import load_image
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import apply_mapping, mapping_from_taxonomies_json
from fashion_annotator.core.metrics import MeanIoUAccumulator, confusion_matrix, dice
from fashion_annotator.core.samples import list_samples, task_classes
from fashion_annotator.evaluation.effort import Operator, target_for
from fashion_annotator.runtime.child import cli_command
from fashion_annotator.segmentation.active import ORDERS, PhotoUncertainty, score_photo
from fashion_annotator.segmentation.pipeline import model_refinements, propose
from fashion_annotator.segmentation.superpixels import DEFAULT_LEVEL, compute_superpixels

Progress = Callable[[str], None]


def _correct(rgb: np.ndarray, gt: np.ndarray, predictor: Any, k: int) -> tuple[np.ndarray, int]:
    """The proposal the window shows (model + the task's refinements) and the simulated
    operator's actions to correct it, as in ``bench effort``."""
    levels = compute_superpixels(rgb).levels
    shown = propose(rgb, predictor, regions=levels[DEFAULT_LEVEL]).mask
    return shown, int(Operator(gt, levels, k).run(shown, target_for(k)).actions)


def _child_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _retrain(argv: list[str], log: Path, progress: Progress) -> tuple[dict[str, Any], float, float]:
    """Run the trainer child; return its ``done`` event, wall seconds and CPU seconds."""
    t0, cpu0 = time.monotonic(), _child_cpu_seconds()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    done: dict[str, Any] = {}
    with log.open("a") as out:
        proc = subprocess.Popen([*cli_command(), *argv], stdout=subprocess.PIPE,
                                stderr=out, text=True, env=env)  # fmt: skip
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("event") in ("epoch", "refit_epoch"):
                what = "refit epoch" if event["event"] == "refit_epoch" else "epoch"
                progress(f"  {what} {event['epoch']}: loss {event['loss']:.4f}")
            elif event.get("event") in ("done", "error"):
                done = event
        proc.wait()
    seconds, cpu = time.monotonic() - t0, _child_cpu_seconds() - cpu0
    if done.get("event") != "done":
        raise RuntimeError(f"retrain failed ({done.get('message', f'exit {proc.returncode}')}); see {log}")
    return done, seconds, cpu


def run_loop(
    data_dir: Path | str,
    task: str,
    work_dir: Path | str,
    *,
    rounds: Sequence[int] = (10, 25, 50, 100),
    order: str = "tool",
    minutes_per_round: float = 3.0,
    init_model: Path | str | None = None,
    split: str = "all",
    limit: int | None = None,
    device: str = "cpu",
    threads: int = 0,
    seed: int = 0,
    crop_pass: bool = False,
    train_extra: Sequence[str] = (),
    progress: Progress = lambda _msg: None,
    on_round: Callable[[dict[str, Any]], None] = lambda _result: None,
) -> dict[str, Any]:
    """Simulate the loop; return the ``bench loop`` JSON (see the module docstring).

    Parameters
    ----------
    data_dir : Path or str
        Plain mask folder with ``taxonomies.json`` for ``task``.
    task : str
    work_dir : Path or str
        Must not hold a project yet: the simulated project is made in ``work_dir/project``.
    rounds : sequence of int
        Corrected photos after each round, increasing.
    order : str
        ``"tool"`` or ``"random"`` (:data:`~fashion_annotator.segmentation.active.ORDERS`).
    minutes_per_round : float
        Time bound of each retrain.
    init_model : Path or str, optional
        The starting model (e.g. a deliberately weak one); default the shipped model.
    split, limit
        Which photos of ``data_dir`` form the pool (``"all"``, or a split of ``splits.json``).
    device : str
        For proposals and training.
    threads : int
        Torch CPU threads of this process and of the trainer (0: torch's default). On a busy
        machine 1 is much faster than 2: each parallel region waits for its slowest thread.
    seed : int
        Seed of the random order.
    crop_pass : bool
        Also score the rest with the predictor's crop pass (``median_dice_rest_crop``).
    train_extra : sequence of str
        Extra ``train`` options (tests pass a tiny model).
    progress : callable
        Receives one line of text per step.
    on_round : callable
        Receives the result so far after each round (so a long run leaves partial figures).
    """
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.segmentation.proposals import default_model_path, load_predictor
    from training.finetune import retrain_command

    if threads:
        import torch

        torch.set_num_threads(threads)
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}; one of {sorted(ORDERS)}")
    rounds = [int(r) for r in rounds]
    if not rounds or rounds != sorted(set(rounds)) or rounds[0] < 1:
        raise ValueError(f"rounds must be increasing positive counts, got {rounds}")
    data_dir, work_dir = Path(data_dir), Path(work_dir)
    samples = list_samples(data_dir, split)[:limit]
    if rounds[-1] >= len(samples):
        raise ValueError(f"{data_dir}: {len(samples)} photos; the last round ({rounds[-1]}) must leave some to score")
    classes = task_classes(data_dir, task)
    k = len(classes)
    mapping = mapping_from_taxonomies_json(data_dir / "taxonomies.json", task)
    project = Project.create(work_dir / "project", tasks=(task,))
    try:
        ids = [project.add_image(s.image, copy=False).id for s in samples]
        start = Path(init_model) if init_model else default_model_path(task)
        project.models.register(task, start, {}, [], activate=True)
        log = work_dir / "train.log"
        corrected: list[int] = []
        out_rounds: list[dict[str, Any]] = []
        result = {"task": task, "n_images": len(samples), "order": order, "data": str(data_dir),
                  "init_model": str(start), "minutes_per_round": minutes_per_round,
                  "device": device, "rounds": out_rounds}  # fmt: skip
        scores, uncertainty, at_start = _score_rest(project, task, samples, corrected, mapping, k,
                                                    device, crop_pass, order == "tool", progress)  # fmt: skip
        out_rounds.append({"corrected": 0, **scores, **_start_on(at_start, [], k),
                           "median_actions": None, "mean_actions": None,
                           "train_seconds": 0.0, "promoted": None})  # fmt: skip
        on_round(result)
        progress(round_text(0, out_rounds[0]))
        for r_i, target in enumerate(rounds):
            rest = [i for i in range(len(samples)) if i not in corrected]
            unc = [uncertainty[i] for i in rest]
            picked = [rest[j] for j in ORDERS[order](unc, target - len(corrected), seed + r_i)]
            predictor = load_predictor(task, project, device)
            actions = []
            for i in picked:
                rgb = load_image(samples[i].image).rgb
                gt = apply_mapping(load_mask(samples[i].mask, shape=rgb.shape[:2]), mapping)
                shown, n = _correct(rgb, gt, predictor, k)
                version = str(predictor.model_version or "shipped")
                project.save_proposal(ids[i], task, shown, version)
                project.save_mask(ids[i], task, gt, actions=n, source="operator", status="done")
                actions.append(n)
                corrected.append(i)
            progress(f"round {r_i + 1}: corrected {len(corrected)}, median actions "
                     f"{np.median(actions):.1f}; retraining")  # fmt: skip
            argv = retrain_command(project.root, task, len(corrected), device=device,
                                   minutes=minutes_per_round, promote_if_better=True,
                                   threads=threads, extra=list(train_extra))  # fmt: skip
            done, seconds, cpu = _retrain(argv, log, progress)
            scores, uncertainty, _ = _score_rest(project, task, samples, corrected, mapping, k,
                                                 device, crop_pass, order == "tool", progress)  # fmt: skip
            comparison = done.get("comparison") or {}
            entry = {
                "corrected": len(corrected), **scores, **_start_on(at_start, corrected, k),
                "median_actions": float(np.median(actions)), "mean_actions": float(np.mean(actions)),
                "train_seconds": round(seconds, 1), "train_cpu_seconds": round(cpu, 1),
                "promoted": bool(done.get("promoted")), "train_images": len(corrected),
                "trained_version": done.get("version"), "val": _val_summary(comparison),
            }  # fmt: skip
            out_rounds.append(entry)
            on_round(result)
            progress(round_text(r_i + 1, entry))
    finally:
        project.close()
    return result


def round_text(number: int, entry: dict[str, Any]) -> str:
    """One entry of a result's ``rounds`` as a line: ``start: {...}`` for entry 0 (the starting
    model, nothing corrected), ``round N: {...}`` for the N-th round (what stderr says as it
    ends and the command's stdout repeats: its ``round 1`` was stderr's ``start``)."""
    figures = json.dumps({k: v for k, v in entry.items() if k != "val"})
    return f"start: {figures}" if number == 0 else f"round {number}: {figures}"


def _val_summary(comparison: dict[str, Any]) -> dict[str, Any]:
    """The retrain's val comparison without per-image lists."""
    keep = ("median_dice", "mean_dice", "dice_q25", "dice_q75", "miou", "threshold")
    out: dict[str, Any] = {}
    for side in ("new", "current"):
        figures = comparison.get(side) or {}
        out[side] = {k: figures[k] for k in keep if k in figures}
    out["paired"] = comparison.get("paired") or {}
    return out


def _start_on(start: dict[int, dict[str, Any]], corrected: list[int], k: int) -> dict[str, float]:
    """The starting model's figures on the photos not in ``corrected`` (``..._start`` keys),
    from its per-photo scores of the first round (:func:`_score_rest`)."""
    done = set(corrected)
    rest = [v for i, v in start.items() if i not in done]
    if not rest:
        return {}
    if k != 2:
        acc = MeanIoUAccumulator(k)
        acc.confusion = np.sum([v["confusion"] for v in rest], axis=0)
        return {"miou_rest_start": float(acc.miou)}
    out = {"median_dice_rest_start": float(np.median([v["dice"] for v in rest]))}
    if "shown" in rest[0]:
        out["median_dice_rest_shown_start"] = float(np.median([v["shown"] for v in rest]))
    return out


def _score_rest(
    project: Any, task: str, samples: list, corrected: list[int],
    mapping: Any, k: int, device: str, crop_pass: bool, uncertain: bool, progress: Progress,
) -> tuple[dict[str, Any], dict[int, PhotoUncertainty | None], dict[int, dict[str, Any]]]:  # fmt: skip
    """Score the active model on every photo not yet corrected; return figures, uncertainty and
    per-photo scores (``dice`` and ``shown``, or a parsing task's ``confusion`` matrix).

    Without ``uncertain`` (random order) the mirrored pass is skipped and uncertainties are None.
    """
    from fashion_annotator.segmentation.proposals import load_predictor

    predictor = load_predictor(task, project, device)
    cropper = load_predictor(task, project, device, crop_pass=True) if crop_pass else None
    refined = bool(model_refinements(predictor))
    done = set(corrected)
    dices, crop_dices, shown_dices = [], [], []
    acc = MeanIoUAccumulator(k)
    kept: dict[int, PhotoUncertainty | None] = {}
    per_photo: dict[int, dict[str, Any]] = {}
    for i, sample in enumerate(samples):
        if i in done:
            continue
        rgb = load_image(sample.image).rgb
        gt = apply_mapping(load_mask(sample.mask, shape=rgb.shape[:2]), mapping)
        if uncertain:
            proposal, kept[i] = score_photo(predictor, rgb)
        else:
            predictor.set_image(rgb)
            proposal, kept[i] = predictor.predict(), None
        if k == 2:
            dices.append(dice(proposal.mask == 1, gt == 1))
            per_photo[i] = {"dice": dices[-1]}
            if refined:
                levels = compute_superpixels(rgb).levels
                shown = propose(rgb, predictor, regions=levels[DEFAULT_LEVEL]).mask
                shown_dices.append(dice(shown == 1, gt == 1))
                per_photo[i]["shown"] = shown_dices[-1]
            if cropper is not None:
                cropper.set_image(rgb)
                crop_dices.append(dice(cropper.predict().mask == 1, gt == 1))
        else:
            per_photo[i] = {"confusion": confusion_matrix(proposal.mask, gt, k)}
            acc.update(proposal.mask, gt)
    scores: dict[str, Any] = {"n_rest": len(kept), "model_version": predictor.model_version}
    if k == 2:
        scores.update(median_dice_rest=float(np.median(dices)), mean_dice_rest=float(np.mean(dices)),
                      dice_rest_q25=float(np.quantile(dices, 0.25)))  # fmt: skip
        if shown_dices:
            scores.update(median_dice_rest_shown=float(np.median(shown_dices)),
                          mean_dice_rest_shown=float(np.mean(shown_dices)))  # fmt: skip
        if crop_dices:
            scores["median_dice_rest_crop"] = float(np.median(crop_dices))
    else:
        scores["miou_rest"] = float(acc.miou)
    shown_text = f" (shown {scores['median_dice_rest_shown']:.4f})" if shown_dices else ""
    progress(f"scored {len(kept)} photos with model {predictor.model_version}: "
             f"{scores.get('median_dice_rest', scores.get('miou_rest')):.4f}{shown_text}")  # fmt: skip
    return scores, kept, per_photo


#: Line colours of the runs in :func:`plot_runs` (RGB).
RUN_COLORS = ((31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189))


def plot_runs(runs: Sequence[dict[str, Any]], path: Path | str, size: tuple[int, int] = (1100, 440)) -> Path:
    """Draw ``bench loop`` results as a PNG: proposal quality of the rest and actions per photo.

    Parameters
    ----------
    runs : sequence of dict
        ``bench loop`` results (one line per run, labelled with its ``label`` if it has one, else
        its ``order``).
    path : Path or str
        The PNG to write.
    size : (width, height)
    """
    from PIL import Image, ImageDraw

    if not runs:
        raise ValueError("no runs to plot")
    w, h = size
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    quality = "miou_rest" if "miou_rest" in runs[0]["rounds"][0] else "median_dice_rest"
    shown = f"{quality}_shown"
    start = f"{quality}_start"
    # The masks the window shows and the starting model on the same photos (thin lines) beside
    # the network's own (thick), where recorded.
    series = [quality, *[key for key in (shown, start) if any(key in r for run in runs for r in run["rounds"])]]
    panels = [(series, f"{quality} (photos not yet corrected)"),
              (["median_actions"], "median actions per corrected photo")]  # fmt: skip
    xmax = max(r["corrected"] for run in runs for r in run["rounds"]) or 1
    pw = (w - 60) // 2
    for p, (keys, title) in enumerate(panels):
        x0, y0, x1, y1 = 60 + p * pw + (60 if p else 0), 40, 60 + (p + 1) * pw - 20, h - 50
        values = [r[k] for k in keys for run in runs for r in run["rounds"] if r.get(k) is not None]
        if not values:
            continue
        lo, hi = min(values), max(values)
        pad = (hi - lo) * 0.08 or 0.01
        lo, hi = lo - pad, hi + pad
        draw.rectangle([x0, y0, x1, y1], outline=(120, 120, 120))
        draw.text((x0, 12), title, fill="black")
        # Enough decimals that the five ticks read differently (a Dice range of 0.002 needs 4).
        digits = max(1, min(5, 1 - math.floor(math.log10(max((hi - lo) / 4, 1e-9)))))
        for t in range(5):
            v = lo + (hi - lo) * t / 4
            y = y1 - (y1 - y0) * t / 4
            draw.line([x0 - 4, y, x0, y], fill="black")
            draw.text((x0 - 52, y - 6), f"{v:.{digits}f}", fill="black")
        for c in sorted({r["corrected"] for run in runs for r in run["rounds"]}):
            x = x0 + (x1 - x0) * c / xmax
            draw.line([x, y1, x, y1 + 4], fill="black")
            draw.text((x - 8, y1 + 8), str(c), fill="black")
        draw.text(((x0 + x1) // 2 - 50, h - 22), "corrected photos", fill="black")
        line = 0
        for n, run in enumerate(runs):
            for k in keys:
                pts = [(x0 + (x1 - x0) * r["corrected"] / xmax, y1 - (y1 - y0) * (r[k] - lo) / (hi - lo))
                       for r in run["rounds"] if r.get(k) is not None]  # fmt: skip
                if not pts:
                    continue
                thick, dot = (1, 3) if k in (shown, start) else (3, 4)
                color = (150, 150, 150) if k == start else RUN_COLORS[n % len(RUN_COLORS)]
                if len(pts) > 1:
                    draw.line(pts, fill=color, width=thick)
                for x, y in pts:
                    draw.ellipse([x - dot, y - dot, x + dot, y + dot], fill=color)
                name = str(run.get("label") or f"order {run['order']}")
                label = name + {shown: ", shown", start: ", start model, same photos"}.get(k, "")
                draw.text((x1 - 150, y0 + 10 + 16 * line), label, fill=color)
                line += 1
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path
