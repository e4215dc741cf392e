"""``fashion-annotator train``: train a model from a project or a plain mask folder.

With ``--json-progress`` stdout carries one JSON object per line (``start``, ``step``,
``epoch``, ``done`` or ``cancelled``, ``error``); otherwise stdout gets the result in words and
stderr a progress bar (on a terminal) and the epochs. Errors always also go to stderr as
``fashion-annotator train: error: ...``. SIGTERM stops the run cleanly:
``{"event": "cancelled"}``, nothing exported or registered. Exit status: 0 done or cancelled,
1 error, 2 usage error, 130 Ctrl+C.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
from typing import Any

from fashion_annotator.models.sizes import MODEL_SIZES
from fashion_annotator.runtime.exit_codes import EXIT_ERROR, EXIT_OK, EXIT_USAGE, PROG


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``train`` subcommand on ``subparsers``."""
    p = subparsers.add_parser(
        "train",
        help="train a garment, person or parsing model",
        description="Train a model on a project's done/approved masks or a plain mask folder.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--project", help="project folder: train on its done and approved masks")
    src.add_argument("--data", help="plain mask folder (images/, masks/, taxonomies.json)")
    p.add_argument("--out", help="output folder (required with --data)")
    p.add_argument(
        "--task",
        required=True,
        help="task (taxonomy) name; with --data several joined by '+' train one shared network",
    )
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--max-minutes", type=float, default=None, help="time budget; LR follows it")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--init", default=None, help="current | scratch | a .safetensors model file")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--model-size", choices=tuple(MODEL_SIZES), default="default")
    p.add_argument("--promote-if-better", action="store_true")
    p.add_argument("--json-progress", action="store_true")
    p.add_argument("--input-size", type=int, nargs=2, default=(288, 192), metavar=("H", "W"))
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--patience", type=int, default=12, help="early stopping (epochs)")
    p.add_argument("--norm", choices=("group", "batch"), default="group")
    p.add_argument("--no-attention", dest="attention", action="store_false")
    p.add_argument("--boundary-head", action="store_true")
    p.add_argument("--dice-weight", type=float, default=1.0)
    p.add_argument("--background-weight", type=float, default=0.5)
    p.add_argument(
        "--class-weighting",
        choices=("background", "inverse_sqrt"),
        default="inverse_sqrt",
        help="parsing cross-entropy weights: lower background only, or 1/sqrt(frequency)",
    )
    p.add_argument("--no-flip", dest="flip", action="store_false")
    p.add_argument("--jitter", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    p.add_argument("--cache-dir", default=None, help="decoded-photo cache (default OUT/cache)")
    p.add_argument("--train-limit", type=int, default=0, help="use the first N training images")
    p.add_argument("--val-limit", type=int, default=0, help="use the first N val images")
    p.set_defaults(func=run)


class _Reporter:
    """Print events as JSON lines, or in words with a one-line progress bar on a terminal."""

    def __init__(self, json_lines: bool) -> None:
        self.json_lines = json_lines
        self.tty = sys.stderr.isatty()

    def __call__(self, event: dict[str, Any]) -> None:
        if self.json_lines:
            print(json.dumps(event, default=_jsonable), flush=True)
            return
        kind = event["event"]
        if kind == "step" and self.tty:
            done = event["step"] / event["steps"]
            bar = "#" * int(30 * done)
            eta = event["eta_s"]
            eta_txt = f"{eta / 60:.1f} min" if math.isfinite(eta) else "?"
            sys.stderr.write(
                f"\repoch {event['epoch']} [{bar:<30}] {event['step']}/{event['steps']} "
                f"loss {event['loss']:.4f} eta {eta_txt}   "
            )
            sys.stderr.flush()
        elif kind == "epoch":
            val = "  ".join(
                f"{task} {fig.get('median_dice', fig['miou']):.4f}"
                for task, fig in event["val"].items()
            )
            sys.stderr.write(f"\nepoch {event['epoch']}: loss {event['loss']:.4f}  val {val}\n")
        elif kind == "start":
            size = "x".join(map(str, event.get("input_size", [])))
            sys.stderr.write(
                f"training {event.get('task')} on {event.get('device')}: "
                f"{event.get('train_images')} train / {event.get('val_images')} val photos, "
                f"input {size} -> {event.get('out_dir')}\n"
            )
        elif kind == "info":
            sys.stderr.write(f"{event['message']}\n")
        elif kind == "cancelled":
            sys.stderr.write("cancelled; nothing exported or registered\n")
        elif kind == "done":
            print(_done_text(event), flush=True)


def _done_text(event: dict[str, Any]) -> str:
    """The ``done`` event in words: the model file, its version and the comparison."""
    lines = [f"model: {event['model_path']}"]
    if event.get("version") is not None:
        promoted = "promoted" if event.get("promoted") else "not promoted"
        lines.append(f"registered as version {event['version']} ({promoted})")
    comparison = event.get("comparison") or {}
    for side in ("new", "current"):
        figures = comparison.get(side)
        if isinstance(figures, dict):
            shown = ", ".join(
                f"{k} {v:.4f}" for k, v in figures.items() if isinstance(v, float)
            )
            lines.append(f"{side}: {shown}")
    return "\n".join(lines)


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def run(args: argparse.Namespace) -> int:
    """Run ``train``; exit status 0 when done or cancelled, 1 on bad data, 2 on bad usage."""
    from fashion_annotator.dataset.store import ProjectError
    from training.loop import TrainingCancelled
    from training.runner import run as run_training

    report = _Reporter(args.json_progress)
    if args.data and not args.out:
        return _error(report, "--out is required with --data", EXIT_USAGE)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        done = run_training(args, report, stop.is_set)
    except TrainingCancelled:
        report({"event": "cancelled"})
        return EXIT_OK
    except (ValueError, FileNotFoundError, ProjectError) as exc:
        return _error(report, str(exc), EXIT_ERROR)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if done:
        report(done)
    return EXIT_OK


def _error(report: _Reporter, message: str, status: int) -> int:
    """Report an error: a JSON ``error`` event when asked for, and always a line on stderr."""
    if report.json_lines:
        report({"event": "error", "message": message})
    print(f"{PROG} train: error: {message}", file=sys.stderr)
    return status
