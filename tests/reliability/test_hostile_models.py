"""Hostile model metadata that the older checks let through as a crash instead of an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from fashion_annotator.models.unet import UNet
from fashion_annotator.models.weights import ModelFileError, load_model, read_meta, save_model

pytestmark = pytest.mark.reliability

ARCH = {"in_ch": 3, "out_ch": 1, "base": 4, "depth": 2, "norm": "group", "attention": False}
META = {"task": "garment", "classes": ["background", "garment"], "arch": ARCH,
        "input_size": [32, 32], "mean": [0.5] * 3, "std": [0.25] * 3}  # fmt: skip


@pytest.mark.parametrize("architecture", [["unet"], {"name": "unet"}, 5, None])
def test_an_architecture_that_is_not_a_name_is_refused(
    tmp_path: Path, architecture: object, ledger
) -> None:
    ledger.try_("models", f"architecture {architecture!r}")
    path = tmp_path / "m.safetensors"
    torch.manual_seed(0)
    save_model(path, UNet(**ARCH), META)
    path.with_suffix(".json").write_text(json.dumps({**META, "architecture": architecture}))
    for load in (read_meta, load_model):
        with pytest.raises(ModelFileError, match="unknown architecture") as info:
            load(path)
        assert info.value.path == path.with_suffix(".json")
    ledger.handled("models", f"architecture {architecture!r}")
