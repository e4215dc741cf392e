"""Which photos to correct next: model uncertainty, with diversity (active learning).

Each photo gets an **uncertainty** in 0..1 from two cheap signals of the current model:

- **predicted Dice loss** (binary tasks): ``1 - 2 sum(p m) / (sum(p) + sum(m))`` with ``p`` the
  foreground probability and ``m`` the proposal, i.e. one minus the Dice the model expects of its
  own mask; mostly the soft band along the boundary, relative to the garment's size, so a small
  garment with a fuzzy outline scores high. Parsing tasks: one minus the mean top probability;
- **flip disagreement**: one minus the Dice (binary) or pixel agreement (parsing) between the
  proposal and the mirrored proposal of the mirrored photo.

``uncertainty`` is their mean. :func:`order_photos` then picks greedily: the most uncertain photo
first, then each next one by ``rank(uncertainty) - DIVERSITY x redundancy``, where redundancy
grows from 0 to 1 as the cosine similarity of its thumbnail features to an already picked photo
goes from :data:`SIMILAR` to 1, so near-duplicates (the same garment shot twice) are not all
picked in a row. ``ORDERS`` holds the orders ``bench loop --order`` and the queue offer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from fashion_annotator.core.metrics import dice
from fashion_annotator.segmentation.pipeline import Proposal

#: Weight of the redundancy penalty against the uncertainty rank (both 0..1).
DIVERSITY = 0.5
#: Cosine similarity of thumbnails from which a photo counts as partly redundant.
SIMILAR = 0.9
#: Thumbnail of the diversity features: (rows, cols).
THUMB = (12, 8)


@dataclass(frozen=True)
class PhotoUncertainty:
    """How unsure the model is about one photo.

    Attributes
    ----------
    uncertainty : float
        0 (sure) .. 1, the mean of the two signals below.
    predicted_dice_loss : float
        Binary: 1 - expected Dice of the proposal under the model's probabilities; parsing:
        1 - mean top-class probability.
    flip_disagreement : float
        1 - agreement between the proposal and the mirrored proposal of the mirrored photo.
    features : (F,) float32
        Unit-norm thumbnail of the photo and the probability map, for diversity.
    """

    uncertainty: float
    predicted_dice_loss: float
    flip_disagreement: float
    features: np.ndarray


def _features(rgb: np.ndarray, fg: np.ndarray) -> np.ndarray:
    rows, cols = THUMB
    photo = cv2.resize(rgb, (cols, rows), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    prob = cv2.resize(fg.astype(np.float32), (cols, rows), interpolation=cv2.INTER_AREA)
    vec = np.concatenate([photo.ravel() - photo.mean(), 2 * (prob.ravel() - prob.mean())])
    norm = float(np.linalg.norm(vec))
    return (vec / norm if norm > 0 else vec).astype(np.float32)


class PhotoPredictor(Protocol):
    """A model that proposes a mask for the photo it was given (e.g. ``Predictor``)."""

    def set_image(self, rgb: np.ndarray) -> None: ...

    def predict(self) -> Proposal: ...


def photo_uncertainty(
    proposal: Proposal, mirror: np.ndarray, rgb: np.ndarray
) -> PhotoUncertainty:
    """Score one photo from its proposal and the mask the model proposes for its mirror image.

    Parameters
    ----------
    proposal : Proposal
        ``mask (H, W) uint8`` and ``probs (K, H, W) float32`` of the photo.
    mirror : (H, W) uint8
        The same model's mask for ``rgb[:, ::-1]`` (mirrored left-right), mirrored back into
        the photo's frame.
    rgb : (H, W, 3) uint8
        The photo.
    """
    mask = proposal.mask
    probs = proposal.probs
    if probs.shape[0] == 2:
        p = probs[1].astype(np.float64)
        m = mask == 1
        denom = float(p.sum()) + float(m.sum())
        predicted = 1.0 - (2.0 * float(p[m].sum()) / denom if denom > 0 else 1.0)
        flip = 1.0 - dice(m, mirror == 1)
        fg = probs[1]
    else:
        predicted = 1.0 - float(probs.max(axis=0).mean())
        flip = 1.0 - float((mask == mirror).mean())
        fg = 1.0 - probs[0]
    predicted = float(np.clip(predicted, 0.0, 1.0))
    return PhotoUncertainty((predicted + flip) / 2, predicted, flip, _features(rgb, fg))


def score_photo(predictor: PhotoPredictor, rgb: np.ndarray) -> tuple[Proposal, PhotoUncertainty]:
    """Run ``predictor`` on a photo and its mirror; return ``(proposal, uncertainty)``.

    A predictor that averages over flips already ran the mirror image
    (``predict_mirrored()``); others are run a second time on it.
    """
    predictor.set_image(rgb)
    proposal = predictor.predict()
    mirror_pass = getattr(predictor, "predict_mirrored", lambda: None)()
    if mirror_pass is not None:
        mirror = mirror_pass.mask
    else:
        predictor.set_image(np.ascontiguousarray(rgb[:, ::-1]))
        mirror = predictor.predict().mask[:, ::-1]
    return proposal, photo_uncertainty(proposal, mirror, rgb)


def _ranks(values: np.ndarray) -> np.ndarray:
    """0..1 rank of each value (ties share the mean rank); 0.5 for a single value."""
    n = len(values)
    if n == 1:
        return np.array([0.5])
    order = np.argsort(values, kind="stable")
    ranks = np.empty(n, np.float64)
    ranks[order] = np.arange(n)
    for v in np.unique(values):
        same = values == v
        ranks[same] = ranks[same].mean()
    return ranks / (n - 1)


def order_by_uncertainty(
    scores: Sequence[PhotoUncertainty], k: int | None = None, diversity: float = DIVERSITY,
    head: int | None = None,
) -> list[int]:  # fmt: skip
    """Indices of ``scores`` in the order to correct them (the first ``k``, default all).

    ``head``: pick only the first ``head`` greedily (each pick updates the redundancy of the
    rest, O(n) per pick) and order the others once by their value after those picks. The whole
    greedy order is O(n^2): 8 s at 4,400 photos on the window's thread (a scale test), while an
    operator works through the first few hundred.
    """
    n = len(scores)
    k = n if k is None else min(k, n)
    if n == 0 or k <= 0:
        return []
    rank = _ranks(np.array([s.uncertainty for s in scores], dtype=np.float64))
    feats = np.stack([s.features for s in scores]).astype(np.float64)
    redundancy = np.zeros(n)
    left = np.ones(n, bool)
    picked: list[int] = []
    for _ in range(k if head is None else min(k, head)):
        value = np.where(left, rank - diversity * redundancy, -np.inf)
        i = int(np.argmax(value))
        picked.append(i)
        left[i] = False
        sim = feats @ feats[i]
        redundancy = np.maximum(redundancy, np.clip((sim - SIMILAR) / (1 - SIMILAR), 0, 1))
    if len(picked) < k:
        rest = np.flatnonzero(left)
        value = rank[rest] - diversity * redundancy[rest]
        picked.extend(int(i) for i in rest[np.argsort(-value, kind="stable")][: k - len(picked)])
    return picked


def random_order(n: int, seed: int = 0, k: int | None = None) -> list[int]:
    """A reproducible random order of ``n`` photos (the first ``k``)."""
    order = np.random.default_rng(seed).permutation(n).tolist()
    return order if k is None else order[:k]


def _scored(scores: Sequence[PhotoUncertainty | None]) -> list[PhotoUncertainty]:
    """``scores`` when every photo was scored; the uncertainty order needs them all."""
    missing = [i for i, s in enumerate(scores) if s is None]
    if missing:
        raise ValueError(f"the uncertainty order needs every photo scored; {len(missing)} are not")
    return [s for s in scores if s is not None]


#: ``--order`` choices: ``(scores, k, seed) -> indices``; ``random`` ignores the scores (may be None).
ORDERS: dict[str, Callable[[Sequence[PhotoUncertainty | None], int | None, int], list[int]]] = {
    "tool": lambda scores, k, seed: order_by_uncertainty(_scored(scores), k),
    "random": lambda scores, k, seed: random_order(len(scores), seed, k),
}
