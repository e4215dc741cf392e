"""The GUI side of crash handling: a dialog that says where the traceback was saved.

:func:`install_crash_dialog` routes uncaught exceptions (main thread and worker threads) through
:func:`fashion_annotator.runtime.logs.install_excepthook`, which logs the traceback first; the
dialog is then shown from the GUI thread, non-blocking, so the window keeps running.

The same error again while its dialog is open (a timer that raises at every tick) counts in that
dialog instead of opening another: one a tick buried the window under hundreds of them; once
the operator closed it, the same error opens no dialog for :data:`QUIET_S` seconds (the log
still counts it). An error is known by :func:`~fashion_annotator.runtime.logs.traceback_key`
(where it was raised and its type): a message naming a counter opened one dialog an error
(three at once, the rest lost). At most :data:`MAX_OPEN` dialogs are open at once. A dialog that cannot be shown is written to the log,
never raised again: its own exception came back to it, and so on without end.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from fashion_annotator.runtime.logs import install_excepthook, traceback_key

TITLE = "Fashion Annotator: unexpected error"
#: Most crash dialogs open at once; later errors are in the log file only.
MAX_OPEN = 3
#: Seconds after the operator closed an error's dialog during which that error opens none.
QUIET_S = 600.0

log = logging.getLogger(__name__)

#: The open dialogs by :func:`traceback_key`, with how many times that error happened.
_open_boxes: dict[str, tuple[QMessageBox, list[int]]] = {}
#: When the operator closed each error's dialog (``time.monotonic``).
_closed_at: dict[str, float] = {}
#: PySide wraps an exception raised in a virtual method once for each one it went through.
_WRAPPED = re.compile(r"Error calling Python override of [\w:]+\(\): ")


def crash_message(traceback_text: str, log_file: Path | None, times: int = 1) -> str:
    """The dialog's text: the error's last line (without PySide's "Error calling Python
    override of ..." wrappers, which hid it) and where the full traceback is."""
    lines = traceback_text.strip().splitlines()
    last = _WRAPPED.sub("", lines[-1]) if lines else "unknown error"
    again = f"\n\nThis happened {times} times." if times > 1 else ""
    where = f"The full traceback was saved in\n{log_file}" if log_file else (
        "The log folder is not writable, so the traceback was printed on stderr only."
    )
    return (f"{last}{again}\n\n{where}\n\nMasks saved so far are safe. "
            "Please attach the log file when reporting this.")  # fmt: skip


def show_crash_dialog(traceback_text: str, log_file: Path | None) -> None:
    """Show the crash dialog from the GUI thread (safe to call from any thread)."""
    app = QApplication.instance()
    if app is None:
        return

    def show() -> None:
        try:
            _show(traceback_text, log_file)
        except Exception:  # noqa: BLE001 - raised again, it would come back here without end
            log.exception("the crash dialog could not be shown")

    QTimer.singleShot(0, app, show)


def _show(traceback_text: str, log_file: Path | None) -> None:
    """Count the error in its open dialog (which shows its latest message), or open one (at
    most :data:`MAX_OPEN`)."""
    key = traceback_key(traceback_text)
    if key in _open_boxes:
        box, times = _open_boxes[key]
        times[0] += 1
        box.setText(crash_message(traceback_text, log_file, times[0]))
        return
    closed = _closed_at.get(key)
    if len(_open_boxes) >= MAX_OPEN or (closed is not None and time.monotonic() - closed < QUIET_S):
        return
    box = QMessageBox(QMessageBox.Icon.Critical, TITLE, crash_message(traceback_text, log_file))
    box.setObjectName("crash_dialog")
    _open_boxes[key] = (box, [1])
    box.finished.connect(lambda _=0: _closed(key))
    box.open()


def _closed(key: str) -> None:
    """The operator closed the dialog of the error ``key`` (:func:`traceback_key`)."""
    _open_boxes.pop(key, None)
    _closed_at[key] = time.monotonic()


def install_crash_dialog() -> None:
    """Log uncaught exceptions and show :func:`show_crash_dialog` for each."""
    install_excepthook(show_crash_dialog)
