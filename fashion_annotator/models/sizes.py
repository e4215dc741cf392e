"""Named U-Net sizes (torch-free, so the command line can list them without loading torch)."""

from __future__ import annotations

#: ``--model-size`` presets: UNet keyword arguments other than the channel counts.
MODEL_SIZES: dict[str, dict[str, int]] = {
    "tiny": {"base": 4, "depth": 2},
    "small": {"base": 8, "depth": 3},
    "default": {"base": 16, "depth": 5},
}
