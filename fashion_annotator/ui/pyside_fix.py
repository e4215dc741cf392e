"""Work around a reference-count bug in PySide6's ``SignalInstance.emit``.

PySide6 6.12 on CPython < 3.12 returns ``True`` from ``emit()`` without a new reference, so
every emit from Python drops one reference to ``True``. A session that moves the mouse a few
thousand times (one ``cursorMoved`` emit per move) deallocates ``True`` and the interpreter
aborts with "Fatal Python error: bool_dealloc". :func:`install` probes for the bug once and,
only where it is present, wraps ``emit`` to give the missing reference back. Importing this
module installs the fix; it is idempotent and a no-op on fixed PySide versions and on
interpreters with immortal booleans.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal, SignalInstance

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None
_PROBES = 16


class _Probe(QObject):
    ping = Signal()


def emit_leaks_true() -> bool:
    """Whether ``SignalInstance.emit`` currently drops a reference to ``True`` per call."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBES):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    for _ in range(max(lost, 0)):
        _incref(True)
    return lost >= _PROBES


def install() -> bool:
    """Patch ``SignalInstance.emit`` if it leaks; return True when the patch is active."""
    if getattr(SignalInstance.emit, "_fa_refcount_fix", False):
        return True
    if not emit_leaks_true():
        return False
    original = SignalInstance.emit

    def emit(self, *args):
        result = original(self, *args)
        if result is True:
            _incref(result)
        return result

    emit._fa_refcount_fix = True  # type: ignore[attr-defined]
    SignalInstance.emit = emit
    return True


ACTIVE = install()
