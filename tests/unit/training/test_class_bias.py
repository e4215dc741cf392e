"""Per-class logit biases: the search and the predictor that applies them."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from fashion_annotator.segmentation.proposals import Predictor
from training.recipes.class_bias import pooled_miou, tune


def test_tune_undoes_a_class_the_logits_over_predict() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 3000)
    logits = np.eye(3, dtype=np.float32)[labels] * 2 + rng.normal(0, 0.3, (3000, 3)).astype(np.float32)
    logits[:, 2] += 1.5  # class 2 wins pixels it should not
    bias, before, after = tune(logits, labels)
    assert bias[0] == 0 and bias[2] < -0.5
    assert after > 0.97 and after > before + 0.1
    assert pooled_miou(logits, labels, bias) == after


class Zeros(torch.nn.Module):
    """Logits 0 for every class: the argmax is class 0 unless a bias says otherwise."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(x.shape[0], 3, x.shape[2], x.shape[3])


def test_the_predictor_adds_the_bias_before_the_argmax_and_softmax() -> None:
    meta = {"task": "parts", "classes": ["background", "top", "bottom"], "input_size": [24, 16],
            "mean": [0.5] * 3, "std": [0.5] * 3}  # fmt: skip
    rgb = np.zeros((48, 32, 3), np.uint8)
    plain = Predictor(SimpleNamespace(module=Zeros(), meta=meta), device="cpu")
    plain.set_image(rgb)
    assert not plain.predict().mask.any()
    biased = Predictor(SimpleNamespace(module=Zeros(), meta={**meta, "logit_bias": [0, 0.5, 1.0]}),
                       device="cpu")  # fmt: skip
    biased.set_image(rgb)
    proposal = biased.predict()
    assert (proposal.mask == 2).all()
    np.testing.assert_allclose(proposal.probs[:, 0, 0], np.exp([0, 0.5, 1]) / np.exp([0, 0.5, 1]).sum(), rtol=1e-5)
    assert np.allclose(biased.logits, 0)  # the raw logits stay unbiased
