"""Smart click's model: loaded once per file, and warmed up in the background (no Qt here).

The first click of a session waited for the click model: loaded on first use (about 0.9 s)
and torch's first run at each input size (0.6-2.4 s more;
:mod:`fashion_annotator.segmentation.click_warmup`). :class:`ClickWarmup` does both on a
thread of its own when the view asks (the Smart-click tool chosen with a photo shown, a photo
opened under it), so the click finds the model loaded and its sizes run.

What keeps it from ever holding up the window, a test or the process:

- the thread touches no Qt object and never waits on the GUI thread: it loads through
  :func:`shared_click_predictor` and runs the network under :func:`network_lock`, both plain
  locks; a click that comes meanwhile waits for the load or the one network run in progress
  (less than it would take itself) and then uses the warmed model, never a second copy;
- :meth:`ClickWarmup.shutdown` (the window's close, a project switch among them) cancels it and
  returns at once: the thread stops before its next step (a step is one load or one run) and
  its result is dropped (the warm-up is not marked done). A model it was loading still lands in
  :func:`shared_click_predictor`'s cache, under its file's path: a window on another project
  asks for its own project's model file, never for that one (the shipped model is one file for
  all). :func:`stop_warmups` (test teardown) cancels and joins every warm-up thread;
- a missing or damaged model file, or any failure of the run, ends the warm-up silently: the
  click reports the model as it always did;
- it is a plain, non-daemon thread, started only on request: nothing starts at import or with
  the window, and the interpreter waits for one still running at exit.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Click models kept loaded: windows on different projects (each with its own active click
#: model) click in one process without reloading each other's model.
KEEP_LOADED = 4


class SharedPredictors:
    """The click predictor of each model file, loaded once (None when the file is unusable).

    A load of one file is done by one thread at a time: a click during the warm-up's load waits
    for it and gets the same predictor. Called as ``shared_click_predictor(path)``.
    """

    def __init__(self, keep: int = KEEP_LOADED) -> None:
        self._keep = keep
        self._loaded: OrderedDict[str | None, Any] = OrderedDict()
        self._loading: dict[str | None, threading.Lock] = {}
        self._guard = threading.Lock()

    def __call__(self, path: str | None = None) -> Any:
        """The predictor of ``path`` (None: the shipped model), or None when unusable."""
        with self._guard:
            if path in self._loaded:
                self._loaded.move_to_end(path)
                return self._loaded[path]
            lock = self._loading.setdefault(path, threading.Lock())
        with lock:  # one load per file; the others wait for it
            with self._guard:
                if path in self._loaded:
                    return self._loaded[path]
            predictor = _load(path)
            with self._guard:
                self._loaded[path] = predictor
                while len(self._loaded) > self._keep:
                    self._loaded.popitem(last=False)
                self._loading.pop(path, None)
        return predictor

    def loaded(self, path: str | None = None) -> bool:
        """Whether the model of ``path`` is loaded (or known unusable), without loading it."""
        with self._guard:
            return path in self._loaded

    def cache_clear(self) -> None:
        """Forget every loaded model (tests)."""
        with self._guard:
            self._loaded.clear()


def _load(path: str | None) -> Any:
    from fashion_annotator.models.threads import interactive_threads
    from fashion_annotator.models.weights import ModelFileError
    from fashion_annotator.segmentation.clicks import ClickPredictor

    try:  # few threads: a click stays fast beside busy processes
        return ClickPredictor(Path(path) if path else None, threads=interactive_threads())
    except (ModelFileError, OSError):
        return None


shared_click_predictor = SharedPredictors()

_network_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_network_locks_guard = threading.Lock()


@contextmanager
def network_lock(predictor: Any) -> Iterator[None]:
    """Hold ``predictor``'s network: one run at a time, a click's or the warm-up's."""
    try:
        with _network_locks_guard:
            lock = _network_locks.setdefault(predictor, threading.Lock())
    except TypeError:  # a stand-in predictor without weak references: nothing to share
        yield
        return
    with lock:
        yield


#: Each loaded predictor's input sizes run so far, by any warm-up: torch's state is the process's.
_warmed: weakref.WeakKeyDictionary[Any, list[tuple[int, int]]] = weakref.WeakKeyDictionary()
_warmed_guard = threading.Lock()


def warmed_sizes(predictor: Any) -> list[tuple[int, int]]:
    """The input sizes ``(h, w)`` a warm-up has run ``predictor``'s network at, in order."""
    try:
        return list(_warmed.get(predictor, ()))
    except TypeError:  # a stand-in predictor without weak references
        return []


class ClickWarmup:
    """Loads a click model and runs it once at each input size a click uses, on its own thread.

    One per view (the canvas); :meth:`request` names the model by its path and gives the
    callable that loads it, the tool's own :meth:`~.smartclick.SmartClickTool.predictor`, so
    the warm-up warms what the click will use.
    """

    def __init__(self) -> None:
        self._threads: list[tuple[threading.Thread, threading.Event]] = []
        self._path: str | None = None
        self._done: set[str | None] = set()

    @property
    def running(self) -> bool:
        """Whether a warm-up thread of this view is still at work."""
        return any(thread.is_alive() for thread, _stop in self._threads)

    def done(self, path: str | None) -> bool:
        """Whether a warm-up of ``path``'s model ran to its end (or found no usable model)."""
        return path in self._done and not (self.running and self._path == path)

    def request(self, path: str | None, load: Callable[[], Any]) -> None:
        """Warm up the model of ``path`` (None: the shipped one), loaded by ``load()``, unless it
        is, or is being, warmed. Returns at once; a warm-up of another model still running is
        cancelled (it ends after its current step, on its own thread)."""
        if self.running and self._path == path or path in self._done:
            return
        self.cancel()
        self._threads = [(t, s) for t, s in self._threads if t.is_alive()]
        stop = threading.Event()
        self._path = path
        done = self._done

        def finished() -> None:
            done.add(path)

        thread = threading.Thread(target=_warm, args=(load, stop, finished), name="click-warmup", daemon=False)
        self._threads.append((thread, stop))
        _track(thread, stop)
        thread.start()

    def cancel(self) -> None:
        """Ask the warm-up to stop before its next step (returns at once)."""
        for _thread, stop in self._threads:
            stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the warm-up threads to end; True when none runs any more."""
        for thread, _stop in list(self._threads):
            thread.join(timeout)
        return not self.running

    def shutdown(self) -> None:
        """Cancel the warm-up and return at once: the step in progress ends on its thread, its
        result dropped, and nothing runs after it (the interpreter joins the thread at exit)."""
        self.cancel()


def _warm(load: Callable[[], Any], stop: threading.Event, finished: Callable[[], None]) -> None:
    """The warm-up thread: load, run each size not run yet, then call ``finished`` unless stopped."""
    try:
        if stop.is_set():
            return
        predictor = load()
        if predictor is not None:  # None: the click says what is wrong with the file
            from fashion_annotator.segmentation.click_warmup import warm_up

            with _warmed_guard:
                sizes = _warmed.setdefault(predictor, [])
            for size in warm_up(predictor, stop.is_set, lambda: network_lock(predictor), list(sizes)):
                if size not in sizes:
                    sizes.append(size)
        if not stop.is_set():
            finished()
    except Exception:  # noqa: BLE001 - silent: the click reports a model that fails
        log.debug("click model warm-up failed", exc_info=True)


#: Every warm-up thread started and its stop flag, whoever owned it (a view may be gone).
_started: list[tuple[threading.Thread, threading.Event]] = []
_started_guard = threading.Lock()


def _track(thread: threading.Thread, stop: threading.Event) -> None:
    with _started_guard:
        _started[:] = [(t, s) for t, s in _started if t.is_alive()]
        _started.append((thread, stop))


def stop_warmups() -> None:
    """Cancel and join every warm-up thread of the process (test teardown, the end of a run)."""
    with _started_guard:
        started = list(_started)
    for _thread, stop in started:
        stop.set()
    for thread, _stop in started:
        thread.join()
