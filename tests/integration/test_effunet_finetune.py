"""A project fine-tune of an EfficientNet-Lite0 U-Net or an ensemble keeps its architecture (the Retrain path)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from fashion_annotator.cli import main
from fashion_annotator.models.registry import build_model
from fashion_annotator.models.weights import load_model, save_model
from fashion_annotator.segmentation.proposals import load_predictor
from training.recipes.ensemble import main as ensemble_main

ARCH = {"in_ch": 3, "out_ch": 1, "decoder": [16, 16, 8, 8, 8]}


def _init_model(path: Path) -> None:
    torch.manual_seed(0)
    meta = {"task": "garment", "classes": ["background", "garment"], "architecture": "effunet",
            "arch": ARCH, "input_size": [32, 32], "mean": [0.498] * 3, "std": [0.502] * 3,
            "threshold": 0.5}  # fmt: skip
    save_model(path, build_model({"architecture": "effunet", "arch": ARCH}), meta)


def _train(data: Path, out: Path, init: Path, *extra: str) -> None:
    rc = main(["train", "--data", str(data), "--out", str(out), "--task", "garment", "--init", str(init),
               "--batch-size", "2", "--epochs", "1", "--device", "cpu", "--threads", "1",
               "--json-progress", *extra])  # fmt: skip
    assert rc == 0


def test_fine_tune_of_an_effunet_model_is_an_effunet_model(tiny_garment_data: Path, tmp_path: Path) -> None:
    init = tmp_path / "init" / "garment.safetensors"
    _init_model(init)
    _train(tiny_garment_data, tmp_path / "out", init)
    meta = json.loads((tmp_path / "out" / "garment.json").read_text())
    assert meta["architecture"] == "effunet" and meta["arch"] == ARCH
    assert meta["mean"] == [0.498] * 3, "the init model's normalisation is kept"
    predictor = load_predictor(tmp_path / "out" / "garment.safetensors", device="cpu")
    predictor.set_image(np.full((50, 70, 3), 90, np.uint8))
    assert predictor.predict().mask.shape == (50, 70)


def test_freeze_encoder_keeps_the_pretrained_encoder(tiny_garment_data: Path, tmp_path: Path) -> None:
    init = tmp_path / "init" / "garment.safetensors"
    _init_model(init)
    _train(tiny_garment_data, tmp_path / "out", init, "--freeze", "encoder", "--lr", "0.05")
    before, after = load_file(str(init)), load_file(str(tmp_path / "out" / "garment.safetensors"))
    assert set(before) == set(after)
    encoder = [k for k in before if k.startswith("encoder.")]
    decoder = [k for k in before if k.startswith(("up.", "full.", "photo.")) and k.endswith("weight")]
    assert encoder and all(torch.equal(before[k], after[k]) for k in encoder)
    assert any(not torch.equal(before[k], after[k]) for k in decoder)


ENSEMBLE_META = {"task": "garment", "classes": ["background", "garment"], "input_size": [32, 32],
        "mean": [0.498] * 3, "std": [0.502] * 3, "threshold": 0.5}  # fmt: skip
MEMBERS = (("unet", {"in_ch": 3, "out_ch": 1, "base": 4, "depth": 2}),
           ("effunet", {"in_ch": 3, "out_ch": 1, "decoder": [16, 16, 8, 8, 8]}))  # fmt: skip


def _ensemble(folder: Path) -> Path:
    files = []
    for i, (architecture, arch) in enumerate(MEMBERS):
        torch.manual_seed(i)
        path = folder / f"m{i}" / "garment.safetensors"
        save_model(path, build_model({"architecture": architecture, "arch": arch}),
                   {**ENSEMBLE_META, "architecture": architecture, "arch": arch})  # fmt: skip
        files.append(str(path))
    out = folder / "ens" / "garment.safetensors"
    assert ensemble_main([*files, "--out", str(out)]) == 0
    return out


def test_fine_tune_of_an_ensemble_is_an_ensemble_whose_members_moved(tiny_garment_data: Path, tmp_path: Path) -> None:
    init = _ensemble(tmp_path)
    _train(tiny_garment_data, tmp_path / "out", init, "--lr", "0.01")
    out = tmp_path / "out" / "garment.safetensors"
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["architecture"] == "ensemble"
    assert [m["architecture"] for m in meta["arch"]["members"]] == ["unet", "effunet"]
    before, after = load_file(str(init)), load_file(str(out))
    assert set(before) == set(after)
    for i in range(2):
        assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith(f"members.{i}.")), i
    load_model(out)
    predictor = load_predictor(out, device="cpu")
    predictor.set_image(np.full((50, 70, 3), 90, np.uint8))
    assert predictor.predict().mask.shape == (50, 70)


def test_freeze_encoder_fixes_every_members_encoder(tiny_garment_data: Path, tmp_path: Path) -> None:
    init = _ensemble(tmp_path)
    _train(tiny_garment_data, tmp_path / "out", init, "--freeze", "encoder", "--lr", "0.05")
    before, after = load_file(str(init)), load_file(str(tmp_path / "out" / "garment.safetensors"))
    frozen = [k for k in before if k.startswith(("members.0.stem.", "members.0.down.", "members.1.encoder."))]
    assert frozen and all(torch.equal(before[k], after[k]) for k in frozen)
    assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith("members.1.up."))
