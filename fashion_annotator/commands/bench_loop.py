"""``bench loop`` (the simulated closed loop) and ``bench studio`` (studio-style photo sets).

``bench loop --data DIR --task T [--rounds 10,25,50,100] [--order tool|random]
[--minutes-per-round M] --json OUT`` writes the JSON of
:func:`fashion_annotator.evaluation.loop.run_loop` and a PNG of its curves (``--plot``,
default ``OUT`` with ``.png``; ``--plot-with OTHER.json`` adds another run, e.g. random order).
``OUT`` is rewritten after every round with ``"finished": false`` (and ``"error"`` when a round
failed); only a run that completed every round writes ``"finished": true``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

from fashion_annotator.core.atomic import atomic_write_text
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
    atomic_write_text(path, json.dumps(result, indent=1))


class _TrainArgError(ValueError):
    """An argument the ``train`` parser refuses (argparse would print and exit instead)."""


class _TrainParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _TrainArgError(message)


def _check_train_args(args: argparse.Namespace, work: Path) -> str | None:
    """Why the trainer would refuse the ``--train-arg`` values, or None when it takes them.

    Each round's retrain would find out only after the scoring and a simulated round: the
    retrain's command line is parsed here as ``train`` parses it.
    """
    from training.finetune import retrain_command
    from training.request import TrainRequest, add_arguments

    if not args.train_arg:
        return None
    argv = retrain_command(work / "project", args.task, 10, device=args.device,
                           minutes=args.minutes_per_round, promote_if_better=True,
                           threads=args.threads, extra=args.train_arg)  # fmt: skip
    parser = _TrainParser(prog=f"{PROG} train", add_help=False)
    add_arguments(parser)
    try:
        TrainRequest.from_args(parser.parse_args(argv[1:]))
    except ValueError as exc:
        return f"--train-arg: {exc} (in {' '.join(args.train_arg)!r})"
    return None


def run_loop(args: argparse.Namespace) -> int:
    """Run the simulated loop; write the JSON and the plot."""
    from fashion_annotator.evaluation.loop import plot_runs, round_text
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
    refused = _check_train_args(args, work)
    if refused is not None:
        return _usage(refused, "bench loop")
    written: list[dict] = []  # the result as last written: a failure marks it unfinished

    def on_round(partial: dict) -> None:
        written[:] = [{**partial, "work": str(work), "finished": False}]
        _dump(written[0], args.json)

    try:
        others = [json.loads(p.read_text()) for p in args.plot_with]
        result = simulate(
            args.data, args.task, work, rounds=rounds, order=args.order,
            minutes_per_round=args.minutes_per_round, init_model=args.init, split=args.split,
            limit=args.limit, device=args.device, threads=args.threads, seed=args.seed,
            crop_pass=args.crop_pass, train_extra=args.train_arg, progress=_say, on_round=on_round,
        )  # fmt: skip
    except ValueError as exc:  # the rounds, split and limit do not fit the data
        _failed(written, exc, args.json)
        return _usage(exc, "bench loop")
    except (OSError, RuntimeError) as exc:  # a retrain failed, a file could not be written
        _failed(written, exc, args.json)
        return report_error(exc, "bench loop")
    result.update(work=str(work), finished=True)
    _dump(result, args.json)
    plot = plot_runs([result, *others], args.plot or args.json.with_suffix(".png"))
    for i, entry in enumerate(result["rounds"]):  # the results on stdout, as every bench's
        print(round_text(i, entry))  # numbered as stderr numbered them
    print(f"wrote {args.json} and {plot}")
    return 0


def _failed(written: list[dict], exc: Exception, path: Path) -> None:
    """Say in the JSON already written (if any) that the run stopped, and why."""
    if not written:
        return
    try:
        _dump({**written[0], "finished": False, "error": str(exc)}, path)
    except OSError as again:  # the error being reported stays the first one
        _say(f"{PROG} bench loop: warning: {path}: could not record the error ({again})")


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
