"""The crash dialog under repeated and nested failures: one dialog per error, never a loop."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from fashion_annotator.runtime import logs
from fashion_annotator.ui import crash


def _crash_dialogs() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == "crash_dialog" and w.isVisible()]  # fmt: skip


@pytest.fixture
def crash_hook(tmp_path):
    """The window's crash handling installed, logging under ``tmp_path``; restored after."""
    old_hook, old_thread_hook = sys.excepthook, threading.excepthook
    where = logs.setup_logging(tmp_path)
    crash.install_crash_dialog()
    crash._closed_at.clear()  # a dialog closed by another test keeps its error quiet
    yield where
    sys.excepthook, threading.excepthook = old_hook, old_thread_hook
    for box in _crash_dialogs():
        box.done(0)
    logs.teardown_logging()


def _uncaught(exc: BaseException) -> None:
    try:
        raise exc
    except type(exc):
        sys.excepthook(*sys.exc_info())


def test_a_timer_raising_at_every_tick_opens_one_dialog_that_counts(qtbot, crash_hook) -> None:
    """A repeating timer whose slot raised opened one more crash dialog at every tick (ten a
    second, hundreds stacked over the window before the operator could close one)."""
    for _ in range(20):
        _uncaught(IndexError("list index out of range"))
        qtbot.wait(5)
    qtbot.waitUntil(lambda: "20 times" in (_crash_dialogs() or [QMessageBox()])[0].text())
    assert len(_crash_dialogs()) == 1


def test_a_dialog_that_cannot_be_shown_is_logged_not_raised_again(qtbot, crash_hook, monkeypatch) -> None:
    """An exception while the crash dialog was made came back to the crash hook, which made
    the dialog again: an endless loop that filled the 4 MiB of rotated logs in seconds."""
    made: list[int] = []

    def broken(*_args) -> str:
        made.append(1)
        raise ValueError("cannot build the message")

    monkeypatch.setattr(crash, "crash_message", broken)
    _uncaught(ZeroDivisionError("division by zero"))
    qtbot.wait(300)
    assert len(made) == 1
    assert "the crash dialog could not be shown" in crash_hook.read_text(encoding="utf-8")


def test_the_message_is_the_error_not_pysides_wrappers() -> None:
    """An error raised in a close or event handler reached the dialog as "RuntimeError: Error
    calling Python override of QGraphicsView::event(): Error calling ... " a dozen times over,
    and the error itself was at the end of that line."""
    wrapped = ("Traceback (most recent call last):\nRuntimeError: Error calling Python override "
               "of QMainWindow::closeEvent(): Error calling Python override of QObject::eventFilter"
               "(): disk I/O error\n")  # fmt: skip
    assert crash.crash_message(wrapped, None).startswith("RuntimeError: disk I/O error\n")


def test_the_same_error_after_its_dialog_was_closed_opens_no_new_one(qtbot, crash_hook) -> None:
    """Closing the dialog of a timer that raised ten times a second opened the next one at
    once: the operator could never be rid of it."""
    _uncaught(IndexError("list index out of range"))
    qtbot.waitUntil(lambda: len(_crash_dialogs()) == 1)
    _crash_dialogs()[0].done(0)
    for _ in range(5):
        _uncaught(IndexError("list index out of range"))
        qtbot.wait(5)
    qtbot.wait(50)
    assert _crash_dialogs() == []
    _uncaught(KeyError("another error"))  # a different error still shows
    qtbot.waitUntil(lambda: len(_crash_dialogs()) == 1)


def test_an_error_whose_message_counts_is_one_error(qtbot, crash_hook) -> None:
    """A timer's error naming its tick ("index 7 out of range") was a new error at each tick:
    logged in full every time and opening a dialog each (three at once); the same place and
    type of exception is one error now, its dialog counting it and showing the latest message."""
    for tick in range(20):
        _uncaught(IndexError(f"index {tick} out of range"))
        qtbot.wait(5)
    qtbot.waitUntil(lambda: "20 times" in (_crash_dialogs() or [QMessageBox()])[0].text())
    assert len(_crash_dialogs()) == 1
    assert "index 19 out of range" in _crash_dialogs()[0].text()
    logged = crash_hook.read_text(encoding="utf-8")
    assert logged.count("Traceback (most recent call last)") == 1
    assert "the same uncaught exception again (16 times so far): IndexError: index 15 out of range" in logged
    _uncaught(KeyError(f"tick {20}"))  # another type from the same place is another error
    qtbot.waitUntil(lambda: len(_crash_dialogs()) == 2)
