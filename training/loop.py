"""The training loop: time-bounded cosine schedule, checkpoints, resume, early stopping.

Progress is reported through an ``emit(event: dict)`` callback (the ``train`` command prints
the events as JSON lines). Only rank 0 emits and writes files when run under DDP.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from fashion_annotator.core.atomic import atomic_path
from fashion_annotator.models.device import channels_last
from fashion_annotator.models.preprocess import normalise
from fashion_annotator.models.registry import DEFAULT_ARCHITECTURE, build_model
from fashion_annotator.models.sizes import MODEL_SIZES
from training import distributed
from training.augment import augment_batch
from training.data import CachedSplit
from training.heads import Head
from training.losses import (
    binary_loss,
    boundary_loss,
    boundary_target,
    class_weights,
    frequency_weights,
    parsing_loss,
)
from training.metrics import evaluate, score

CHECKPOINT = "checkpoint.pt"


class TrainingCancelled(Exception):
    """Raised inside the loop when the cancel flag is set (SIGTERM)."""


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite; nothing is exported or registered."""


CHECKPOINT_KEYS = ("model", "optimizer", "epoch", "step", "elapsed", "best", "best_epoch",
                   "bad_epochs", "history", "best_state")  # fmt: skip


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`train` with ``torch.load(weights_only=True)``.

    Raises
    ------
    ValueError
        The file is not such a checkpoint (a hostile pickle is refused by the restricted
        loader and reported as such, never loaded with ``weights_only=False``).
    """
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - pickle, zip and torch raise many types
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise ValueError(
            f"{path}: not a checkpoint written by this program ({type(exc).__name__}: {first}); "
            "refused without unpickling it. Delete it and train without --resume"
        ) from None
    if not isinstance(ckpt, dict) or any(k not in ckpt for k in CHECKPOINT_KEYS):
        raise ValueError(
            f"{path}: not a training checkpoint (missing keys); train without --resume"
        )
    return ckpt


@dataclass
class TrainConfig:
    """Everything that shapes a run; stored in the checkpoint so ``--resume`` continues it."""

    out_dir: str
    epochs: int = 40
    max_minutes: float | None = None
    batch_size: int = 8
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 30
    patience: int = 8
    model_size: str = "default"
    norm: str = "group"
    attention: bool = True
    boundary_head: bool = False
    boundary_weight: float = 0.5
    dice_weight: float = 1.0
    background_weight: float = 0.5
    class_weighting: str = "inverse_sqrt"
    freeze: str = "none"
    flip: bool = True
    jitter: float = 0.1
    seed: int = 0
    device: str = "cpu"
    steps_per_event: int = 1
    #: Keep the epoch that scores best on val (False: the last epoch, no val evaluation; a
    #: refit on every mask after the epochs were chosen on a held-out share).
    select_best: bool = True
    arch_override: dict[str, Any] = field(default_factory=dict)
    #: Registry name of the network (:data:`~fashion_annotator.models.registry.ARCHITECTURES`);
    #: a fine-tune takes its init model's.
    architecture: str = DEFAULT_ARCHITECTURE
    #: The ``train`` command that resumes this run (:meth:`TrainRequest.command_line`), named
    #: when a ``--resume`` with other settings is refused.
    command: str = ""

    def arch(self, out_ch: int) -> dict[str, Any]:
        """Keyword arguments of :attr:`architecture` for ``out_ch`` outputs.

        A U-Net's come from :attr:`model_size` and the flags; any other architecture's are its
        init model's (:attr:`arch_override`).
        """
        if self.architecture != DEFAULT_ARCHITECTURE:
            return {**self.arch_override, "in_ch": 3, "out_ch": out_ch}
        if self.model_size not in MODEL_SIZES:
            raise ValueError(f"unknown model size {self.model_size!r}; one of {list(MODEL_SIZES)}")
        arch: dict[str, Any] = {"in_ch": 3, "out_ch": out_ch, **MODEL_SIZES[self.model_size]}
        arch.update(norm=self.norm, attention=self.attention, boundary_head=self.boundary_head)
        arch.update(self.arch_override)
        arch["out_ch"] = out_ch
        return arch


#: Settings a ``--resume`` may change: where, how long, on what device, how often it reports.
RESUME_MAY_CHANGE = frozenset({"out_dir", "epochs", "max_minutes", "device", "steps_per_event", "command"})


def _heads_key(heads: list[Head]) -> list[list[Any]]:
    """What a checkpoint records of its heads: each task and its class names."""
    return [[h.task, list(h.classes)] for h in heads]


def _names_differ(what: str, saved: list[str] | None, now: list[str]) -> str | None:
    """``None`` when ``saved`` (a checkpoint's sorted names; None in older ones) is ``now``,
    else what differs, with a few names."""
    if saved is None or saved == now:
        return None
    gone, new = sorted(set(saved) - set(now)), sorted(set(now) - set(saved))
    parts = [f"{len(gone)} no longer there (e.g. {', '.join(gone[:3])})" if gone else "",
             f"{len(new)} new (e.g. {', '.join(new[:3])})" if new else ""]  # fmt: skip
    return f"other {what} photos: " + ", ".join(p for p in parts if p)


def _check_resumable(
    path: Path, ckpt: dict[str, Any], cfg: TrainConfig, heads: list[Head], train_names: list[str],
    val_names: list[str],
) -> None:  # fmt: skip
    """Refuse to continue a checkpoint made with other settings, other tasks or classes, or other
    training or validation photos (a cancelled window retrain resumed from a terminal took its
    old step count, so epochs were lost, and silently changed its learning rate and crops; a
    garment checkpoint resumed as ``--task person`` was exported as a person model; a split
    recomputed after QA rejected a photo moved a trained-on photo into validation)."""
    saved = ckpt.get("config") or {}
    differ = [f"{k} {saved[k]!r} (now {v!r})" for k, v in asdict(cfg).items()
              if k in saved and k not in RESUME_MAY_CHANGE and saved[k] != v]  # fmt: skip
    if ckpt.get("heads") not in (None, _heads_key(heads)):
        differ.append(f"tasks and classes {ckpt['heads']} (now {_heads_key(heads)})")
    if ckpt.get("train_images") not in (None, len(train_names)):
        differ.append(f"{ckpt['train_images']} training samples (now {len(train_names)})")
    for what, key, now in (("training", "train_names", train_names), ("validation", "val_names", val_names)):
        text = _names_differ(what, ckpt.get(key), sorted(str(n) for n in now))
        if text is not None:
            differ.append(text)
    if differ:
        made_by = f": {saved['command']}" if saved.get("command") else ""
        raise ValueError(
            f"{path}: the checkpoint was made with other settings: {'; '.join(differ)}; resume "
            f"with the command that made it{made_by}; or train without --resume"
        )


@dataclass
class TrainResult:
    """The best model (weights restored) and what the run went through."""

    model: nn.Module
    figures: dict[str, dict]
    best_epoch: int
    epochs_run: int
    history: list[dict]
    #: Whether every planned step ran (False: the time bound, the patience or an empty split
    #: stopped it first).
    complete: bool = True


def _loss(
    model: nn.Module,
    x: torch.Tensor,
    labels: torch.Tensor,
    heads: list[Head],
    luts: list[torch.Tensor],
    weights: dict[str, torch.Tensor],
    cfg: TrainConfig,
) -> torch.Tensor:
    logits, boundary = model(x, with_boundary=True)
    total = x.new_zeros(())
    finest = None
    for h, lut in zip(heads, luts, strict=True):
        target = lut[labels]
        if h.binary:
            total = total + binary_loss(
                logits[:, h.offset : h.stop], target.float(), cfg.dice_weight
            )
        else:
            total = total + parsing_loss(logits[:, h.offset : h.stop], target, weights[h.task])
        if finest is None or len(h.classes) > finest[0]:
            finest = (len(h.classes), target)
    if boundary is not None and finest is not None:
        total = total + cfg.boundary_weight * boundary_loss(boundary, boundary_target(finest[1]))
    return total


def _class_weights(head: Head, split: CachedSplit, cfg: TrainConfig) -> torch.Tensor:
    """Cross-entropy weights of a parsing head: ``background`` or ``inverse_sqrt`` frequency."""
    if cfg.class_weighting == "background":
        return class_weights(head.channels, cfg.background_weight)
    if cfg.class_weighting == "inverse_sqrt":
        counts = np.bincount(head.lut[split.masks].ravel(), minlength=head.channels)
        return frequency_weights(torch.from_numpy(counts))
    raise ValueError(f"unknown class weighting {cfg.class_weighting!r}")


#: ``--freeze`` choices: which parameter name prefixes stay fixed.
FROZEN_PREFIXES = {"none": (), "encoder": ("stem.", "down.", "bottleneck.", "encoder.")}


def _trainable(model: nn.Module, freeze: str) -> list[nn.Parameter]:
    """Fix the parameters ``freeze`` names (see :data:`FROZEN_PREFIXES`; in an ensemble, each
    member's: ``members.<i>.`` is not part of the name matched); return the others."""
    if freeze not in FROZEN_PREFIXES:
        raise ValueError(f"unknown freeze {freeze!r}; one of {list(FROZEN_PREFIXES)}")
    prefixes = FROZEN_PREFIXES[freeze]
    moving = []
    for name, p in model.named_parameters():
        own = re.sub(r"^members\.\d+\.", "", name)
        p.requires_grad_(not own.startswith(prefixes) if prefixes else True)
        if p.requires_grad:
            moving.append(p)
    return moving


def train(
    cfg: TrainConfig,
    heads: list[Head],
    train_split: CachedSplit,
    val_split: CachedSplit,
    mean: list[float],
    std: list[float],
    emit: Callable[[dict], None],
    cancelled: Callable[[], bool] = lambda: False,
    init_state: dict[str, torch.Tensor] | None = None,
    resume: bool = False,
) -> TrainResult:
    """Train a network (:attr:`TrainConfig.architecture`) with one output slice per head; return the best model on val.

    Parameters
    ----------
    cfg : TrainConfig
    heads : list of Head
    train_split, val_split : CachedSplit
        Cached photos (uint8, network size) and source label masks; val also at full size.
    mean, std : list of 3 float
        Input normalisation (RGB, 0..1 scale).
    emit : callable
        Receives ``step`` and ``epoch`` events (rank 0 only).
    cancelled : callable
        Polled every step; True raises :class:`TrainingCancelled` (the checkpoint of the last
        finished epoch stays, nothing else is written).
    init_state : dict or None
        Weights to start from; tensors whose shape does not fit (e.g. another head) are skipped.
    resume : bool
        Continue from ``out_dir/checkpoint.pt`` if it exists.
    """
    rank, world = distributed.rank_and_world()
    device = torch.device(cfg.device)
    torch.manual_seed(cfg.seed)
    out_ch = heads[-1].stop
    model = channels_last(build_model({"architecture": cfg.architecture, "arch": cfg.arch(out_ch)}).to(device), device)
    if init_state is not None:
        own = model.state_dict()
        fit = {k: v for k, v in init_state.items() if k in own and own[k].shape == v.shape}
        model.load_state_dict(fit, strict=False)
    trainable = _trainable(model, cfg.freeze)
    opt = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=cfg.weight_decay)
    out = Path(cfg.out_dir)
    ckpt_path = out / CHECKPOINT
    state: dict[str, Any] = {
        "epoch": 0,
        "step": 0,
        "elapsed": 0.0,
        "best": -math.inf,
        "best_epoch": 0,
        "bad_epochs": 0,
        "history": [],
        "best_state": None,
    }
    if resume and ckpt_path.is_file():
        ckpt = load_checkpoint(ckpt_path)
        _check_resumable(ckpt_path, ckpt, cfg, heads, train_split.names, val_split.names)
        try:
            model.load_state_dict(ckpt["model"])
            opt.load_state_dict(ckpt["optimizer"])
        except (RuntimeError, ValueError, KeyError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0][:160]
            raise ValueError(
                f"{ckpt_path}: the checkpoint does not fit this model ({first}); "
                "train without --resume"
            ) from None
        state.update({k: ckpt[k] for k in state})
        if rank == 0:
            emit({"event": "info", "message": f"--resume: continuing from epoch {state['epoch']} of "
                  f"{ckpt_path} (best so far: epoch {state['best_epoch']}); the next is epoch {state['epoch'] + 1}"})  # fmt: skip
    elif resume and rank == 0:  # said, not silent: a resume of nothing trains from the start
        emit({"event": "info", "message": f"--resume: no checkpoint in {out}; training from the start"})
    ddp_model = distributed.wrap(model)

    luts = [torch.from_numpy(h.lut.astype(np.int64)).to(device) for h in heads]
    weights = {
        h.task: _class_weights(h, train_split, cfg).to(device) for h in heads if not h.binary
    }
    n = len(train_split)
    per_rank = n // world
    steps = max(1, math.ceil(per_rank / cfg.batch_size))
    total_steps = steps * cfg.epochs
    budget = cfg.max_minutes * 60 if cfg.max_minutes else math.inf
    thresholds: dict[str, float] = {}
    figures: dict[str, dict] = {}
    t_start = time.monotonic() - state["elapsed"]

    def progress() -> float:
        return max(state["step"] / total_steps, (time.monotonic() - t_start) / budget)

    def eta() -> float:
        p = progress()
        return max(0.0, (time.monotonic() - t_start) * (1 - p) / p) if p > 0 else math.nan

    stop = state["epoch"] >= cfg.epochs or progress() >= 1
    while not stop:
        epoch = state["epoch"] + 1
        gen = torch.Generator().manual_seed(cfg.seed * 100003 + epoch)
        order = torch.randperm(n, generator=gen)[: per_rank * world][rank::world]
        model.train()
        losses = []
        for s in range(steps):
            if cancelled():
                raise TrainingCancelled
            idx = order[s * cfg.batch_size : (s + 1) * cfg.batch_size].numpy()
            if len(idx) == 0:
                break
            x = torch.from_numpy(train_split.images[idx]).permute(0, 3, 1, 2).float() / 255
            y = torch.from_numpy(train_split.masks[idx]).long()
            x, y = augment_batch(x, y, gen, flip=cfg.flip, jitter=cfg.jitter)
            x = normalise(x, mean, std, channel_axis=1).contiguous(memory_format=torch.channels_last)
            warm = min(1.0, (state["step"] + 1) / cfg.warmup_steps)
            for g in opt.param_groups:
                g["lr"] = cfg.lr * warm * 0.5 * (1 + math.cos(math.pi * min(progress(), 1.0)))
            loss = _loss(ddp_model, x.to(device), y.to(device), heads, luts, weights, cfg)
            if not bool(torch.isfinite(loss)):
                raise TrainingDiverged(
                    f"the loss became {loss.item()} at epoch {epoch}, step {s + 1} (learning "
                    f"rate {opt.param_groups[0]['lr']:.3g}); no model was saved. Lower --lr "
                    "or check the training masks"
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            state["step"] += 1
            losses.append(loss.item())
            if rank == 0 and (s % cfg.steps_per_event == 0 or s == steps - 1):
                emit(
                    {
                        "event": "step",
                        "epoch": epoch,
                        "step": s + 1,
                        "steps": steps,
                        "loss": losses[-1],
                        "eta_s": eta(),
                    }
                )
            if progress() >= 1:
                break
        state["epoch"] = epoch
        state["elapsed"] = time.monotonic() - t_start
        if rank == 0:
            if cfg.select_best:
                figures = evaluate(model, val_split, heads, mean, std, thresholds, device)
                val_score: float | None = score(figures, heads)
                improved = val_score > state["best"]
            else:
                figures, val_score, improved = {}, None, True
            record = {
                "event": "epoch",
                "epoch": epoch,
                "loss": float(np.mean(losses)),
                "val": figures,
                "score": val_score,
                "lr": opt.param_groups[0]["lr"],
                "elapsed_s": state["elapsed"],
                "eta_s": eta(),
            }
            state["history"].append({k: v for k, v in record.items() if k != "event"})
            if improved:
                best = state["best"] if val_score is None else val_score
                state.update(best=best, best_epoch=epoch, bad_epochs=0)
                state["best_state"] = {
                    k: v.detach().cpu().clone() for k, v in model.state_dict().items()
                }
            else:
                state["bad_epochs"] += 1
            emit(record)
            stop = state["bad_epochs"] >= cfg.patience or epoch >= cfg.epochs or progress() >= 1
            with atomic_path(ckpt_path) as tmp:
                torch.save(
                    {
                        "model": model.state_dict(),
                        "optimizer": opt.state_dict(),
                        "config": asdict(cfg),
                        "train_images": n,
                        "heads": _heads_key(heads),
                        # plain str: numpy.str_ names (a project's split) failed the restricted load
                        "train_names": sorted(str(n) for n in train_split.names),
                        "val_names": sorted(str(n) for n in val_split.names),
                        **state,
                    },
                    tmp,
                )
        stop = distributed.broadcast_flag(stop)

    if state["best_state"] is not None:
        model.load_state_dict(state["best_state"])
    if rank == 0 and cfg.select_best:
        figures = evaluate(model, val_split, heads, mean, std, thresholds, device)
    return TrainResult(model, figures, state["best_epoch"], state["epoch"], state["history"],
                       complete=state["step"] >= total_steps)  # fmt: skip
