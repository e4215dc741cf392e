"""``fashion-annotator bench instances``: instance proposals + categories on a 1152x1728 photo."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from fashion_annotator.commands.bench import BIG_PHOTO, _fail, _write
from fashion_annotator.runtime.arg_types import output_file, positive_int


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``instances`` to the ``bench`` subcommands."""
    p = sub.add_parser("instances", help="instance proposals and categories on a 1152x1728 photo")
    p.add_argument("--runs", type=positive_int, default=20, help="timed runs")
    p.add_argument("--photo", type=Path, default=None, help="photo (default: a bundled CCP sample)")
    p.add_argument("--json", type=output_file, default=None, help="write the figures here")
    p.add_argument("--fast", action="store_true",
                   help="one plain pass per model (the window's fast-proposals preference)")  # fmt: skip
    p.add_argument("--parsing-task", choices=["parsing7", "parsing18"], default=None,
                   help="the parsing instances derive from (default: parsing18 when shipped)")  # fmt: skip
    p.set_defaults(func=run)


def _median_ms(times: list[float]) -> float:
    return round(1000.0 * float(np.median(times)), 1)


def run(args: argparse.Namespace) -> int:
    """Median times: parsing (+ garment) models, instance derivation + categories + colours."""
    import cv2
    import torch

    from fashion_annotator.core.images import ImageLoadError, load_image
    from fashion_annotator.instances.classifier import InstanceClassifier
    from fashion_annotator.instances.proposer import (
        InstanceProposer,
        default_parsing_task,
        needs_garment,
    )
    from fashion_annotator.resources import resource_path
    from fashion_annotator.segmentation.proposals import load_predictor

    photo = args.photo or sorted(resource_path("sample").glob("*.jpg"))[1]
    try:
        rgb = load_image(photo).rgb
    except ImageLoadError as exc:  # named, one line (it went to the catch-all with a traceback)
        return _fail("instances", exc)
    rgb = cv2.resize(rgb, (BIG_PHOTO[1], BIG_PHOTO[0]), interpolation=cv2.INTER_LINEAR)
    task = args.parsing_task or default_parsing_task()
    proposer = InstanceProposer(InstanceClassifier.load(), task)
    shares = proposer.classifier.shares.get(task) if proposer.classifier is not None else None
    parsing = load_predictor(task, device="cpu", one_pass=args.fast)
    with_garment = needs_garment(proposer.instance_taxonomy, task)
    garment = load_predictor("garment", device="cpu", one_pass=args.fast) if with_garment else None
    models, derive, total, with_colour = [], [], [], []
    n = 0
    for _ in range(args.runs):
        t0 = time.perf_counter()
        parsing.set_image(rgb)
        proposal = parsing.predict()
        pm = proposal.mask
        gm = None
        if garment is not None:
            garment.set_image(rgb)
            gm = garment.predict().mask
        t1 = time.perf_counter()
        out = proposer.from_masks(rgb, pm, gm, colours=False, probs=proposal.coarse_probs)
        t2 = time.perf_counter()
        proposer.from_masks(rgb, pm, gm, colours=True, probs=proposal.coarse_probs)
        t3 = time.perf_counter()
        models.append(t1 - t0)
        derive.append(t2 - t1)
        total.append(t2 - t0)
        with_colour.append(t3 - t2)
        n = len(out.instances)
    result = {
        "photo": str(photo), "size": list(BIG_PHOTO), "runs": args.runs, "threads": torch.get_num_threads(),
        "one_pass": args.fast, "parsing_task": task, "garment_model": garment is not None,
        "instances": n, "models_ms": _median_ms(models), "instances_and_categories_ms": _median_ms(derive),
        "total_ms": _median_ms(total), "instances_categories_colours_ms": _median_ms(with_colour),
        "categories_from": "share classifier" if shares is not None and shares.reads(task, parsing.num_classes)
        else "crop classifier",
    }  # fmt: skip
    print(
        f"1152x1728, {n} instances: {task}{' + garment' if garment is not None else ''} models "
        f"{result['models_ms']} ms, instances + "
        f"categories {result['instances_and_categories_ms']} ms (+ colours "
        f"{result['instances_categories_colours_ms']} ms), total {result['total_ms']} ms "
        f"(median of {args.runs}, {result['threads']} threads, categories from the {result['categories_from']}"
        f"{', one pass per model' if args.fast else ''})"
    )
    return _write(result, args.json, "instances")
