"""``bench loop`` (the simulated closed loop) and ``bench studio`` (studio-style photo sets).

``bench loop --data DIR --task T [--rounds 10,25,50,100] [--order tool|random]
[--minutes-per-round M] --json OUT`` writes the JSON of
:func:`fashion_annotator.evaluation.loop.run_loop` and a PNG of its curves (``--plot``,
default ``OUT`` with ``.png``; ``--plot-with OTHER.json`` adds another run, e.g. random order).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from fashion_annotator.runtime.arg_types import (
    data_folder,
    output_file,
    positive_int,
    positive_number,
)
from fashion_annotator.runtime.exit_codes import EXIT_USAGE, PROG, report_error
from fashion_annotator.runtime.paths import project_around


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``loop`` and ``studio`` to the ``bench`` subcommands."""
    p = sub.add_parser("loop", help="simulated team: correct, retrain, score the rest, per round")
    p.add_argument("--data", required=True, type=data_folder, help="plain mask folder")
    p.add_argument("--task", required=True, choices=("garment", "person", "parsing7"))
    p.add_argument("--rounds", default="10,25,50,100", help="corrected photos after each round")
    p.add_argument("--order", choices=("tool", "random"), default="tool")
    p.add_argument("--minutes-per-round", type=positive_number, default=3.0, help="retrain time bound")
    p.add_argument("--init", type=Path, default=None, help="starting model (default: shipped)")
    p.add_argument("--split", default="all", help="pool: 'all' or a split of splits.json")
    p.add_argument("--limit", type=positive_int, default=None, help="first N photos of the pool")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--threads", type=int, default=0, help="trainer's torch threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--crop-pass", action="store_true", help="also score with the crop pass")
    p.add_argument("--work", type=Path, default=None, help="folder for the simulated project")
    p.add_argument("--json", required=True, type=output_file)
    p.add_argument("--plot", type=Path, default=None, help="PNG (default: --json with .png)")
    p.add_argument("--plot-with", type=Path, nargs="*", default=[], help="other runs' JSON")
    p.add_argument("--train-arg", action="append", default=[], help="extra train option")
    p.set_defaults(func=run_loop)

    p = sub.add_parser("studio", help="write CCP photos re-framed as studio photos (mask folder)")
    p.add_argument("--data", required=True, type=data_folder, help="CCP-style mask folder")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--count", type=positive_int, default=200)
    p.add_argument("--framing", default="mannequin", help="a framing of bench generalize")
    p.add_argument("--split", default="train")
    p.add_argument("--start", type=int, default=0, help="first photo of the split to use")
    p.add_argument("--json", type=output_file, default=None, help="write the summary here")
    p.set_defaults(func=run_studio)


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _tick(done: int, total: int) -> None:
    """``done/total`` on stderr when it is a terminal (a log file got every count)."""
    if sys.stderr.isatty():
        _say(f"{done}/{total}")


def _usage(msg: object, command: str) -> int:
    """A usage error in the argparse format (``PROG bench loop: error: ...``), exit 2: the
    arguments do not fit together or with the data."""
    _say(f"{PROG} {command}: error: {msg}")
    return EXIT_USAGE


def _dump(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1))


def run_loop(args: argparse.Namespace) -> int:
    """Run the simulated loop; write the JSON and the plot."""
    from fashion_annotator.evaluation.loop import plot_runs
    from fashion_annotator.evaluation.loop import run_loop as simulate

    try:
        rounds = [int(r) for r in args.rounds.split(",") if r.strip()]
    except ValueError:
        return _usage(f"--rounds: expected comma-separated counts, got {args.rounds!r}", "bench loop")
    work = args.work or Path(tempfile.mkdtemp(prefix="fa-loop-"))
    if (work / "project").exists():
        return _usage(f"{work / 'project'}: already exists; give an empty --work folder", "bench loop")
    outer = project_around(work)
    if outer is not None:  # its next open would move the simulated project to its lost+found
        return report_error(f"{work}: inside the project {outer}; give a --work folder elsewhere", "bench loop")
    try:
        others = [json.loads(p.read_text()) for p in args.plot_with]
        result = simulate(
            args.data, args.task, work, rounds=rounds, order=args.order,
            minutes_per_round=args.minutes_per_round, init_model=args.init, split=args.split,
            limit=args.limit, device=args.device, threads=args.threads, seed=args.seed,
            crop_pass=args.crop_pass, train_extra=args.train_arg, progress=_say,
            on_round=lambda partial: _dump(partial, args.json),
        )  # fmt: skip
    except ValueError as exc:  # the rounds, split and limit do not fit the data
        return _usage(exc, "bench loop")
    except (OSError, RuntimeError) as exc:  # a retrain failed, a file could not be written
        return report_error(exc, "bench loop")
    result["work"] = str(work)
    _dump(result, args.json)
    plot = plot_runs([result, *others], args.plot or args.json.with_suffix(".png"))
    for i, entry in enumerate(result["rounds"], 1):  # the results on stdout, as every bench's
        print(f"round {i}: {json.dumps({k: v for k, v in entry.items() if k != 'val'})}")
    print(f"wrote {args.json} and {plot}")
    return 0


def run_studio(args: argparse.Namespace) -> int:
    """Write studio-style composites."""
    from fashion_annotator.evaluation.studio import check_studio_folder, make_studio_set

    try:
        check_studio_folder(args.data, args.out)
    except ValueError as exc:  # an output folder that is not the command's to write into
        return report_error(exc, "bench studio")
    try:
        summary = make_studio_set(args.data, args.out, args.count, framing=args.framing,
                                  split=args.split, start=args.start, progress=lambda i, _n: _tick(i, args.count))  # fmt: skip
    except ValueError as exc:
        return _usage(exc, "bench studio")
    except OSError as exc:
        return report_error(exc, "bench studio")
    share = summary["share"]
    print(f"{summary['count']} {summary['framing']} photos written to {args.out} (garment "
          f"{100 * share[0]:.0f}-{100 * share[2]:.0f} % of the frame, median {100 * share[1]:.0f} %)")  # fmt: skip
    if args.json is not None:
        _dump(summary, args.json)
    return 0
