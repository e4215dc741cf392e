"""Pseudo-labels keep only confident pixels that agree with the photo's tags."""

from __future__ import annotations

import numpy as np

from training.pseudo import IGNORE, allowed_classes, binary_pseudo, parsing_pseudo, pseudo_labels

TAX = {
    "parsing7": {"from_ccp": {"0": 0, "41": 1, "19": 2, "5": 3, "39": 4, "25": 5, "14": 6}},
    "garment": {"from_ccp": {"0": 0, "41": 0, "19": 0, "5": 1, "39": 1, "25": 1, "14": 1}},
}


def test_untagged_class_is_removed_before_the_argmax() -> None:
    probs = np.zeros((7, 1, 3), np.float32)
    probs[:, 0, 0] = [0.05, 0, 0, 0.15, 0, 0, 0.8]  # dress wins, but no dress tagged -> top
    probs[:, 0, 1] = [0.9, 0, 0, 0.1, 0, 0, 0]  # confident background
    probs[:, 0, 2] = [0.4, 0, 0, 0.35, 0, 0.25, 0]  # unsure
    allowed = allowed_classes([0, 5, 25], TAX["parsing7"]["from_ccp"], 7)
    assert allowed.tolist() == [True, False, False, True, False, True, False]
    out = parsing_pseudo(probs, allowed, 0.7)
    assert out.tolist() == [[3, 0, IGNORE]]


def test_binary_confidence_band_and_untagged_foreground() -> None:
    p = np.array([[0.05, 0.5, 0.95]], np.float32)
    assert binary_pseudo(p, 0.8).tolist() == [[0, IGNORE, 1]]
    assert binary_pseudo(p, 0.8, allowed=False).tolist() == [[0, IGNORE, 0]]


def test_three_tasks_stacked_in_order() -> None:
    probs = np.full((7, 2, 2), 1 / 7, np.float32)
    probs[0] = 0.95
    out = pseudo_labels(probs, np.full((2, 2), 0.9), np.full((2, 2), 0.9), [0, 41], TAX, 0.8)
    assert out.shape == (3, 2, 2)
    assert np.all(out[0] == 0) and np.all(out[1] == 1)
    assert np.all(out[2] == 0)  # no garment tagged: confident garment becomes background
