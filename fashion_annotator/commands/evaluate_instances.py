"""``fashion-annotator evaluate --task instances``: score instance proposals on a CCP folder."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from fashion_annotator.commands.outputs import write_json


def run(args: argparse.Namespace) -> int:
    """Evaluate instances; 0, or 1 with a message on stderr when a model or the data is unusable."""
    from fashion_annotator.core.wording import counted
    from fashion_annotator.instances.classifier import SHIPPED, InstanceClassifier
    from fashion_annotator.instances.evaluation import ccp_category_names, evaluate_instances
    from fashion_annotator.instances.proposer import (
        InstanceProposer,
        default_parsing_task,
        needs_garment,
    )
    from fashion_annotator.instances.schema import load_instance_taxonomy
    from fashion_annotator.models.weights import ModelFileError
    from fashion_annotator.runtime.exit_codes import report_error
    from fashion_annotator.segmentation.proposals import ModelLoadError, load_predictor

    oracle = bool(getattr(args, "ground_truth_parsing", False))
    task = getattr(args, "parsing_task", None) or default_parsing_task()
    try:
        taxonomy = load_instance_taxonomy()
        ccp_category_names(args.data, taxonomy)  # a bad folder fails before models load
        shares = getattr(args, "shares_model", None)
        shares_path = SHIPPED if shares is None else (None if shares == "none" else shares)
        classifier = InstanceClassifier.load(args.model, shares_path=shares_path)
        if shares_path not in (SHIPPED, None) and task not in classifier.shares:
            read = ", ".join(sorted(classifier.shares)) or "nothing"
            raise ValueError(f"{shares}: the share classifier reads {read} probabilities; --parsing-task is {task}")
        proposer = InstanceProposer(classifier, task)
        with_garment = needs_garment(taxonomy, task)
        if oracle:  # the upper bound of the proposal code: perfect parsing and garment masks
            from fashion_annotator.core.labels import apply_mapping, mapping_from_taxonomies_json

            to_parsing = mapping_from_taxonomies_json(args.data / "taxonomies.json", task)
            to_garment = mapping_from_taxonomies_json(args.data / "taxonomies.json", "garment")
            models = {task: "ground truth", **({"garment": "ground truth"} if with_garment else {})}

            def propose(rgb: np.ndarray, labels: np.ndarray):
                cutout = apply_mapping(labels, to_garment) > 0 if with_garment else None
                return proposer.from_masks(rgb, apply_mapping(labels, to_parsing), cutout, colours=False)
        else:
            parsing_model = getattr(args, "parsing_model", None)
            parsing = load_predictor(
                parsing_model if parsing_model is not None else task,
                device=args.device,
                flip_average=getattr(args, "flip_average", None),
                long_side=getattr(args, "long_side", None),
            )
            if parsing.task != task:
                raise ValueError(
                    f"{parsing.path}: --parsing-model is a {parsing.task!r} model; the instances "
                    f"derive from {task!r} (--parsing-task)"
                )
            garment = (
                load_predictor("garment", device=args.device, crop_pass=getattr(args, "crop_pass", None))
                if with_garment
                else None
            )
            models = {task: str(parsing.path), **({"garment": str(garment.path)} if garment is not None else {})}

            def propose(rgb: np.ndarray, labels: np.ndarray):
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
        device="cpu" if oracle else parsing.device_name,
        models={
            **models,
            "classifier": str(args.model or "shipped"),
            "share_classifier": None if oracle or task not in classifier.shares else str(classifier.shares[task].path),
        },
        ground_truth_parsing=oracle,
        parsing_task=task,
        parsing_long_side=None if oracle else parsing.spec.long_side,
        parsing_flip_average=None if oracle else parsing.flip_average,
    )
    if args.json is not None:
        try:
            write_json(args.json, result)
        except OSError as exc:
            return report_error(exc, "evaluate")
    where = f" -> {args.json}" if args.json is not None else " (--json FILE writes every figure)"
    print(
        f"instances: recall50 {result['instance_recall50']}, ap50 {result['ap50']}, "
        f"top1 {result['category_top1']}, top3 {result['category_top3']} over "
        f"{counted(result['n_instances'], 'instance')} in {counted(result['n_images'], 'photo')}{where}"
    )
    return 0
