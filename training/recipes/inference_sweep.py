"""Choose a trained model's inference settings on validation photos: input long side, flip averaging.

``python -m training.recipes.inference_sweep MODEL --data CCP [--split val] [--long-sides
384,448,512] [--budget-ms 300] [--write]`` scores ``MODEL`` (a ``.safetensors`` file) on the
split at every long side, with and without test-time flip averaging, times each setting on a
1152x1728 photo on the CPU, prints the table, and picks the best setting whose median latency
stays within the budget. ``--write`` records the pick in the model's JSON meta
(``infer_long_side``, ``flip_average``, ``inference_selection``), which the app's predictor then
follows (:class:`fashion_annotator.segmentation.proposals.Predictor`). Run it on the selected
recipe models before ``training.recipes.ship``; the score is the task's goal figure (median Dice
for garment cutouts, mIoU otherwise), so select on val, never on the photos that judge.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.evaluation.datasets import evaluate_dataset
from fashion_annotator.evaluation.latency import benchmark_latency
from fashion_annotator.models.weights import meta_path, update_meta
from fashion_annotator.segmentation.proposals import load_predictor

#: The photo size latency is measured at (the studios' mannequin frames).
LATENCY_SHAPE = (1728, 1152)
LATENCY_RUNS = 5


@dataclass(frozen=True)
class Setting:
    """One inference setting and what it scored.

    Attributes
    ----------
    long_side : int
        Pixels of the photo's long side in the network input.
    flip_average : bool
        Whether the logits of the photo and its mirror were averaged.
    score : float
        The task's figure on the split (see :func:`score_key`).
    miou : float
    latency_ms : float
        Median CPU milliseconds for one 1152x1728 photo, resizing included.
    """

    long_side: int
    flip_average: bool
    score: float
    miou: float
    latency_ms: float


def score_key(task: str) -> str:
    """The figure a task's setting is chosen by: ``median_dice`` for garment, else ``miou``."""
    return "median_dice" if task == "garment" else "miou"


def sweep(
    model: Path,
    data: Path,
    long_sides: list[int],
    split: str = "val",
    limit: int | None = None,
    latency_runs: int = LATENCY_RUNS,
) -> list[Setting]:
    """Score ``model`` at every long side, with and without flip averaging.

    Returns
    -------
    list of Setting
        In the order tried (long side major, flip averaging off first).
    """
    out = []
    for side in long_sides:
        for flip in (False, True):
            predictor = load_predictor(model, device="cpu", long_side=side, flip_average=flip)
            figures = evaluate_dataset(predictor.predict_masks, data, predictor.task, split=split,
                                       limit=limit)  # fmt: skip
            timing = benchmark_latency(predictor, LATENCY_SHAPE, latency_runs)
            out.append(Setting(side, flip, float(figures[score_key(predictor.task)]),
                               float(figures["miou"]), 1000 * float(timing["median_s"])))  # fmt: skip
    return out


def pick(settings: list[Setting], budget_ms: float) -> Setting:
    """The best-scoring setting within the latency budget (ties: the cheaper one).

    Raises
    ------
    ValueError
        When no setting fits the budget.
    """
    fitting = [s for s in settings if s.latency_ms <= budget_ms]
    if not fitting:
        raise ValueError(f"no setting runs within {budget_ms:.0f} ms: {settings}")
    return max(fitting, key=lambda s: (s.score, -s.latency_ms))


def write_choice(model: Path, choice: Setting, split: str, data: Path) -> None:
    """Record ``choice`` in ``model``'s JSON meta (atomically)."""
    update_meta(model, infer_long_side=choice.long_side, flip_average=choice.flip_average,
                inference_selection={"data": data.name, "split": split, **asdict(choice)})  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Command line: print the sweep table and the pick; ``--write`` records it."""
    parser = argparse.ArgumentParser(
        prog="python -m training.recipes.inference_sweep", description=__doc__.split("\n")[0]
    )
    parser.add_argument("model", type=Path, help="a .safetensors model (letterbox)")
    parser.add_argument("--data", type=Path, required=True, help="plain mask folder (CCP layout)")
    parser.add_argument("--split", default="val")
    parser.add_argument("--limit", type=int, default=None, help="only the first N photos")
    parser.add_argument("--long-sides", default="384,448,512", help="comma-separated pixels")
    parser.add_argument("--budget-ms", type=float, default=300.0, help="CPU latency budget")
    parser.add_argument("--latency-runs", type=int, default=LATENCY_RUNS)
    parser.add_argument("--write", action="store_true", help="record the pick in the meta")
    parser.add_argument("--json", type=Path, default=None, help="write the table here")
    args = parser.parse_args(argv)
    try:
        sides = [int(v) for v in args.long_sides.split(",")]
        settings = sweep(args.model, args.data, sides, args.split, args.limit, args.latency_runs)
        choice = pick(settings, args.budget_ms)
    except (ValueError, OSError) as exc:
        print(f"inference_sweep: {exc}", file=sys.stderr)
        return 1
    print(f"{'long side':>9} {'flip':>5} {'score':>7} {'mIoU':>7} {'ms':>6}")
    for s in settings:
        mark = "  <- picked" if s == choice else ""
        print(f"{s.long_side:>9} {str(s.flip_average):>5} {s.score:7.4f} {s.miou:7.4f} "
              f"{s.latency_ms:6.0f}{mark}")  # fmt: skip
    if args.json is not None:
        atomic_write_text(args.json, json.dumps(
            {"settings": [asdict(s) for s in settings], "picked": asdict(choice)}, indent=1))  # fmt: skip
    if args.write:
        write_choice(args.model, choice, args.split, args.data)
        print(f"wrote infer_long_side={choice.long_side}, flip_average={choice.flip_average} "
              f"into {meta_path(args.model)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
