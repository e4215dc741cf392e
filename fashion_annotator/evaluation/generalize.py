"""Off-CCP checks: CCP photos re-framed and composited the way studios and the web frame people.

CCP photos show one standing person, head to feet, on a street. The studios this tool is for shoot
upper-body and knees-up model photos on plain backdrops, garments on a dressmaker's mannequin,
and web photos of any framing. Each *framing* below turns a labelled CCP photo into such a photo
with its ground truth transformed the same way, deterministically (seeded by the photo's name),
so a model can be scored per framing (:func:`score_framings`, ``fashion-annotator bench
generalize``).

Framings
--------
ccp             the photo as it is
upper_body      crop from above the head to mid-thigh region (50 % of the figure's height)
knees_up        crop from above the head to the knees (78 % of the figure), legs leave the frame
head_shoulders  crop of the head and shoulders (28 % of the figure)
landscape       a 3:2 landscape crop of the upper figure (the photo's full width)
studio_full     the person cut out with the ground truth and placed on a plain studio backdrop
                (light, grey or coloured, gradient and floor shadow) in a 2:3 frame
studio_upper    ``upper_body`` on a studio backdrop, legs leaving the bottom of the frame
studio_knees    ``knees_up`` on a studio backdrop
mannequin       the garments alone on a plain backdrop, skin turned into a white or cream
                mannequin body and hair removed, in a 1152x1728 frame with the garments covering
                3-19 % of it (only the garment task is scored: the mannequin is background)
group           two people side by side: the photo and a partner photo (the next sample in
                :func:`score_framings`; the photo mirrored when there is none) scaled to the
                same height and joined, a landscape frame (4:3 for two CCP photos) with two
                figures, as web photos of couples and groups are

Labels are ``dict[task, (H, W) uint8]`` for tasks ``person``, ``garment`` and ``parsing7``;
:data:`IGNORE` marks pixels not scored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import cv2
import numpy as np

from fashion_annotator.core.label_maps import resize_labels
from fashion_annotator.core.labels import apply_mapping
from fashion_annotator.core.metrics import MeanIoUAccumulator, dice

IGNORE = 255
FRAMINGS = (
    "ccp", "upper_body", "knees_up", "head_shoulders", "landscape",
    "studio_full", "studio_upper", "studio_knees", "mannequin", "group",
)  # fmt: skip
#: Tasks scored on each framing (the mannequin frame has no person to score).
SCORED_TASKS = {f: ("person", "garment", "parsing7") for f in FRAMINGS} | {"mannequin": ("garment",)}
#: Tasks scored on the photos as shot only, when asked for (the re-framings know parsing7's classes).
AS_SHOT_ONLY = ("parsing18",)
#: Parsing7 class ids of skin and hair.
SKIN, HAIR = 1, 2
#: Long side of the studio frames (2:3 portrait, as 1152x1728 at two thirds).
STUDIO_SIZE = (1152, 768)
MANNEQUIN_SIZE = (1728, 1152)

Labels = dict[str, np.ndarray]


def _rng(name: str, framing: str) -> np.random.Generator:
    seed = int(hashlib.sha1(f"{name}|{framing}".encode()).hexdigest()[:8], 16)
    return np.random.default_rng(seed)


def figure_box(person: np.ndarray) -> tuple[int, int, int, int]:
    """``(y0, x0, y1, x1)`` (end exclusive) of the person's pixels; the whole photo if none."""
    rows = np.flatnonzero((person == 1).any(axis=1))
    cols = np.flatnonzero((person == 1).any(axis=0))
    if rows.size == 0:
        return 0, 0, person.shape[0], person.shape[1]
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def _crop(rgb: np.ndarray, labels: Labels, box: tuple[int, int, int, int]) -> tuple[np.ndarray, Labels]:
    y0, x0, y1, x1 = box
    h, w = rgb.shape[:2]
    y0, x0, y1, x1 = max(0, y0), max(0, x0), min(h, y1), min(w, x1)
    return rgb[y0:y1, x0:x1].copy(), {t: m[y0:y1, x0:x1].copy() for t, m in labels.items()}


def _figure_crop(labels: Labels, top_share: float, aspect: float | None, shape: tuple[int, int],
                 rng: np.random.Generator) -> tuple[int, int, int, int]:  # fmt: skip
    """Box from just above the head down to ``top_share`` of the figure's height."""
    y0, x0, y1, x1 = figure_box(labels["person"])
    fh = y1 - y0
    top = y0 - int(fh * rng.uniform(0.02, 0.08))
    bottom = y0 + int(fh * top_share * rng.uniform(0.95, 1.05))
    height = bottom - top
    cx = (x0 + x1) / 2
    if top_share < 0.35:
        # Head and shoulders: centre on the upper figure's columns.
        upper = labels["person"][max(y0, 0) : y0 + max(fh // 6, 1)] == 1
        cols = np.flatnonzero(upper.any(axis=0))
        cx = (cols[0] + cols[-1]) / 2 if cols.size else cx
    width = height * (aspect if aspect else rng.uniform(0.7, 0.85))
    width = max(width, (x1 - x0) * 1.15 if top_share > 0.35 else width)
    left = int(cx - width / 2)
    return top, left, bottom, int(left + width)


def _backdrop(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A plain studio backdrop: light, grey or coloured, a vertical gradient and a floor shadow."""
    h, w = shape
    kind = rng.choice(["white", "grey", "colour"], p=[0.5, 0.3, 0.2])
    if kind == "white":
        base = np.full(3, rng.uniform(225, 250))
    elif kind == "grey":
        base = np.full(3, rng.uniform(120, 200))
    else:
        base = rng.uniform(110, 235, 3)
    grad = np.linspace(1.0 + rng.uniform(0, 0.06), 1.0 - rng.uniform(0, 0.08), h)[:, None, None]
    img = base[None, None, :] * grad * np.ones((1, w, 1))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cy, cx = h * rng.uniform(0.9, 0.97), w * rng.uniform(0.4, 0.6)
    shadow = np.exp(-(((yy - cy) / (0.05 * h)) ** 2 + ((xx - cx) / (0.3 * w)) ** 2))
    img *= 1 - rng.uniform(0.05, 0.2) * shadow[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


def _paste(canvas: np.ndarray, rgb: np.ndarray, alpha: np.ndarray, labels: Labels, scale: float,
           top: int, left: int) -> Labels:  # fmt: skip
    """Scale ``rgb`` (with ``alpha``, ``labels``) and alpha-blend it onto ``canvas`` at (top, left).

    Returns the canvas-sized labels: pasted labels where the source lands, background elsewhere.
    """
    h, w = canvas.shape[:2]
    sh, sw = max(1, round(rgb.shape[0] * scale)), max(1, round(rgb.shape[1] * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(rgb, (sw, sh), interpolation=interp).astype(np.float32)
    a = cv2.resize(alpha.astype(np.float32), (sw, sh), interpolation=cv2.INTER_LINEAR)
    a = cv2.GaussianBlur(a, (3, 3), 0)[..., None]
    out = {t: np.zeros((h, w), np.uint8) for t in labels}
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + sh, h), min(left + sw, w)
    if y1 <= y0 or x1 <= x0:
        return out
    sy, sx = slice(y0 - top, y1 - top), slice(x0 - left, x1 - left)
    region = canvas[y0:y1, x0:x1].astype(np.float32)
    canvas[y0:y1, x0:x1] = np.clip(a[sy, sx] * small[sy, sx] + (1 - a[sy, sx]) * region, 0, 255)
    for t, m in labels.items():
        out[t][y0:y1, x0:x1] = resize_labels(m, (sh, sw))[sy, sx]
    return out


def _studio(rgb: np.ndarray, labels: Labels, rng: np.random.Generator, bottom_open: bool) -> tuple[np.ndarray, Labels]:
    """The person on a plain backdrop in a 2:3 frame; ``bottom_open`` lets the crop touch the bottom."""
    h, w = STUDIO_SIZE
    canvas = _backdrop((h, w), rng)
    alpha = (labels["person"] == 1).astype(np.float32)
    keep = {t: np.where(labels["person"] == 1, m, 0).astype(np.uint8) for t, m in labels.items()}
    if bottom_open:
        scale = min(h * rng.uniform(0.85, 0.95) / rgb.shape[0], w * 0.95 / rgb.shape[1])
        top = h - round(rgb.shape[0] * scale)
    else:
        scale = min(h * rng.uniform(0.78, 0.9) / rgb.shape[0], w * 0.9 / rgb.shape[1])
        top = round(h * rng.uniform(0.04, 0.08))
    left = round((w - rgb.shape[1] * scale) / 2 + rng.uniform(-0.05, 0.05) * w)
    return canvas, _paste(canvas, rgb, alpha, keep, scale, top, left)


def _mannequin(rgb: np.ndarray, labels: Labels, rng: np.random.Generator) -> tuple[np.ndarray, Labels]:
    """Garments on a mannequin-coloured body on a plain backdrop, 1152x1728, 3-19 % garment area."""
    h, w = MANNEQUIN_SIZE
    canvas = _backdrop((h, w), rng)
    garment = labels["garment"] == 1
    skin = labels["parsing7"] == SKIN
    body = rgb.copy()
    colour = rng.choice([0, 1, 2])
    tone = (np.array([238, 236, 232]), np.array([226, 210, 185]), np.array([40, 40, 42]))[colour]
    shade = cv2.GaussianBlur(rgb.mean(axis=2).astype(np.float32), (0, 0), 6) / 255.0
    body[skin] = np.clip(tone[None, :] * (0.75 + 0.35 * shade[skin][:, None]), 0, 255).astype(np.uint8)
    alpha = (garment | skin).astype(np.float32)
    y0, x0, y1, x1 = figure_box((garment | skin).astype(np.uint8))
    body, alpha = body[y0:y1, x0:x1], alpha[y0:y1, x0:x1]
    g = garment[y0:y1, x0:x1].astype(np.uint8)
    area = max(int(g.sum()), 1)
    target = rng.uniform(0.03, 0.19) * h * w
    scale = min(np.sqrt(target / area), 0.95 * h / body.shape[0], 0.95 * w / body.shape[1])
    top = round((h - body.shape[0] * scale) * rng.uniform(0.3, 0.6))
    left = round((w - body.shape[1] * scale) * rng.uniform(0.35, 0.65))
    out = _paste(canvas, body, alpha, {"garment": g}, scale, top, left)
    full = np.full((h, w), IGNORE, np.uint8)
    return canvas, {"garment": out["garment"], "person": full, "parsing7": full.copy()}


def _group(rgb: np.ndarray, labels: Labels, partner: tuple[np.ndarray, Labels] | None,
           rng: np.random.Generator) -> tuple[np.ndarray, Labels]:  # fmt: skip
    """The photo and ``partner`` (the photo mirrored if None) side by side at the photo's height."""
    if partner is None:
        other, other_labels = rgb[:, ::-1], {t: v[:, ::-1] for t, v in labels.items()}
    else:
        other, other_labels = partner
    h = rgb.shape[0]
    w = max(1, round(other.shape[1] * h / other.shape[0]))
    if other.shape[:2] != (h, w):
        shrink = h < other.shape[0]
        other = cv2.resize(other, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        other_labels = {t: resize_labels(np.ascontiguousarray(v), (h, w)) for t, v in other_labels.items()}
    parts = [(rgb, labels), (other, other_labels)]
    if rng.random() < 0.5:
        parts.reverse()
    view = np.ascontiguousarray(np.concatenate([p[0] for p in parts], axis=1))
    return view, {t: np.ascontiguousarray(np.concatenate([p[1][t] for p in parts], axis=1)) for t in labels}


def reframe(rgb: np.ndarray, labels: Labels, framing: str, name: str = "",
            partner: tuple[np.ndarray, Labels] | None = None) -> tuple[np.ndarray, Labels]:  # fmt: skip
    """Return the photo and labels re-framed as ``framing`` (see the module doc).

    Parameters
    ----------
    rgb : (H, W, 3) uint8
    labels : dict of (H, W) uint8
        ``person``, ``garment`` and ``parsing7`` class ids.
    framing : str
        One of :data:`FRAMINGS`.
    name : str
        The photo's name: seeds the random choices, so a framing is the same on every run.
    partner : (rgb, labels), optional
        The second person of the ``group`` framing (ignored by the others).
    """
    if framing not in FRAMINGS:
        raise ValueError(f"unknown framing {framing!r}; choose from {', '.join(FRAMINGS)}")
    rng = _rng(name, framing)
    if framing == "ccp":
        return rgb, labels
    if framing == "mannequin":
        return _mannequin(rgb, labels, rng)
    if framing == "group":
        return _group(rgb, labels, partner, rng)
    if framing == "landscape":
        y0, _, y1, _ = figure_box(labels["person"])
        height = round(rgb.shape[1] / 1.5)
        top = max(0, min(y0 - int(0.05 * (y1 - y0)), rgb.shape[0] - height))
        return _crop(rgb, labels, (top, 0, top + height, rgb.shape[1]))
    share = {"upper_body": 0.5, "knees_up": 0.78, "head_shoulders": 0.28,
             "studio_upper": 0.5, "studio_knees": 0.78}.get(framing)  # fmt: skip
    if share is not None:
        box = _figure_crop(labels, share, 0.8 if framing == "head_shoulders" else None, rgb.shape[:2], rng)
        rgb, labels = _crop(rgb, labels, box)
    if framing.startswith("studio"):
        return _studio(rgb, labels, rng, bottom_open=framing != "studio_full")
    return rgb, labels


@dataclass
class FramingScore:
    """Accumulated figures of one framing and task."""

    task: str
    num_classes: int
    conf: MeanIoUAccumulator = field(init=False)
    dices: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.conf = MeanIoUAccumulator(self.num_classes)

    def update(self, pred: np.ndarray, gt: np.ndarray) -> None:
        valid = gt != IGNORE
        if not valid.any():
            return
        self.conf.update(pred[valid], gt[valid])
        if self.num_classes == 2:
            self.dices.append(dice(pred[valid] == 1, gt[valid] == 1))

    def figures(self) -> dict[str, float]:
        """``miou`` (classes in the ground truth or the prediction), ``miou_gt_classes`` (only
        classes in the ground truth: a class the crops lack stops weighing 1/K of the mean as
        IoU 0 for a few stray pixels) and ``pixel_accuracy``; binary tasks add the Dice figures."""
        iou = self.conf.per_class_iou
        in_gt = self.conf.confusion.sum(axis=1) > 0
        out = {
            "miou": float(self.conf.miou),
            "miou_gt_classes": float(iou[in_gt].mean()) if in_gt.any() else float("nan"),
            "pixel_accuracy": float(self.conf.pixel_accuracy),
        }
        if self.num_classes == 2 and self.dices:
            out["median_dice"] = float(np.median(self.dices))
            out["mean_dice"] = float(np.mean(self.dices))
        return out


def score_framings(
    samples: Iterable[tuple[str, np.ndarray, Labels]],
    predict: Callable[[str, np.ndarray], np.ndarray],
    tasks: dict[str, int],
    framings: Iterable[str] = FRAMINGS,
) -> dict[str, dict[str, dict[str, float]]]:
    """Score a model on every framing of every sample.

    Parameters
    ----------
    samples : iterable of (name, rgb, labels)
        CCP photos with their ``person``/``garment``/``parsing7`` labels. In the ``group``
        framing each photo is joined with the next one (the last with the first).
    predict : callable
        ``predict(task, rgb) -> (H, W) uint8`` class ids.
    tasks : dict
        Task -> number of classes, the tasks to score.
    framings : iterable of str

    Returns
    -------
    dict
        framing -> task -> figures (``miou``, ``pixel_accuracy``; binary tasks also
        ``median_dice`` and ``mean_dice``), plus ``n_images`` per framing.
    """
    framings = list(framings)
    scored = {f: SCORED_TASKS[f] + (AS_SHOT_ONLY if f == "ccp" else ()) for f in framings}
    scores = {f: {t: FramingScore(t, k) for t, k in tasks.items() if t in scored[f]} for f in framings}
    counts = dict.fromkeys(framings, 0)
    samples = list(samples)
    for i, (name, rgb, labels) in enumerate(samples):
        partner = samples[(i + 1) % len(samples)][1:] if len(samples) > 1 else None
        for f in framings:
            view, gt = reframe(rgb, labels, f, name, partner)
            counts[f] += 1
            for task, acc in scores[f].items():
                acc.update(predict(task, view), gt[task])
    out: dict[str, dict[str, dict[str, float]]] = {}
    for f in framings:
        out[f] = {t: acc.figures() for t, acc in scores[f].items()}
        out[f]["n_images"] = {"count": float(counts[f])}
    return out


def load_labelled(data_dir, split: str = "val", limit: int | None = None,
                  tasks: tuple[str, ...] = ("person", "garment", "parsing7")) -> list[tuple[str, np.ndarray, Labels]]:  # fmt: skip
    """Photos of a plain mask folder with their labels for ``tasks`` (via its ``taxonomies.json``).

    Returns a list of ``(name, rgb (H, W, 3) uint8, {task: (H, W) uint8})``.
    """
    from fashion_annotator.core.samples import list_samples, read_sample, task_mapping

    mappings = {t: task_mapping(data_dir, t)[1] for t in tasks}
    out = []
    for s in list_samples(data_dir, split)[:limit]:
        rgb, ids = read_sample(s)
        out.append((s.name, rgb, {t: apply_mapping(ids, m) for t, m in mappings.items()}))
    return out
