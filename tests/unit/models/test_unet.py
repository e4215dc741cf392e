"""UNet, its blocks and the attention bottleneck: shapes, determinism, argument checks."""

from __future__ import annotations

import pytest
import torch

from fashion_annotator.models.attention import AttentionBottleneck
from fashion_annotator.models.blocks import ConvBlock, group_count, make_norm
from fashion_annotator.models.unet import MODEL_SIZES, UNet


@pytest.mark.parametrize("out_ch", [1, 7])
@pytest.mark.parametrize("hw", [(32, 32), (37, 29), (8, 8)])
def test_logits_match_the_input_size(out_ch: int, hw: tuple[int, int]) -> None:
    model = UNet(out_ch=out_ch, base=4, depth=3, attention=True).eval()
    with torch.no_grad():
        y = model(torch.randn(2, 3, *hw))
    assert y.shape == (2, out_ch, *hw)
    assert y.dtype == torch.float32
    assert torch.isfinite(y).all()


def test_boundary_head_output() -> None:
    model = UNet(out_ch=3, base=4, depth=2, boundary_head=True)
    logits, boundary = model(torch.randn(1, 3, 24, 16), with_boundary=True)
    assert logits.shape == (1, 3, 24, 16)
    assert boundary is not None and boundary.shape == (1, 1, 24, 16)
    _, none = UNet(out_ch=3, base=4, depth=2)(torch.randn(1, 3, 24, 16), with_boundary=True)
    assert none is None


def test_same_seed_same_network_same_output() -> None:
    x = torch.randn(1, 3, 32, 24)
    outs = []
    for _ in range(2):
        torch.manual_seed(3)
        model = UNet(out_ch=2, base=4, depth=2, attention=True).eval()
        with torch.no_grad():
            outs.append(model(x))
    assert torch.equal(outs[0], outs[1])
    torch.manual_seed(4)
    with torch.no_grad():
        other = UNet(out_ch=2, base=4, depth=2, attention=True).eval()(x)
    assert not torch.equal(outs[0], other)


def test_eval_output_does_not_depend_on_the_batch() -> None:
    torch.manual_seed(0)
    model = UNet(out_ch=3, base=4, depth=2).eval()
    x = torch.randn(3, 3, 16, 16)
    with torch.no_grad():
        together = model(x)
        alone = model(x[1:2])
    torch.testing.assert_close(together[1:2], alone, rtol=1e-4, atol=1e-5)


def test_gradients_reach_every_parameter() -> None:
    model = UNet(out_ch=2, base=4, depth=2, attention=True, boundary_head=True)
    logits, boundary = model(torch.randn(2, 3, 16, 16), with_boundary=True)
    (logits.mean() + boundary.mean()).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert missing == []


def test_model_sizes_build_and_default_is_light() -> None:
    for kwargs in MODEL_SIZES.values():
        UNet(out_ch=7, **kwargs)
    n = sum(
        p.numel() for p in UNet(out_ch=7, attention=True, **MODEL_SIZES["default"]).parameters()
    )
    assert n * 4 < 20 * 2**20  # float32 weights under the 20 MB shipping limit


@pytest.mark.parametrize("kwargs", [{"out_ch": 0}, {"depth": 0}, {"base": 0}])
def test_bad_arguments_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="positive"):
        UNet(**{"out_ch": 1, **kwargs})


def test_unknown_norm_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown norm"):
        make_norm("layer", 8)
    with pytest.raises(ValueError, match="unknown norm"):
        UNet(out_ch=1, base=4, depth=1, norm="instance")


def test_batch_norm_variant_uses_relu() -> None:
    block = ConvBlock(3, 8, norm="batch")
    kinds = {type(m).__name__ for m in block.modules()}
    assert {"BatchNorm2d", "ReLU"} <= kinds and "GroupNorm" not in kinds


@pytest.mark.parametrize(("channels", "groups"), [(16, 8), (12, 6), (4, 4), (7, 7), (9, 3)])
def test_group_count_divides(channels: int, groups: int) -> None:
    assert group_count(channels) == groups


def test_attention_bottleneck_keeps_shape_and_mixes_positions() -> None:
    torch.manual_seed(0)
    attn = AttentionBottleneck(8, heads=2).eval()
    x = torch.randn(1, 8, 4, 6)
    with torch.no_grad():
        y = attn(x)
        x2 = x.clone()
        x2[..., 0, 0] += 5  # a change in one corner reaches the far corner via attention
        y2 = attn(x2)
    assert y.shape == x.shape
    assert not torch.allclose(y[..., -1, -1], y2[..., -1, -1])
    with pytest.raises(ValueError, match="divisible"):
        AttentionBottleneck(6, heads=4)
