"""``fashion-annotator evaluate``: score a model on a plain mask-folder dataset."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fashion_annotator.commands.outputs import write_json
from fashion_annotator.core.tasks import available_tasks
from fashion_annotator.runtime.arg_types import data_folder, output_file, positive_int
from fashion_annotator.runtime.exit_codes import report_error
from fashion_annotator.runtime.paths import check_output_outside
from fashion_annotator.runtime.progress import ProgressBar

if TYPE_CHECKING:
    import numpy as np


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register this module's subcommands on ``subparsers``."""
    p = subparsers.add_parser(
        "evaluate",
        help="score a model on a plain mask-folder dataset (CCP layout)",
        description=(
            "Predict the photos of a plain mask-folder dataset (images/, masks/, taxonomies.json, "
            "optional splits.json) and score the masks at full resolution: mIoU, per-class IoU, "
            "pixel and subject accuracy, Dice (binary tasks), seconds per photo."
        ),
    )
    p.add_argument("--data", type=data_folder, required=True, help="dataset folder")
    p.add_argument("--task", required=True, choices=[*available_tasks(), "instances"])
    p.add_argument(
        "--model", type=Path, default=None, help="a .safetensors model (default: the shipped one; for instances, the category classifier)"
    )
    p.add_argument("--json", type=output_file, default=None,
                   help="write every figure here as JSON (without it: a summary in words)")
    p.add_argument(
        "--ground-truth-parsing",
        action="store_true",
        help="instances only: derive them from the dataset's own labels mapped to the parsing "
        "task (and garment) instead of the models' masks (the upper bound of the proposal code)",
    )
    p.add_argument(
        "--parsing-task",
        choices=["parsing7", "parsing18"],
        default=None,
        help="instances only: the parsing the instances derive from (default: parsing18 when its "
        "model is shipped, else parsing7; parsing7 also uses the garment cutout for accessories)",
    )
    p.add_argument(
        "--parsing-model",
        type=Path,
        default=None,
        help="instances only: the parsing model file the instances derive from (default: the "
        "shipped one for the parsing task); --long-side and --flip-average apply to it",
    )
    p.add_argument(
        "--shares-model",
        default=None,
        help="instances only: the share classifier file that names categories from the parsing "
        "model's probabilities (default: the shipped one for the parsing task; 'none': the crop "
        "classifier alone)",
    )
    p.add_argument(
        "--split",
        default="val",
        help="split of splits.json, or 'all' (default val; every photo when there is no splits.json)",
    )
    p.add_argument("--limit", type=positive_int, default=None, help="score only the first N photos")
    p.add_argument("--device", default="auto", help="auto (CUDA, else MPS, else CPU), cpu, cuda")
    p.add_argument("--batch-size", type=positive_int, default=4, help="photos per forward pass")
    p.add_argument(
        "--crop-pass", action=argparse.BooleanOptionalAction, default=None,
        help="binary tasks (and the garment cutout of parsing7 instances): second pass on a crop "
             "around the first mask (default: as the model's metadata says)",
    )  # fmt: skip
    p.add_argument(
        "--flip-average", action=argparse.BooleanOptionalAction, default=None,
        help="average the logits of the photo and its mirror image (default: as the model's "
             "metadata says)",
    )  # fmt: skip
    p.add_argument(
        "--long-side", type=positive_int, default=None, metavar="PX",
        help="letterbox models: the photo's long side in the network input (default: the "
             "metadata's infer_long_side, else the training long side; for instances, the "
             "parsing model's)",
    )  # fmt: skip
    p.add_argument(
        "--cutouts", default=None, metavar="TASKS",
        help="parsing tasks: make each mask agree with these cutout tasks' shipped models, as the "
             "window's proposals do in a project with those tasks (comma-separated, e.g. "
             "garment,person)",
    )  # fmt: skip
    p.add_argument(
        "--refine", action="store_true",
        help="score the masks as the window shows them: after each model's refinements (its "
             "task's, e.g. parsing7's guided filter), with --cutouts the cutouts' refined masks "
             "(default: the networks' masks)",
    )  # fmt: skip
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate; return 0, or 1 with a message on stderr when the model or data is unusable."""
    if args.json is not None:
        try:
            check_output_outside(args.json, args.data, "dataset")
        except ValueError as exc:
            return report_error(exc, "evaluate")
    if args.task == "instances":
        from fashion_annotator.commands.evaluate_instances import run as run_instances

        unused = [flag for flag, value in (("--cutouts", args.cutouts), ("--refine", args.refine)) if value]
        if args.ground_truth_parsing:
            unused += [flag for flag, value in (("--parsing-model", args.parsing_model),
                                                ("--long-side", args.long_side),
                                                ("--flip-average", args.flip_average is not None),
                                                ("--crop-pass", args.crop_pass is not None)) if value]  # fmt: skip
        if unused:
            why = "with --ground-truth-parsing" if args.ground_truth_parsing else "with --task instances"
            return report_error(ValueError(f"{', '.join(unused)}: not used {why} (nothing was evaluated)"), "evaluate")
        return run_instances(args)
    instance_only = [
        flag
        for flag, value in (
            ("--ground-truth-parsing", args.ground_truth_parsing),
            ("--parsing-task", args.parsing_task),
            ("--parsing-model", args.parsing_model),
            ("--shares-model", args.shares_model),
        )
        if value
    ]
    if instance_only:
        return report_error(
            ValueError(f"{', '.join(instance_only)}: only for --task instances, not {args.task!r}"),
            "evaluate",
        )
    from fashion_annotator.evaluation.datasets import evaluate_dataset, task_classes
    from fashion_annotator.segmentation.proposals import ModelLoadError, load_predictor

    try:
        predictor = load_predictor(
            args.model if args.model is not None else args.task,
            device=args.device,
            crop_pass=args.crop_pass,
            flip_average=args.flip_average,
            long_side=args.long_side,
        )
        classes = task_classes(args.data, args.task)
        if predictor.task != args.task or predictor.num_classes != len(classes):
            raise ValueError(
                f"{predictor.path}: model is for {predictor.task!r} with {predictor.num_classes} "
                f"classes; {args.data} task {args.task!r} has {len(classes)}"
            )
        if list(predictor.classes) != list(classes):
            raise ValueError(
                f"{predictor.path}: model classes {list(predictor.classes)} are not {args.data}'s "
                f"{args.task!r} classes {classes} (names and order must agree)"
            )

        cutouts = _cutout_predictors(args, predictor)

        from fashion_annotator.segmentation.pipeline import AgreeingPredictor, propose

        agreeing = AgreeingPredictor(predictor, cutouts) if cutouts else None

        def predict(photos: list[np.ndarray]) -> list[np.ndarray]:
            if args.refine:  # as the window: each model's refinements, then the agreement
                return [propose(rgb, agreeing or predictor).mask for rgb in photos]
            if agreeing is None:
                return predictor.predict_masks(photos, args.batch_size)
            masks = []
            for rgb in photos:  # the networks' masks made to agree
                agreeing.set_image(rgb)
                masks.append(agreeing.predict().mask)
            return masks

        with ProgressBar("evaluating") as bar:
            result = evaluate_dataset(
                predict,
                args.data,
                args.task,
                split=args.split,
                limit=args.limit,
                batch_size=args.batch_size,
                progress=bar.update,
            )
    except (ModelLoadError, ValueError, OSError) as exc:
        return report_error(exc, "evaluate")
    result.update(
        device=predictor.device_name,
        model=str(predictor.path),
        model_version=predictor.model_version,
        crop_pass=predictor.crop_pass,
        flip_average=predictor.flip_average,
        long_side=predictor.spec.long_side,
        cutouts={name: str(c.path) for name, c in cutouts.items()},
        refinements=_chains(predictor, cutouts) if args.refine else {},
    )
    if args.json is not None:
        try:
            write_json(args.json, result)
        except OSError as exc:
            return report_error(exc, "evaluate")
    print(summary_text(result, args.json))
    return 0


#: The headline figures of a summary, in this order: (result key, words).
HEADLINE = (("median_dice", "median Dice"), ("mean_dice", "mean Dice"), ("miou", "mIoU"),
            ("pixel_accuracy", "pixel accuracy"), ("subject_accuracy", "subject accuracy"))  # fmt: skip


def summary_text(result: dict[str, Any], json_file: Path | None = None) -> str:
    """An ``evaluate`` result in words: the headline figures, each class's IoU and Dice, the
    time per photo and the model; with ``json_file``, one line naming it instead of the rest.

    Parameters
    ----------
    result : dict
        :func:`~fashion_annotator.evaluation.datasets.evaluate_dataset`'s, with ``model``.
    json_file : Path or None
        Where every figure was written (``--json``).
    """
    figures = ", ".join(f"{words} {result[key]:.4f}" for key, words in HEADLINE if result.get(key) is not None)
    n = result["n_images"]
    head = f"{result['task']}: {figures} on {n} {'photo' if n == 1 else 'photos'} of split {result['split']}"
    if json_file is not None:
        return f"{head} -> {json_file}"
    lines = [head, "per class (pooled pixels):"]
    dices = result.get("per_class_dice") or {}
    for name, iou in result["per_class_iou"].items():
        dice = dices.get(name)
        lines.append(f"  {name}: IoU {'-' if iou is None else f'{iou:.4f}'}, "
                     f"Dice {'-' if dice is None else f'{dice:.4f}'}")  # fmt: skip
    lines.append(f"{result['seconds_per_image']:.3f} s per photo on {result.get('device', '?')}; "
                 f"model {result.get('model', '?')}; --json FILE writes every figure")  # fmt: skip
    return "\n".join(lines)


def _chains(predictor: Any, cutouts: dict[str, Any]) -> dict[str, list[str]]:
    """Task -> the refinements its proposals get (the window's choice, ``model_refinements``)."""
    from fashion_annotator.segmentation.pipeline import model_refinements

    return {p.task: list(model_refinements(p)) for p in (predictor, *cutouts.values())}


def _cutout_predictors(args: argparse.Namespace, predictor: Any) -> dict[str, Any]:
    """``--cutouts``: the shipped predictor of each named cutout task, checked against the task."""
    from fashion_annotator.segmentation.consistency import compatibility
    from fashion_annotator.segmentation.proposals import load_predictor

    names = [n.strip() for n in (args.cutouts or "").split(",") if n.strip()]
    if names and predictor.is_binary:
        raise ValueError(f"--cutouts: {args.task!r} is a cutout task; only parsing masks are made to agree")
    for name in names:
        if compatibility(args.task, name) is None:
            raise ValueError(f"--cutouts {name}: no compatibility table between {args.task!r} and {name!r} "
                             "(a binary task mapped from the same source labels)")  # fmt: skip
    return {name: load_predictor(name, device=args.device) for name in names}
