"""``fashion-annotator bench generalize``: the person, garment and parsing7 models on CCP photos
re-framed as studio, web and mannequin photos (:mod:`fashion_annotator.evaluation.generalize`)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.commands.bench import _fail, _write
from fashion_annotator.core.samples import scored_split
from fashion_annotator.core.tasks import task_spec
from fashion_annotator.runtime.arg_types import data_folder, output_file, positive_int


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``generalize`` to the ``bench`` subcommands."""
    p = sub.add_parser("generalize", help="models on re-framed photos: studio, web, mannequin")
    p.add_argument("--data", type=data_folder, required=True, help="plain mask folder with taxonomies.json")
    p.add_argument("--split", default="val", help="split of splits.json (default val)")
    p.add_argument("--limit", type=positive_int, default=None, help="only the first N photos")
    p.add_argument("--framing", action="append", default=None, help="framing (repeatable; default all)")
    p.add_argument(
        "--model", action="append", default=[], metavar="TASK=FILE",
        help="model file for a task (repeatable; default: the shipped models)",
    )  # fmt: skip
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument(
        "--agree", action=argparse.BooleanOptionalAction, default=True,
        help="parsing7 masks agree with the person and garment masks of the same photo, as the "
             "window's proposals do (default; --no-agree: the parsing network alone)",
    )  # fmt: skip
    p.add_argument(
        "--refine", action="store_true",
        help="score the masks as the window shows them: each model's proposal after its task's "
             "refinements, parsing7 agreeing with the refined cutouts (default: the networks' masks)",
    )  # fmt: skip
    p.add_argument("--json", type=output_file, default=None, help="write the figures here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Score the person, garment and parsing7 models on every framing; print a table."""
    from fashion_annotator.evaluation import generalize
    from fashion_annotator.segmentation.proposals import ModelLoadError, load_predictor

    files = {}
    for item in args.model:
        task, sep, path = item.partition("=")
        if not sep or task not in ("person", "garment", "parsing7"):
            return _fail("generalize", ValueError(f"--model {item!r}: expected person|garment|parsing7=FILE"))
        files[task] = Path(path)
    framings = args.framing or list(generalize.FRAMINGS)
    unknown = sorted(set(framings) - set(generalize.FRAMINGS))
    if unknown:
        return _fail("generalize", ValueError(f"unknown framing(s) {unknown}; choose from {generalize.FRAMINGS}"))
    try:
        predictors = {t: load_predictor(files.get(t, t), device=args.device) for t in ("person", "garment", "parsing7")}
        samples = generalize.load_labelled(args.data, args.split, args.limit)
    except (ModelLoadError, ValueError, OSError) as exc:
        return _fail("generalize", exc)

    from fashion_annotator.segmentation.pipeline import AgreeingPredictor, propose, with_cutouts

    agree = task_spec("parsing7").agrees_with if args.agree else ()
    last: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # cutout task -> (photo, its mask)
    shown: dict[str, Any] = dict(predictors)
    if agree:
        shown["parsing7"] = AgreeingPredictor(predictors["parsing7"], {t: predictors[t] for t in agree})

    def predict(task: str, rgb: np.ndarray) -> np.ndarray:
        if args.refine:  # as the window shows it (the cutouts run again for parsing7's agreement)
            return propose(rgb, shown[task]).mask
        p = predictors[task]
        p.set_image(rgb)
        proposal = p.predict()
        if task in agree:
            last[task] = (rgb, proposal.mask)
        if task != "parsing7" or not agree:
            return proposal.mask
        masks = {t: (last[t][1] if t in last and last[t][0] is rgb else predict(t, rgb)) == 1 for t in agree}
        return with_cutouts(proposal, masks).mask

    t0 = time.perf_counter()
    figures = generalize.score_framings(
        samples, predict, {t: p.num_classes for t, p in predictors.items()}, framings
    )
    result = {
        "data": str(args.data), "split": scored_split(args.data, args.split), "n_images": len(samples),
        "models": {t: str(p.path) for t, p in predictors.items()}, "parsing7_agrees_with": list(agree),
        "refine": args.refine,
        "seconds": round(time.perf_counter() - t0, 1), "framings": figures,
    }  # fmt: skip
    print(f"{'framing':>15} {'person mIoU':>12} {'garment med Dice':>17} {'parsing7 mIoU':>14} "
          f"{'(GT classes)':>13} {'pix acc':>8}")  # fmt: skip

    def cell(row: dict, task: str, key: str, width: int) -> str:
        v = row.get(task, {}).get(key)
        return f"{v:{width}.3f}" if v is not None else " " * (width - 1) + "-"

    for f in framings:
        r = figures[f]
        print(f"{f:>15} {cell(r, 'person', 'miou', 12)} {cell(r, 'garment', 'median_dice', 17)} "
              f"{cell(r, 'parsing7', 'miou', 14)} {cell(r, 'parsing7', 'miou_gt_classes', 13)} "
              f"{cell(r, 'parsing7', 'pixel_accuracy', 8)}")  # fmt: skip
    return _write(result, args.json, "generalize")
