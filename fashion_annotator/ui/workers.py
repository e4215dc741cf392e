"""Background work for the open image: its full pixels, model proposals and superpixels.

Each job runs a plain function (numpy in, numpy out) on a :class:`QThreadPool`. A job carries
the image id and the *generation* it was started in; :meth:`ImageJobs.next_generation` is
called whenever the operator opens another image (or reloads a model), and a result whose
generation is not the current one is dropped, so a slow proposal for an image the operator has
already left never lands on the wrong document. Jobs that have not started when they become
stale are skipped without running.

Each kind of job has its own pool of one thread: proposals share one torch predictor, which is
not re-entrant, and one superpixel computation at a time keeps the second CPU core free for
the interface.

:meth:`ImageJobs.shutdown` (the window closes) waits for none of them: the running jobs' results
are dropped, and a job that writes into the project does so inside :meth:`ImageJobs.writing`,
which writes nothing once shut down (and which shutdown waits for while a write is under way).
A job the submitter can stop (a proposal, :meth:`.ProposalSource.cancel`) ends at its next step;
an exception it raises after shutdown is not an error. Shutdown also lets go of the pools and of
the relay their jobs emit to (:func:`.detached_pools.let_go`): the window's deletion (another
project opened, or the exit) no longer waits for a step that cannot be interrupted (a model's
load, superpixels, a photo's decode); they are deleted in the GUI thread once idle. Until then
the pools are children of a holder made before the relay that carries the results, so an
:class:`ImageJobs` destroyed without a shutdown (Qt deletes children in creation order) waits for
its running jobs while the relay still exists; a job whose relay is gone all the same drops its
result instead of raising in the worker thread.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal
from shiboken6 import isValid

from fashion_annotator.ui import detached_pools

log = logging.getLogger(__name__)

PROPOSAL = "proposal"
SUPERPIXELS = "superpixels"
PHOTO = "photo"


@dataclass(frozen=True)
class JobResult:
    """What a finished job hands back to the window.

    Attributes
    ----------
    kind : str
        ``"proposal"``, ``"superpixels"``, or any name given to :meth:`ImageJobs.submit`.
    image_id : int
        The image the job was computed for.
    generation : int
        The generation the job was submitted in.
    key : object
        Free tag of the submitter, e.g. the task of a proposal.
    value : object
        The function's return value.
    """

    kind: str
    image_id: int
    generation: int
    key: Any
    value: Any


class _Relay(QObject):
    # Lives in the GUI thread; a signal emitted from the pool thread is queued to it.
    done = Signal(object, object)


class _Job(QRunnable):
    def __init__(
        self,
        relay: _Relay,
        is_current: Callable[[int], bool],
        shut: threading.Event,
        result: JobResult,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
    ) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._relay = relay
        self._is_current = is_current
        self._shut = shut
        self._result = result
        self._fn = fn
        self._args = args

    def run(self) -> None:
        try:
            self._run()
        finally:
            # PySide may keep this wrapper alive after Qt deleted the runnable: it must not
            # keep the photo and region arrays of every image visited (about 1 MB a step).
            self._fn = self._args = None  # type: ignore[assignment]

    def _run(self) -> None:
        job = self._result
        if not self._is_current(job.generation):
            self._emit(job, None)
            return
        try:
            value = self._fn(*self._args)
        except Exception as exc:  # noqa: BLE001 - reported to the window, never lost in a thread
            if self._shut.is_set():  # stopped by its submitter as the window closed: no error
                log.debug("%s job for image %s abandoned at shutdown: %r", job.kind, job.image_id, exc)
                self._emit(job, None)
                return
            message = f"{type(exc).__name__}: {exc}"
            detail = traceback.format_exc()
            self._emit(job, (message, detail))
            return
        self._emit(JobResult(job.kind, job.image_id, job.generation, job.key, value), None)

    def _emit(self, result: JobResult, error: tuple[str, str] | None) -> None:
        # The owner was destroyed: nobody is left to receive the result.
        if isValid(self._relay):
            self._relay.done.emit(result, error)


class ImageJobs(QObject):
    """Runs the background jobs of the open image and drops stale results.

    Signals
    -------
    finished(JobResult)
        A job of the current generation succeeded.
    failed(str, int, object, str)
        ``kind, image_id, key, message`` of a current-generation job that raised.
    busyChanged(bool)
        True while any job is queued or running.
    settled(JobResult)
        Any job ended, whatever its generation (before shutdown): its value, None when it
        raised or was skipped as stale before it started.
    """

    finished = Signal(object)
    failed = Signal(str, int, object, str)
    busyChanged = Signal(bool)
    settled = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._pending = 0
        self._dropped = 0
        self._pools: dict[str, QThreadPool] = {}
        self._shut = threading.Event()
        self._write_lock = threading.Lock()
        # Created before the relay, so destroyed (waiting for the running jobs) before it.
        self._pool_holder = QObject(self)
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)

    @property
    def generation(self) -> int:
        """The current generation; results of older ones are dropped."""
        return self._generation

    @property
    def busy(self) -> bool:
        """Whether any job is queued or running."""
        return self._pending > 0

    @property
    def dropped(self) -> int:
        """How many stale results have been dropped so far."""
        return self._dropped

    def next_generation(self) -> int:
        """Start a new generation (the operator moved on) and return it."""
        self._generation += 1
        return self._generation

    def is_current(self, generation: int) -> bool:
        """Whether ``generation`` is still the current one (safe from any thread)."""
        return generation == self._generation

    def submit(
        self, kind: str, image_id: int, fn: Callable[..., Any], *args: Any, key: Any = None
    ) -> None:
        """Run ``fn(*args)`` in the background for ``image_id`` in the current generation
        (nothing runs once :meth:`shutdown` ran)."""
        if self._shut.is_set():
            log.debug("%s job for image %s not started: the jobs were shut down", kind, image_id)
            return
        pool = self._pools.get(kind)
        if pool is None:
            pool = QThreadPool(self._pool_holder)
            pool.setMaxThreadCount(1)
            self._pools[kind] = pool
        tag = JobResult(kind, image_id, self._generation, key, None)
        self._pending += 1
        if self._pending == 1:
            self.busyChanged.emit(True)
        pool.start(_Job(self._relay, self.is_current, self._shut, tag, fn, args))

    def wait(self, msecs: int = -1) -> bool:
        """Block until every pool is idle (tests); True when they all finished (a pool let go of
        and deleted since was idle)."""
        return all(pool.waitForDone(msecs) for pool in self._pools.values() if isValid(pool))

    @contextlib.contextmanager
    def writing(self) -> Iterator[bool]:
        """Around a job's writes into the project (in its worker thread): yields False once
        :meth:`shutdown` ran, and then the job must write nothing; :meth:`shutdown` waits for a
        write under way (the writes after the work, milliseconds), never for the work."""
        with self._write_lock:
            yield not self._shut.is_set()

    def shutdown(self) -> None:
        """Drop every pending result and the queued jobs, and return at once: a running job
        goes on in its thread until it ends (or its submitter stops it), its result dropped,
        and writes nothing into the project from now on (:meth:`writing`). The pools and the
        relay are let go of (:func:`.detached_pools.let_go`): deleting this object or its window
        never waits for a running step."""
        self.next_generation()
        with self._write_lock:  # a write under way ends first; none starts after
            if self._shut.is_set():
                return
            self._shut.set()
        detached_pools.let_go([self._pool_holder, self._relay])  # the pools deleted first, once idle
        if self._pending:
            self._pending = 0
            self.busyChanged.emit(False)

    def _on_done(self, job: JobResult, error: tuple[str, str] | None) -> None:
        if self._shut.is_set():  # a job that ran on after shutdown: nobody waits for it
            self._dropped += 1
            return
        self._pending = max(0, self._pending - 1)
        if error is not None:  # the window shows one line; support needs the traceback
            log.error("%s job for image %s failed\n%s", job.kind, job.image_id, error[1])
        self.settled.emit(job)
        if not self.is_current(job.generation):
            self._dropped += 1
        elif error is not None:
            self.failed.emit(job.kind, job.image_id, job.key, error[0])
        else:
            self.finished.emit(job)
        if self._pending == 0:
            self.busyChanged.emit(False)


class CancellableThread(QThread):
    """A thread that :meth:`cancel` asks to stop at its next step: the work polls
    ``self._stop.is_set`` (a :class:`threading.Event`, safe to set from the GUI thread)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop before its next step."""
        self._stop.set()

    @property
    def was_cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._stop.is_set()


class Stopped(Exception):
    """Raised from a :class:`ProjectThread`'s progress callback once the thread was cancelled."""


class ProjectThread(CancellableThread):
    """A thread working on its own connection to the project ``root`` (a folder or URL; an
    SQLite connection belongs to the thread that made it), for ``task`` and ``user``;
    :meth:`cancel` asks it to stop at its next step: :meth:`_progress`, given to the work as its
    progress callback, raises :class:`Stopped` then.

    Signals: ``progress(done, total)``, ``failed(message)``.
    """

    progress = Signal(int, int)
    failed = Signal(str)

    def __init__(self, root: Any, task: str, user: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.root = root
        self.task = task
        self.user = user

    def _progress(self, done: int, total: int) -> None:
        """Say how far the work is; raise :class:`Stopped` once cancelled."""
        if self._stop.is_set():
            raise Stopped
        self.progress.emit(done, total)

    def _on_project(self, work: Callable[[Any], Any], doing: str) -> tuple[bool, Any]:
        """``(True, work(project))`` on a connection of the thread's own; ``(False, None)`` when
        cancelled or when the work raised (logged with its traceback, ``failed`` emitted with
        one line: ``doing`` says what failed, e.g. "scoring")."""
        from fashion_annotator.dataset.store import open_project

        try:
            with open_project(self.root, user=self.user) as project:
                return True, work(project)
        except Stopped:
            return False, None
        except Exception as exc:  # noqa: BLE001 - shown to the user, never lost in a thread
            logging.getLogger(type(self).__module__).exception(  # logged as the thread's module
                "%s the %s masks of %s failed", doing, self.task, self.root
            )
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return False, None
