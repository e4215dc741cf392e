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
  network's aspect ratio, resampled to the network input size, randomly mirrored.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from fashion_annotator.core.samples import read_sample
from fashion_annotator.models.click import (
    CLICK_RADIUS,
    DEFAULT_ARCH,
    INPUT_SIZE,
    MEAN,
    STD,
    CropBox,
    add_disks,
    build_click_net,
    click_meta,
    fit_box,
    load_click_model,
    network_input,
    next_click,
    simulated_clicks,
    warp_crop,
)
from fashion_annotator.models.weights import ModelFileError, read_meta, save_model
from fashion_annotator.resources import resource_path
from fashion_annotator.segmentation.clicks import grabcut_box
from training.data import Sample, list_samples, split_samples, task_mapping
from training.loop import TrainingCancelled

MAX_CLICKS = 20
#: Logged operator clicks replayed per training sample, at most.
MAX_LOGGED = 8
NOC_THRESHOLDS = (0.90, 0.95)


@dataclass
class TaskSpec:
    """A task of the data folder: its name, classes and source-id LUT ``(256,) uint8``."""

    name: str
    classes: list[str]
    lut: np.ndarray

    @property
    def binary(self) -> bool:
        """True for a cutout task (background + one class)."""
        return len(self.classes) == 2


#: Share of training crops that start from a recorded or model proposal, when the photo has one.
P_START = 0.3
#: Share of training crops (not focus crops) that start from GrabCut in a box around the target.
P_GRABCUT = 0.15


def proposal_starts(
    images: list[np.ndarray], tasks: list[TaskSpec], device: str, emit: Callable[[str], None]
) -> list[dict[str, np.ndarray]]:
    """The shipped proposal models' masks ``(H, W) bool`` of each binary task, per photo.

    The click model then learns to correct what operators are actually shown.
    """
    from fashion_annotator.segmentation.proposals import load_predictor

    out: list[dict[str, np.ndarray]] = [{} for _ in images]
    for task in tasks:
        if not task.binary:
            continue
        predictor = load_predictor(task.name, device=device)
        for i, rgb in enumerate(images):
            predictor.set_image(rgb)
            out[i][task.name] = predictor.predict().mask == 1
            if (i + 1) % 100 == 0:
                emit(f"{task.name} proposals: {i + 1}/{len(images)} photos")
    return out


def load_photos(samples: list, emit: Callable[[str], None]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Decode the photos ``(H, W, 3) uint8`` and source label masks ``(H, W) uint8``."""
    images, masks = [], []
    for i, s in enumerate(samples):
        rgb, mask = read_sample(s)
        images.append(rgb)
        masks.append(mask)
        if (i + 1) % 200 == 0:
            emit(f"loaded {i + 1}/{len(samples)} photos")
    return images, masks


def pick_target(
    labels: np.ndarray, task: TaskSpec, rng: np.random.Generator, min_fraction: float = 0.002
) -> np.ndarray | None:
    """Return the target ``(H, W) bool`` of ``task`` in a label mask, or None if there is none.

    Binary task: its foreground. Multi-class task: a random class covering at least
    ``min_fraction`` of the photo.
    """
    mapped = task.lut[labels]
    if task.binary:
        target = mapped == 1
        return target if target.any() else None
    counts = np.bincount(mapped.ravel(), minlength=len(task.classes))
    present = [c for c in range(1, len(task.classes)) if counts[c] >= min_fraction * mapped.size]
    if not present:
        return None
    return mapped == rng.choice(present)


def sample_box(
    target: np.ndarray, rng: np.random.Generator, size: tuple[int, int]
) -> tuple[CropBox, bool]:
    """Draw a training crop for ``target`` ``(H, W) bool``; return it and whether it is a focus box."""
    h, w = target.shape
    x, y, bw, bh = cv2.boundingRect(target.astype(np.uint8))
    u = rng.random()
    if u < 0.2:
        box = fit_box(0, 0, h, w, size)
        return CropBox(box.y0, box.x0, box.scale * rng.uniform(0.9, 1.1), size), False
    if u < 0.7:
        f = rng.uniform(1.1, 1.8)
        cy, cx = y + bh / 2 + rng.uniform(-0.1, 0.1) * bh, x + bw / 2 + rng.uniform(-0.1, 0.1) * bw
        return fit_box(cy - f * bh / 2, cx - f * bw / 2, cy + f * bh / 2, cx + f * bw / 2, size), False
    edge = cv2.morphologyEx(target.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero(edge)
    k = rng.integers(len(ys))
    obj = fit_box(y, x, y + bh, x + bw, size)
    f = rng.uniform(0.25, 0.7)
    half_h, half_w = obj.height * f / 2, obj.width * f / 2
    cy = ys[k] + rng.uniform(-0.3, 0.3) * half_h
    cx = xs[k] + rng.uniform(-0.3, 0.3) * half_w
    return fit_box(cy - half_h, cx - half_w, cy + half_h, cx + half_w, size), True


def grabcut_start(image: np.ndarray, gt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """GrabCut from a jittered box around ``gt`` on the crop: the box prompt's starting mask.

    Parameters
    ----------
    image : (h, w, 3) uint8
        The training crop.
    gt : (h, w) uint8 {0, 1}
        The target in the crop.

    Returns
    -------
    (h, w) uint8 {0, 1}
        GrabCut's foreground (empty when GrabCut fails, e.g. on a flat crop).
    """
    if not gt.any():
        return np.zeros_like(gt)
    h, w = gt.shape
    x, y, bw, bh = cv2.boundingRect(gt)
    jitter = rng.uniform(-0.05, 0.08, 4) * np.array([bh, bw, bh, bw])
    y0 = int(np.clip(y - jitter[0], 0, h - 2))
    x0 = int(np.clip(x - jitter[1], 0, w - 2))
    y1 = int(np.clip(y + bh + jitter[2], y0 + 2, h))
    x1 = int(np.clip(x + bw + jitter[3], x0 + 2, w))
    return grabcut_box(image, (y0, x0, y1, x1)).astype(np.uint8)


def perturb(gt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return a plausible wrong mask ``(H, W) uint8`` {0, 1} near ``gt`` ``(H, W) uint8`` {0, 1}."""
    h, w = gt.shape
    out = gt.copy()
    u = rng.random()
    if u < 0.4:
        r = int(rng.integers(2, 14))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        out = (cv2.erode if rng.random() < 0.5 else cv2.dilate)(out, kernel)
    elif u < 0.8:
        f = rng.uniform(1 / 24, 1 / 6)
        small = cv2.resize(gt.astype(np.float32), (max(2, int(w * f)), max(2, int(h * f))),
                           interpolation=cv2.INTER_AREA)
        big = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        out = (big > rng.uniform(0.3, 0.7)).astype(np.uint8)
    if u >= 0.8 or rng.random() < 0.6:
        for _ in range(int(rng.integers(1, 4))):
            centre = (int(rng.integers(w)), int(rng.integers(h)))
            axes = (int(rng.integers(5, max(6, w // 5))), int(rng.integers(5, max(6, h // 5))))
            blob = np.zeros_like(out)
            cv2.ellipse(blob, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
            out = np.where(blob > 0, rng.integers(0, 2), out).astype(np.uint8)
    if np.array_equal(out, gt):
        centre = (int(rng.integers(w)), int(rng.integers(h)))
        blob = np.zeros_like(out)
        cv2.circle(blob, centre, int(rng.integers(3, max(4, min(h, w) // 6))), 1, -1)
        out ^= blob
    return out


class ClickCrops(Dataset):
    """Infinite stream of training crops; item ``k`` is deterministic given the seed.

    Each item is ``(image (h, w, 3) uint8, gt (h, w) uint8, prev (h, w) uint8, logged (K, 3)
    float32)`` at the network input size ``(h, w)``. ``logged`` holds operator clicks replayed
    from click logs (``y, x`` in crop pixels, ``sign`` +1 / -1, 0 for an empty slot): half the
    time a photo with a log is drawn, its crop covers the target, the mask starts empty and the
    logged clicks replace the first simulated click.
    """

    def __init__(
        self,
        images: list[np.ndarray],
        labels: list[np.ndarray],
        tasks: list[TaskSpec],
        size: tuple[int, int],
        seed: int,
        p_empty: float = 0.35,
        logs: list[list[tuple[float, float, bool]]] | None = None,
        starts: list[dict[str, np.ndarray]] | None = None,
        p_start: float = P_START,
        p_grabcut: float = P_GRABCUT,
    ) -> None:
        self.images, self.labels, self.tasks = images, labels, tasks
        self.size, self.seed, self.p_empty = size, seed, p_empty
        self.logs = logs or [[] for _ in images]
        self.logged = [i for i, log in enumerate(self.logs) if log]
        self.starts = starts or [{} for _ in images]
        self.p_start, self.p_grabcut = p_start, p_grabcut

    def __len__(self) -> int:
        return 2**62

    def __getitem__(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, k])
        replay = bool(self.logged) and rng.random() < 0.5
        while True:
            i = int(rng.choice(self.logged)) if replay else int(rng.integers(len(self.images)))
            task = self.tasks[int(rng.integers(len(self.tasks)))]
            target = pick_target(self.labels[i], task, rng)
            if target is not None:
                break
        logged = np.zeros((MAX_LOGGED, 3), np.float32)
        if replay:
            x, y, bw, bh = cv2.boundingRect(target.astype(np.uint8))
            f = rng.uniform(1.2, 1.6)
            cy, cx = y + bh / 2, x + bw / 2
            box = fit_box(cy - f * bh / 2, cx - f * bw / 2, cy + f * bh / 2, cx + f * bw / 2,
                          self.size)  # fmt: skip
            clicks = self.logs[i][:MAX_LOGGED]
            yx = box.to_crop(np.array([(c[0], c[1]) for c in clicks]))
            logged[: len(clicks), :2] = yx
            logged[: len(clicks), 2] = [1.0 if c[2] else -1.0 for c in clicks]
            focus = False
        else:
            box, focus = sample_box(target, rng, self.size)
        image = warp_crop(self.images[i], box)
        gt = (warp_crop(target.astype(np.float32), box) > 0.5).astype(np.uint8)
        start = self.starts[i].get(task.name)
        u = rng.random()
        if replay:
            prev = np.zeros_like(gt)
        elif start is not None and u < self.p_start:  # what the operator was shown
            prev = (warp_crop(start.astype(np.float32), box) > 0.5).astype(np.uint8)
        elif not focus and u < self.p_start + self.p_grabcut:  # the box prompt's start
            prev = grabcut_start(image, gt, rng)
        elif not focus and rng.random() < self.p_empty:
            prev = np.zeros_like(gt)
        else:
            prev = perturb(gt, rng)
        if rng.random() < 0.5:
            image, gt, prev = image[:, ::-1], gt[:, ::-1], prev[:, ::-1]
            logged[:, 1] = np.where(logged[:, 2] != 0, self.size[1] - 1 - logged[:, 1], 0)
        return (np.ascontiguousarray(image), np.ascontiguousarray(gt),
                np.ascontiguousarray(prev), logged)  # fmt: skip


def project_samples(
    root: Path | str, tasks: list[str], exclude_unchanged: bool = False
) -> tuple[
    list[TaskSpec],
    list[Sample],
    list[Sample],
    dict[str, list[tuple[float, float, bool]]],
    dict[str, dict[str, np.ndarray]],
]:
    """Training samples of a project's binary ``tasks`` and the clicks logged with each mask.

    The train / val split is the one of every project retrain (and of the Retrain dialog's
    sentence): :func:`training.finetune.project_samples`, val stratified by garment size. The
    project's masks hold the task's ids already (identity LUT). Returns the task specs, the
    train and val samples (named by photo file), per sample name the clicks
    ``(y, x, positive)`` on label 1 logged with any of the mask's versions, oldest first, and
    per sample name the proposal the operator was shown (``{task: (H, W) bool}``, empty when
    none was recorded).
    """
    from fashion_annotator.dataset.click_logs import read_click_log
    from fashion_annotator.dataset.store import open_project
    from fashion_annotator.dataset.training_set import select_training_masks
    from training.finetune import project_samples as retrain_split

    if len(tasks) != 1:
        raise SystemExit(f"--project trains one binary task at a time, got --tasks {','.join(tasks)}")
    identity = np.arange(256, dtype=np.uint8)
    with open_project(root) as project:
        task = tasks[0]
        if task not in project.tasks:
            raise SystemExit(f"{root}: the project has no task {task!r} ({project.tasks})")
        spec = TaskSpec(task, list(project.taxonomy(task).names), identity)
        if not spec.binary:
            raise SystemExit(f"{root}: task {task!r} is not a cutout (binary) task")
        try:
            train_s, val_s = retrain_split(project, task, exclude_unchanged)
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
        ids = {Path(it.photo).name: it.image_id for it in select_training_masks(project, task).items()}
        logs, starts = {}, {}
        for sample in train_s + val_s:
            proposal = project.load_proposal(ids[sample.name], task)
            starts[sample.name] = {} if proposal is None else {task: proposal == 1}
            logged = [c for v in project.mask_versions(ids[sample.name], task) for c in read_click_log(v.path)]
            logs[sample.name] = [
                (float(c["y"]), float(c["x"]), bool(c["positive"]))
                for c in logged
                if int(c.get("label", 1)) == 1
            ]
    return [spec], train_s, val_s, logs, starts


def val_crops(
    images: list[np.ndarray], labels: list[np.ndarray], task: TaskSpec, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Whole-photo val crops: ``images (N, h, w, 3) uint8`` and ``gts (N, h, w) bool``."""
    xs, gts = [], []
    for rgb, lab in zip(images, labels, strict=True):
        target = task.lut[lab] == 1
        if not target.any():
            continue
        box = fit_box(0, 0, rgb.shape[0], rgb.shape[1], size)
        xs.append(warp_crop(rgb, box))
        gts.append(warp_crop(target.astype(np.float32), box) > 0.5)
    return np.stack(xs), np.stack(gts)


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
    ``fail90``, ``fail95`` (fractions that never reach the IoU), ``iou_at`` (mean IoU after
    1, 2, 3, 5, 10 and 20 clicks) and ``n``.
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
                logits = model(network_input(img, prev, maps, mean, std))
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
        out[f"fail{key}"] = float((~reached.any(1)).mean())
    out["iou_at"] = {str(k): float(ious[:, k - 1].mean()) for k in (1, 2, 3, 5, 10, 20) if k <= max_clicks}
    return out


def init_from(model: nn.Module, path: Path) -> bool:
    """Copy the weights of a proposal model file whose UNet matches; the click channels start at 0.

    Returns False (and changes nothing) when the architectures differ.
    """
    from safetensors.torch import load_file

    meta = read_meta(path)
    arch = {**meta["arch"], "in_ch": DEFAULT_ARCH["in_ch"], "out_ch": 1}
    own = model.state_dict()
    if any(arch.get(k) != v for k, v in DEFAULT_ARCH.items() if k not in ("boundary_head",)):
        return False
    state = load_file(str(path))
    for key, value in state.items():
        if key not in own:
            continue
        if own[key].shape == value.shape:
            own[key] = value
        elif key == "stem.body.0.weight":
            own[key] = torch.zeros_like(own[key])
            own[key][:, :3] = value
    model.load_state_dict(own)
    return True


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
    p.add_argument("--val-limit", type=int, default=None, help="use at most N val photos per task")
    p.add_argument("--proposal-starts", action="store_true",
                   help="with --data: some crops start from the shipped proposal models' masks "
                        "(a project's crops start from the proposals its operators were shown)")
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

    model = build_click_net()
    init = "scratch"
    mean, std = list(MEAN), list(STD)
    if args.init != "scratch":
        path = Path(args.init)
        if not path.suffix:
            path = resource_path("models", f"{args.init}.safetensors")
        try:
            if init_from(model, path):
                init = str(path.name)
                init_meta = read_meta(path)
                mean, std = list(init_meta["mean"]), list(init_meta["std"])
        except (ModelFileError, OSError) as exc:
            event("warning", message=f"--init {args.init}: {exc}; training from scratch")
    model.to(device)
    event("model", init=init, parameters=sum(p.numel() for p in model.parameters()))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)

    if args.proposal_starts and train_starts is None:
        train_starts = proposal_starts(train_images, tasks, str(device), lambda m: event("load", message=m))
    data = ClickCrops(train_images, train_labels, tasks, size, args.seed, logs=train_logs,
                      starts=train_starts)  # fmt: skip
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
        improved = best is None or key < best
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
            group["lr"] = lr * warm * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
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
                prev = (model(network_input(image, prev, maps, mean, std)).float() > 0).float()
                yx, ch = simulated_clicks(prev[:, 0] > 0.5, gt_bool)
                add_disks(maps, yx, ch, CLICK_RADIUS)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda):
            logits = model(network_input(image, prev, maps, mean, std))
        loss = dice_bce(logits, gt)
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
    evaluate(1.0)
    assert best_state is not None
    model.load_state_dict(best_state)
    model.cpu()
    meta = click_meta(
        DEFAULT_ARCH, size, CLICK_RADIUS, mean=mean, std=std,
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


def _worker_init(_: int) -> None:
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


if __name__ == "__main__":
    sys.exit(main())
