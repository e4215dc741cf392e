"""The resize ablation script and the DDP helpers outside a process group."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from fashion_annotator.models.unet import UNet
from fashion_annotator.models.weights import save_model
from training import distributed
from training.resize_ablation import main as resize_ablation


def test_resize_ablation_prints_four_variants(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rng = np.random.default_rng(0)
    for sub in ("images", "masks"):
        (tmp_path / sub).mkdir()
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (30, 20, 3), dtype=np.uint8)).save(
            tmp_path / "images" / f"{i}.png"
        )
        mask = np.zeros((30, 20), np.uint8)
        mask[5:25, 4:16] = 1
        Image.fromarray(mask).save(tmp_path / "masks" / f"{i}.png")
    (tmp_path / "splits.json").write_text(json.dumps({"train": ["0"], "val": ["1", "2"]}))
    arch = {"in_ch": 3, "out_ch": 1, "base": 4, "depth": 2}
    meta = {"task": "garment", "classes": ["background", "garment"], "arch": arch,
            "input_size": [16, 12], "mean": [0.5] * 3, "std": [0.25] * 3, "threshold": 0.5}  # fmt: skip
    save_model(tmp_path / "g.safetensors", UNet(**arch), meta)
    assert resize_ablation([str(tmp_path / "g.safetensors"), str(tmp_path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {(r["shrink"], r["enlarge"]) for r in rows} == {
        (s, e) for s in ("area", "nearest") for e in ("bilinear", "nearest")
    }
    assert all(0 <= r["median_dice"] <= 1 and r["task"] == "garment" for r in rows)


def test_ddp_helpers_are_no_ops_in_a_single_process() -> None:
    model = UNet(out_ch=1, base=4, depth=1)
    assert not distributed.is_distributed()
    assert distributed.rank_and_world() == (0, 1)
    assert not distributed.init_from_env("cpu")
    assert distributed.wrap(model) is model
    assert distributed.broadcast_flag(True) is True and distributed.broadcast_flag(False) is False
    distributed.cleanup()
    assert isinstance(model(torch.zeros(1, 3, 4, 4)), torch.Tensor)
