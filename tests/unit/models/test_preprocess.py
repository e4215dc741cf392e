"""The shared photo -> network input -> photo frame mapping (training and inference)."""

from __future__ import annotations

import numpy as np
import pytest

from fashion_annotator.models.preprocess import (
    InputSpec,
    crop_output,
    geometry,
    stack_inputs,
    to_input,
)

META = {"input_size": [288, 192], "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}


def letterbox(long_side: int = 320, stride: int = 32) -> InputSpec:
    return InputSpec.from_meta({**META, "resize": "letterbox", "long_side": long_side, "stride": stride})


def test_old_models_keep_the_squash_path() -> None:
    spec = InputSpec.from_meta(META)
    assert spec.mode == "squash"
    x, geo = to_input(np.zeros((100, 400, 3), np.uint8), spec)
    assert x.shape == (3, 288, 192)
    assert geo.content == geo.padded == (288, 192)


@pytest.mark.parametrize(
    ("shape", "content", "padded"),
    [
        ((1728, 1152), (320, 213), (320, 224)),  # studio portrait
        ((600, 1200), (160, 320), (160, 320)),  # landscape: not squashed into a portrait
        ((100, 100), (320, 320), (320, 320)),  # small photo is enlarged
    ],
)
def test_letterbox_keeps_the_aspect_ratio(shape, content, padded) -> None:
    geo = geometry(shape, letterbox())
    assert geo.content == content
    assert geo.padded == padded
    assert abs(content[1] / content[0] - shape[1] / shape[0]) < 0.01


def test_padding_is_the_mean_colour_and_cropped_back() -> None:
    spec = letterbox()
    rgb = np.full((1728, 1152, 3), 255, np.uint8)
    x, geo = to_input(rgb, spec)
    assert np.allclose(x[:, :320, :213], 2.0)  # (1 - 0.5) / 0.25
    assert np.all(x[:, :, 213:] == 0)
    logits = np.arange(2 * 320 * 224, dtype=np.float32).reshape(2, 320, 224)
    assert crop_output(logits, geo).shape == (2, 320, 213)


def test_stack_pads_to_the_largest_input() -> None:
    a = np.ones((3, 64, 32), np.float32)
    b = np.ones((3, 32, 64), np.float32)
    out = stack_inputs([a, b])
    assert out.shape == (2, 3, 64, 64)
    assert out[0, :, :, 32:].sum() == 0 and out[1, :, 32:].sum() == 0


@pytest.mark.parametrize(
    "bad",
    [{"resize": "stretch"}, {"resize": "letterbox", "long_side": 5}, {"std": [0, 1, 1]},
     {"mean": [float("nan"), 0, 0]}, {"input_size": [10**6, 10]}],
)
def test_bad_meta_is_refused(bad) -> None:
    with pytest.raises(ValueError):
        InputSpec.from_meta({**META, **bad})


def test_spec_round_trips_through_meta() -> None:
    spec = letterbox(384, 32)
    again = InputSpec.from_meta(spec.meta())
    assert again.mode == "letterbox" and again.long_side == 384 and again.stride == 32
