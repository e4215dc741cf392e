"""Thread pools a closed window lets go of: kept alive, off the GUI thread's way, until idle.

A :class:`QThreadPool` destroyed while a job runs waits for that job (its destructor calls
``waitForDone``), and a step such as torch's import, a model's load, Felzenszwalb superpixels
or a photo's decode cannot be interrupted. A window deleted with its pools (replaced by another
project's window through File > Open, or at exit) froze the GUI thread until that step ended:
seconds, the new window included.

:func:`let_go` takes the objects holding the pools (and the relays their jobs still emit to)
away from their Qt parents and keeps them in a module-level list; a single-shot timer in the GUI
thread deletes them there once every pool among them is idle, so nothing is ever destroyed in a
worker thread. At interpreter exit :func:`drain` (registered with :mod:`atexit`) waits for the
steps still running, the GIL released, then deletes what was kept: the process ends cleanly,
after the current step and no later.
"""

from __future__ import annotations

import atexit
import weakref
from collections.abc import Sequence

from PySide6.QtCore import QObject, QThreadPool, QTimer
from shiboken6 import delete, isValid

#: How often the GUI thread looks whether the pools let go of are idle (ms).
POLL_MS = 100

#: What :func:`let_go` keeps: the objects of each call, deleted in their order once idle.
_kept: list[list[QObject]] = []
_polling: list[bool] = [False]


def _pools(objects: Sequence[QObject]) -> list[QThreadPool]:
    """The thread pools among ``objects`` and their descendants (valid ones only)."""
    found: list[QThreadPool] = []
    for obj in objects:
        if not isValid(obj):
            continue
        if isinstance(obj, QThreadPool):
            found.append(obj)
        found.extend(obj.findChildren(QThreadPool))
    return found


def _idle(objects: Sequence[QObject]) -> bool:
    return all(pool.activeThreadCount() == 0 for pool in _pools(objects))


def let_go(objects: Sequence[QObject]) -> None:
    """Detach ``objects`` (GUI thread) from their parents and keep them until every
    :class:`QThreadPool` among them or under them is idle, then delete them, in the given order,
    in the GUI thread. Their queued jobs are dropped (``clear``); a running one ends its step,
    and whatever its relay emits then reaches only what is still connected."""
    objects = [obj for obj in objects if isValid(obj)]
    for pool in _pools(objects):
        pool.clear()
    for obj in objects:
        obj.setParent(None)
    _kept.append(objects)
    _release_idle()


def pending() -> int:
    """How many :func:`let_go` calls still wait for a running job."""
    return len(_kept)


def wait(msecs: int = -1) -> bool:
    """Wait (the GIL released) for every pool let go of to be idle, then delete what was kept
    (GUI thread); True when none was left busy (``msecs`` per pool, -1: no limit)."""
    done = all(pool.waitForDone(msecs) for objects in list(_kept) for pool in _pools(objects))
    _release_idle()
    return done


def _release_idle() -> None:
    """Delete what is idle now; look again in :data:`POLL_MS` while anything is still busy."""
    for objects in [o for o in _kept if _idle(o)]:
        _kept.remove(objects)
        for obj in objects:
            if isValid(obj):
                delete(obj)
    if _kept and not _polling[0]:
        _polling[0] = True
        QTimer.singleShot(POLL_MS, _poll)


def _poll() -> None:
    _polling[0] = False
    _release_idle()


def drain() -> None:
    """At exit: wait for the steps still running (no later ones start), then delete what was kept."""
    wait()
    _kept.clear()


def _no_op() -> None:
    """The callback of the finalizer made below (it has nothing to do)."""


#: :class:`weakref.finalize` runs the finalizers still pending at exit from one atexit hook,
#: registered when the first finalizer is made; torch's import makes its first ones. Imported in
#: a worker while the app quits, torch registered that hook during the exit, too late to run, and
#: its finalizers ran in the interpreter's teardown instead, printing "Exception ignored ...
#: TypeError: 'NoneType' object is not callable". A finalizer made here registers the hook before
#: :func:`drain`, so that (atexit runs the last registered first) the drain waits for such an
#: import and the hook then finalizes what it made.
_hook_first = weakref.finalize(_no_op, _no_op)
atexit.register(drain)
