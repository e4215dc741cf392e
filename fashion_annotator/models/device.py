"""The one device resolver: ``"auto"``, ``"cpu"``, ``"cuda"``... to a torch device."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["channels_last", "device_display_name", "resolve_device"]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Return the torch device for ``device``: ``"auto"`` picks CUDA, else MPS, else CPU."""
    if str(device) != "auto":
        try:
            chosen = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"unknown device {device!r}: {exc}") from None
        if chosen.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {device!r}: no CUDA device is available")
        return chosen
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_display_name(device: torch.device) -> str:
    """Name a device for the window: ``"CPU"``, the GPU's name, or ``"Apple GPU (MPS)"``."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return "CPU"


def channels_last(module: nn.Module, device: torch.device) -> nn.Module:
    """``module`` in channels-last memory format on a CPU (unchanged elsewhere).

    Depthwise convolutions (:class:`~fashion_annotator.models.effunet.EffUNet`) train about 4x
    faster that way on a CPU, a U-Net about 1.2x (batch 8, 384x256, 2 threads); inputs follow
    with ``x.contiguous(memory_format=torch.channels_last)``.
    """
    if device.type != "cpu":
        return module
    return module.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # documented; absent from the stubs
