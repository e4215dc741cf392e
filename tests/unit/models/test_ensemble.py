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
from training.recipes.ensemble import combine, load_member
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


def test_a_member_of_an_ensemble_file_pairs_with_a_new_network(tmp_path: Path) -> None:
    bias = [0.0, -1.0, 0.5, 0.25]
    a = _member(tmp_path / "a.safetensors", "unet", UNET, 0, logit_bias=bias)
    b = _member(tmp_path / "b.safetensors", "effunet", EFF, 1)
    c = _member(tmp_path / "c.safetensors", "effunet", EFF, 2)
    pair = tmp_path / "pair.safetensors"
    assert ensemble_main([str(a), str(b), "--out", str(pair), "--half"]) == 0
    new = tmp_path / "new.safetensors"
    # the pair's first member (with its own bias) kept, its second replaced by c
    assert ensemble_main([f"{pair}#0", str(c), "--out", str(new)]) == 0
    kept, together = load_model(new).module.eval(), load_model(pair).module.eval()
    x = torch.randn(1, 3, 64, 32)
    with torch.no_grad():
        np.testing.assert_array_equal(kept.members[0](x).numpy(), together.members[0](x).numpy())
        np.testing.assert_allclose(kept.members[1](x).numpy(), load_model(c).module(x).numpy(), atol=1e-6)
    assert load_model(new).meta["arch"]["members"][0]["logit_bias"] == bias
    for name, words in ((f"{pair}#2", r"pair\.safetensors: has members #0 to #1, not #2"),
                        (f"{a}#0", r"a\.safetensors: not an ensemble"),
                        (f"{pair}#x", "whole number")):  # fmt: skip
        with pytest.raises(ValueError, match=words):
            load_member(name)
        assert ensemble_main([name, str(c), "--out", str(tmp_path / "refused.safetensors")]) == 2
    assert not (tmp_path / "refused.safetensors").exists()


@pytest.mark.parametrize(
    ("members", "words"),
    [
        ([{"architecture": "unet", "arch": UNET}], "2 to 4 members"),
        ([{"architecture": "unet", "arch": UNET}, {"architecture": "ensemble", "arch": UNET}], "member 1 is an ensemble"),
        ([{"architecture": "unet", "arch": UNET}, {"architecture": "unet", "arch": {**UNET, "base": 100000}}], "base=100000"),
        ([{"architecture": "unet", "arch": UNET}, {"architecture": "unet", "arch": UNET, "logit_bias": ["x"]}], "finite numbers"),
        ([{"architecture": "unet", "arch": UNET}, {"architecture": "unet", "arch": UNET, "size": 3}], "member 1 must be"),
        ([{"architecture": "unet", "arch": UNET}, {"architecture": "unet", "arch": {**UNET, "out_ch": 7},
                                                   "fine_head": {"parents": [0, 1, 99], "weight": 0.5}}], "class indices"),
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


FINE = ["background", "skin", "shirt", "jacket", "jeans", "skirt"]
PARENTS = [0, 1, 2, 2, 3, 3]


def _pair_of_heads(tmp_path: Path) -> tuple[Path, Path]:
    """A coarse and a fine ensemble of the same two trunks (only the last layers differ)."""
    a = _member(tmp_path / "a.safetensors", "unet", UNET, 0, logit_bias=[0.0, 0.5, 0.0, -0.5])
    b = _member(tmp_path / "b.safetensors", "effunet", EFF, 1)
    coarse = tmp_path / "coarse.safetensors"
    assert ensemble_main([str(a), str(b), "--out", str(coarse)]) == 0
    loaded = load_model(coarse)
    torch.manual_seed(5)
    specs = [{"architecture": s["architecture"], "arch": {**s["arch"], "out_ch": len(FINE)}} for s in loaded.meta["arch"]["members"]]
    fine_net = Ensemble(3, len(FINE), specs)
    state = fine_net.state_dict()
    state.update({k: v for k, v in loaded.module.state_dict().items() if ".head." not in k})
    fine_net.load_state_dict(state)
    fine = tmp_path / "fine.safetensors"
    save_model(fine, fine_net, {**loaded.meta, "task": "fine_test", "classes": FINE, "arch": {"in_ch": 3, "out_ch": len(FINE), "members": specs}})
    return coarse, fine


def test_a_fine_head_mixes_each_members_own_and_pooled_fine_probabilities(tmp_path: Path) -> None:
    from training.recipes.fine_head import main as fine_main

    coarse, fine = _pair_of_heads(tmp_path)
    out = tmp_path / "mixed.safetensors"
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({
        "parsing_test": {"classes": CLASSES, "from_ccp": {"0": 0, "1": 1, "2": 2, "3": 2, "4": 3, "5": 3, "6": 2}},
        "fine_test": {"classes": FINE, "from_ccp": {"0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 3}},
    }))  # fmt: skip
    assert fine_main([str(coarse), str(fine), "--out", str(out), "--weight", "0.25", "--mapping", str(mapping)]) == 0
    mixed = load_model(out)
    assert [m["fine_head"] for m in mixed.meta["arch"]["members"]] == [{"parents": PARENTS, "weight": 0.25}] * 2
    with pytest.raises(ValueError, match=r"mixed\.safetensors: member #1 has a fine head"):
        load_member(f"{out}#1")
    assert mixed.meta["model_card"]["fine_head"]["parents"]["jacket"] == "top"
    c, f = load_model(coarse).module, load_model(fine).module
    x = torch.randn(1, 3, 64, 32)
    expected = []
    with torch.no_grad():
        for i, (cm, fm) in enumerate(zip(c.members, f.members, strict=True)):
            own = _softmax(cm(x).numpy() + getattr(c, f"bias{i}").numpy())
            pf = _softmax(fm(x).numpy())
            pooled = np.stack([pf[:, [j for j, p in enumerate(PARENTS) if p == k]].sum(1) for k in range(4)], 1)
            expected.append(0.75 * own + 0.25 * pooled)
        out_logp = mixed.module(x).numpy()
    np.testing.assert_allclose(out_logp, np.log((expected[0] + expected[1]) / 2), atol=1e-5)
    np.testing.assert_allclose(np.exp(out_logp).sum(1), 1.0, atol=1e-5)
    # weight 0 is the coarse ensemble itself
    zero = tmp_path / "zero.safetensors"
    assert fine_main([str(coarse), str(fine), "--out", str(zero), "--weight", "0", "--mapping", str(mapping)]) == 0
    with torch.no_grad():
        np.testing.assert_allclose(load_model(zero).module(x).numpy(), c(x).numpy(), atol=1e-5)


def test_heads_of_different_trunks_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    from training.recipes.fine_head import with_fine_head

    coarse, fine = _pair_of_heads(tmp_path)
    other = load_model(fine)
    with torch.no_grad():
        next(p for n, p in other.module.named_parameters() if ".head." not in n).add_(0.01)
    with pytest.raises(ValueError, match="not one trunk"):
        with_fine_head((coarse, load_model(coarse)), (fine, other), PARENTS)
    with pytest.raises(ValueError, match="parents must give"):
        with_fine_head((coarse, load_model(coarse)), (fine, load_model(fine)), [0, 1, 2])
    with pytest.raises(ValueError, match=r"weight must lie in \[0, 1\], got 1.5"):
        with_fine_head((coarse, load_model(coarse)), (fine, load_model(fine)), PARENTS, 1.5)
    mixed_path = tmp_path / "mixed.safetensors"
    module, meta = with_fine_head((coarse, load_model(coarse)), (fine, load_model(fine)), PARENTS)
    save_model(mixed_path, module, meta)
    with pytest.raises(ValueError, match=r"mixed\.safetensors: member 0 has a fine head already"):
        with_fine_head((mixed_path, load_model(mixed_path)), (fine, load_model(fine)), PARENTS)


@pytest.mark.parametrize(
    ("fine_head", "words"),
    [
        ({"parents": [0, 1, 9], "weight": 0.5}, "class indices"),
        ({"parents": [0, 1, 2], "weight": 1.5}, "a number in [0, 1]"),
        ({"parents": [0, 1, 2]}, "fine_head must be"),
        ([0, 1, 2], "fine_head must be"),
    ],
)
def test_a_malformed_fine_head_is_refused(fine_head: object, words: str) -> None:
    member = {"architecture": "unet", "arch": {**UNET, "out_ch": 7}, "fine_head": fine_head}
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        Ensemble(3, 4, [{"architecture": "unet", "arch": UNET}, member])
    with pytest.raises(ValueError, match="binary ensemble has no fine head"):
        Ensemble(3, 1, [{"architecture": "unet", "arch": {**UNET, "out_ch": 1}},
                        {"architecture": "unet", "arch": {**UNET, "out_ch": 4}, "fine_head": {"parents": [0, 0, 0], "weight": 0.5}}])  # fmt: skip


def test_a_fine_head_with_a_wrong_channel_count_is_refused() -> None:
    member = {"architecture": "unet", "arch": {**UNET, "out_ch": 6}, "fine_head": {"parents": [0, 1, 2], "weight": 0.5}}
    with pytest.raises(ValueError, match=r"member 1: 3 -> 6 channels, the ensemble's are 3 -> 4 \+ 3 fine classes"):
        Ensemble(3, 4, [{"architecture": "unet", "arch": UNET}, member])
