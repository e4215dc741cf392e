"""One training run end to end: data, training, export, comparison, registration.

:func:`run` takes a :class:`~training.request.TrainRequest` (``fashion-annotator train`` builds
one from its options); it reports through ``emit`` and polls ``cancelled`` so the command can
turn SIGTERM into a clean ``cancelled`` event.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.core.samples import check_samples
from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.leases import process_gone
from fashion_annotator.models.device import resolve_device
from fashion_annotator.models.preprocess import InputSpec
from fashion_annotator.models.registry import DEFAULT_ARCHITECTURE, architecture_of, build_model
from fashion_annotator.models.weights import (
    load_model,
    meta_json,
    read_meta,
    save_model,
    update_meta,
)
from training import distributed
from training.comparison import compare, registered_metrics
from training.current import current_model
from training.data import (
    CachedSplit,
    Sample,
    data_fingerprint,
    list_samples,
    load_split,
    split_samples,
    sweep_split_caches,
    task_mapping,
)
from training.finetune import REFINEMENT_CHOICES, project_samples, promotion
from training.heads import Head, stack_heads
from training.leftovers import remove_abandoned_temps
from training.loop import CHECKPOINT, TrainConfig, TrainingCancelled, train
from training.metrics import evaluate, evaluate_predictor, score_refinements
from training.recipe import epochs_for
from training.record import METRICS_OF, training_record
from training.request import TrainRequest
from training.staging import interruptible, publish, staged_models
from training.trunk import fallback_trunk, trunk_init, trunk_path

Emit = Callable[[dict], None]


def export_head(model: nn.Module, architecture: str, arch: dict[str, Any], head: Head) -> nn.Module:
    """Return a single-task network: the shared trunk plus ``head``'s slice of the last layer.

    A network without one last layer (an ensemble) trains one task at a time: it is exported
    whole when ``head`` covers its every output.

    Raises
    ------
    ValueError
        ``head`` is a slice of a network that has no ``head`` layer to slice.
    """
    single = build_model({"architecture": architecture, "arch": single_arch(architecture, arch, head)})
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("boundary.")}
    if "head.weight" not in state:
        if head.offset != 0 or head.stop != int(arch["out_ch"]):
            raise ValueError(f"a {architecture} network trains one task at a time, not {head.task} among others")
        single.load_state_dict(state)
        return single.eval()
    state["head.weight"] = state["head.weight"][head.offset : head.stop].clone()
    state["head.bias"] = state["head.bias"][head.offset : head.stop].clone()
    single.load_state_dict(state)
    return single.eval()


def single_arch(architecture: str, arch: dict[str, Any], head: Head) -> dict[str, Any]:
    """The ``arch`` meta of one head's exported model (a U-Net's without its boundary head)."""
    if architecture == DEFAULT_ARCHITECTURE:
        return {**arch, "out_ch": head.channels, "boundary_head": False}
    return {**arch, "out_ch": head.channels}


#: Inference settings a fine-tuned model takes over from the model it starts from (measured on
#: the loop's first mannequin fine-tune: inherited 448 + flip median Dice 0.963, 384 + flip
#: 0.960, 384 plain 0.957); class biases are not inherited, their calibration is the old model's.
INHERITED_META = ("flip_average", "infer_long_side")


def _choose_crop_side(
    path: Path, meta: dict[str, Any], val: list[Sample], head: Head, device: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The metadata to keep: ``crop_long_side`` stays only when the crop pass at that side
    beats the crop pass at the first pass's resolution on the val photos (median Dice, ties
    to the first pass's); both figures are recorded as ``crop_long_side_val``.

    A garment covering a few percent of a studio frame gains from the larger crop, a subject
    filling a street photo can lose (the project's own photos decide, as for the threshold).

    Returns
    -------
    meta : dict
    figures : dict
        :func:`~training.metrics.evaluate_predictor`'s figures on ``val`` at the kept setting
        (the comparison reuses them when it runs on the same photos).
    """
    side = meta["crop_long_side"]
    at_side = evaluate_predictor(path, val, head, device)
    at_first = evaluate_predictor(path, val, head, device, {"crop_long_side": None})
    dice = {str(side): at_side["median_dice"], "first_pass": at_first["median_dice"]}
    out = {**meta, "crop_long_side_val": {"median_dice": dice, "images": len(val)}}
    if not at_side["median_dice"] > at_first["median_dice"]:
        out.pop("crop_long_side")
        return out, at_first
    return out, at_side


def _choose_refinements(
    path: Path, val: list[Sample], head: Head, device: str
) -> dict[str, Any]:
    """The metadata that gives a binary model its refinement chain: the task's own, or one of
    :data:`~training.finetune.REFINEMENT_CHOICES` when its proposals score a higher median Dice
    on the val photos (ties to the task's).

    Returns
    -------
    dict
        ``refinements`` (list of names) and ``refinements_val`` (``median_dice`` per chain,
        ``images``).
    """
    from fashion_annotator.segmentation.refine import default_refinements

    own = default_refinements(head.task)
    chains = [own, *(c for c in REFINEMENT_CHOICES if tuple(c) != tuple(own))]
    scores = score_refinements(path, val, head, chains, device)
    best = own
    for chain in chains:
        if scores["+".join(chain) or "raw"] > scores["+".join(best) or "raw"]:
            best = chain
    return {"refinements": list(best),
            "refinements_val": {"median_dice": scores, "images": len(val)}}  # fmt: skip


def _samples(
    args: TrainRequest, project: ProjectStore | None, current: Path | None = None
) -> tuple[list, list, list, Path | None]:
    """Return ``(head specs, train samples, val samples, data dir or None)``; a project's val
    photos are drawn first from those ``current`` (the current model) did not train on."""
    tasks = args.tasks
    if project is not None:
        if len(tasks) != 1:
            raise ValueError("--project trains one task at a time")
        task = tasks[0]
        if task not in project.tasks:
            raise ValueError(f"{project.root}: the project has no task {task!r} (its tasks: {', '.join(project.tasks)})")
        lut = np.arange(256, dtype=np.uint8)
        specs = [(task, list(project.taxonomy(task).names), lut)]
        data_dir = None
        trained_on = () if current is None else read_meta(current).get("trained_on") or ()
        train_s, val_s = project_samples(project, task, args.exclude_unchanged, trained_on)
    else:
        data_dir = Path(str(args.data))
        specs = [(t, *task_mapping(data_dir, t)) for t in tasks]
        train_s, val_s = split_samples(list_samples(data_dir), data_dir)
    if args.train_limit:
        train_s = train_s[: args.train_limit]
    if args.val_limit:
        val_s = val_s[: args.val_limit]
    if data_dir is not None:  # every bad file named before training (a project's are checked on save)
        check_samples([*train_s, *val_s], where=str(data_dir))
    where = project.root if project is not None else data_dir
    if not train_s or not val_s:
        raise ValueError(
            f"{where}: need at least one training and one validation mask for {args.task} "
            f"(found {len(train_s)} and {len(val_s)}); mark more images done or approved"
        )
    return specs, train_s, val_s, data_dir


def _config(args: TrainRequest, out_dir: Path, device: str) -> TrainConfig:
    if args.epochs is None:
        raise ValueError("the epochs are settled from the training masks before the run is configured")
    return TrainConfig(
        out_dir=str(out_dir),
        epochs=args.epochs,
        max_minutes=args.max_minutes,
        batch_size=args.batch_size or 8,
        lr=args.lr,
        patience=args.patience,
        model_size=args.model_size,
        norm=args.norm,
        attention=args.attention,
        boundary_head=args.boundary_head,
        dice_weight=args.dice_weight,
        background_weight=args.background_weight,
        class_weighting=args.class_weighting,
        freeze=args.freeze,
        flip=args.flip,
        jitter=args.jitter,
        seed=args.seed,
        device=device,
        command=args.command_line(),
    )


#: Tasks that are not a taxonomy's segmentation model, and their trainers ("module:function",
#: imported on use; each takes the request, the event callback and the cancel check and returns
#: the ``done`` event).
SPECIAL_TRAINERS: dict[str, str] = {
    "instance_attributes": "training.instance_attributes:run",
    "click": "training.click_retrain:run",
}


def run(
    args: TrainRequest, emit: Emit, cancelled: Callable[[], bool] = lambda: False
) -> dict[str, Any]:
    """Train as ``args`` (the request) says; return the ``done`` event.

    Raises
    ------
    TrainingCancelled
        ``cancelled()`` turned True; nothing was exported or registered.
    """
    args.check_folders()
    special = SPECIAL_TRAINERS.get(args.task)
    if special is not None:
        if args.trunk:
            raise ValueError(f"--trunk is for mask tasks; the {args.task} trainer builds its own network")
        module, _, name = special.partition(":")
        trainer = getattr(importlib.import_module(module), name)
        if not args.project:
            return trainer(args, emit, cancelled)
        from fashion_annotator.dataset.store import open_project

        with open_project(args.project, writing=True) as opened:  # where its runs keep their files
            folder = opened.root / "cache" / "training"
        with retrain_lock(folder, args.task):  # two runs registered each other's weights
            return trainer(args, emit, cancelled)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = str(resolve_device(args.device))
    distributed.init_from_env(device)
    rank, _ = distributed.rank_and_world()
    project: ProjectStore | None = None
    if args.project:
        from fashion_annotator.dataset.store import open_project

        project = open_project(args.project, writing=True)  # a retrain registers its model
    try:
        with contextlib.ExitStack() as stack:
            if project is not None and rank == 0:
                stack.enter_context(retrain_lock(project.root / "cache" / "training", args.task))
            stack.enter_context(interruptible())  # a SIGTERM stops it at once until publish
            return _run(args, emit, cancelled, project, device, rank)
    finally:
        if project is not None:
            project.close()
        distributed.cleanup()


@contextlib.contextmanager
def retrain_lock(folder: Path, task: str) -> Iterator[Path]:
    """Hold ``folder/<task>.lock`` while a project retrain of ``task`` runs.

    Two retrains of one task would share ``cache/training/<task>/`` and register each other's
    weights; the second one is refused. A lock whose process is gone (this host) is taken over.

    Raises
    ------
    ValueError
        Another live process holds the lock; the message names it and the file.
    """
    path = Path(folder) / f"{re.sub(r'[^A-Za-z0-9_+-]', '_', task)}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                other = json.loads(path.read_text(encoding="utf-8"))
                host, pid = str(other["host"]), int(other["pid"])
            except (OSError, ValueError, KeyError, TypeError):
                host, pid = "", 0
                if time.time() - path.stat().st_mtime < 10:  # being written right now
                    time.sleep(0.2)
                    continue
            if pid and not process_gone(host, pid):
                raise ValueError(
                    f"{path}: another {task} retrain is running ({host} pid {pid}); wait for it to "
                    "finish (delete the file only if no retrain runs)"
                ) from None
            path.unlink(missing_ok=True)  # its process is gone
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"host": socket.gethostname(), "pid": os.getpid(), "started": time.time()}, fh)
        break
    else:
        raise ValueError(f"{path}: cannot take the {task} retrain lock")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _run(
    args: TrainRequest, emit: Emit, cancelled: Callable[[], bool], project: ProjectStore | None,
    device: str, rank: int,
) -> dict[str, Any]:  # fmt: skip
    t_start = time.monotonic()
    current, _ = current_model(args.tasks[0], project, emit)
    specs, train_s, val_s, _ = _samples(args, project, current)
    if args.epochs is None:  # train --project without --epochs: the recipe's, from the masks
        args = replace(args, epochs=epochs_for(len(train_s)))
    heads = stack_heads(specs)
    if project is not None:
        out_dir = project.root / "cache" / "training" / heads[0].task
        cache_dir = project.root / "cache" / "training"
    else:
        out_dir = Path(str(args.out))
        cache_dir = Path(args.cache_dir) if args.cache_dir else out_dir / "cache"
    if project is None and not args.resume and rank == 0:
        # a plain folder is the user's: its checkpoint (hours of training) or finished models are
        # not thrown away by a run that forgot --resume or reused the folder
        earlier = [out_dir / CHECKPOINT] if (out_dir / CHECKPOINT).is_file() else []
        earlier += [out_dir / f"{h.task}.safetensors" for h in heads if (out_dir / f"{h.task}.safetensors").is_file()]
        if earlier:
            raise ValueError(
                f"{out_dir}: holds {', '.join(k.name for k in earlier)} from an earlier run; continue it with "
                "--resume, or train into a new --out folder (or delete them)"
            )
    if not args.resume and (out_dir / CHECKPOINT).is_file() and rank == 0:
        (out_dir / CHECKPOINT).unlink()  # a project's own cache: a new retrain starts afresh
    cfg = _config(args, out_dir, device)
    if args.refit and args.max_minutes:
        cfg.max_minutes = args.max_minutes * REFIT_FIRST_SHARE
    size: tuple[int, int] = args.input_size
    init_state, init_meta = None, None
    spec: InputSpec | None = None  # the init model's input spec: a fine-tune keeps it
    init = args.init or ("trunk" if args.trunk else "current" if project is not None else "scratch")
    first = init == "current" and current is None and len(heads) == 1  # no model of this task yet
    trunk = args.trunk or (fallback_trunk(emit) if first else None)
    if init != "scratch":
        path = trunk_path(trunk) if trunk else current if init == "current" else Path(init)
        if path is None:
            emit({"event": "info", "message": f"no current {heads[0].task} model; from scratch"})
        else:
            if trunk:  # another task's network, its last layer left out (training.trunk)
                init_state, init_meta = trunk_init(path, emit)
            else:
                loaded = load_model(path)
                init_state, init_meta = loaded.module.state_dict(), loaded.meta
            tasks = [h.task for h in heads]
            if init_meta["task"] not in tasks and not trunk:
                raise ValueError(
                    f"{path}: a {init_meta['task']!r} model cannot initialise a "
                    f"{'+'.join(tasks)} training (its classes {init_meta['classes']} differ)"
                )
            cfg.architecture = architecture_of(init_meta)
            keep = ("base", "depth", "norm", "attention")
            if cfg.architecture != DEFAULT_ARCHITECTURE:  # the init's network, whole
                keep = tuple(k for k in init_meta["arch"] if k not in ("in_ch", "out_ch"))
            cfg.arch_override = {k: init_meta["arch"][k] for k in keep if k in init_meta["arch"]}
            size = (int(init_meta["input_size"][0]), int(init_meta["input_size"][1]))
            if tuple(args.input_size) not in (size, TrainRequest.input_size):  # given, and not kept
                emit({"event": "info", "message": f"--input-size {args.input_size[0]} {args.input_size[1]} "
                      f"is not used: a fine-tune keeps the input size of {path} ({size[0]} {size[1]}); "
                      "train from scratch (--init scratch) for another size"})  # fmt: skip
            spec = InputSpec.from_meta(init_meta)
    emit({"event": "start", "task": args.task, "train_images": len(train_s),
          "val_images": len(val_s), "device": device, "input_size": list(size),
          "arch": cfg.arch(heads[-1].stop), "out_dir": str(out_dir)})  # fmt: skip
    if rank == 0:
        _remove_leftovers(out_dir, cache_dir, emit)
    pad = None if spec is None else spec.letterbox_pad
    object_crops = args.object_crops and len(heads) == 1 and heads[0].binary
    crop_lut = heads[0].lut if object_crops else None
    train_split = load_split(train_s, size, cache_dir, letterbox_pad=pad, crop_lut=crop_lut, tag=f"{args.task}-train")
    val_split = load_split(val_s, size, cache_dir, keep_full=True, letterbox_pad=pad, tag=f"{args.task}-val")
    if init_meta is not None:
        mean, std = list(init_meta["mean"]), list(init_meta["std"])
    else:
        mean, std = _mean_std(train_split)
    result = train(cfg, heads, train_split, val_split, mean, std, emit, cancelled,
                   init_state=init_state, resume=args.resume)  # fmt: skip
    if cancelled():
        raise TrainingCancelled
    if rank != 0:
        return {}
    arch = cfg.arch(heads[-1].stop)
    thresholds = {h.task: result.figures[h.task]["best_threshold"] for h in heads if h.binary}
    emit({"event": "stage", "message": "Comparing the new model with the current one "
                                       f"on the {len(val_s)} val photos"})  # fmt: skip
    figures = evaluate(result.model, val_split, heads, mean, std, thresholds)
    fingerprint = data_fingerprint(train_split.names, train_split.masks)
    version = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    comparison: dict[str, Any] = {}
    with staged_models(out_dir, [h.task for h in heads]) as paths:
        for h in heads:
            single = export_head(result.model, cfg.architecture, arch, h)
            meta = {
                "task": h.task, "classes": list(h.classes), "architecture": cfg.architecture,
                "arch": single_arch(cfg.architecture, arch, h),
                "input_size": list(size), "mean": mean, "std": std,
                **({"resize": "letterbox", "long_side": spec.long_side, "stride": spec.stride}
                   if spec is not None and spec.mode == "letterbox" else {}),
                **({"threshold": thresholds[h.task]} if h.binary else {}),
                **({"crop_pass": True} if object_crops else {}),
                **({"crop_long_side": args.crop_long_side}
                   if object_crops and args.crop_long_side and spec is not None
                   and spec.mode == "letterbox" else {}),
                **{k: init_meta[k] for k in INHERITED_META if init_meta and k in init_meta},
                "version": version, "date": dt.datetime.now(dt.timezone.utc).isoformat(),
                "training_data_fingerprint": fingerprint, "trained_on": [s.name for s in train_s],
                "val_images": val_split.names, "metrics": figures[h.task],
                "best_epoch": result.best_epoch, "epochs_run": result.epochs_run,
            }  # fmt: skip
            save_model(paths[h.task], single, meta)
            as_proposed = None  # the new model's figures on val_s as it proposes, when known
            if h.binary and "crop_long_side" in meta:
                kept, as_proposed = _choose_crop_side(paths[h.task], meta, val_s, h, device)
                if "crop_long_side" not in kept:
                    save_model(paths[h.task], single, kept)
                else:
                    update_meta(paths[h.task], crop_long_side_val=kept["crop_long_side_val"])
            if h.binary and args.choose_refinements and val_s:
                update_meta(paths[h.task], **_choose_refinements(paths[h.task], val_s, h, device))
            now, version_now = current_model(h.task, project)  # the one active now
            comparison[h.task] = compare(h, paths[h.task], now, val_s, figures[h.task], as_proposed,
                                         device, cache_dir, current_version=version_now)  # fmt: skip
        refit: dict[str, Any] = {}
        if args.refit and result.best_epoch > 0:
            left = None if not args.max_minutes else args.max_minutes - (time.monotonic() - t_start) / 60
            samples = [*train_s, *val_s]
            model = _refit(
                cfg, heads, samples, result.best_epoch, left, emit, cancelled, init_state,
                lambda: load_split(samples, size, cache_dir, letterbox_pad=pad, crop_lut=crop_lut,
                                   tag=f"{args.task}-refit"),
                mean, std,
            )  # fmt: skip
            if model is not None:
                refit = {"epochs": result.best_epoch, "images": len(samples),
                         "metrics_of": "the held-out run before the refit: the refit trains on the val "
                                       "photos too, so it is not scored on them"}  # fmt: skip
                for h in heads:
                    meta = read_meta(paths[h.task])
                    meta.update(trained_on=[s.name for s in samples], refit=refit)
                    save_model(paths[h.task], export_head(model, cfg.architecture, arch, h), meta)
        training = training_record(args, device, len(train_s), len(val_s), result, t_start)
        for h in heads:
            update_meta(paths[h.task], training=training, metrics_of=METRICS_OF.format(n=len(val_s)))
        atomic_write_text(out_dir / "history.json", json.dumps(result.history, indent=1))
        if project is not None and cancelled():
            raise TrainingCancelled
        paths = publish(paths)
    task = heads[0].task
    done: dict[str, Any] = {"event": "done", "version": version, "model_path": str(paths[task]),
                            "comparison": comparison[task], "models": {k: str(v) for k, v in paths.items()},
                            "best_epoch": result.best_epoch, "promoted": False,
                            "promote_if_better": args.promote_if_better}  # fmt: skip
    if refit:
        done["refit"] = refit
    chosen = read_meta(paths[task])
    if "refinements_val" in chosen:
        done.update(refinements=chosen["refinements"], refinements_val=chosen["refinements_val"])
    if len(heads) > 1:
        done["comparisons"] = comparison
    if project is not None:
        trained_on = [s.name for s in (train_s + val_s if refit else train_s)]
        done.update(_register(project, heads[0], paths[task], comparison[task], trained_on, args, emit))
        if done.get("not_promoted"):
            emit({"event": "info", "message": f"not promoted: {done['not_promoted']}; make it active "
                  f"by hand if wanted (Train > Model history, or models --activate {done['version']})"})  # fmt: skip
    if rank == 0:  # exported: a later --resume must not reuse this run's finished state
        (out_dir / CHECKPOINT).unlink(missing_ok=True)
    return done


def _remove_leftovers(out_dir: Path, cache_dir: Path, emit: Emit) -> None:
    """Remove the temp files killed runs left in ``out_dir`` and ``cache_dir``, and the
    untagged split caches of older versions (each tag's are swept as it is loaded:
    :func:`~training.data.load_split`), saying each kind in an ``info`` event of its own (the
    old caches were said to be temporary files an interrupted run left)."""
    temps = remove_abandoned_temps([out_dir], [cache_dir])
    old: list[Path] = []
    with contextlib.suppress(OSError):  # no cache folder yet
        old = sweep_split_caches(cache_dir, None)
    for removed, what in ((temps, "temporary file(s) an interrupted run left"),
                          (old, "training cache(s) of an older version, never read again")):  # fmt: skip
        if removed:
            emit({"event": "info", "message": f"removed {len(removed)} {what}: "
                  f"{', '.join(str(p) for p in removed[:3])}{' ...' if len(removed) > 3 else ''}"})  # fmt: skip


#: With ``--refit`` and a time bound, the share of it the held-out run may use; the refit on
#: every mask gets what is left.
REFIT_FIRST_SHARE = 0.5
#: A refit with less time than this left (minutes) is skipped: the held-out model stays.
REFIT_MIN_MINUTES = 0.25


def _refit(
    cfg: TrainConfig, heads: list[Head], samples: list[Sample], epochs: int,
    minutes: float | None, emit: Emit, cancelled: Callable[[], bool],
    init_state: dict[str, torch.Tensor] | None, load: Callable[[], CachedSplit],
    mean: list[float], std: list[float],
) -> nn.Module | None:  # fmt: skip
    """Train again from the same start on every mask (train + val) for the chosen epochs.

    The held-out run chose the epoch count, the threshold and whether the model is better;
    this run only adds the validation masks to what the weights learn from. Its events are
    relayed as ``refit_step`` / ``refit_epoch``. Returns None (and says why in an ``info``
    event) when it is skipped: under DDP, or with too little of the time bound left, or when
    the time bound cut it short (a partly trained refit was registered, unscored).
    """
    if distributed.rank_and_world()[1] > 1:
        emit({"event": "info", "message": "refit skipped: not supported with several processes"})
        return None
    if minutes is not None and minutes < REFIT_MIN_MINUTES:
        emit({"event": "info", "message": "refit skipped: the time bound is spent; the held-out "
                                          "model is kept"})  # fmt: skip
        return None
    emit({"event": "info", "message": f"refit: {epochs} epoch{'s' if epochs != 1 else ''} on all "
                                      f"{len(samples)} masks",
          "refit": {"epochs": epochs, "images": len(samples)}})  # fmt: skip
    split = load()
    refit_cfg = replace(cfg, out_dir=str(Path(cfg.out_dir) / "refit"), epochs=epochs,
                        max_minutes=minutes, patience=epochs, select_best=False)  # fmt: skip

    def relay(event: dict) -> None:
        emit({**event, "event": f"refit_{event['event']}"})

    result = train(refit_cfg, heads, split, split, mean, std, relay, cancelled, init_state=init_state)
    (Path(refit_cfg.out_dir) / CHECKPOINT).unlink(missing_ok=True)  # nothing resumes a refit
    if not result.complete:  # cut by the time bound: weights neither scored nor fully trained
        emit({"event": "info", "message": "refit stopped by the time bound before its last step: "
                                          "not used; the held-out model (the one scored) is kept"})  # fmt: skip
        return None
    return result.model


def _register(
    project: ProjectStore, head: Head, path: Path, comparison: dict, trained_on: list[str],
    args: TrainRequest, emit: Emit,
) -> dict[str, Any]:  # fmt: skip
    """Register the new model; activate it only with --promote-if-better when it is better
    (:func:`~training.finetune.promotion`: by a margin, on more val photos than it loses; a
    first model than predicting background everywhere, else ``not_promoted`` says why)."""
    promote, shortfall = promotion(head.primary_metric, comparison, args.promote_if_better)
    metrics = registered_metrics(comparison, bool(read_meta(path).get("refit")))
    record = project.models.register(head.task, path, metrics, trained_on, activate=promote)
    # the file keeps the run's version (its date: proposals record it, and the window names the
    # model "v1 (20261205-104212)"; overwriting it with the registry number read "v1 (1)")
    meta_file = Path(record.path).with_suffix(".json")
    try:  # registered already: a full disk here failed the run, "nothing registered" in the dialog
        meta = json.loads(meta_file.read_text())
        atomic_write_text(meta_file, meta_json({**meta, "registry_version": record.version}))
    except OSError as exc:
        emit({"event": "info", "message": f"registered as version {record.version}; its meta file "
              f"{meta_file} keeps the run's version only ({exc})"})  # fmt: skip
    return {"version": record.version, "model_path": str(record.path), "promoted": promote,
            **({"not_promoted": shortfall} if shortfall else {})}  # fmt: skip


def _mean_std(split: CachedSplit) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of the training photos, 0..1 scale."""
    px = split.images.reshape(-1, 3)[:: max(1, split.images[..., 0].size // 2_000_000)]
    px = px.astype(np.float64) / 255
    return px.mean(0).round(4).tolist(), np.maximum(px.std(0), 1e-3).round(4).tolist()
