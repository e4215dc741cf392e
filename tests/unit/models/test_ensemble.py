"""Ensembles: the mean of their members' probabilities, as model files, refused when malformed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from fashion_annotator.models.ensemble import Ensemble
from fashion_annotator.models.registry import build_model
from fashion_annotator.models.weights import ModelFileError, load_model, save_model
from fashion_annotator.segmentation.proposals import load_predictor
from training.recipes.ensemble import combine
from training.recipes.ensemble import main as ensemble_main

UNET = {"in_ch": 3, "out_ch": 4, "base": 4, "depth": 2}
EFF = {"in_ch": 3, "out_ch": 4, "decoder": [16, 16, 8, 8, 8]}
CLASSES = ["background", "skin", "top", "bottom"]
META = {"task": "parsing_test", "classes": CLASSES, "input_size": [64, 48], "mean": [0.5] * 3,
        "std": [0.25] * 3, "resize": "letterbox", "long_side": 64, "stride": 32}  # fmt: skip


def _member(path: Path, architecture: str, arch: dict, seed: int, **meta: object) -> Path:
    torch.manual_seed(seed)
    net = build_model({"architecture": architecture, "arch": arch}).eval()
    save_model(path, net, {**META, "architecture": architecture, "arch": arch, **meta})
    return path


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_the_output_is_the_log_of_the_members_mean_probabilities_after_their_biases(tmp_path: Path) -> None:
    bias = [0.0, -1.0, 0.5, 0.25]
    a = _member(tmp_path / "a.safetensors", "unet", UNET, 0, logit_bias=bias)
    b = _member(tmp_path / "b.safetensors", "effunet", EFF, 1)
    module, meta = combine([(a, load_model(a)), (b, load_model(b))])
    x = torch.randn(2, 3, 64, 32)
    with torch.no_grad():
        la = load_model(a).module(x).numpy() + np.reshape(bias, (1, 4, 1, 1))
        lb = load_model(b).module(x).numpy()
        out = module.eval()(x).numpy()
    np.testing.assert_allclose(out, np.log((_softmax(la) + _softmax(lb)) / 2), atol=1e-5)
    # log-probabilities: a softmax of them gives the mean probabilities back
    np.testing.assert_allclose(np.exp(out).sum(1), 1.0, atol=1e-5)
    assert meta["architecture"] == "ensemble"
    assert [m["architecture"] for m in meta["arch"]["members"]] == ["unet", "effunet"]
    assert meta["arch"]["members"][0]["logit_bias"] == bias and "logit_bias" not in meta


def test_a_binary_ensemble_averages_the_foreground_probabilities() -> None:
    torch.manual_seed(2)
    arch = {**UNET, "out_ch": 1}
    net = Ensemble(3, 1, [{"architecture": "unet", "arch": arch}, {"architecture": "unet", "arch": arch,
                                                                   "logit_bias": [1.5]}]).eval()  # fmt: skip
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        pa = torch.sigmoid(net.members[0](x))
        pb = torch.sigmoid(net.members[1](x) + 1.5)
        np.testing.assert_allclose(torch.sigmoid(net(x)).numpy(), ((pa + pb) / 2).numpy(), atol=1e-5)


def test_an_ensemble_file_round_trips_and_proposes(tmp_path: Path) -> None:
    a = _member(tmp_path / "a.safetensors", "unet", UNET, 0)
    b = _member(tmp_path / "b.safetensors", "effunet", EFF, 1, infer_long_side=96, flip_average=True)
    out = tmp_path / "ens" / "parsing_test.safetensors"
    assert ensemble_main([str(a), str(b), "--out", str(out), "--long-side", "80", "--no-flip-average"]) == 0
    loaded = load_model(out)
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["infer_long_side"] == 80 and meta["flip_average"] is False
    assert set(loaded.module.state_dict()) == {f"members.0.{k}" for k in load_model(a).module.state_dict()} | {
        f"members.1.{k}" for k in load_model(b).module.state_dict()
    }
    predictor = load_predictor(out, device="cpu")
    rgb = np.random.default_rng(0).integers(0, 255, (70, 50, 3), dtype=np.uint8)
    predictor.set_image(rgb)
    proposal = predictor.predict()
    assert proposal.mask.shape == (70, 50) and proposal.mask.max() < 4
    np.testing.assert_allclose(proposal.probs.sum(0), 1.0, atol=1e-4)


def test_members_of_different_tasks_or_inputs_are_refused_naming_the_file(tmp_path: Path) -> None:
    a = _member(tmp_path / "a.safetensors", "unet", UNET, 0)
    b = _member(tmp_path / "b.safetensors", "unet", UNET, 1, mean=[0.4] * 3)
    with pytest.raises(ValueError, match=r"b\.safetensors: mean"):
        combine([(a, load_model(a)), (b, load_model(b))])
    with pytest.raises(ValueError, match="2 to 4 members"):
        combine([(a, load_model(a))])
    assert ensemble_main([str(a), str(b), "--out", str(tmp_path / "x.safetensors")]) == 2
    assert not (tmp_path / "x.safetensors").exists()


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ([{"architecture": "unet", "arch": UNET}], "2 to 4 members"),
        ([{"architecture": "unet", "arch": UNET}, {"architecture": "ensemble", "arch": UNET}], "member 1 is an ensemble"),
        ([{"architecture": "unet", "arch": UNET}, {"architecture": "unet", "arch": {**UNET, "base": 100000}}], "base=100000"),
        ([{"architecture": "unet", "arch": UNET}, {"architecture": "unet", "arch": UNET, "logit_bias": ["x"]}], "finite numbers"),
        ([{"architecture": "unet", "arch": UNET}, {"architecture": "unet", "arch": UNET, "size": 3}], "member 1 must be"),
    ],
)
def test_a_hostile_ensemble_meta_is_refused_naming_the_file(tmp_path: Path, members: list, words: str) -> None:
    good = [{"architecture": "unet", "arch": UNET}, {"architecture": "unet", "arch": UNET}]
    path = tmp_path / "parsing_test.safetensors"
    arch = {"in_ch": 3, "out_ch": 4, "members": good}
    save_model(path, Ensemble(**arch), {**META, "architecture": "ensemble", "arch": arch})
    load_model(path)
    path.with_suffix(".json").write_text(json.dumps({**META, "architecture": "ensemble",
                                                     "arch": {**arch, "members": members}}))  # fmt: skip
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert str(path.with_suffix(".json")) in str(info.value) and words in str(info.value)


def test_a_member_whose_outputs_differ_or_whose_bias_is_the_wrong_length_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="member 1: 3 -> 5 channels"):
        Ensemble(3, 4, [{"architecture": "unet", "arch": UNET}, {"architecture": "unet", "arch": {**UNET, "out_ch": 5}}])
    with pytest.raises(ValueError, match="logit_bias has 2 values"):
        Ensemble(3, 4, [{"architecture": "unet", "arch": UNET}, {"architecture": "unet", "arch": UNET, "logit_bias": [0, 1]}])


def test_half_stores_float16_weights_that_load_into_float32_networks(tmp_path: Path) -> None:
    from fashion_annotator.models.weights import safetensors_header

    a = _member(tmp_path / "a.safetensors", "unet", UNET, 0)
    b = _member(tmp_path / "b.safetensors", "effunet", EFF, 1)
    full, half = tmp_path / "full.safetensors", tmp_path / "half.safetensors"
    assert ensemble_main([str(a), str(b), "--out", str(full)]) == 0
    assert ensemble_main([str(a), str(b), "--out", str(half), "--half"]) == 0
    assert {v["dtype"] for v in safetensors_header(half).values()} == {"F16"}
    assert {v["dtype"] for v in safetensors_header(full).values()} == {"F32"}
    assert json.loads(half.with_suffix(".json").read_text())["stored_dtype"] == "float16"
    assert half.stat().st_size < 0.6 * full.stat().st_size
    loaded = load_model(half)
    assert all(p.dtype == torch.float32 for p in loaded.module.parameters())
    x = torch.randn(1, 3, 64, 32)
    with torch.no_grad():
        np.testing.assert_allclose(loaded.module(x).numpy(), load_model(full).module(x).numpy(), atol=0.05)


def test_a_joint_network_goes_on_from_the_ensemble_member_of_its_own_kind(tmp_path: Path) -> None:
    from training.recipes.joint import single_network

    a = _member(tmp_path / "a.safetensors", "unet", UNET, 0)
    b = _member(tmp_path / "b.safetensors", "effunet", EFF, 1)
    module, meta = combine([(a, load_model(a)), (b, load_model(b))])
    assert single_network(module, meta, "unet", tmp_path / "e.safetensors") is module.members[0]
    assert single_network(module, meta, "effunet", tmp_path / "e.safetensors") is module.members[1]
    plain = load_model(a)
    assert single_network(plain.module, plain.meta, "effunet", a) is plain.module
    only_unets, meta2 = combine([(a, load_model(a)), (a, load_model(a))])
    with pytest.raises(ValueError, match=r"e\.safetensors: an ensemble with no effunet member"):
        single_network(only_unets, meta2, "effunet", tmp_path / "e.safetensors")
