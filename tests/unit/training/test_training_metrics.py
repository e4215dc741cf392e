"""Full-resolution validation, heads layout and per-head export."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from fashion_annotator.models.preprocess import InputSpec, normalise, to_input
from fashion_annotator.models.unet import UNet
from training.data import CachedSplit
from training.heads import stack_heads
from training.metrics import evaluate, normalise_batch, score
from training.runner import export_head

IDENT = np.arange(256, dtype=np.uint8)
BINARY = np.minimum(IDENT, 1).astype(np.uint8)


class Oracle(nn.Module):
    """Returns logits that encode a fixed label map, whatever the input."""

    def __init__(self, labels: np.ndarray, k: int) -> None:
        super().__init__()
        self.onehot = torch.from_numpy(np.eye(k, dtype=np.float32)[labels]).permute(2, 0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parsing = self.onehot * 20 - 10
        cutout = self.onehot[1:].sum(0, keepdim=True) * 20 - 10
        return torch.cat([parsing, cutout])[None].expand(x.shape[0], -1, -1, -1)


class Background(nn.Module):
    """Says background everywhere, for one binary head."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((x.shape[0], 1, *x.shape[-2:]), -10.0)


def _split(full: np.ndarray, small: tuple[int, int]) -> CachedSplit:
    images = np.zeros((1, *small, 3), np.uint8)
    return CachedSplit(["a"], images, np.zeros((1, *small), np.uint8), [full])


def test_perfect_logits_score_one_at_full_resolution() -> None:
    full = np.zeros((40, 20), np.uint8)
    full[8:32, 4:16] = 1
    full[8:16, 4:16] = 2
    small = full[::2, ::2]  # the network works at half size; logits are enlarged
    heads = stack_heads([("parsing3", ["bg", "a", "b"], IDENT), ("person", ["bg", "p"], BINARY)])
    fig = evaluate(Oracle(small, 3), _split(full, small.shape), heads, [0.5] * 3, [0.2] * 3)
    assert fig["parsing3"]["pixel_accuracy"] > 0.97
    assert fig["parsing3"]["miou"] > 0.93
    assert fig["person"]["median_dice"] > 0.97 and fig["person"]["miou"] > 0.95
    assert 0.3 <= fig["person"]["best_threshold"] <= 0.8
    assert score(fig, heads) == pytest.approx((fig["parsing3"]["miou"] + fig["person"]["miou"]) / 2)


def test_all_background_prediction_scores_zero_foreground() -> None:
    full = np.zeros((10, 10), np.uint8)
    full[2:8, 2:8] = 1
    heads = stack_heads([("garment", ["bg", "g"], BINARY)])
    fig = evaluate(Background(), _split(full, (5, 5)), heads, [0.5] * 3, [0.2] * 3)
    assert fig["garment"]["median_dice"] == 0.0
    assert fig["garment"]["pixel_accuracy"] == pytest.approx(1 - 36 / 100)


def test_evaluate_needs_full_masks() -> None:
    split = CachedSplit(["a"], np.zeros((1, 4, 4, 3), np.uint8), np.zeros((1, 4, 4), np.uint8))
    heads = stack_heads([("garment", ["bg", "g"], BINARY)])
    with pytest.raises(ValueError, match="full-resolution"):
        evaluate(UNet(out_ch=1, base=4, depth=1), split, heads, [0.5] * 3, [0.2] * 3)


def test_heads_stack_their_channels() -> None:
    heads = stack_heads(
        [("parsing7", list("abcdefg"), IDENT), ("person", ["bg", "p"], BINARY),
         ("garment", ["bg", "g"], BINARY)]
    )  # fmt: skip
    assert [(h.offset, h.stop) for h in heads] == [(0, 7), (7, 8), (8, 9)]
    assert [h.primary_metric for h in heads] == ["miou", "miou", "median_dice"]
    with pytest.raises(ValueError, match="at least two classes"):
        stack_heads([("x", ["only"], IDENT)])


def test_exported_head_equals_its_slice_of_the_shared_network() -> None:
    torch.manual_seed(0)
    arch = {
        "in_ch": 3,
        "out_ch": 9,
        "base": 4,
        "depth": 2,
        "attention": True,
        "boundary_head": True,
    }
    model = UNet(**arch).eval()
    heads = stack_heads(
        [("parsing7", list("abcdefg"), IDENT), ("person", ["bg", "p"], BINARY),
         ("garment", ["bg", "g"], BINARY)]
    )  # fmt: skip
    x = torch.randn(1, 3, 16, 12)
    with torch.no_grad():
        full = model(x)
        for h in heads:
            single = export_head(model, "unet", arch, h)
            assert single.boundary is None
            torch.testing.assert_close(single(x), full[:, h.offset : h.stop])


def test_normalise_shapes_and_values() -> None:
    x = normalise_batch(np.full((2, 4, 3, 3), 255, np.uint8), [0.5, 0.5, 0.5], [0.25, 0.5, 1.0])
    assert x.shape == (2, 3, 4, 3) and x.dtype == torch.float32
    assert x[0, :, 0, 0].tolist() == [2.0, 1.0, 0.5]


def test_training_and_inference_normalise_the_same_pixels_alike() -> None:
    rng = np.random.default_rng(3)
    photo = rng.integers(0, 256, (64, 48, 3), dtype=np.uint8)
    mean, std = [0.55, 0.53, 0.52], [0.27, 0.26, 0.27]
    meta = {"input_size": [64, 48], "mean": mean, "std": std}
    app, _ = to_input(photo, InputSpec.from_meta(meta))  # (3, 64, 48), the predictor's input
    train = normalise_batch(photo[None], mean, std)[0].numpy()  # the training loop's input
    assert np.allclose(app, train, atol=1e-6)
    channel_last = normalise(photo.astype(np.float32) / 255, mean, std)
    assert np.allclose(channel_last.transpose(2, 0, 1), app, atol=1e-6)
