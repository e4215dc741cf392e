"""DDP support: active when the process was started by ``torchrun`` (``WORLD_SIZE`` > 1)."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn


def is_distributed() -> bool:
    """True when running under an initialised process group with more than one rank."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def init_from_env(device: str = "cpu") -> bool:
    """Join the process group described by torchrun's environment, if any.

    Uses ``gloo`` on CPU and ``nccl`` on CUDA. Returns True when a group (world > 1) is active.
    """
    if is_distributed():
        return True
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    backend = "nccl" if device.startswith("cuda") and torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend=backend)
    return True


def rank_and_world() -> tuple[int, int]:
    """``(rank, world_size)``; ``(0, 1)`` outside DDP."""
    if is_distributed():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def wrap(model: nn.Module) -> nn.Module:
    """Wrap ``model`` in DistributedDataParallel under DDP, else return it unchanged.

    The wrapper only serves forward/backward (gradient all-reduce); the plain ``model`` keeps
    the same parameters for evaluation, checkpoints and export.
    """
    if not is_distributed():
        return model
    return nn.parallel.DistributedDataParallel(model)


def broadcast_flag(flag: bool) -> bool:
    """Return rank 0's ``flag`` on every rank (e.g. the early-stopping decision)."""
    if not is_distributed():
        return flag
    t = torch.tensor([1 if flag else 0], dtype=torch.int64)
    dist.broadcast(t, src=0)
    return bool(t.item())


def cleanup() -> None:
    """Leave the process group if one was joined, once every rank has got here.

    Without the barrier a rank that finishes first tears down its gloo connections while
    another still uses them, and that rank aborts ("terminate called without an active
    exception", seen once in CI on 2026-12-03).
    """
    if is_distributed():
        dist.barrier()
        dist.destroy_process_group()
