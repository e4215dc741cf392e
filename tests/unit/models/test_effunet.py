"""The EfficientNet-Lite0 U-Net: shapes, TensorFlow "SAME" padding, model files, hostile metas."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from fashion_annotator.models.effunet import (
    EffUNet,
    FrozenBatchNorm,
    SameConv,
    fold_frozen_batchnorms,
)
from fashion_annotator.models.registry import build_model
from fashion_annotator.models.weights import ModelFileError, load_model, save_model
from fashion_annotator.segmentation.proposals import load_predictor

META = {"task": "garment", "classes": ["background", "garment"], "architecture": "effunet",
        "input_size": [64, 48], "mean": [0.5] * 3, "std": [0.5] * 3, "threshold": 0.5}  # fmt: skip


@pytest.mark.parametrize("shape", [(64, 96), (50, 70), (33, 17)])
def test_logits_have_the_input_size_whatever_it_is(shape: tuple[int, int]) -> None:
    torch.manual_seed(0)
    net = EffUNet(out_ch=7, decoder=(16, 16, 8, 8, 8)).eval()
    with torch.no_grad():
        out = net(torch.randn(2, 3, *shape))
    assert out.shape == (2, 7, *shape)
    logits, boundary = net(torch.randn(1, 3, *shape), with_boundary=True)
    assert logits.shape == (1, 7, *shape) and boundary is None


def test_strided_convolutions_pad_like_tensorflow_same() -> None:
    conv = SameConv(1, 1, 3, 2)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    x = torch.ones(1, 1, 4, 4)
    y = conv(x)[0, 0]
    # "SAME" on an even size pads one pixel bottom/right only: the first output sees a full 3x3
    # window, the last one loses its third row and column to the padding.
    assert y.shape == (2, 2)
    assert y[0, 0] == 9 and y[1, 1] == 4 and y[0, 1] == 6


@pytest.mark.parametrize("kernel", [1, 3, 5])
def test_unstrided_convolutions_pad_inside_the_convolution_exactly_as_before(kernel: int) -> None:
    torch.manual_seed(1)
    conv = SameConv(4, 4, kernel, 1, groups=4 if kernel > 1 else 1)
    x = torch.randn(2, 4, 13, 8)
    padded = torch.nn.functional.pad(x, [kernel // 2] * 4)
    assert torch.equal(conv(x), torch.nn.Conv2d.forward(conv, padded))


def test_folded_normalisations_keep_the_logits_and_leave_none_behind() -> None:
    torch.manual_seed(2)
    net = EffUNet(out_ch=7, decoder=(16, 16, 8, 8, 8)).eval()
    norms = [m for m in net.modules() if isinstance(m, FrozenBatchNorm)]
    with torch.no_grad():  # statistics and affine terms far from the identity, as trained ones are
        for m in norms:
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.2, 3)
            m.weight.uniform_(0.5, 2)
            m.bias.uniform_(-0.5, 0.5)
    x = torch.randn(1, 3, 70, 50)
    with torch.no_grad():
        before = net(x)
        assert fold_frozen_batchnorms(net) == len(norms)
        after = net(x)
    assert not any(isinstance(m, FrozenBatchNorm) for m in net.modules())
    assert torch.allclose(before, after, atol=1e-4, rtol=1e-4)
    assert fold_frozen_batchnorms(net) == 0  # nothing left to fold


def test_frozen_batch_norm_uses_stored_statistics_in_training_mode_too() -> None:
    bn = FrozenBatchNorm(2).train()
    bn.running_mean.copy_(torch.tensor([1.0, -1.0]))
    bn.running_var.copy_(torch.tensor([4.0, 1.0]))
    x = torch.tensor([3.0, 0.0]).view(1, 2, 1, 1).expand(4, 2, 3, 3)
    y = bn(x).detach()
    np.testing.assert_allclose(y[:, 0].numpy(), 1.0, atol=1e-3)
    np.testing.assert_allclose(y[:, 1].numpy(), 1.0, atol=1e-3)
    assert {k for k, v in bn.state_dict().items()} == {"weight", "bias", "running_mean", "running_var"}


def test_model_file_round_trip_and_prediction(tmp_path: Path) -> None:
    torch.manual_seed(1)
    arch = {"in_ch": 3, "out_ch": 1, "decoder": [16, 16, 8, 8, 8]}
    net = build_model({"architecture": "effunet", "arch": arch}).eval()
    assert all(v.is_floating_point() for v in net.state_dict().values())
    path = tmp_path / "garment.safetensors"
    save_model(path, net, {**META, "arch": arch})
    loaded = load_model(path)
    x = torch.randn(1, 3, 64, 48)
    with torch.no_grad():
        np.testing.assert_allclose(loaded.module(x).numpy(), net(x).numpy(), atol=1e-6)
    predictor = load_predictor(path, device="cpu")
    predictor.set_image(np.full((90, 130, 3), 120, np.uint8))
    assert predictor.predict().mask.shape == (90, 130)


@pytest.mark.parametrize(
    ("arch", "words"),
    [
        ({"in_ch": 3, "out_ch": 1, "decoder": [16, 16, 8, 8]}, "decoder must list 5"),
        ({"in_ch": 3, "out_ch": 1, "decoder": [100000, 16, 8, 8, 8]}, "decoder must list 5"),
        ({"in_ch": 3, "out_ch": 1000, "decoder": [16, 16, 8, 8, 8]}, "out_ch=1000"),
        ({"in_ch": 3, "out_ch": 1, "depth": 4}, "unknown keys ['depth']"),
    ],
)
def test_a_hostile_arch_is_refused_naming_the_file(tmp_path: Path, arch: dict, words: str) -> None:
    good = {"in_ch": 3, "out_ch": 1, "decoder": [16, 16, 8, 8, 8]}
    path = tmp_path / "garment.safetensors"
    save_model(path, build_model({"architecture": "effunet", "arch": good}), {**META, "arch": good})
    path.with_suffix(".json").write_text(json.dumps({**META, "arch": arch}))
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert str(path.with_suffix(".json")) in str(info.value) and words in str(info.value)
