"""Where a mask run writes its models until they are finished, and a SIGTERM that stops it at once.

A run's models are written under an unfinished name (:func:`staged_models`) and moved to their
finished names by :func:`publish`. Until then nothing a run wrote is a model anyone takes (the
staged files are removed on any exception, each other file is written through
:func:`~fashion_annotator.core.atomic.atomic_path`), so a SIGTERM may stop the run anywhere
before it: :func:`on_sigterm` raises :class:`~training.loop.TrainingCancelled` at once while the
run is :func:`interruptible` (loading the photos, scoring the val photos, a step), where polling
``cancelled`` only between steps left a window closing during a val scoring waiting for all of it
(3.5 s after one step of a tiny model on 8 photos, the whole scoring on a large project).
:func:`publish` ends that: from there on a SIGTERM only sets the flag the run polls, and a run
that got past its last poll finishes (publishes and registers) whole.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from fashion_annotator.core.atomic import fsync_dir
from fashion_annotator.models.weights import meta_path

#: What a run's model files are named until the run is complete (exported, scored, refitted):
#: ``garment.unfinished.safetensors`` and ``garment.unfinished.json``.
UNFINISHED = "unfinished"

_interruptible = threading.Event()


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Let a SIGTERM stop the run at once inside the block, until :func:`publish` starts."""
    _interruptible.set()
    try:
        yield
    finally:
        _interruptible.clear()


def on_sigterm(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    """A SIGTERM handler: set ``stop`` (the flag the run polls) and, while the run is
    :func:`interruptible`, raise :class:`~training.loop.TrainingCancelled` where it is."""

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        if _interruptible.is_set():
            _interruptible.clear()  # raised once: the unwinding is not interrupted again
            from training.loop import TrainingCancelled

            raise TrainingCancelled

    return handle


@contextlib.contextmanager
def staged_models(out_dir: Path, tasks: list[str]) -> Iterator[dict[str, Path]]:
    """Yield where the run writes each task's model until :func:`publish` names it finished.

    A run stopped before that (Ctrl+C during the refit, an error, a cancel) removes what it
    wrote there: ``OUT/<task>.safetensors`` is never a half-done run's model (an interrupted
    ``--refit`` left the held-out model there, complete-looking, for a pipeline to take). The
    checkpoint stays for ``--resume``.
    """
    staged = {task: out_dir / f"{task}.{UNFINISHED}.safetensors" for task in tasks}
    try:
        yield staged
    finally:
        for path in staged.values():
            path.unlink(missing_ok=True)
            meta_path(path).unlink(missing_ok=True)


def publish(staged: dict[str, Path]) -> dict[str, Path]:
    """Move each staged model to its finished name (``<task>.safetensors``); return those paths.

    A SIGTERM no longer interrupts the run from here on (:func:`interruptible`). The meta goes
    first and the weights last: a reader that finds the weights finds their meta.
    """
    _interruptible.clear()
    finished = {}
    for task, path in staged.items():
        final = path.with_name(f"{task}.safetensors")
        os.replace(meta_path(path), meta_path(final))
        os.replace(path, final)
        finished[task] = final
    for folder in {p.parent for p in finished.values()}:
        fsync_dir(folder)
    return finished
