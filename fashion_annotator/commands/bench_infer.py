"""``fashion-annotator bench infer``: model latency on a 1152x1728 photo, resizing included."""

from __future__ import annotations

import argparse
from pathlib import Path

from fashion_annotator.commands.bench import BIG_PHOTO, TASKS, _fail, _write
from fashion_annotator.core.tasks import available_tasks, task_spec
from fashion_annotator.runtime.arg_types import output_file, positive_int


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``infer`` to the ``bench`` subcommands."""
    p = sub.add_parser("infer", help="model latency on a 1152x1728 photo, resizing included")
    p.add_argument("--task", action="append", choices=TASKS, help="task (repeatable; default: every shipped model's)")
    p.add_argument("--model", type=Path, default=None, help="model file (default: shipped)")
    p.add_argument("--runs", type=positive_int, default=20, help="timed runs per model")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--json", type=output_file, default=None, help="write the figures here")
    p.set_defaults(func=run_infer)


def _shipped_tasks() -> list[str]:
    from fashion_annotator.segmentation.proposals import default_model_path

    return [t for t in TASKS if default_model_path(t).is_file()]


def run_infer(args: argparse.Namespace) -> int:
    """Median latency of each shipped model (or ``--model``) on a 1152x1728 photo."""
    from fashion_annotator.evaluation.latency import benchmark_latency
    from fashion_annotator.segmentation.proposals import ModelLoadError, load_predictor

    sources: list[str | Path] = [args.model] if args.model else list(args.task or _shipped_tasks())
    results = {}
    for source in sources:
        try:
            predictor = load_predictor(source, device=args.device)
            agrees = task_spec(predictor.task).agrees_with if predictor.task in available_tasks() else ()
        except ModelLoadError as exc:
            return _fail("infer", exc)
        if args.model and args.task and predictor.task not in args.task:  # --task was ignored
            return _fail("infer", ValueError(f"{args.model}: a {predictor.task!r} model, but --task says "
                                             f"{' or '.join(args.task)}; nothing was timed"))  # fmt: skip
        figures = benchmark_latency(predictor, BIG_PHOTO, args.runs, cutouts=agrees)
        results[str(source)] = figures
        agreed = (
            f", + {figures['median_agree_s'] * 1000:.0f} ms to agree with {'+'.join(figures['cutouts'])}"
            if "median_agree_s" in figures
            else ""
        )
        print(
            f"{source}: median {figures['median_s'] * 1000:.0f} ms (mask), "
            f"{figures['median_with_probs_s'] * 1000:.0f} ms (with full-resolution probs){agreed} "
            f"on {figures['device']}, {args.runs} runs"
        )
    return _write(results, args.json, "infer")
