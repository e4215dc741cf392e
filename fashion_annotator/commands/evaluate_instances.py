"""``fashion-annotator evaluate --task instances``: score instance proposals on a CCP folder."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np


def run(args: argparse.Namespace) -> int:
    """Evaluate instances; 0, or 1 with a message on stderr when a model or the data is unusable."""
    from fashion_annotator.instances.classifier import InstanceClassifier
    from fashion_annotator.instances.evaluation import ccp_category_names, evaluate_instances
    from fashion_annotator.instances.proposer import InstanceProposer
    from fashion_annotator.instances.schema import load_instance_taxonomy
    from fashion_annotator.models.weights import ModelFileError
    from fashion_annotator.runtime.exit_codes import report_error
    from fashion_annotator.segmentation.proposals import ModelLoadError, load_predictor

    try:
        ccp_category_names(args.data, load_instance_taxonomy())  # a bad folder fails before models load
        parsing = load_predictor("parsing7", device=args.device)
        garment = load_predictor("garment", device=args.device)
        classifier = InstanceClassifier.load(args.model)
        proposer = InstanceProposer(classifier, "parsing7")

        def propose(rgb: np.ndarray):
            return proposer.from_photo(rgb, parsing, garment, colours=False)

        def progress(done: int, total: int) -> None:
            print(f"\r{done}/{total} photos", end="", file=sys.stderr, flush=True)

        result = evaluate_instances(
            propose,
            args.data,
            proposer.instance_taxonomy,
            split=args.split,
            limit=args.limit,
            progress=progress if sys.stderr.isatty() else None,
        )
    except (ModelLoadError, ModelFileError, ValueError, OSError) as exc:
        return report_error(exc, "evaluate")
    result.update(
        device=parsing.device_name,
        models={"parsing7": str(parsing.path), "garment": str(garment.path), "classifier": str(args.model or "shipped")},
    )
    text = json.dumps(result, indent=2)
    if args.json is None:
        print(text)
    else:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
        print(
            f"instances: recall50 {result['instance_recall50']}, ap50 {result['ap50']}, "
            f"top1 {result['category_top1']}, top3 {result['category_top3']} over "
            f"{result['n_instances']} instances in {result['n_images']} photos -> {args.json}"
        )
    return 0
