"""The GPU recipe: one shared network for parsing7, person and garment (and, with ``--parsing18``,
the fine parsing that instances are proposed from), trained on framing crops, studio composites
and tag-filtered pseudo-labels, exported as one letterbox model per task.

Everything heavy runs on the training device: photos and labels are held there as uint8 tensors,
augmented there in whole batches (:mod:`training.recipes.gpu_aug`), and pseudo-labels are made
there by the teacher. The same code runs on a CPU with tiny settings (that is what the tests run).

Sub-commands::

    python -m training.recipes.gpu relabel --pack P --teacher shipped|JOINT --out DIR
    python -m training.recipes.gpu train --pack P --out DIR --minutes M [--pseudo DIR]
        [--aug full|basic] [--size small|large] [--long-side L] [--teacher JOINT] [--init JOINT]

``training/recipes/gpu_recipe.sh`` runs the whole recipe (several jobs in parallel on one GPU).
A pack is made here by :mod:`training.recipes.pack`; the joint network itself (building, saving,
loading, starting from the shipped models) is :mod:`training.recipes.joint`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from fashion_annotator.core.images import load_image
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.label_maps import resize_labels
from fashion_annotator.evaluation.generalize import FRAMINGS, score_framings
from fashion_annotator.models.device import channels_last
from fashion_annotator.models.effunet import EffUNet
from fashion_annotator.models.preprocess import InputSpec, normalise
from fashion_annotator.models.registry import build_model
from fashion_annotator.models.weights import save_model
from training.data import list_samples, split_samples
from training.losses import frequency_weights
from training.pretrained import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    encoder_param_groups,
    init_from_imagenet,
)
from training.pseudo import IGNORE, PSEUDO_TASKS, kept_share, pseudo_labels
from training.recipes.gpu_aug import AugConfig, augment
from training.recipes.joint import (
    BASE_CHANNELS,
    CLASSES,
    ENCODER_SIZES,
    FULL_CHANNELS,
    LABEL_TASKS,
    OFFSETS,
    SIZES,
    add_parsing18_rows,
    build_net,
    coarse_parents,
    head_channels,
    joint_from_models,
    joint_outputs,
    load_joint,
    net_arch,
    net_architecture,
    net_tasks,
    save_joint,
)

#: Source canvas the training photos are stored at on the device (CCP's 2:3 portrait).
SOURCE_SIZE = (496, 328)
THRESHOLDS = tuple(np.round(np.arange(0.3, 0.71, 0.05), 2).tolist())


def log(event: str, **fields: Any) -> None:
    """One JSON line on stdout (flushed), so a log survives a killed run."""
    print(json.dumps({"event": event, "t": round(time.time(), 1), **fields}), flush=True)


def task_luts(taxonomies: dict) -> dict[str, np.ndarray]:
    """``(256,) uint8`` CCP id -> class id per task of :data:`LABEL_TASKS`."""
    out = {}
    for task in LABEL_TASKS:
        lut = np.zeros(256, np.uint8)
        for src, dst in taxonomies[task]["from_ccp"].items():
            lut[int(src)] = int(dst)
        out[task] = lut
    return out


@dataclass
class Pack:
    """The data on the device."""

    train_images: torch.Tensor  # (N, 3, H, W) uint8
    train_labels: torch.Tensor  # (N, 4, H, W) uint8, channels in LABEL_TASKS order
    val: list[tuple[str, np.ndarray, dict[str, np.ndarray]]]
    taxonomies: dict
    mean: list[float]
    std: list[float]


def _to_source(rgb: np.ndarray, labels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    h, w = SOURCE_SIZE
    interp = cv2.INTER_AREA if rgb.shape[0] >= h else cv2.INTER_LINEAR
    img = cv2.resize(rgb, (w, h), interpolation=interp).transpose(2, 0, 1)
    if labels is None:
        return img, None
    lab = np.stack([resize_labels(m, (h, w)) for m in labels])
    return img, lab


def load_pack(pack: Path, device: torch.device, limit: int | None = None) -> Pack:
    """Decode the labelled part of a pack onto ``device`` (train) and into memory (val)."""
    data = pack / "ccp"
    taxonomies = json.loads((data / "taxonomies.json").read_text())
    luts = task_luts(taxonomies)
    train, val = split_samples(list_samples(data), data)
    train, val = train[:limit], val[: (limit if limit is None else max(4, limit // 4))]
    images: list[np.ndarray] = []
    labels: list[Any] = []  # (T, h, w) uint8 label stacks
    for s in train:
        rgb = load_image(s.image).rgb
        ids = load_mask(s.mask, rgb.shape[:2])
        img, lab = _to_source(rgb, np.stack([luts[t][ids] for t in LABEL_TASKS]))
        images.append(img)
        labels.append(lab)
    val_items = []
    for s in val:
        rgb = load_image(s.image).rgb
        ids = load_mask(s.mask, rgb.shape[:2])
        val_items.append((s.name, rgb, {t: luts[t][ids] for t in LABEL_TASKS}))
    imgs = np.stack(images)
    px = imgs.transpose(0, 2, 3, 1).reshape(-1, 3)[::97].astype(np.float64) / 255
    return Pack(
        torch.from_numpy(imgs).to(device),
        torch.from_numpy(np.stack(labels)).to(device),
        val_items,
        taxonomies,
        px.mean(0).round(4).tolist(),
        np.maximum(px.std(0), 1e-3).round(4).tolist(),
    )


def load_unlabeled(pack: Path, limit: int | None = None) -> tuple[list[str], list[np.ndarray], dict]:
    """Names, photos and tags of the pack's tagged photos."""
    folder = pack / "unlabeled"
    tags = json.loads((folder / "tags.json").read_text())
    files = sorted((folder / "images").glob("*.webp"))[:limit]
    return [f.stem for f in files], [load_image(f).rgb for f in files], tags



# ----------------------------------------------------------------------------- relabel


def relabel(pack: Path, teacher: str, out: Path, device: torch.device, confidence: float,
            limit: int | None = None) -> dict[str, Any]:  # fmt: skip
    """Write tag-filtered pseudo-labels of the pack's tagged photos to ``out/NAME.png``."""
    names, photos, tags = load_unlabeled(pack, limit)
    taxonomies = json.loads((pack / "ccp" / "taxonomies.json").read_text())
    if teacher == "shipped":
        from fashion_annotator.segmentation.proposals import load_predictor

        predictors = {t: load_predictor(t, device=device) for t in PSEUDO_TASKS}

        def probs_of(rgb: np.ndarray) -> dict[str, np.ndarray]:
            out = {}
            for task, p in predictors.items():
                p.set_image(rgb)
                pr = p.predict().probs
                out[task] = pr if task == "parsing7" else pr[1]
            return out

    else:
        net, spec = load_joint(Path(teacher), device)

        def probs_of(rgb: np.ndarray) -> dict[str, np.ndarray]:
            return joint_outputs(net, spec, rgb, device, parsing_probs=True)

    out.mkdir(parents=True, exist_ok=True)
    kept = []
    t0 = time.perf_counter()
    for name, rgb in zip(names, photos, strict=True):
        pr = probs_of(rgb)
        labels = pseudo_labels(pr["parsing7"], pr["person"], pr["garment"], tags.get(name, []), taxonomies, confidence)
        kept.append(kept_share(labels))
        Image.fromarray(labels.transpose(1, 2, 0)).save(out / f"{name}.png")
    share = np.mean(kept, 0).tolist() if kept else [0, 0, 0]
    report = {"teacher": teacher, "photos": len(names), "seconds": round(time.perf_counter() - t0, 1),
              "kept_share": dict(zip(PSEUDO_TASKS, share, strict=True)), "confidence": confidence}  # fmt: skip
    (out / "relabel.json").write_text(json.dumps(report, indent=1))
    log("relabel", **report)
    return report


def load_pseudo(pack: Path, pseudo: Path, device: torch.device, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Tagged photos and their pseudo-labels at :data:`SOURCE_SIZE` on ``device``."""
    names, photos, _ = load_unlabeled(pack, limit)
    images: list[np.ndarray] = []
    labels: list[Any] = []  # (T, h, w) uint8 label stacks; no parsing18 pseudo-labels: IGNORE
    for name, rgb in zip(names, photos, strict=True):
        lab = np.asarray(Image.open(pseudo / f"{name}.png")).transpose(2, 0, 1)
        lab = np.concatenate([lab, np.full((len(LABEL_TASKS) - lab.shape[0], *lab.shape[1:]), IGNORE, np.uint8)])
        img, lab = _to_source(rgb, lab)
        images.append(img)
        labels.append(lab)
    return torch.from_numpy(np.stack(images)).to(device), torch.from_numpy(np.stack(labels)).to(device)


# ----------------------------------------------------------------------------- losses


def masked_binary_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """BCE + soft Dice over pixels whose target is not :data:`IGNORE`; ``(N, H, W)`` inputs."""
    valid = target != IGNORE
    t = (target == 1).float()
    bce = F.binary_cross_entropy_with_logits(logits, t, reduction="none")
    bce = (bce * valid).sum() / valid.sum().clamp(min=1)
    p = torch.sigmoid(logits) * valid
    t = t * valid
    inter = (p * t).flatten(1).sum(1)
    dice = (2 * inter + 1) / (p.flatten(1).sum(1) + t.flatten(1).sum(1) + 1)
    return bce + (1 - dice).mean()


def _parsing_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    loss = F.cross_entropy(logits, labels, weight=weights, ignore_index=IGNORE)
    return loss if torch.isfinite(loss) else logits.new_zeros(())


def joint_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor,
               weights18: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
    """Sum of the tasks' losses; ``labels (N, T, H, W)`` long in :data:`LABEL_TASKS` order.

    The parsing18 term counts only for a network with that head (``weights18`` given).
    """
    loss = _parsing_loss(logits[:, 0:7], labels[:, 0], weights)
    loss = loss + masked_binary_loss(logits[:, 7], labels[:, 1]) + masked_binary_loss(logits[:, 8], labels[:, 2])
    if weights18 is not None and logits.shape[1] >= FULL_CHANNELS:
        lo, hi = OFFSETS["parsing18"]
        loss = loss + _parsing_loss(logits[:, lo:hi], labels[:, 3], weights18)
    return loss


def distill_loss(student: torch.Tensor, teacher: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Soft targets of a teacher: KL for parsing, BCE on its probabilities for the cutouts."""
    v = valid.float()
    n = v.sum().clamp(min=1)
    kl = F.kl_div(F.log_softmax(student[:, 0:7], 1), F.log_softmax(teacher[:, 0:7], 1), log_target=True, reduction="none").sum(1)
    bce = F.binary_cross_entropy_with_logits(student[:, 7:9], torch.sigmoid(teacher[:, 7:9]), reduction="none").sum(1)
    return ((kl + bce) * v).sum() / n


# ----------------------------------------------------------------------------- evaluation


def predict_fn(net: nn.Module, spec: InputSpec, device: torch.device, thresholds: dict[str, float]):
    """``predict(task, rgb) -> (H, W) uint8`` for :func:`score_framings`, caching per photo."""
    cache: dict[int, dict[str, np.ndarray]] = {}

    def predict(task: str, rgb: np.ndarray) -> np.ndarray:
        key = id(rgb)
        if key not in cache:
            cache.clear()
            cache[key] = joint_outputs(net, spec, rgb, device)
        pr = cache[key][task]
        if task in ("parsing7", "parsing18"):
            return pr
        return (pr >= thresholds.get(task, 0.5)).astype(np.uint8)

    return predict


def primary(figures: dict[str, dict[str, dict[str, float]]]) -> float:
    """Selection score on CCP val: mean of parsing7 mIoU, person mIoU, garment median Dice."""
    f = figures["ccp"]
    return float(np.mean([f["parsing7"]["miou"], f["person"]["miou"], f["garment"]["median_dice"]]))


def final_figures(net: nn.Module, spec: InputSpec, val: list, device: torch.device,
                  thresholds: dict[str, float], off_ccp_photos: int) -> dict:  # fmt: skip
    """CCP val figures on every val photo; off-CCP framings on the first ``off_ccp_photos``."""
    tasks = {t: len(CLASSES[t]) for t in net_tasks(net)}  # parsing18: scored on CCP as shot only
    predict = predict_fn(net, spec, device, thresholds)
    figures = score_framings(val, predict, tasks, ["ccp"])
    others = [f for f in FRAMINGS if f != "ccp"]
    figures.update(score_framings(val[:off_ccp_photos], predict, tasks, others))
    return figures


def tune_thresholds(net: nn.Module, spec: InputSpec, val: list, device: torch.device) -> dict[str, float]:
    """Binary thresholds that maximise person mIoU and garment median Dice on CCP val."""
    best = {}
    probs = [joint_outputs(net, spec, rgb, device) for _, rgb, _ in val]
    for task, key in (("person", "miou"), ("garment", "median_dice")):
        scores = []
        for t in THRESHOLDS:
            inter = union = 0.0
            dices = []
            for pr, (_, _, lab) in zip(probs, val, strict=True):
                p, g = pr[task] >= t, lab[task] == 1
                i, u = float((p & g).sum()), float((p | g).sum())
                inter, union = inter + i, union + u
                dices.append(2 * i / max(p.sum() + g.sum(), 1))
            scores.append(inter / max(union, 1) if key == "miou" else float(np.median(dices)))
        best[task] = float(THRESHOLDS[int(np.argmax(scores))])
    return best


# ----------------------------------------------------------------------------- training


def export_task(net: nn.Module, size: str, task: str, spec: InputSpec, threshold: float | None,
                figures: dict, card: dict, path: Path) -> None:  # fmt: skip
    """Write one task's model file: the trunk plus the task's slice of the last layer."""
    lo, hi = OFFSETS[task]
    arch = net_arch(size, hi - lo)
    single = build_model({"architecture": net_architecture(size), "arch": arch})
    state = {k: v.detach().float().cpu() for k, v in net.state_dict().items()}
    state["head.weight"] = state["head.weight"][lo:hi].clone()
    state["head.bias"] = state["head.bias"][lo:hi].clone()
    single.load_state_dict(state)
    now = datetime.now(timezone.utc)
    meta = {
        "task": task, "classes": CLASSES[task], "architecture": net_architecture(size), "arch": arch, **spec.meta(),
        "version": now.strftime("%Y%m%d-%H%M%S"), "date": now.isoformat(),
        "figures_val": figures.get("ccp", {}).get(task, {}),
        "figures_off_ccp": {f: v[task] for f, v in figures.items() if task in v},
        "model_card": card,
    }  # fmt: skip
    if threshold is not None:
        meta["threshold"] = threshold
    save_model(path, single, meta)


def export_tasks(net: nn.Module, size: str, spec: InputSpec, thresholds: dict[str, float],
                 figures: dict, card: dict, out: Path) -> list[Path]:  # fmt: skip
    """Write every task's model file of ``net`` into ``out`` (:func:`export_task`); return the paths."""
    paths = []
    for task in net_tasks(net):
        path = out / f"{task}.safetensors"
        export_task(net, size, task, spec, thresholds.get(task), figures, card, path)
        paths.append(path)
    return paths


def train(args: argparse.Namespace) -> dict[str, Any]:
    device = torch.device(args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    torch.manual_seed(args.seed)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    pack = load_pack(Path(args.pack), device, args.limit)
    images, labels = pack.train_images, pack.train_labels
    n_labeled = images.shape[0]
    if args.pseudo:
        pi, pl = load_pseudo(Path(args.pack), Path(args.pseudo), device, args.limit)
        images, labels = torch.cat([images, pi]), torch.cat([labels, pl])
    parents = coarse_parents(pack.taxonomies) if args.parsing18 else None
    net = build_net(args.size, FULL_CHANNELS if args.parsing18 else BASE_CHANNELS).to(device)
    if args.init == "shipped":
        from fashion_annotator.segmentation.proposals import default_model_path

        files = {t: default_model_path(t) for t in PSEUDO_TASKS}
        if parents is not None and default_model_path("parsing18").is_file():
            files["parsing18"] = default_model_path("parsing18")  # go on from the shipped fine parsing
        shipped, init_meta = joint_from_models(files, args.size, parents, args.init_trunk)
        net.load_state_dict(shipped.state_dict())
        pack.mean, pack.std = list(init_meta["mean"]), list(init_meta["std"])
    elif args.init == "imagenet":
        if args.size not in ENCODER_SIZES:
            raise SystemExit(f"--init imagenet needs an encoder size ({', '.join(ENCODER_SIZES)}), not {args.size!r}")
        if not isinstance(net, EffUNet):
            raise SystemExit(f"--init imagenet: size {args.size!r} is not an EfficientNet-Lite encoder network")
        init_from_imagenet(net)
        pack.mean, pack.std = list(IMAGENET_MEAN), list(IMAGENET_STD)
    elif args.init:
        init, _ = load_joint(Path(args.init), device)
        state = init.state_dict()
        if parents is not None and head_channels(init) < FULL_CHANNELS:  # a new parsing18 head
            state["head.weight"], state["head.bias"] = add_parsing18_rows(state["head.weight"], state["head.bias"], parents)
        net.load_state_dict(state)
    spec = InputSpec.from_meta({
        "resize": "letterbox", "long_side": args.long_side, "stride": 32,
        "input_size": [args.long_side, round(args.long_side * 2 / 3)], "mean": pack.mean, "std": pack.std,
    })  # fmt: skip
    cfg = AugConfig(long_side=args.long_side) if args.aug == "full" else AugConfig.basic(args.long_side)
    teacher = load_joint(Path(args.teacher), device)[0] if args.teacher else None
    counts = np.bincount(pack.train_labels[:, 0].flatten().cpu().numpy(), minlength=256)[:7]
    weights = frequency_weights(torch.from_numpy(counts)).to(device)
    weights18 = None
    if args.parsing18:
        counts18 = np.bincount(pack.train_labels[:, 3].flatten().cpu().numpy(), minlength=256)[:18]
        weights18 = frequency_weights(torch.from_numpy(counts18)).to(device)
    net = channels_last(net, device)
    opt = torch.optim.AdamW(encoder_param_groups(net, args.encoder_lr_scale), lr=args.lr, weight_decay=1e-4)
    g = torch.Generator(device=device).manual_seed(args.seed)
    gcpu = torch.Generator().manual_seed(args.seed)
    budget = args.minutes * 60 - (time.perf_counter() - t_start)
    log("start", job=args.job, device=str(device), train=n_labeled, pseudo=images.shape[0] - n_labeled,
        val=len(pack.val), size=args.size, long_side=args.long_side, aug=args.aug,
        params=sum(p.numel() for p in net.parameters()), budget_s=round(budget, 1))  # fmt: skip
    t0 = time.perf_counter()
    step, best, best_state, history = 0, -1.0, None, []
    next_val = t0 + args.val_every
    images_seen = 0
    while True:
        elapsed = time.perf_counter() - t0
        frac = min(elapsed / max(budget - args.final_eval_s, 1), 1.0)
        if frac >= 1.0:
            break
        lr = args.lr * min(1.0, (step + 1) / args.warmup) * 0.5 * (1 + math.cos(math.pi * frac))
        for group in opt.param_groups:
            group["lr"] = lr * group["scale"]
        if args.pseudo and n_labeled < images.shape[0]:
            # Half of each batch from the labelled photos, half from the pseudo-labelled.
            a = torch.randint(0, n_labeled, (args.batch - args.batch // 2,), generator=gcpu)
            b = torch.randint(n_labeled, images.shape[0], (args.batch // 2,), generator=gcpu)
            idx = torch.cat([a, b])
        else:
            idx = torch.randint(0, n_labeled, (args.batch,), generator=gcpu)
        idx = idx.to(device)
        img, lab, valid = augment(images[idx], labels[idx], cfg, g)
        x = normalise(img, pack.mean, pack.std, channel_axis=1) * valid.unsqueeze(1)
        if device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits = net(x)
            loss = joint_loss(logits.float(), lab, weights, weights18)
            if teacher is not None:
                with torch.no_grad():
                    t_logits = teacher(x)
                loss = loss + args.distill_weight * distill_loss(
                    logits[:, :BASE_CHANNELS].float(), t_logits[:, :BASE_CHANNELS].float(), valid
                )
        opt.zero_grad(set_to_none=True)
        if not torch.isfinite(loss):
            log("nonfinite_loss", step=step)
            continue
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        images_seen += args.batch
        if step % 50 == 0:
            log("step", job=args.job, step=step, loss=round(float(loss.detach()), 4), lr=round(lr, 6),
                img_per_s=round(images_seen / (time.perf_counter() - t0), 1))  # fmt: skip
        if time.perf_counter() >= next_val:
            next_val = time.perf_counter() + args.val_every
            net.eval()
            fig = score_framings(pack.val, predict_fn(net, spec, device, {}), {t: len(CLASSES[t]) for t in net_tasks(net)}, ["ccp"])
            net.train()
            s = primary(fig)
            history.append({"step": step, "elapsed_s": round(time.perf_counter() - t0, 1), "score": s, "ccp": fig["ccp"]})
            log("val", job=args.job, step=step, score=round(s, 4), parsing7=round(fig["ccp"]["parsing7"]["miou"], 4),
                person=round(fig["ccp"]["person"]["miou"], 4), garment=round(fig["ccp"]["garment"]["median_dice"], 4),
                parsing18=round(fig["ccp"].get("parsing18", {}).get("miou", float("nan")), 4))  # fmt: skip
            if s > best:
                best = s
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    train_s = time.perf_counter() - t0
    # The end of the cosine schedule is usually the best; compare with the best checkpoint.
    net.eval()
    fig = score_framings(pack.val, predict_fn(net, spec, device, {}), {t: len(CLASSES[t]) for t in PSEUDO_TASKS}, ["ccp"])
    if best_state is not None and primary(fig) < best:
        net.load_state_dict(best_state)
    thresholds = tune_thresholds(net, spec, pack.val, device)
    figures = final_figures(net, spec, pack.val, device, thresholds, args.off_ccp_photos)
    card = {
        "data": f"CCP train ({n_labeled} photos)" + (f" + {images.shape[0] - n_labeled} tag-filtered pseudo-labelled CCP photos" if args.pseudo else ""),
        "selection": "CCP val (100 photos, pack resolution 0.6x)",
        "recipe": vars(args) | {"aug": args.aug},
        "limits": "Trained on street photos of one standing person; studio and mannequin framings are synthetic composites; figures in figures_off_ccp are on re-framed CCP val photos, not real studio photos.",
        "steps": step, "train_seconds": round(train_s, 1), "images_seen": images_seen,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU",
    }  # fmt: skip
    export_tasks(net, args.size, spec, thresholds, figures, card, out)
    save_joint(out / "joint.safetensors", net, args.size, spec, {"thresholds": thresholds})
    summary = {"job": args.job, "score": primary(figures), "figures": figures, "thresholds": thresholds,
               "history": history, "card": card}  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    log("done", job=args.job, score=round(primary(figures), 4), steps=step, train_s=round(train_s, 1),
        img_per_s=round(images_seen / max(train_s, 1e-9), 1))  # fmt: skip
    return summary


def export(joint: Path, out: Path) -> list[Path]:
    """Write each task's model file from a trained joint network and its job's ``summary.json``.

    For a joint brought back alone from a remote training machine: the figures, thresholds and
    model card come from ``summary.json`` beside ``joint`` (written by :func:`train`), so the
    exported files equal the ones the job wrote there.

    Raises
    ------
    FileNotFoundError
        ``joint``, its ``.json`` or the ``summary.json`` beside it is missing.
    """
    summary_path = joint.parent / "summary.json"
    for p in (joint, joint.with_suffix(".json"), summary_path):
        if not p.is_file():
            raise FileNotFoundError(f"{p}: missing (export needs the joint network, its .json and the job's summary.json)")
    summary = json.loads(summary_path.read_text())
    net, spec = load_joint(joint, torch.device("cpu"))
    size = json.loads(joint.with_suffix(".json").read_text())["size"]
    out.mkdir(parents=True, exist_ok=True)
    return export_tasks(net, size, spec, summary["thresholds"], summary["figures"], summary["card"], out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.recipes.gpu", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("relabel", help="tag-filtered pseudo-labels of the pack's tagged photos")
    r.add_argument("--pack", required=True)
    r.add_argument("--teacher", default="shipped", help="'shipped' (resources/models) or a joint.safetensors")
    r.add_argument("--out", required=True)
    r.add_argument("--confidence", type=float, default=0.8)
    r.add_argument("--limit", type=int)
    r.add_argument("--device", default="auto")
    t = sub.add_parser("train", help="train the joint network and export one model per task")
    t.add_argument("--pack", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--job", default="job")
    t.add_argument("--minutes", type=float, default=4.0)
    t.add_argument("--pseudo", help="folder of pseudo-labels (from relabel)")
    t.add_argument("--aug", choices=("full", "basic"), default="full")
    t.add_argument("--size", choices=tuple(SIZES), default="small")
    t.add_argument("--long-side", type=int, default=384)
    t.add_argument("--batch", type=int, default=48)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--warmup", type=int, default=150)
    t.add_argument("--val-every", type=float, default=40.0, help="seconds between val checks")
    t.add_argument("--final-eval-s", type=float, default=75.0, help="seconds kept for the final evaluation")
    t.add_argument("--off-ccp-photos", type=int, default=40, help="val photos scored per off-CCP framing")
    t.add_argument("--teacher", help="joint.safetensors of a teacher to distil from")
    t.add_argument("--distill-weight", type=float, default=1.0)
    t.add_argument("--init", help="joint.safetensors to start from, 'shipped' (resources/models; with "
                   "--parsing18 the shipped parsing18 model's trunk and head when it is there), or "
                   "'imagenet' (an encoder size's ImageNet weights, training/pretrained.py)")
    t.add_argument("--init-trunk", choices=("parsing7", "parsing18"), default=None,
                   help="with --init shipped: the model file whose trunk is kept (default: parsing18 "
                        "with --parsing18, else parsing7); the heads still come from each task's file")
    t.add_argument("--encoder-lr-scale", type=float, default=1.0,
                   help="learning rate of a pretrained encoder relative to the rest")
    t.add_argument("--parsing18", action="store_true",
                   help="add the fine parsing head (parsing18, CCP train labels only; its rows start as "
                        "their parsing7 class's) and export a parsing18 model too")
    t.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    t.add_argument("--limit", type=int, help="photos per split (tests)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="auto")
    e = sub.add_parser("export", help="model files of a joint network brought back with its summary.json")
    e.add_argument("--joint", required=True, help="joint.safetensors (its .json and summary.json beside it)")
    e.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.command == "export":
        for path in export(Path(args.joint), Path(args.out)):
            print(path)
        return 0
    torch.set_num_threads(getattr(args, "threads", None) or max(1, min(4, torch.get_num_threads())))
    if args.command == "relabel":
        device = torch.device(args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
        relabel(Path(args.pack), args.teacher, Path(args.out), device, args.confidence, args.limit)
    else:
        train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
