"""Quit the window on SIGTERM, SIGHUP and SIGINT as Ctrl+Q does: edits saved, a retrain cancelled.

A desktop logout or ``kill`` (SIGTERM), the terminal closed (SIGHUP) and Ctrl+C in it (SIGINT)
used to end the window at once (SIGTERM, SIGHUP: the open image unsaved, its lease held until
it expired) or not at all (SIGINT: a ``KeyboardInterrupt`` traceback printed from whatever slot
ran next, the window left open). Python runs a signal handler only between two bytecodes, which
the Qt event loop never executes while it waits; :func:`signal.set_wakeup_fd` writes each
signal to a socket that a :class:`~PySide6.QtCore.QSocketNotifier` watches, so the handler runs
at once. The handler only schedules the quit: the close itself runs from the event loop, never
in the middle of the code the signal interrupted. Nobody may be there to answer a question, so
the close asks none (a running retrain is cancelled cleanly; edits a save refused stay in the
recovery journal), then the process ends with ``128 + signal``. A second signal ends it at
once, unless it comes within :data:`REPEAT_GRACE_S` of the first: a logout sends SIGHUP right
after SIGTERM (systemd's ``SendSIGHUP``) and an impatient Ctrl+C comes twice, and either cut the
save short (the edits left to the journal, the lease held). A signal that was ignored when the window started (``nohup``: SIGHUP; a job started in
the background of a script: SIGINT) stays ignored.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

if TYPE_CHECKING:
    from fashion_annotator.ui.main_window import MainWindow

log = logging.getLogger(__name__)

#: The signals that quit the window as Ctrl+Q does (Windows has no SIGHUP).
QUIT_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name)
)

#: Seconds after the first signal during which another one is taken as part of the same quit
#: (a logout's SIGTERM + SIGHUP, Ctrl+C pressed twice), not as "stop waiting".
REPEAT_GRACE_S = 5.0


def end_process(status: int) -> None:
    """Flush the log, then end the process with ``status`` at once (:func:`os._exit`: the code
    that was running, a modal dialog's included, is not returned to)."""
    logging.shutdown()
    os._exit(status)


class QuitOnSignals(QObject):
    """Close the open window (saving, asking nothing) when a :data:`QUIT_SIGNALS` arrives.

    Parameters
    ----------
    window_of : callable
        Returns the window open now (None: none).
    end : callable, optional
        Ends the process with the status it is given (default :func:`end_process`); tests pass
        their own.
    """

    def __init__(self, window_of: Callable[[], MainWindow | None],
                 end: Callable[[int], object] = end_process) -> None:  # fmt: skip
        super().__init__()
        self.window_of = window_of
        self.end = end
        self.received: int | None = None
        self._received_at = 0.0
        self._ended = False
        self._end_lock = threading.Lock()
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._wakeup = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous: dict[int, object] = {}
        for signum in QUIT_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                self._previous[signum] = signal.signal(signum, self._handle)

    def stop(self) -> None:
        """Give the signals back to the handlers they had before."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()
        signal.set_wakeup_fd(self._wakeup)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()

    def _drain(self) -> None:
        """Empty the wake-up socket (the handler already ran before this slot)."""
        try:
            while self._reader.recv(64):
                pass
        except OSError:  # nothing left to read
            pass

    def _handle(self, signum: int, _frame: object) -> None:
        if self.received is not None:
            if time.monotonic() - self._received_at < REPEAT_GRACE_S:  # the same quit, asked again
                log.warning("signal %d while quitting: the save goes on", signum)
                return
            log.warning("signal %d while quitting: ending at once", signum)  # no more waiting
            self._end(128 + signum)
            return
        self.received = signum
        self._received_at = time.monotonic()
        QTimer.singleShot(0, self.quit)
        threading.Thread(target=self._watch, name="quit-signal-watch", daemon=True).start()

    def _watch(self) -> None:
        """While the quit runs, end the process on a signal after :data:`REPEAT_GRACE_S` even
        when the GUI thread waits in Qt (a file job's ``QThread.wait``, a trainer's
        ``waitForFinished``): no Python handler runs there until that wait returns, but every
        signal still writes its number to the wake-up socket, read here."""
        while not self._ended:
            try:
                ready, _, _ = select.select([self._reader], [], [], 1.0)
                if not ready:
                    continue
                data = self._reader.recv(64)
            except BlockingIOError:  # the GUI thread drained it: its own handler runs
                continue
            except (OSError, ValueError):  # stop() closed the socket
                return
            if not data:
                return
            if time.monotonic() - self._received_at >= REPEAT_GRACE_S:
                log.warning("signal %d while quitting: ending at once", data[-1])
                self._end(128 + data[-1])
                return

    def _end(self, status: int) -> None:
        """Call :attr:`end` once (the GUI thread and :meth:`_watch` may both get there)."""
        with self._end_lock:
            if self._ended:
                return
            self._ended = True
        self.end(status)

    def quit(self) -> None:
        """Close the open window without questions, then end with ``128 + signal``."""
        signum = self.received or signal.SIGTERM
        log.warning("%s received: saving and quitting", signal.Signals(signum).name)
        try:
            window = self.window_of()
            if window is not None:
                close_unasked(window)
        except Exception:  # the journal still holds the edits: end anyway
            log.exception("closing the window on %s failed", signal.Signals(signum).name)
        self._end(128 + signum)


def close_unasked(window: MainWindow) -> bool:
    """Close ``window`` as Ctrl+Q does, answering its questions with yes (stop a retrain,
    quit although a save failed: the edits stay in the recovery journal); its project is
    closed too. Returns whether the window closed."""
    window.ask_stop = lambda _message: True
    window.ask_quit = lambda _message: True
    closed = window.close()
    if closed:
        window.project.close()
    return closed
