"""Active-learning order: uncertainty from the proposal and its mirror, with diversity."""

from __future__ import annotations

import numpy as np

from fashion_annotator.segmentation.active import (
    ORDERS,
    PhotoUncertainty,
    order_by_uncertainty,
    photo_uncertainty,
    random_order,
    score_photo,
)
from fashion_annotator.segmentation.proposals import Proposal


def _proposal(p: np.ndarray) -> Proposal:
    probs = np.stack([1 - p, p]).astype(np.float32)
    return Proposal((p >= 0.5).astype(np.uint8), probs, "garment", "1")


def _photo(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (60, 40, 3), dtype=np.uint8)


def test_confident_symmetric_proposal_scores_low_and_a_fuzzy_one_high():
    sure = np.zeros((60, 40), np.float32)
    sure[10:50, 10:30] = 1.0
    fuzzy = np.clip(sure * 0.6 + 0.2, 0, 1)
    fuzzy[10:50, 25:30] = 0.45
    rgb = _photo(0)
    low = photo_uncertainty(_proposal(sure), sure.astype(np.uint8), rgb)
    # a model that is not mirror-consistent: the mirrored photo gets the unmirrored answer
    high = photo_uncertainty(_proposal(fuzzy), _proposal(fuzzy).mask[:, ::-1], rgb)
    assert low.predicted_dice_loss == 0.0 and low.flip_disagreement == 0.0
    assert high.predicted_dice_loss > 0.2 and high.flip_disagreement > 0.1
    assert high.uncertainty > low.uncertainty
    assert abs(float(np.linalg.norm(high.features)) - 1) < 1e-5


def _score(u: float, feature: np.ndarray) -> PhotoUncertainty:
    return PhotoUncertainty(u, u, u, (feature / np.linalg.norm(feature)).astype(np.float32))


def test_order_prefers_uncertain_but_not_all_near_duplicates():
    rng = np.random.default_rng(1)
    base = rng.normal(size=32)
    others = [rng.normal(size=32) for _ in range(3)]
    # three near-copies of one photo, all very uncertain, and three different photos
    scores = [_score(0.9 - 0.01 * i, base + rng.normal(scale=0.01, size=32)) for i in range(3)]
    scores += [_score(0.5 - 0.1 * i, f) for i, f in enumerate(others)]
    order = order_by_uncertainty(scores, k=4)
    assert order[:2] == [0, 3]  # the most uncertain, then a different photo before its copies
    assert len([i for i in order if i < 3]) == 2
    assert order_by_uncertainty(scores, diversity=0.0)[:3] == [0, 1, 2]
    assert sorted(order_by_uncertainty(scores)) == list(range(6))


def test_a_greedy_head_keeps_the_first_picks_and_orders_every_photo():
    """The window picks the first ``head`` one by one (the whole greedy order took 8 s at 4,400
    photos, a scale test); the rest follow by their value after those picks."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=(6, 8))
    # near-duplicates of six looks, so the diversity term matters beyond the head
    scores = [_score(float(u), base[i % 6] + 0.05 * rng.normal(size=8)) for i, u in enumerate(rng.random(60))]
    full = order_by_uncertainty(scores)
    assert order_by_uncertainty(scores, head=60) == full
    cut = order_by_uncertainty(scores, head=10)
    assert cut[:10] == full[:10] and sorted(cut) == list(range(60))
    assert order_by_uncertainty(scores, k=25, head=10) == cut[:25]


def test_random_order_is_reproducible_and_orders_registry():
    assert random_order(10, seed=3) == random_order(10, seed=3)
    assert sorted(random_order(10, seed=3)) == list(range(10))
    assert random_order(10, seed=3, k=4) == random_order(10, seed=3)[:4]
    assert set(ORDERS) == {"tool", "random"}


class _Fake:
    """A predictor whose proposal is the bright pixels of the photo it was given."""

    def __init__(self) -> None:
        self.images: list[np.ndarray] = []

    def set_image(self, rgb: np.ndarray) -> None:
        self.images.append(rgb)

    def predict(self) -> Proposal:
        return _proposal((self.images[-1][..., 0] > 127).astype(np.float32))


class _FlipAveraging(_Fake):
    def predict_mirrored(self) -> Proposal:
        return _proposal(np.ones(self.images[-1].shape[:2], np.float32))


def test_score_photo_reuses_the_mirror_pass_of_a_flip_averaging_predictor():
    rgb = _photo(3)
    plain = _Fake()
    proposal, scores = score_photo(plain, rgb)
    assert len(plain.images) == 2 and np.array_equal(plain.images[1], rgb[:, ::-1])
    assert scores.flip_disagreement == 0.0  # the mirror run, mirrored back, agrees exactly
    np.testing.assert_array_equal(proposal.mask, rgb[..., 0] > 127)
    averaging = _FlipAveraging()
    _, scores = score_photo(averaging, rgb)
    assert len(averaging.images) == 1  # no second network run
    fg = rgb[..., 0] > 127
    assert abs(scores.flip_disagreement - (1 - 2 * fg.sum() / (fg.sum() + fg.size))) < 1e-9
