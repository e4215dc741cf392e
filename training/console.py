"""Run a training request from a terminal: progress as JSON lines or a progress bar, SIGTERM.

Used by ``fashion-annotator train`` and ``python -m training``. With ``--json-progress``
stdout carries one JSON object per line (``start``, ``step``, ``epoch``, ``done`` or
``cancelled``, ``error``); otherwise a progress bar is drawn on a terminal. SIGTERM stops the
run cleanly: ``{"event": "cancelled"}``, nothing exported or registered.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
from typing import Any

from training.request import TrainRequest


class Reporter:
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


def main(args: argparse.Namespace) -> int:
    """Train as the parsed options say; exit status 0 when done or cancelled, 2 on bad input."""
    from fashion_annotator.dataset.records import ProjectError
    from training.loop import TrainingCancelled
    from training.runner import run

    report = Reporter(args.json_progress)
    try:
        request = TrainRequest.from_args(args)
    except ValueError as exc:
        report({"event": "error", "message": str(exc)})
        return 2
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        done = run(request, report, stop.is_set)
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
