"""Pseudo-labels for photos that have only image-level tags (semi-supervised training).

A teacher's class probabilities become training labels only where the teacher is confident and
where they agree with the photo's tags: a parsing class whose CCP labels are all absent from the
tags is removed before the arg-max (no "dress" pixels in a photo tagged without a dress), and
pixels whose renormalised confidence stays below a threshold are marked :data:`IGNORE`.

Labels are stored per task in one ``(3, H, W) uint8`` array (parsing7, person, garment; the
order of :data:`PSEUDO_TASKS`), written as an RGB PNG.
"""

from __future__ import annotations

import numpy as np

#: Label value that the losses ignore.
IGNORE = 255
#: Tasks of a pseudo-label array, in channel order.
PSEUDO_TASKS = ("parsing7", "person", "garment")


def allowed_classes(tags: list[int], from_ccp: dict[str, int], num_classes: int) -> np.ndarray:
    """Which classes of a task the tags allow: ``(K,) bool`` (background always allowed).

    Parameters
    ----------
    tags : list of int
        CCP label ids present in the photo.
    from_ccp : dict
        The task's CCP id -> class id map (``taxonomies.json``).
    num_classes : int
    """
    allowed = np.zeros(num_classes, bool)
    allowed[0] = True
    for t in tags:
        cls = from_ccp.get(str(int(t)))
        if cls is not None:
            allowed[int(cls)] = True
    return allowed


def parsing_pseudo(probs: np.ndarray, allowed: np.ndarray, confidence: float) -> np.ndarray:
    """Tag-filtered, confidence-filtered arg-max of ``(K, H, W)`` probabilities.

    Returns
    -------
    (H, W) uint8
        Class ids, :data:`IGNORE` where the renormalised top probability is below
        ``confidence``.
    """
    p = probs * allowed[:, None, None].astype(probs.dtype)
    total = p.sum(0)
    label = p.argmax(0).astype(np.uint8)
    with np.errstate(invalid="ignore", divide="ignore"):
        top = np.where(total > 0, p.max(0) / total, 0.0)
    label[top < confidence] = IGNORE
    return label


def binary_pseudo(prob: np.ndarray, confidence: float, allowed: bool = True) -> np.ndarray:
    """Confident foreground / background of an ``(H, W)`` foreground probability.

    ``allowed=False`` (the tags name no foreground class) makes every confident pixel
    background. Returns ``(H, W) uint8`` in {0, 1, IGNORE}.
    """
    label = np.full(prob.shape, IGNORE, np.uint8)
    label[prob <= 1 - confidence] = 0
    label[prob >= confidence] = 1 if allowed else 0
    return label


def pseudo_labels(
    parsing_probs: np.ndarray,
    person_prob: np.ndarray,
    garment_prob: np.ndarray,
    tags: list[int],
    taxonomies: dict,
    confidence: float = 0.8,
) -> np.ndarray:
    """The three tasks' pseudo-labels of one photo: ``(3, H, W) uint8`` (see module doc).

    Parameters
    ----------
    parsing_probs : (7, H, W) float32
        parsing7 probabilities.
    person_prob, garment_prob : (H, W) float32
        Foreground probabilities.
    tags : list of int
        CCP label ids present in the photo.
    taxonomies : dict
        The CCP ``taxonomies.json`` content.
    confidence : float
        Minimum renormalised probability of a kept pixel.
    """
    k = parsing_probs.shape[0]
    allowed = allowed_classes(tags, taxonomies["parsing7"]["from_ccp"], k)
    garment_ok = bool(allowed_classes(tags, taxonomies["garment"]["from_ccp"], 2)[1])
    out = np.stack(
        [
            parsing_pseudo(parsing_probs, allowed, confidence),
            binary_pseudo(person_prob, confidence),
            binary_pseudo(garment_prob, confidence, garment_ok),
        ]
    )
    return out


def kept_share(labels: np.ndarray) -> np.ndarray:
    """Share of pixels that are not :data:`IGNORE`, per task: ``(3,) float``."""
    return (labels != IGNORE).reshape(labels.shape[0], -1).mean(1)
