"""Train the click-to-correct network with simulated clicks (RITM-style), time-bounded.

``python -m training.clicks --data DIR --out DIR [--device auto|cpu|cuda] --max-minutes M
[--tasks garment,person] [--batch N] [--workers K] [--seed S] [--init FILE|scratch]
[--val-limit N]``

- **Data**: a plain mask folder (``images/``, ``masks/``, ``taxonomies.json``, ``splits.json``),
  decoded once into memory. Each training sample picks a photo and a task; a binary task's
  target is its foreground, a multi-class task's target one class present in the photo (the
  "clicked class" of parsing).
- **Crops** (zoom-in, as in FocalClick): the whole photo, a box around the target (1.1-1.8x its
  size, jittered) or a focus box around a point of the target's edge (0.25-0.7x), all of the
  network's aspect ratio, resampled to the network input size, randomly mirrored; with
  ``--product-crops P`` a share P of the crops of photos with a proposal are the window's own
  (:func:`training.click_data.product_box`: the crop the predictor corrects the proposal on).
- **Starting masks**: the proposal the operator was shown (``--project``: the recorded one;
  ``--data --proposal-starts``: the shipped models'), GrabCut in a jittered box around the
  target (the box prompt's start), empty, or the ground truth perturbed (eroded / dilated,
  coarsened, blobs added and removed).
- **Clicks**: the first click at the centre of the largest error region, then 0-3 further clicks
  each placed on the errors of the network's own prediction (no gradient), the prediction fed
  back as the mask, then a training step on the last prediction (BCE + Dice).
- **Schedule**: AdamW, warm-up then cosine decay over the time budget (``--max-minutes`` bounds
  the whole run, loading and the final evaluation included); bf16 autocast on CUDA.
- **Selection**: NoC@90 / NoC@95 (clicks to IoU 0.90 / 0.95, capped at 20, standard clicker,
  starting from an empty mask, on the whole val photo at the network's input size) on the val
  split of each binary task, at 50 %, 75 % and 100 % of the budget; the best weights are kept.
- **Output**: ``OUT/click.safetensors`` + ``OUT/click.json``, ``OUT/metrics.json``,
  ``OUT/log.jsonl`` (one JSON event a line); progress lines on stdout.

Imports only torch, numpy, OpenCV, Pillow and the Qt-free, shapely-free modules
:mod:`fashion_annotator.models`, :mod:`fashion_annotator.segmentation.clicks` and
:mod:`training.data` (the proposal models load only with ``--proposal-starts``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from fashion_annotator.models.click import (
    CHANNELS,
    CLICK_RADIUS,
    DEFAULT_ARCH,
    DEFAULT_ARCHS,
    INPUT_SIZE,
    MEAN,
    NOC_THRESHOLDS,
    STD,
    add_disks,
    build_click_net,
    click_meta,
    load_click_model,
    network_input,
    next_click,
    simulated_clicks,
)
from fashion_annotator.models.device import channels_last
from fashion_annotator.models.registry import DEFAULT_ARCHITECTURE, architecture_of, build_model
from fashion_annotator.models.weights import ModelFileError, read_meta, save_model
from fashion_annotator.resources import resource_path
from training.click_data import (
    ClickCrops,
    TaskSpec,
    cached_starts,
    load_photos,
    project_samples,
    proposal_starts,
    val_crops,
)
from training.data import list_samples, split_samples, task_mapping
from training.loop import TrainingCancelled, TrainingDiverged
from training.pretrained import encoder_param_groups

MAX_CLICKS = 20


@torch.no_grad()
def noc(
    model: nn.Module,
    images: np.ndarray,
    gts: np.ndarray,
    device: torch.device,
    batch: int,
    mean: list[float],
    std: list[float],
    radius: float = CLICK_RADIUS,
    max_clicks: int = MAX_CLICKS,
) -> dict[str, Any]:
    """Simulate up to ``max_clicks`` clicks per photo from an empty mask; return NoC figures.

    Returns a dict with ``noc90``, ``noc95`` (means, failures counted as ``max_clicks``),
    ``per_image_noc90``, ``per_image_noc95`` (each photo's clicks, in the order of ``images``:
    the click retrain's promotion compares two models photo by photo), ``fail90``, ``fail95``
    (fractions that never reach the IoU), ``iou_at`` (mean IoU after 1, 2, 3, 5, 10 and 20
    clicks) and ``n``.
    """
    model.eval()
    n = len(images)
    ious = np.zeros((n, max_clicks))
    autocast = device.type == "cuda"
    for s in range(0, n, batch):
        img = torch.from_numpy(images[s : s + batch]).to(device).permute(0, 3, 1, 2)
        gt = gts[s : s + batch]
        b = len(gt)
        prev = torch.zeros(b, 1, *gt.shape[1:], device=device)
        maps = torch.zeros(b, 2, *gt.shape[1:], device=device)
        pred = np.zeros_like(gt)
        for c in range(max_clicks):
            yx = np.zeros((b, 2))
            ch = np.full(b, -1)
            for j in range(b):
                click = next_click(pred[j], gt[j])
                if click is not None:
                    yx[j], ch[j] = click[:2], 0 if click[2] else 1
            add_disks(maps, torch.from_numpy(yx), torch.from_numpy(ch), radius)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
                logits = model(_nhwc(network_input(img, prev, maps, mean, std)))
            prev = (logits.float() > 0).float()
            pred = prev[:, 0].bool().cpu().numpy()
            inter = (pred & gt).sum((1, 2))
            union = (pred | gt).sum((1, 2))
            ious[s : s + b, c] = inter / np.maximum(union, 1)
    out: dict[str, Any] = {"n": n}
    for thr in NOC_THRESHOLDS:
        reached = ious >= thr
        first = np.where(reached.any(1), reached.argmax(1) + 1, max_clicks)
        key = f"{round(thr * 100)}"
        out[f"noc{key}"] = float(first.mean())
        out[f"per_image_noc{key}"] = [int(k) for k in first]
        out[f"fail{key}"] = float((~reached.any(1)).mean())
    out["iou_at"] = {str(k): float(ious[:, k - 1].mean()) for k in (1, 2, 3, 5, 10, 20) if k <= max_clicks}
    return out


def click_net_from(path: Path) -> tuple[nn.Module, dict[str, Any], dict[str, Any]]:
    """A click network in the architecture of the model file at ``path``, started from its weights.

    A click model's weights load as they are (a project retrain). A proposal model's (three
    input channels) are copied where the shapes agree; a convolution that reads the photo gets
    its RGB weights and zeros for the mask and click channels, so the new network starts as the
    proposal model (a binary head, garment or person, is kept; another head starts fresh).

    Returns
    -------
    model : nn.Module
        The click network (:func:`~fashion_annotator.models.click.build_click_net`).
    arch : dict
        Its arguments (the click model's ``arch``).
    meta : dict
        The meta of the file at ``path``.

    Raises
    ------
    ModelFileError, OSError
        The file cannot be read.
    ValueError
        Its architecture cannot make a click network.
    """
    from safetensors.torch import load_file

    meta = read_meta(path)
    architecture = architecture_of(meta)
    if architecture not in DEFAULT_ARCHS:
        raise ValueError(f"{path}: a {architecture} model cannot start a click network")
    # The file's own arguments (its architecture's defaults for what it leaves out), not the
    # click defaults: the network must be the one the weights were trained in.
    arch = {**meta["arch"], "in_ch": len(CHANNELS), "out_ch": 1}
    if "boundary_head" in arch:
        arch["boundary_head"] = False
    model = build_model({"architecture": architecture, "arch": arch})
    own = model.state_dict()
    for key, value in load_file(str(path)).items():
        target = own.get(key)
        if target is None:
            continue
        if target.shape == value.shape:
            own[key] = value
        elif target.ndim == 4 and value.ndim == 4 and value.shape[1] == 3 and (
            target.shape[:1] + target.shape[2:] == value.shape[:1] + value.shape[2:]
        ):
            own[key] = torch.zeros_like(target)
            own[key][:, :3] = value
    model.load_state_dict(own)
    return model, arch, meta


def resolve_device(name: str) -> torch.device:
    """``auto`` -> cuda when available, else cpu."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device available")
    return torch.device(name)


def dice_bce(logits: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """BCE + soft Dice per batch, ``logits`` ``(B, 1, H, W)``, ``gt`` ``(B, 1, H, W)`` {0, 1}."""
    logits = logits.float()
    bce = F.binary_cross_entropy_with_logits(logits, gt)
    p = torch.sigmoid(logits)
    inter = (p * gt).sum((1, 2, 3))
    dice = 1 - (2 * inter + 1) / (p.sum((1, 2, 3)) + gt.sum((1, 2, 3)) + 1)
    return bce + dice.mean()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m training.clicks", description=__doc__.split("\n")[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", type=Path, help="plain mask folder (CCP layout)")
    src.add_argument("--project",
                     help="a project (folder or postgresql:// URL): its done/approved masks, with "
                          "their click logs replayed")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--max-minutes", type=float, required=True, help="budget of the whole run")
    p.add_argument("--tasks", default="garment,person,parsing7",
                   help="comma-separated tasks of taxonomies.json to draw targets from")
    p.add_argument("--batch", type=int, default=None, help="default 96 on CUDA, 4 on CPU")
    p.add_argument("--workers", type=int, default=None, help="data workers (default: min(8, cores-2) on CUDA, 0 on CPU)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (default 2e-3 x batch/64, at most 4e-3)")
    p.add_argument("--max-iters", type=int, default=3, help="most clicks placed on the network's own errors")
    p.add_argument("--input-size", type=int, nargs=2, default=list(INPUT_SIZE), metavar=("H", "W"))
    p.add_argument("--init", default="garment",
                   help="'scratch', a proposal model file, or a shipped model name (default garment)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--encoder-lr-scale", type=float, default=1.0,
                   help="learning rate of a pretrained encoder (an effunet init's encoder.*) relative to the rest")
    p.add_argument("--val-limit", type=int, default=None, help="use at most N val photos per task")
    p.add_argument("--proposal-starts", action="store_true",
                   help="with --data: some crops start from the shipped proposal models' masks "
                        "(a project's crops start from the proposals its operators were shown)")
    p.add_argument("--starts-file", type=Path, default=None, metavar="NPZ",
                   help="with --proposal-starts: read the start masks from NPZ when it was made for "
                        "this data and these models, else compute them and write it (a machine "
                        "sent without the model files trains on masks made elsewhere)")
    p.add_argument("--product-crops", type=float, default=0.0, metavar="P",
                   help="share of crops of photos with a start mask (--proposal-starts, --project) "
                        "that are the window's own correction: the proposal on the crop the "
                        "predictor corrects it on (default 0)")
    p.add_argument("--keep", choices=("best", "last"), default="best",
                   help="keep the weights of the best val NoC (default) or the last step's "
                        "(the val NoC is the raw network's, not the window's: select with "
                        "`fashion-annotator bench noc` instead)")
    p.add_argument("--exclude-unchanged", action="store_true",
                   help="with --project: leave out accepted proposals saved unchanged")
    p.add_argument("--compare", type=Path, default=None,
                   help="also score this click model on the same val crops (metrics.json 'compare')")
    return p.parse_args(argv)


def main(
    argv: list[str] | None = None,
    emit: Callable[[dict[str, Any]], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> int:
    """Run the trainer; return the exit status.

    Events (one dict each) go to ``emit`` when given, else to stdout as JSON lines; both ways
    to ``OUT/log.jsonl``. ``cancelled()`` turning True stops the run before the next step
    (:class:`training.loop.TrainingCancelled`; nothing is written but the log).
    """
    t_start = time.monotonic()
    args = parse_args(argv)
    device = resolve_device(args.device)
    cuda = device.type == "cuda"
    batch = args.batch or (96 if cuda else 4)
    workers = args.workers if args.workers is not None else (min(8, max(0, (os.cpu_count() or 2) - 2)) if cuda else 0)
    lr = args.lr or min(4e-3, 2e-3 * batch / 64)
    size = (int(args.input_size[0]), int(args.input_size[1]))
    budget = args.max_minutes * 60.0
    args.out.mkdir(parents=True, exist_ok=True)
    log_path = args.out / "log.jsonl"
    log_file = log_path.open("w")

    def event(kind: str, **fields: Any) -> None:
        rec = {"event": kind, "elapsed_s": round(time.monotonic() - t_start, 2), **fields}
        log_file.write(json.dumps(rec) + "\n")
        log_file.flush()
        if emit is not None:
            emit(rec)
        else:
            print(json.dumps(rec), flush=True)

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    names = [t.strip() for t in args.tasks.split(",") if t.strip()]
    if args.project is not None:
        tasks, train_s, val_s, logs, shown = project_samples(args.project, names, args.exclude_unchanged)
        train_logs = [logs[s.name] for s in train_s]
        train_starts: list[dict[str, np.ndarray]] | None = [shown[s.name] for s in train_s]
    else:
        tasks = [TaskSpec(name, *task_mapping(args.data, name)) for name in names]
        train_s, val_s = split_samples(list_samples(args.data), args.data)
        train_logs = None
        train_starts = None
    source = args.project or args.data
    if args.val_limit is not None:
        val_s = val_s[: args.val_limit]
    if not train_s or not val_s:
        raise SystemExit(f"{source}: need train and val photos (got {len(train_s)} and {len(val_s)})")
    event("start", device=str(device), batch=batch, workers=workers, lr=lr, tasks=[t.name for t in tasks],
          train=len(train_s), val=len(val_s), input_size=list(size), max_minutes=args.max_minutes)
    train_images, train_labels = load_photos(train_s, lambda m: event("load", message=m))
    val_images, val_labels = load_photos(val_s, lambda m: event("load", message=m))
    val_sets = {t.name: val_crops(val_images, val_labels, t, size) for t in tasks if t.binary}
    if not val_sets:
        raise SystemExit(f"--tasks {args.tasks}: at least one binary task (garment, person) is needed for val")

    model: nn.Module | None = None
    arch, architecture = dict(DEFAULT_ARCH), DEFAULT_ARCHITECTURE
    init = "scratch"
    mean, std = list(MEAN), list(STD)
    if args.init != "scratch":
        path = Path(args.init)
        if not path.suffix:
            path = resource_path("models", f"{args.init}.safetensors")
        try:
            model, arch, init_meta = click_net_from(path)
            architecture = architecture_of(init_meta)
            init = str(path.name)
            mean, std = list(init_meta["mean"]), list(init_meta["std"])
        except (ModelFileError, OSError, ValueError) as exc:
            event("warning", message=f"--init {args.init}: {exc}; training from scratch")
    if model is None:
        model = build_click_net()
    model = channels_last(model.to(device), device)
    event("model", init=init, architecture=architecture, parameters=sum(p.numel() for p in model.parameters()))
    opt = torch.optim.AdamW(encoder_param_groups(model, args.encoder_lr_scale), lr=lr, weight_decay=1e-4)

    if args.starts_file is not None and not args.proposal_starts:
        raise SystemExit("--starts-file goes with --proposal-starts")
    if args.proposal_starts and train_starts is None and args.starts_file is not None:
        try:
            train_starts = cached_starts(args.starts_file, [s.name for s in train_s], train_images, tasks,
                                         str(device), lambda m: event("load", message=m))  # fmt: skip
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
    elif args.proposal_starts and train_starts is None:
        train_starts = proposal_starts(train_images, tasks, str(device), lambda m: event("load", message=m))
    if args.product_crops > 0 and train_starts is None:
        raise SystemExit("--product-crops needs start masks: --proposal-starts with --data, or --project")
    data = ClickCrops(train_images, train_labels, tasks, size, args.seed, logs=train_logs,
                      starts=train_starts, p_product=args.product_crops)  # fmt: skip
    # Workers are spawned, not forked: a fork of a process that has started CUDA and torch's
    # thread pools hung on the GPU machine (no step ever logged); spawn starts them clean.
    loader = DataLoader(
        data, batch_size=batch, shuffle=False, num_workers=workers, pin_memory=cuda,
        persistent_workers=workers > 0, prefetch_factor=4 if workers > 0 else None,
        worker_init_fn=_worker_init, multiprocessing_context="spawn" if workers > 0 else None,
    )
    t_train = time.monotonic()
    n_val = sum(len(x) for x, _ in val_sets.values())
    eval_points = [0.5, 0.75]
    best: tuple[float, float] | None = None
    best_state: dict[str, torch.Tensor] | None = None
    best_metrics: dict[str, Any] = {}
    rng = np.random.default_rng(args.seed)
    step, seen, loss_avg = 0, 0, None
    forward_s = 0.0  # running estimate of one sample's forward pass, seconds
    last_print = time.monotonic()

    def eval_estimate() -> float:
        """Seconds one NoC evaluation will take (10 % of the budget before the first step)."""
        if forward_s <= 0:
            return 0.1 * budget
        return MAX_CLICKS * n_val * (1.5 * forward_s + 0.002) + 1.0

    def evaluate(progress: float) -> None:
        nonlocal best, best_state, best_metrics
        t0 = time.monotonic()
        figures = {name: noc(model, x, g, device, batch, mean, std) for name, (x, g) in val_sets.items()}
        key = (
            float(np.mean([f["noc90"] for f in figures.values()])),
            float(np.mean([f["noc95"] for f in figures.values()])),
        )
        improved = best is None or key < best or (args.keep == "last" and progress >= 1.0)
        if improved:
            best, best_metrics = key, figures
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        event("val", step=step, progress=round(progress, 3), figures=figures, best=improved,
              eval_s=round(time.monotonic() - t0, 1))
        model.train()

    model.train()
    it = iter(loader)
    while True:
        # Intermediate evaluations are budgeted only when each costs under 10 % of the run.
        n_evals = 1 + (len(eval_points) if eval_estimate() < 0.1 * budget else 0)
        end = t_start + budget - n_evals * eval_estimate()
        progress = (time.monotonic() - t_train) / max(end - t_train, 1e-6)
        if progress >= 1.0 and step > 0:
            break
        if cancelled is not None and cancelled():
            log_file.close()
            raise TrainingCancelled
        if eval_points and progress >= eval_points[0]:
            eval_points.pop(0)
            if n_evals > 1:
                evaluate(progress)
        warm = min(1.0, max((step + 1) / 50, progress / 0.05))  # 50 steps or 5 % of the run
        for group in opt.param_groups:
            group["lr"] = group["scale"] * lr * warm * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        image, gt, prev, logged = next(it)
        t_step = time.monotonic()
        image = image.to(device, non_blocking=True).permute(0, 3, 1, 2).float()
        gt = gt.to(device, non_blocking=True).unsqueeze(1).float()
        prev = prev.to(device, non_blocking=True).unsqueeze(1).float()
        b = image.shape[0]
        gain = torch.empty(b, 1, 1, 1, device=device).uniform_(0.75, 1.25)
        bias = torch.empty(b, 1, 1, 1, device=device).uniform_(-20, 20)
        image = (image * gain + bias).clamp_(0, 255)
        gt_bool = gt[:, 0] > 0.5
        maps = torch.zeros(b, 2, *size, device=device)
        logged = logged.to(device)
        for j in range(logged.shape[1]):
            sign = logged[:, j, 2]
            add_disks(maps, logged[:, j, :2], torch.where(sign > 0, 0, torch.where(sign < 0, 1, -1)),
                      CLICK_RADIUS)  # fmt: skip
        yx, ch = simulated_clicks(prev[:, 0] > 0.5, gt_bool)
        add_disks(maps, yx, torch.where(logged[:, 0, 2] != 0, -1, ch), CLICK_RADIUS)
        n_iters = int(rng.integers(0, args.max_iters + 1))
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda):
            for _ in range(n_iters):
                prev = (model(_nhwc(network_input(image, prev, maps, mean, std))).float() > 0).float()
                yx, ch = simulated_clicks(prev[:, 0] > 0.5, gt_bool)
                add_disks(maps, yx, ch, CLICK_RADIUS)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda):
            logits = model(_nhwc(network_input(image, prev, maps, mean, std)))
        loss = dice_bce(logits, gt)
        if not bool(torch.isfinite(loss)):  # NaN weights were saved and registered
            raise TrainingDiverged(
                f"the click loss became {loss.item()} at step {step + 1} (learning rate "
                f"{opt.param_groups[0]['lr']:.3g}); no model was saved. Lower --lr"
            )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        # A training step costs about (iterations + 3) forward passes of the batch.
        per_sample = (time.monotonic() - t_step) / (b * (n_iters + 3))
        if step > 0:  # the first step pays for warm-up (kernel selection, allocations)
            forward_s = per_sample if step < 3 else 0.9 * forward_s + 0.1 * per_sample
        step += 1
        seen += b
        value = float(loss.detach())
        loss_avg = value if loss_avg is None else 0.95 * loss_avg + 0.05 * value
        if time.monotonic() - last_print >= (10 if cuda else 5) or step == 1:
            last_print = time.monotonic()
            elapsed = time.monotonic() - t_train
            event("step", step=step, loss=round(loss_avg, 4), lr=round(opt.param_groups[0]["lr"], 6),
                  samples_per_s=round(seen / max(elapsed, 1e-6), 1),
                  progress=round(progress, 3), eta_s=round(end - time.monotonic(), 1))
    # The data workers are stopped here, not at interpreter exit: torn down then, one of them
    # aborted on the GPU machine (a traceback after "done", the model already saved).
    del it, loader
    evaluate(1.0)
    if cancelled is not None and cancelled():  # the final evaluation can take minutes
        log_file.close()
        raise TrainingCancelled
    assert best_state is not None
    model.load_state_dict(best_state)
    model.cpu()
    meta = click_meta(
        arch, size, CLICK_RADIUS, mean=mean, std=std, architecture=architecture,
        version=dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S"),
        date=dt.datetime.now(dt.timezone.utc).isoformat(),
        tasks=[t.name for t in tasks], init=init, steps=step, samples=seen, batch=batch,
        trained_on=[s.name for s in train_s], val_images=[s.name for s in val_s],
        val=best_metrics, device=str(device),
    )
    save_model(args.out / "click.safetensors", model, meta)
    metrics = {
        "protocol": (f"NoC: clicks to IoU >= 0.90 / 0.95 (capped at {MAX_CLICKS}, failures count "
                     f"{MAX_CLICKS}), standard clicker from an empty mask, whole val photo "
                     f"at {size[0]}x{size[1]}"),
        "tasks": best_metrics, "steps": step, "samples": seen,
        "train_s": round(time.monotonic() - t_train, 1), "total_s": round(time.monotonic() - t_start, 1),
    }
    if args.compare is not None:
        other = load_click_model(args.compare, str(device))
        o_mean, o_std = list(other.meta["mean"]), list(other.meta["std"])
        metrics["compare"] = {
            name: noc(other.module, x, g, device, batch, o_mean, o_std)
            for name, (x, g) in val_sets.items()
        }
        metrics["compare_model"] = str(args.compare)
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    event("done", model=str(args.out / "click.safetensors"), metrics=best_metrics, steps=step)
    log_file.close()
    return 0


def _nhwc(x: torch.Tensor) -> torch.Tensor:
    """``x`` in channels-last memory (the layout :func:`~fashion_annotator.models.device.channels_last` models run fastest on)."""
    return x.contiguous(memory_format=torch.channels_last)


def _worker_init(_: int) -> None:
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


if __name__ == "__main__":
    sys.exit(main())
