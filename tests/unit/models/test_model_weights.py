"""Model files: safetensors + JSON round trip and clear errors for bad files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from fashion_annotator.models.unet import UNet
from fashion_annotator.models.weights import ModelFileError, load_model, read_meta, save_model

ARCH = {"in_ch": 3, "out_ch": 7, "base": 4, "depth": 2, "norm": "group", "attention": True}


def _meta(**extra: object) -> dict:
    return {
        "task": "parsing7",
        "classes": ["background", "skin", "hair", "top", "shoes", "bottom", "dress"],
        "arch": ARCH,
        "input_size": [32, 24],
        "mean": [0.5, 0.5, 0.5],
        "std": [0.25, 0.25, 0.25],
        **extra,
    }


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, UNet]:
    torch.manual_seed(1)
    model = UNet(**ARCH).eval()
    path = tmp_path / "m.safetensors"
    save_model(path, model, _meta(version=3))
    return path, model


def test_round_trip_gives_the_same_logits(saved: tuple[Path, UNet]) -> None:
    path, model = saved
    loaded = load_model(path)
    x = torch.randn(1, 3, 32, 24)
    with torch.no_grad():
        torch.testing.assert_close(loaded.module(x), model(x))
    assert loaded.meta["version"] == 3
    assert not loaded.module.training
    assert json.loads(path.with_suffix(".json").read_text())["task"] == "parsing7"


def test_weights_are_safetensors_not_pickle(saved: tuple[Path, UNet]) -> None:
    path, _ = saved
    header_len = int.from_bytes(path.read_bytes()[:8], "little")
    header = json.loads(path.read_bytes()[8 : 8 + header_len])
    assert "head.weight" in header
    assert not path.read_bytes().startswith(b"\x80")  # pickle protocol marker


def test_save_refuses_incomplete_meta(tmp_path: Path) -> None:
    meta = _meta()
    del meta["mean"]
    with pytest.raises(ValueError, match="mean"):
        save_model(tmp_path / "m.safetensors", UNet(**ARCH), meta)


def test_corrupt_weights_name_the_file(saved: tuple[Path, UNet]) -> None:
    path, _ = saved
    path.write_bytes(b"not a safetensors file at all")
    with pytest.raises(ModelFileError, match="corrupt") as info:
        load_model(path)
    assert str(path) in str(info.value)


def test_missing_files(tmp_path: Path, saved: tuple[Path, UNet]) -> None:
    """A CLI test: ``train --init missing.safetensors`` said "missing.json: meta JSON file not
    found"; a model file that is not there is named first, and a folder is not a model file."""
    with pytest.raises(ModelFileError, match="absent.safetensors: model file does not exist"):
        load_model(tmp_path / "absent.safetensors")
    with pytest.raises(ModelFileError, match=re.escape(f"{tmp_path}: a folder, not a model file")):
        load_model(tmp_path)
    path, _ = saved
    meta = path.with_suffix(".json").read_text()
    path.with_suffix(".json").unlink()
    with pytest.raises(ModelFileError, match="meta JSON file not found") as info:
        load_model(path)
    assert "m.json" in str(info.value) and "m.safetensors" in str(info.value)
    path.with_suffix(".json").write_text(meta)
    path.unlink()
    with pytest.raises(ModelFileError, match="weights file not found"):
        load_model(path)


def test_bad_meta(saved: tuple[Path, UNet]) -> None:
    path, _ = saved
    meta_file = path.with_suffix(".json")
    meta_file.write_text("{broken")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        read_meta(path)
    meta_file.write_text(json.dumps({"task": "garment"}))
    with pytest.raises(ModelFileError, match="metadata lacks"):
        load_model(path)
    meta_file.write_text(json.dumps(_meta(arch={**ARCH, "wings": 2})))
    with pytest.raises(ModelFileError, match="bad 'arch'"):
        load_model(path)


def test_weights_that_do_not_fit_the_arch(saved: tuple[Path, UNet]) -> None:
    path, _ = saved
    path.with_suffix(".json").write_text(json.dumps(_meta(arch={**ARCH, "base": 8})))
    with pytest.raises(ModelFileError, match="do not match the architecture"):
        load_model(path)


def test_output_count_must_fit_the_classes(saved: tuple[Path, UNet]) -> None:
    path, _ = saved
    path.with_suffix(".json").write_text(json.dumps(_meta(classes=["background", "garment"])))
    with pytest.raises(ModelFileError, match="7 outputs for 2 classes"):
        load_model(path)


def test_a_figure_not_measured_is_written_null_not_nan(tmp_path: Path) -> None:
    """A recipe wrote ``NaN`` for framings it did not measure: not JSON (a browser's or Node's
    JSON.parse refuses the model card); ``null`` is."""
    path = tmp_path / "m.safetensors"
    save_model(path, UNet(**ARCH), _meta(figures_off_ccp={"upper_body": {"miou": float("nan")}}))
    text = path.with_suffix(".json").read_text()
    assert "NaN" not in text
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in the meta"))["figures_off_ccp"] == {
        "upper_body": {"miou": None}
    }
    assert read_meta(path)["figures_off_ccp"]["upper_body"]["miou"] is None


def test_the_shipped_model_cards_are_strict_json() -> None:
    from fashion_annotator.models.weights import meta_path
    from fashion_annotator.resources import resource_path

    for weights in sorted(Path(resource_path("models")).glob("*.safetensors")):
        json.loads(meta_path(weights).read_text(), parse_constant=lambda c, w=weights: pytest.fail(f"{c} in {w}"))
