"""Simulated operators for the click model: NoC curves, clicks-only, box + GrabCut, tool clicks.

The click simulation is the standard one of interactive segmentation papers (RITM, FocalClick,
SimpleClick): each click goes at the point farthest from the edges of the larger error region
(:func:`fashion_annotator.models.click.next_click`), positive on missed foreground, negative on
wrong foreground, and the model sees all the clicks so far and its previous mask. Binary tasks
(cutouts) only; a click costs 1 action, like a region click.

- :func:`noc_curve`: IoU after each of up to 20 clicks from an empty mask (NoC@90 / NoC@95 are
  the first clicks reaching IoU 0.90 / 0.95, 20 when never);
- :func:`clicks_only`: a box around the ground truth (1 action, :meth:`ClickPredictor.predict_box`),
  then clicks until the effort target;
- :func:`box_prompt_curve`: Dice after one box (GrabCut alone, and the model) and after each
  following click;
- :func:`box_grabcut`: a box around each ground-truth component (1 action each), GrabCut in each,
  then the other tools (regions, polygons, brush) without clicks;
- :func:`model_clicker`: the click candidate the greedy tool operator of
  :mod:`.effort` weighs against regions, polygons and brush strokes;
- :func:`run_noc`: NoC@90 / NoC@95 over a dataset split (``bench noc``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from fashion_annotator.core.metrics import dice, iou
from fashion_annotator.evaluation.effort import Action, Operator, Target
from fashion_annotator.models.click import NOC_THRESHOLDS, next_click
from fashion_annotator.segmentation.click_guide import proposed_object
from fashion_annotator.segmentation.clicks import Click, ClickPredictor
from fashion_annotator.segmentation.grabcut import grabcut_box

MAX_NOC_CLICKS = 20
#: Ground-truth components smaller than this share of the foreground get no box.
BOX_MIN_SHARE = 0.02


def noc_curve(
    predictor: ClickPredictor,
    gt: np.ndarray,
    max_clicks: int = MAX_NOC_CLICKS,
    proposal: np.ndarray | None = None,
) -> list[float]:
    """IoU after each click, from an empty mask; ``predictor.set_image`` must have been called.

    Parameters
    ----------
    gt : (H, W) bool
        The object.
    proposal : (H, W) bool, optional
        The proposal model's mask of the photo: a first click on it takes it as it is, and
        later clicks do not spread where it is sure of the opposite, as in the Smart-click tool
        (:func:`.click_guide.proposed_object`, :func:`.click_guide.guide_veto`).

    Returns
    -------
    list of float
        ``max_clicks`` IoUs (the last one repeated once the mask is exact).
    """
    mask = np.zeros_like(gt, dtype=bool)
    clicks: list[Click] = []
    ious: list[float] = []
    for _ in range(max_clicks):
        placed = next_click(mask, gt)
        if placed is None:
            ious.append(1.0)
            continue
        clicks.append(Click(float(placed[0]), float(placed[1]), placed[2]))
        obj = proposed_object(proposal, mask, clicks)
        if obj is not None:
            mask = predictor.take(mask, obj).mask
        else:
            mask = predictor.predict(mask, clicks, guide=proposal).mask
        ious.append(iou(mask, gt))
    return ious


def noc(ious: list[float], threshold: float, max_clicks: int = MAX_NOC_CLICKS) -> int:
    """Clicks needed to reach ``threshold`` (``max_clicks`` when never)."""
    for i, value in enumerate(ious[:max_clicks], start=1):
        if value >= threshold:
            return i
    return max_clicks


def gt_box(gt: np.ndarray) -> tuple[int, int, int, int]:
    """The ``(y0, x0, y1, x1)`` box (end-exclusive) around ``gt`` ``(H, W) bool``."""
    x, y, w, h = cv2.boundingRect(gt.astype(np.uint8))
    return y, x, y + h, x + w


@dataclass(frozen=True)
class Run:
    """Actions spent, whether the target was reached, and the final score."""

    actions: int
    reached: bool
    score: float


def clicks_only(
    predictor: ClickPredictor, gt: np.ndarray, target: Target, max_actions: int
) -> Run:
    """A box around ``gt`` ``(H, W) bool``, then model clicks until ``target`` (Dice)."""
    gt_labels = gt.astype(np.uint8)
    update, virtual = predictor.predict_box(gt_box(gt))
    mask, clicks, spent = update.mask, [virtual], 1
    while not target.reached(mask.astype(np.uint8), gt_labels) and spent < max_actions:
        placed = next_click(mask, gt)
        if placed is None:
            break
        clicks.append(Click(float(placed[0]), float(placed[1]), placed[2]))
        mask = predictor.predict(mask, clicks).mask
        spent += 1
    score = float(dice(mask, gt))
    reached = score >= target.value
    return Run(spent if reached else max_actions, reached, score)


def box_prompt_curve(
    predictor: ClickPredictor, rgb: np.ndarray, gt: np.ndarray, clicks: int = 2
) -> dict[str, list[float]]:
    """Dice after one box around ``gt``: GrabCut alone, and the model then ``clicks`` clicks.

    ``predictor.set_image(rgb)`` must have been called. The issue's comparison: does a box
    plus clicks beat GrabCut from the same box within two actions?

    Returns
    -------
    dict
        ``grabcut``: ``[Dice]`` after the box (1 action); ``model``: Dice after the box, then
        after each further click (``1 + clicks`` values, actions 1, 2, ...).
    """
    box = gt_box(gt)
    grabcut = float(dice(grabcut_box(rgb, box), gt))
    update, virtual = predictor.predict_box(box)
    mask, placed_clicks = update.mask, [virtual]
    curve = [float(dice(mask, gt))]
    for _ in range(clicks):
        placed = next_click(mask, gt)
        if placed is None:
            curve.append(curve[-1])
            continue
        placed_clicks.append(Click(float(placed[0]), float(placed[1]), placed[2]))
        mask = predictor.predict_in_box(mask, placed_clicks, box).mask
        curve.append(float(dice(mask, gt)))
    return {"grabcut": [grabcut], "model": curve}


def box_grabcut_start(rgb: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, int]:
    """GrabCut in a box around each sizeable ground-truth component; return the mask and the boxes.

    Returns
    -------
    mask : (H, W) uint8
        0/1 labels.
    boxes : int
        Boxes drawn (components covering at least :data:`BOX_MIN_SHARE` of the foreground).
    """
    n, comp, stats, _ = cv2.connectedComponentsWithStats(gt.astype(np.uint8), connectivity=8)
    total = max(1, int(gt.sum()))
    mask = np.zeros(gt.shape, bool)
    boxes = 0
    for i in np.argsort(stats[1:, cv2.CC_STAT_AREA])[::-1] + 1:
        if stats[i, cv2.CC_STAT_AREA] < BOX_MIN_SHARE * total:
            break
        x, y, w, h = (int(v) for v in stats[i, :4])
        mask |= grabcut_box(rgb, (y, x, y + h, x + w))
        boxes += 1
    return mask.astype(np.uint8), boxes


def box_grabcut(
    rgb: np.ndarray, gt: np.ndarray, levels: list[np.ndarray], target: Target, max_actions: int
) -> Run:
    """Boxes + GrabCut, then regions, polygons and brush (no clicks) until ``target``."""
    start, boxes = box_grabcut_start(rgb, gt)
    outcome = Operator(gt.astype(np.uint8), levels, 2).run(start, target, max_actions - boxes)
    spent = boxes + outcome.actions
    return Run(spent if outcome.reached else max_actions, outcome.reached, outcome.score)


def model_clicker(
    predictor: ClickPredictor, gt: np.ndarray, guide: np.ndarray | None = None
) -> Callable[[np.ndarray], Action | None]:
    """The click candidate for :class:`.effort.Operator` on a binary task.

    ``predictor.set_image`` must have been called for the photo. The clicks the operator takes
    accumulate in one session (the model sees them all with the current mask, whatever tools
    changed it in between). ``guide`` ``(H, W) bool``: the proposal the operator started from,
    which vetoes a click's spread where it is sure, as in the window
    (:func:`.click_guide.guide_veto`).
    """
    session: list[Click] = []
    gt_flat = gt.ravel()

    def propose(mask: np.ndarray) -> Action | None:
        current = mask == 1
        placed = next_click(current, gt)
        if placed is None:
            return None
        click = Click(float(placed[0]), float(placed[1]), placed[2])
        update = predictor.predict(current, [*session, click], guide=guide)
        pixels = np.flatnonzero(update.mask.ravel() != current.ravel())
        if pixels.size == 0:
            return None
        new = update.mask.ravel()[pixels]
        truth = gt_flat[pixels]
        gain = int(np.count_nonzero(new == truth)) - int(np.count_nonzero(~new == truth))
        return Action(
            "click", 1, gain, 1, pixels, new.astype(mask.dtype), on_apply=lambda: session.append(click)
        )

    return propose


def run_noc(
    data_dir: Path | str,
    task: str,
    predictor: ClickPredictor,
    *,
    split: str = "val",
    limit: int | None = None,
    max_clicks: int = MAX_NOC_CLICKS,
    progress: Callable[[int, str], None] | None = None,
    propose: Callable[[np.ndarray], np.ndarray] | None = None,
) -> dict[str, Any]:
    """NoC@90 / NoC@95 of a binary task on a dataset split, through the full inference path.

    ``propose(rgb) -> (H, W) bool``, when given, is the task's proposal as the window shows it
    (``bench noc``: the model's mask after its refinements): a first click on the proposed
    object takes it as it is, and later clicks do not spread where it is sure of the
    opposite, as in the Smart-click tool (see :func:`noc_curve`); without it the clicks start
    from nothing but the photo.

    Returns
    -------
    dict
        ``task``, ``n_images``, ``max_clicks``, ``noc90``, ``noc95`` (means), ``fail90``,
        ``fail95`` (shares never reaching the IoU), ``iou_at`` (mean IoU after 1, 2, 3, 5, 10
        and 20 clicks), ``click_ms_median`` (median over photos of a curve's time per simulated
        click, its placement and scoring included: not one update's latency, which ``bench ui``
        measures), ``click_model``
        (version), ``proposal_prior`` (whether ``propose`` was given) and ``per_image`` (name,
        noc90, noc95, ious).
    """
    from fashion_annotator.evaluation.effort import iter_dataset, naming

    rows: list[dict[str, Any]] = []
    times: list[float] = []
    for done, photo in enumerate(iter_dataset(data_dir, task, split=split, limit=limit), start=1):
        if int(photo.gt.max()) > 1:
            raise ValueError(f"{data_dir}: task {task!r} is not a binary (cutout) task")
        with naming(photo):
            predictor.set_image(photo.rgb)
            proposal = None if propose is None else propose(photo.rgb)
            t0 = time.perf_counter()
            curve = noc_curve(predictor, photo.gt == 1, max_clicks, proposal)
        times.append((time.perf_counter() - t0) * 1e3 / max_clicks)
        rows.append({
            "name": photo.name,
            **{f"noc{round(t * 100)}": noc(curve, t, max_clicks) for t in NOC_THRESHOLDS},
            # from the unrounded curve, as the NoC: an IoU of 0.89996 never reached 0.90
            **{f"fail{round(t * 100)}": bool(max(curve) < t) for t in NOC_THRESHOLDS},
            "ious": [round(v, 4) for v in curve],
        })
        if progress is not None:
            progress(done, photo.name)
    out: dict[str, Any] = {"task": task, "n_images": len(rows), "max_clicks": max_clicks}
    for t in NOC_THRESHOLDS:
        key = f"{round(t * 100)}"
        out[f"noc{key}"] = float(np.mean([r[f"noc{key}"] for r in rows]))
        out[f"fail{key}"] = float(np.mean([r[f"fail{key}"] for r in rows]))
    out["iou_at"] = {
        str(k): float(np.mean([r["ious"][k - 1] for r in rows]))
        for k in (1, 2, 3, 5, 10, 20)
        if k <= max_clicks
    }
    out["click_ms_median"] = float(np.median(times))
    out["click_model"] = predictor.version
    out["proposal_prior"] = propose is not None
    out["per_image"] = rows
    return out
