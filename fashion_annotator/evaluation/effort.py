"""Simulated operator: how many actions does correcting a mask take?

An oracle operator who knows the ground truth starts from what the window shows and, until the
target is reached, applies the correction that fixes the most wrong pixels *per action*
(greedy on ``gain / cost``). The cost model, the same for every method:

- **region click** (any level of the superpixel hierarchy, any label): 1 action;
- **polygon**: 1 action per vertex clicked. The operator traces one connected component of
  wrong pixels that should carry label ``c``; its outer contour is simplified with
  Douglas-Peucker at 1, 2 or 4 pixels (the best gain per vertex is taken) and filled with ``c``;
- **brush stroke**: 1 action per started 50 pixels of stroke length. The stroke follows the
  skeleton of a component of wrong pixels, with a radius just covering its thickness (at most
  :data:`MAX_BRUSH_RADIUS`); its length is the skeleton's pixel count.

A gain is the number of pixels an action makes correct minus those it makes wrong. The operator
stops when the target is reached (binary tasks: Dice of the foreground at least 0.98; parsing
tasks: pixel accuracy at least 0.97), when no action gains anything, or after
:data:`MAX_ACTIONS` actions; an image that did not reach the target counts as
:data:`MAX_ACTIONS`. Masks are rasterised with OpenCV (``fillPoly``, ``dilate``) for speed.

The **polygon baseline** is a labelme user tracing every ground-truth region from scratch:
each connected component of each foreground label (and each hole of background in it, drawn
as a background polygon) is one polygon, drawn largest first; Douglas-Peucker tolerances from coarse to fine are tried and the cheapest that
reaches the target wins, counting vertices. Components too small to matter are left out: the
polygons are drawn largest first and the count stops as soon as the target is reached. It is
not capped at :data:`MAX_ACTIONS`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from skimage.morphology import skeletonize

from fashion_annotator.core.labels import mapping_from_taxonomies_json
from fashion_annotator.core.metrics import dice, pixel_accuracy
from fashion_annotator.core.samples import list_samples, read_sample, task_classes
from fashion_annotator.segmentation.pipeline import model_refinements, propose
from fashion_annotator.segmentation.superpixels import DEFAULT_LEVEL, compute_superpixels

MAX_ACTIONS = 60
BRUSH_PX_PER_ACTION = 50
MAX_BRUSH_RADIUS = 25
POLYGON_TOLERANCES = (1.0, 2.0, 4.0)
BASELINE_TOLERANCES = (8.0, 6.0, 4.0, 3.0, 2.0, 1.5, 1.0, 0.5)
#: Components of wrong pixels tried per label and step (largest first).
CANDIDATES_PER_LABEL = 3


@dataclass(frozen=True)
class Target:
    """When a correction is done: ``metric`` ("dice" or "pixel_accuracy") at least ``value``."""

    metric: str
    value: float

    def score(self, mask: np.ndarray, gt: np.ndarray) -> float:
        """The metric of ``mask`` against ``gt``."""
        if self.metric == "dice":
            return float(dice(mask == 1, gt == 1))
        return float(pixel_accuracy(mask, gt))

    def reached(self, mask: np.ndarray, gt: np.ndarray) -> bool:
        """True when ``mask`` is good enough."""
        return self.score(mask, gt) >= self.value


def target_for(num_classes: int) -> Target:
    """Dice 0.98 for binary tasks (cutouts), pixel accuracy 0.97 for parsing tasks."""
    return Target("dice", 0.98) if num_classes == 2 else Target("pixel_accuracy", 0.97)


@dataclass(frozen=True)
class Action:
    """One correction: write ``label`` at ``pixels`` (flat indices); ``kind`` names the tool.

    ``labels`` (one per pixel), when given, replaces ``label`` (a model click both adds and
    removes); ``on_apply`` is called when the operator takes the action.
    """

    kind: str
    cost: int
    gain: int
    label: int
    pixels: np.ndarray
    labels: np.ndarray | None = None
    on_apply: Callable[[], None] | None = None


@dataclass(frozen=True)
class Outcome:
    """Result of one simulated correction."""

    actions: int
    reached: bool
    score: float
    by_kind: dict[str, int]


class _Regions:
    """One hierarchy level, with each region's pixels and label counts precomputed."""

    def __init__(self, regions: np.ndarray, gt_flat: np.ndarray, k: int, correct: np.ndarray):
        self.flat = regions.ravel()
        self.n = int(self.flat.max()) + 1
        self.order = np.argsort(self.flat, kind="stable")
        self.starts = np.concatenate([[0], np.cumsum(np.bincount(self.flat, minlength=self.n))])
        keys = self.flat.astype(np.int64) * k + gt_flat
        self.gt_counts = np.bincount(keys, minlength=self.n * k).reshape(self.n, k)
        self.correct = np.bincount(self.flat, weights=correct, minlength=self.n)

    def best(self) -> tuple[int, int, int]:
        """``(gain, region, label)`` of the best click."""
        gain = self.gt_counts - self.correct[:, None]
        r, c = np.unravel_index(int(gain.argmax()), gain.shape)
        return int(gain[r, c]), int(r), int(c)

    def pixels(self, region: int) -> np.ndarray:
        return self.order[self.starts[region] : self.starts[region + 1]]

    def update(self, pixels: np.ndarray, delta: np.ndarray) -> None:
        self.correct += np.bincount(self.flat[pixels], weights=delta, minlength=self.n)


class Operator:
    """Greedy oracle operator correcting one mask toward its ground truth.

    Parameters
    ----------
    gt : (H, W) uint8 array
        Ground-truth labels.
    levels : list of (H, W) int32 arrays
        Superpixel levels the operator may click (empty for none).
    num_classes : int
        Labels of the task.
    polygons, brush : bool
        Whether those tools are available.
    clicker : callable, optional
        ``clicker(mask) -> Action | None``: the best model click for the current mask (see
        :mod:`fashion_annotator.evaluation.click_effort`), weighed like the other tools.
    """

    def __init__(
        self,
        gt: np.ndarray,
        levels: list[np.ndarray],
        num_classes: int,
        *,
        polygons: bool = True,
        brush: bool = True,
        clicker: Callable[[np.ndarray], Action | None] | None = None,
    ) -> None:
        self.gt = gt
        self.shape = gt.shape
        self.gt_flat = gt.ravel()
        self.k = num_classes
        self.levels_in = levels
        self.polygons = polygons
        self.brush = brush
        self.clicker = clicker

    def run(self, start: np.ndarray, target: Target, max_actions: int = MAX_ACTIONS) -> Outcome:
        """Correct ``start`` (not modified) until ``target`` or ``max_actions``."""
        mask = start.copy()
        flat = mask.ravel()
        correct = (flat == self.gt_flat).astype(np.float64)
        levels = [_Regions(lv, self.gt_flat, self.k, correct) for lv in self.levels_in]
        spent, by_kind = 0, {"region": 0, "polygon": 0, "brush": 0}
        while not target.reached(mask, self.gt) and spent < max_actions:
            action = self._best(mask, levels)
            if action is None:
                break
            old = flat[action.pixels] == self.gt_flat[action.pixels]
            values = action.label if action.labels is None else action.labels
            flat[action.pixels] = values
            new = self.gt_flat[action.pixels] == values
            if action.on_apply is not None:
                action.on_apply()
            delta = new.astype(np.float64) - old
            for level in levels:
                level.update(action.pixels, delta)
            spent += action.cost
            by_kind[action.kind] = by_kind.get(action.kind, 0) + action.cost
        score = target.score(mask, self.gt)
        reached = score >= target.value and spent <= max_actions
        return Outcome(spent if reached else max_actions, reached, score, by_kind)

    def _best(self, mask: np.ndarray, levels: list[_Regions]) -> Action | None:
        best: Action | None = None
        for level in levels:
            gain, region, label = level.best()
            if gain > 0 and (best is None or gain > best.gain):
                best = Action("region", 1, gain, label, level.pixels(region))
        if self.polygons or self.brush:
            for action in self._component_actions(mask):
                if best is None or action.gain / action.cost > best.gain / best.cost:
                    best = action
        if self.clicker is not None:
            click_action = self.clicker(mask)
            if click_action is not None and click_action.gain > 0:
                if best is None or click_action.gain / click_action.cost > best.gain / best.cost:
                    best = click_action
        return best

    def _component_actions(self, mask: np.ndarray) -> list[Action]:
        actions: list[Action] = []
        wrong = mask != self.gt
        for label in np.unique(self.gt[wrong]):
            todo = wrong & (self.gt == label)
            # Components are searched in the box of the wrong pixels only: errors are sparse.
            rows, cols = np.flatnonzero(todo.any(axis=1)), np.flatnonzero(todo.any(axis=0))
            oy, ox = int(rows[0]), int(cols[0])
            sub = todo[oy : rows[-1] + 1, ox : cols[-1] + 1].astype(np.uint8)
            n, comp, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
            areas = stats[1:, cv2.CC_STAT_AREA]
            for i in np.argsort(areas)[::-1][:CANDIDATES_PER_LABEL] + 1:
                x, y, w, h = (int(v) for v in stats[i, :4])
                pad = MAX_BRUSH_RADIUS + 2
                y0, x0 = max(0, oy + y - pad), max(0, ox + x - pad)
                y1 = min(self.shape[0], oy + y + h + pad)
                x1 = min(self.shape[1], ox + x + w + pad)
                crop = (slice(y0, y1), slice(x0, x1))
                piece = np.zeros((y1 - y0, x1 - x0), np.uint8)
                dy, dx = oy + y - y0, ox + x - x0
                piece[dy : dy + h, dx : dx + w] = comp[y : y + h, x : x + w] == i
                for painted, kind, cost in self._strokes(piece):
                    action = self._score(mask, crop, painted, int(label), kind, cost)
                    if action is not None:
                        actions.append(action)
        return actions

    def _strokes(self, piece: np.ndarray) -> list[tuple[np.ndarray, str, int]]:
        """Candidate fills of one component: polygons at several tolerances, a brush stroke."""
        out = []
        if self.polygons:
            contours, _ = cv2.findContours(piece, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            contour = max(contours, key=cv2.contourArea)
            for tol in POLYGON_TOLERANCES:
                poly = cv2.approxPolyDP(contour, tol, True)
                if len(poly) >= 3:
                    fill = np.zeros_like(piece)
                    cv2.fillPoly(fill, [poly], 1)
                    out.append((fill > 0, "polygon", len(poly)))
        if self.brush:
            thickness = float(cv2.distanceTransform(piece, cv2.DIST_L2, 3).max())
            # The distance transform counts the centre pixel: a 3-pixel-wide strip gives 2.
            radius = int(min(MAX_BRUSH_RADIUS, max(0, math.ceil(thickness) - 1)))
            skeleton = skeletonize(piece > 0)
            length = int(skeleton.sum())
            size = 2 * radius + 1
            disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
            painted = cv2.dilate(skeleton.astype(np.uint8), disc) > 0
            out.append((painted, "brush", max(1, math.ceil(length / BRUSH_PX_PER_ACTION))))
        return out

    def _score(
        self,
        mask: np.ndarray,
        crop: tuple[slice, slice],
        painted: np.ndarray,
        label: int,
        kind: str,
        cost: int,
    ) -> Action | None:
        gt, cur = self.gt[crop], mask[crop]
        fixed = int((painted & (gt == label) & (cur != label)).sum())
        broken = int((painted & (cur == gt) & (gt != label)).sum())
        if fixed - broken <= 0:
            return None
        ys, xs = np.nonzero(painted)
        pixels = (ys + crop[0].start) * self.shape[1] + (xs + crop[1].start)
        return Action(kind, cost, fixed - broken, label, pixels)


def _holds_background(gt: np.ndarray, contour: np.ndarray) -> bool:
    """True when most pixels inside ``contour`` are background (label 0) in ``gt``."""
    inside = np.zeros(gt.shape, np.uint8)
    cv2.fillPoly(inside, [contour], 1)
    values = gt[inside > 0]
    return values.size > 0 and np.count_nonzero(values == 0) * 2 > values.size


def polygon_baseline(
    gt: np.ndarray, target: Target, tolerances: tuple[float, ...] = BASELINE_TOLERANCES
) -> tuple[int, bool]:
    """Vertices a labelme user clicks to trace ``gt`` from scratch well enough for ``target``.

    Parameters
    ----------
    gt : (H, W) uint8 array
        Ground-truth labels; 0 is the background the user never draws.
    target : Target
        What counts as good enough.
    tolerances : tuple of float
        Douglas-Peucker tolerances, in pixels, to try.

    Returns
    -------
    (int, bool)
        Fewest vertices over the tolerances, and whether any tolerance reached the target (when
        none did, the vertices of the finest tolerance).
    """
    shapes: list[tuple[float, int, np.ndarray]] = []
    for label in np.unique(gt):
        if label == 0:
            continue
        binary = (gt == label).astype(np.uint8)
        contours, hierarchy = cv2.findContours(binary, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
        for contour, links in zip(contours, hierarchy[0], strict=True):
            if links[3] >= 0 and not _holds_background(gt, contour):
                # A hole filled by other labels is covered by their own, later polygons.
                continue
            fill = 0 if links[3] >= 0 else int(label)
            shapes.append((cv2.contourArea(contour), fill, contour))
    shapes.sort(key=lambda s: -s[0])
    best: tuple[int, bool] | None = None
    for tol in tolerances:
        mask = np.zeros_like(gt)
        vertices = 0
        reached = target.reached(mask, gt)
        for _, fill, contour in shapes:
            if reached:
                break
            poly = cv2.approxPolyDP(contour, tol, True)
            if len(poly) < 3:
                continue
            cv2.fillPoly(mask, [poly], fill)
            vertices += len(poly)
            reached = target.reached(mask, gt)
        if best is None or (reached and (not best[1] or vertices < best[0])) or not (reached or best[1]):
            best = (vertices, reached)  # unreached so far: the finer tolerance's, as documented
    assert best is not None
    return best


@dataclass(frozen=True)
class GroundTruthPhoto:
    """One photo of a plain mask-folder dataset with its labels in a task's classes."""

    name: str
    rgb: np.ndarray
    gt: np.ndarray
    image: Path | None = None


@contextlib.contextmanager
def naming(photo: GroundTruthPhoto) -> Iterator[None]:
    """Name ``photo``'s file in a :class:`ValueError` of the block that does not name it
    ("photo too small for superpixels: 1x1" said the size, not which photo)."""
    try:
        yield
    except ValueError as exc:
        where = str(photo.image or photo.name)
        if where in str(exc):
            raise
        raise ValueError(f"{where}: {exc}") from exc


def iter_dataset(
    data_dir: Path | str, task: str, *, split: str = "val", limit: int | None = None
) -> Iterator[GroundTruthPhoto]:
    """Yield the photos of a split (``val`` when ``splits.json`` has it, else all) with labels.

    Raises
    ------
    ValueError
        Bad folder, unknown task or split, missing or mismatched masks (naming the file).
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    mapping = mapping_from_taxonomies_json(Path(data_dir) / "taxonomies.json", task)
    samples = list_samples(data_dir, split)[:limit]
    if not samples:
        raise ValueError(f"{data_dir}: split {split!r} has no photos")
    for sample in samples:
        rgb, gt = read_sample(sample, mapping)
        yield GroundTruthPhoto(sample.name, rgb, gt, sample.image)


def _summary(actions: list[int], reached: list[bool]) -> dict[str, float]:
    return {
        "median_actions": float(np.median(actions)),
        "mean_actions": float(np.mean(actions)),
        "reached_share": float(np.mean(reached)),
    }


def run_effort(
    data_dir: Path | str,
    task: str,
    *,
    predictor: Any = None,
    split: str = "val",
    limit: int | None = None,
    max_actions: int = MAX_ACTIONS,
    progress: Callable[[int, str], None] | None = None,
    click_predictor: Any = None,
) -> dict[str, Any]:
    """Simulate the corrections of a dataset's photos with the tool and the two baselines.

    Parameters
    ----------
    data_dir : Path or str
        A plain mask-folder dataset (its ``val`` split when ``splits.json`` has one).
    task : str
        A task of its ``taxonomies.json``.
    predictor : Predictor, optional
        The model; the tool starts from its proposal after its refinements (``model_refinements``).
        Without one, the tool starts from an empty mask.
    split : str
        Split of ``splits.json``.
    limit : int, optional
        Only the first ``limit`` photos.
    max_actions : int
        Budget per photo for the greedy methods.
    progress : callable, optional
        ``progress(done, name)`` after each photo.
    click_predictor : ClickPredictor, optional
        A click model (binary tasks): the tool may also click, and the ``clicks`` (a box, then
        clicks only) and ``box_grabcut`` (GrabCut in boxes, then the other tools) methods and
        NoC@90 / NoC@95 (``noc``: clicks from an empty mask, capped at 20) are added; see
        :mod:`.click_effort`.

    Returns
    -------
    dict
        ``task``, ``n_images``, ``target`` (value), ``target_metric``, ``tool_start``
        (``"model"`` or ``"empty"``), ``tool``, ``no_model`` and ``polygon`` (each with
        ``median_actions``, ``mean_actions``, ``reached_share``), ``ratio_tool_to_polygon``
        (ratio of the medians) and ``per_image``.
    """
    classes = task_classes(data_dir, task)
    target = target_for(len(classes))
    refinements = model_refinements(predictor) if predictor is not None else ()
    results: dict[str, tuple[list[int], list[bool]]] = {
        m: ([], []) for m in ("tool", "no_model", "polygon")
    }
    with_clicks = click_predictor is not None and len(classes) == 2
    if with_clicks:
        from fashion_annotator.evaluation import click_effort

        results.update(clicks=([], []), box_grabcut=([], []))
    per_image: list[dict[str, Any]] = []
    for done, photo in enumerate(iter_dataset(data_dir, task, split=split, limit=limit), start=1):
        with naming(photo):
            levels = compute_superpixels(photo.rgb).levels
        empty = np.zeros_like(photo.gt)
        start = empty
        if predictor is not None:
            start = propose(photo.rgb, predictor, regions=levels[DEFAULT_LEVEL]).mask
        k = len(classes)
        clicker = None
        if with_clicks:
            click_predictor.set_image(photo.rgb)
            guide = None if predictor is None else start == 1
            clicker = click_effort.model_clicker(click_predictor, photo.gt == 1, guide)
        tool = Operator(photo.gt, levels, k, clicker=clicker).run(start, target, max_actions)
        bare = Operator(photo.gt, levels, k, polygons=False).run(empty, target, max_actions)
        vertices, traced = polygon_baseline(photo.gt, target)
        row = {"name": photo.name, "start_score": target.score(start, photo.gt)}
        for method, (n, ok) in (
            ("tool", (tool.actions, tool.reached)),
            ("no_model", (bare.actions, bare.reached)),
            ("polygon", (vertices, traced)),
        ):
            results[method][0].append(n)
            results[method][1].append(ok)
            row[method] = n
        row["tool_by_kind"] = tool.by_kind
        if with_clicks:
            fg = photo.gt == 1
            clicked = click_effort.clicks_only(click_predictor, fg, target, max_actions)
            boxed = click_effort.box_grabcut(photo.rgb, fg, levels, target, max_actions)
            for method, run in (("clicks", clicked), ("box_grabcut", boxed)):
                results[method][0].append(run.actions)
                results[method][1].append(run.reached)
                row[method] = run.actions
            curve = click_effort.noc_curve(click_predictor, fg)
            row["noc_ious"] = [round(v, 4) for v in curve]
            prompt = click_effort.box_prompt_curve(click_predictor, photo.rgb, fg)
            row["box_grabcut_dice"] = round(prompt["grabcut"][0], 4)
            row["box_model_dice"] = [round(v, 4) for v in prompt["model"]]
        per_image.append(row)
        if progress is not None:
            progress(done, photo.name)
    out: dict[str, Any] = {
        "task": task,
        "n_images": len(per_image),
        "target": target.value,
        "target_metric": target.metric,
        "tool_start": "empty" if predictor is None else "model",
        "tool_refinements": list(refinements) if predictor is not None else [],
        "max_actions": max_actions,
    }
    for method, (actions, reached) in results.items():
        out[method] = _summary(actions, reached)
    if with_clicks:
        curves = [row["noc_ious"] for row in per_image]
        out["noc"] = {
            f"noc{round(t * 100)}": float(np.mean([click_effort.noc(c, t) for c in curves]))
            for t in click_effort.NOC_THRESHOLDS
        }
        out["noc"]["iou_at"] = {
            str(k): float(np.mean([c[k - 1] for c in curves])) for k in (1, 2, 3, 5, 10, 20)
        }
        out["box_prompt"] = {
            "grabcut_1_action_median_dice": float(
                np.median([row["box_grabcut_dice"] for row in per_image])
            ),
            **{
                f"model_{k + 1}_actions_median_dice": float(
                    np.median([row["box_model_dice"][k] for row in per_image])
                )
                for k in range(len(per_image[0]["box_model_dice"]) if per_image else 0)
            },
        }
        out["click_model"] = getattr(click_predictor, "version", None)
    poly_median = out["polygon"]["median_actions"]
    out["ratio_tool_to_polygon"] = (
        out["tool"]["median_actions"] / poly_median if poly_median else None
    )
    out["per_image"] = per_image
    return out
