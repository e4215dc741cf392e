"""The GUI side of crash handling: a dialog that says where the traceback was saved.

:func:`install_crash_dialog` routes uncaught exceptions (main thread and worker threads) through
:func:`fashion_annotator.runtime.logs.install_excepthook`, which logs the traceback first; the
dialog is then shown from the GUI thread, non-blocking, so the window keeps running.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from fashion_annotator.runtime.logs import install_excepthook

TITLE = "Fashion Annotator: unexpected error"

_open_boxes: list[QMessageBox] = []


def crash_message(traceback_text: str, log_file: Path | None) -> str:
    """The dialog's text: the error's last line and where the full traceback is."""
    lines = traceback_text.strip().splitlines()
    last = lines[-1] if lines else "unknown error"
    where = f"The full traceback was saved in\n{log_file}" if log_file else (
        "The log folder is not writable, so the traceback was printed on stderr only."
    )
    return f"{last}\n\n{where}\n\nMasks saved so far are safe. Please attach the log file when reporting this."


def show_crash_dialog(traceback_text: str, log_file: Path | None) -> None:
    """Show the crash dialog from the GUI thread (safe to call from any thread)."""
    app = QApplication.instance()
    if app is None:
        return

    def show() -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, TITLE, crash_message(traceback_text, log_file))
        box.setObjectName("crash_dialog")
        _open_boxes.append(box)
        box.finished.connect(lambda _=0: _open_boxes.remove(box))
        box.open()

    QTimer.singleShot(0, app, show)


def install_crash_dialog() -> None:
    """Log uncaught exceptions and show :func:`show_crash_dialog` for each."""
    install_excepthook(show_crash_dialog)
