"""Run a training request from a terminal: progress as JSON lines or a progress bar, SIGTERM.

Used by ``fashion-annotator train`` and ``python -m training``. With ``--json-progress``
stdout carries one JSON object per line (``start``, ``step``, ``epoch``, ``stage``, ``done``
or ``cancelled``, ``error``); otherwise stdout gets the result in words and stderr a progress bar
(on a terminal) and the epochs. Errors always also go to stderr as
``fashion-annotator train: error: ...``. SIGTERM stops the run cleanly:
``{"event": "cancelled"}``, nothing exported or registered. Exit status: 0 done, 1 error,
2 usage error (inconsistent options), 130 Ctrl+C (``fashion_annotator.cli``), 143 cancelled by
SIGTERM (or by the window that started the run closing): never 0, so that a scheduler's
``train ... && next`` stops there.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import signal
import sys
import threading
from typing import Any

from fashion_annotator.runtime.exit_codes import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    PROG,
)
from fashion_annotator.runtime.logs import redact
from training.finetune import PROMOTE_MARGIN
from training.request import TrainRequest


class Reporter:
    """Print events as JSON lines, or in words with a one-line progress bar on a terminal."""

    def __init__(self, json_lines: bool) -> None:
        self.json_lines = json_lines
        self.tty = sys.stderr.isatty()

    def __call__(self, event: dict[str, Any]) -> None:
        event = _finite(event)
        if self.json_lines:
            print(json.dumps(event, default=_jsonable, allow_nan=False), flush=True)
            return
        kind = event["event"]
        if kind in ("step", "refit_step") and self.tty:  # the refit's steps as the held-out run's
            done = event["step"] / event["steps"]
            bar = "#" * int(30 * done)
            eta = event["eta_s"]
            eta_txt = f"{eta / 60:.1f} min" if eta is not None and math.isfinite(eta) else "?"
            label = "refit epoch" if kind == "refit_step" else "epoch"
            sys.stderr.write(
                f"\r{label} {event['epoch']} [{bar:<30}] {event['step']}/{event['steps']} "
                f"loss {_num(event['loss'])} eta {eta_txt}   "
            )
            sys.stderr.flush()
        elif kind == "epoch":
            val = _val_text(event.get("val") or {})
            on = event.get("scored_on", "val")  # the attribute heads choose epochs on train rows
            sys.stderr.write(f"\nepoch {event['epoch']}: loss {_num(event['loss'])}  {on} {val}\n")
        elif kind == "refit_epoch":
            sys.stderr.write(f"\nrefit epoch {event['epoch']}: loss {_num(event['loss'])}\n")
        elif kind == "start":
            sys.stderr.write(_start_text(event) + "\n")
        elif kind in ("info", "stage"):
            sys.stderr.write(f"{event['message']}\n")
        elif kind == "cancelled":
            sys.stderr.write("cancelled; nothing exported or registered\n")
        elif kind == "done":
            print(_done_text(event), flush=True)


def _start_text(event: dict[str, Any]) -> str:
    """The ``start`` event in words; the parts a trainer does not report are left out."""
    text = (
        f"training {event.get('task')} on {event.get('device')}: "
        f"{event.get('train_images')} train / {event.get('val_images')} val photos"
    )
    if event.get("train_instances") is not None:
        text += f", {event['train_instances']} labelled instances to learn from"
    if event.get("input_size"):
        text += f", input {'x'.join(map(str, event['input_size']))}"
    if event.get("out_dir"):
        text += f" -> {event['out_dir']}"
    return text


def _val_text(val: dict[str, Any]) -> str:
    """An epoch's validation figures in words: per task (median Dice, else mIoU) for the mask
    trainers, the mean accuracy for the attribute heads (flat figures)."""
    per_task = [
        f"{task} {_num(fig.get('median_dice', fig.get('miou')))}"
        for task, fig in val.items()
        if isinstance(fig, dict)
    ]
    if per_task:
        return "  ".join(per_task)
    if "mean_accuracy" in val:
        return f"mean accuracy {_num(val['mean_accuracy'])} ({val.get('val_instances', '?')} instances)"
    return "?"


def _done_text(event: dict[str, Any]) -> str:
    """The ``done`` event in words: the model file, its version and the comparison."""
    lines = [f"model: {event['model_path']}"]
    if isinstance(event.get("version"), int):  # a project's registry number
        promoted = "promoted" if event.get("promoted") else "not promoted"
        lines.append(f"registered as version {event['version']} ({promoted})")
    elif event.get("version") is not None:  # a folder run: the model's own version, nothing registered
        lines.append(f"model version {event['version']}")
    comparison = event.get("comparison") or {}
    paired = comparison.get("paired") or {}
    if paired.get("n"):
        lines.append(_paired_text(paired, event))
    lines += _comparison_notes(comparison, bool(event.get("refit")))
    for side in ("new", "current", "background"):
        figures = comparison.get(side)
        if isinstance(figures, dict):
            shown = ", ".join(
                f"{k} {v:.4f}" for k, v in figures.items() if isinstance(v, float)
            )
            label = "new (before refit)" if side == "new" and event.get("refit") else side
            lines.append(f"{label}: {shown}")
    return "\n".join(lines)


def _paired_text(paired: dict[str, Any], event: dict[str, Any]) -> str:
    """How the new model fares against the current one photo by photo, and the promotion's
    verdict only when ``--promote-if-better`` asked for one (``event["promote_if_better"]``).

    Parameters
    ----------
    paired : dict
        The comparison's ``paired`` figures (``n``, ``better``, ``worse``).
    event : dict
        The ``done`` event.

    Returns
    -------
    str
        One line.
    """
    text = (f"against the current model on the same {paired['n']} val photos: better on "
            f"{paired['better']}, worse on {paired['worse']}")  # fmt: skip
    if not event.get("promote_if_better"):
        return text
    if event.get("promoted"):
        return f"{text}: promoted"
    return (f"{text}: not promoted (a promotion needs {PROMOTE_MARGIN:g} more and more better "
            "than worse)")  # fmt: skip


def _comparison_notes(comparison: dict[str, Any], refit: bool) -> list[str]:
    """What the comparison's figures are, as the Retrain dialog says it: val photos left out or
    seen by the current model in training, the trainer's ``figures_of`` and, after a refit, that
    the new figures are those of the weights before it.

    Parameters
    ----------
    comparison : dict
        The ``done`` event's ``comparison``.
    refit : bool
        Whether the registered weights were trained again on every mask after the scoring.

    Returns
    -------
    list of str
        The lines to print, none when the comparison says nothing of the kind.
    """
    notes = []
    if comparison.get("left_out"):
        notes.append(f"{comparison['left_out']} val photos left out of the comparison: the current "
                     "model trained on them")  # fmt: skip
    if comparison.get("current_trained_on"):
        notes.append(f"the current model trained on {comparison['current_trained_on']} of these "
                     f"{comparison.get('images', '?')} val photos (too few unseen ones to leave them out), "
                     "which favours it")  # fmt: skip
    if comparison.get("figures_of"):
        notes.append(f"figures: {comparison['figures_of']}")
    if refit:
        notes.append("new: measured before its refit on every mask; the registered weights then "
                     "trained on these val photos too")  # fmt: skip
    return notes


def _error(report: Reporter, message: str, status: int) -> int:
    """Report an error: a JSON ``error`` event when asked for, and always a line on stderr.

    Its secrets are masked (:func:`~fashion_annotator.runtime.logs.redact`): a retrain the
    window started has its server project's password in ``--project`` (taken from
    ``FA_PROJECT_URL``), and an error naming the project reached the Retrain dialog with it.
    """
    message = redact(message)
    if report.json_lines:
        report({"event": "error", "message": message})
    print(f"{PROG} train: error: {message}", file=sys.stderr)
    return status


def _num(value: float | None) -> str:
    return "?" if value is None else f"{value:.4f}"


def _finite(obj: Any) -> Any:
    """``obj`` with NaN and infinite floats replaced by None (valid JSON: ``null``)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    if hasattr(obj, "tolist"):
        return _finite(obj.tolist())
    return obj


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def main(args: argparse.Namespace) -> int:
    """Train as the parsed options say; exit status 0 done, 1 bad data, 2 bad usage, 143 cancelled
    (SIGTERM, or the window that started it gone)."""
    from fashion_annotator.dataset.records import ProjectError
    from fashion_annotator.runtime.child import watch_parent
    from training.loop import TrainingCancelled
    from training.runner import run
    from training.staging import on_sigterm

    report = Reporter(args.json_progress)
    try:
        request = TrainRequest.from_args(args)
    except ValueError as exc:
        return _error(report, str(exc), EXIT_USAGE)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, on_sigterm(stop))  # at once until the model is published
    watch_parent(stop)  # a retrain the window started ends with the window
    try:
        done = run(request, report, stop.is_set)
    except TrainingCancelled:
        with contextlib.suppress(BrokenPipeError):  # the window that asked is gone
            report({"event": "cancelled"})
        return EXIT_TERMINATED
    except (ValueError, OSError, ProjectError, RuntimeError) as exc:  # OSError: --out a file, a full disk
        if stop.is_set():  # the stop, raised inside a library that turned it into its own error
            with contextlib.suppress(BrokenPipeError):
                report({"event": "cancelled"})
            return EXIT_TERMINATED
        return _error(report, str(exc), EXIT_ERROR)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if done:
        report(done)
    return EXIT_OK
