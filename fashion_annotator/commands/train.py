"""``fashion-annotator train``: train a model from a project or a plain mask folder.

With ``--json-progress`` stdout carries one JSON object per line (``start``, ``step``,
``epoch``, ``done`` or ``cancelled``, ``error``); otherwise a progress bar is drawn on a terminal.
SIGTERM stops the run cleanly: ``{"event": "cancelled"}``, nothing exported or registered.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
from typing import Any

from fashion_annotator.models.unet import MODEL_SIZES


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
    p.add_argument("--freeze", choices=("none", "encoder"), default="none",
                   help="layers kept fixed while training (encoder: decoder and head move)")
    p.add_argument("--exclude-unchanged", action="store_true",
                   help="--project: leave out accepted proposals saved unchanged")
    p.add_argument("--jitter", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    p.add_argument("--cache-dir", default=None, help="decoded-photo cache (default OUT/cache)")
    p.add_argument("--train-limit", type=int, default=0, help="use the first N training images")
    p.add_argument("--val-limit", type=int, default=0, help="use the first N val images")
    p.set_defaults(func=run)


class _Reporter:
    """Print events as JSON lines, or draw a one-line progress bar on a terminal."""

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
        elif kind in ("done", "cancelled", "info", "error", "start"):
            print(json.dumps(event, default=_jsonable), flush=True)


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def run(args: argparse.Namespace) -> int:
    """Run ``train``; exit status 0 when done or cancelled, 2 on bad input."""
    from fashion_annotator.dataset.store import ProjectError
    from training.loop import TrainingCancelled
    from training.runner import run as run_training

    report = _Reporter(args.json_progress)
    if args.data and not args.out:
        report({"event": "error", "message": "--out is required with --data"})
        return 2
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        done = run_training(args, report, stop.is_set)
    except TrainingCancelled:
        report({"event": "cancelled"})
        return 0
    except (ValueError, FileNotFoundError, ProjectError) as exc:
        report({"event": "error", "message": str(exc)})
        return 2
    finally:
        signal.signal(signal.SIGTERM, previous)
    if done:
        report(done)
    return 0
