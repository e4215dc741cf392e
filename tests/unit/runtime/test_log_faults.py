"""The log file under faults: no password of a project URL, the version with each traceback, and
a repeating failure that does not flood the rotated files."""

from __future__ import annotations

import sys
import threading

from fashion_annotator import __version__
from fashion_annotator.cli import main
from fashion_annotator.runtime import logs

URL = "postgresql://anna:Sup3rSecret@127.0.0.1:1/annotations?project=shop&password=Other5ecret"


def _raise_from_a_tick() -> None:
    raise RuntimeError(f"renew failed for {URL}")


def test_a_project_url_password_never_reaches_the_log(tmp_path, monkeypatch, capsys) -> None:
    """`fashion-annotator info postgresql://user:PASSWORD@...` wrote the password into the log
    file (its command line is logged), as did the window's launch line."""
    monkeypatch.setenv("FA_LOG_DIR", str(tmp_path / "logs"))
    try:
        main(["info", URL])
    finally:
        logs.teardown_logging()
    text = (tmp_path / "logs" / logs.LOG_NAME).read_text(encoding="utf-8")
    assert "fashion-annotator info postgresql://anna:***@127.0.0.1" in text
    assert "Sup3rSecret" not in text and "Other5ecret" not in text


def test_an_uncaught_traceback_is_logged_with_the_version_and_without_the_password(tmp_path) -> None:
    seen: list[str] = []
    old_hook, old_thread_hook = sys.excepthook, threading.excepthook
    where = logs.setup_logging(tmp_path)
    assert where is not None
    try:
        logs.install_excepthook(lambda text, _path: seen.append(text))
        try:
            _raise_from_a_tick()
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook, threading.excepthook = old_hook, old_thread_hook
        logs.teardown_logging()
    text = where.read_text(encoding="utf-8")
    assert f"fashion-annotator {__version__}, Python " in text
    assert "renew failed for postgresql://anna:***@" in text and "Sup3rSecret" not in text
    assert "Sup3rSecret" not in seen[0]  # the crash dialog's text too


def test_the_same_exception_from_a_repeating_timer_is_logged_in_full_once(tmp_path) -> None:
    """A timer raising at every tick wrote its full traceback each time: the 4 MiB of rotated
    files were full in seconds and the first failure's traceback was pushed out of them."""
    calls: list[str] = []
    old_hook, old_thread_hook = sys.excepthook, threading.excepthook
    where = logs.setup_logging(tmp_path)
    assert where is not None
    try:
        logs.install_excepthook(lambda text, _path: calls.append(text))
        for _ in range(100):
            try:
                _raise_from_a_tick()
            except RuntimeError:
                sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook, threading.excepthook = old_hook, old_thread_hook
        logs.teardown_logging()
    text = where.read_text(encoding="utf-8")
    assert text.count("Traceback (most recent call last)") == 1
    assert "again (64 times so far): RuntimeError: renew failed" in text
    assert len(calls) == 100  # the window still hears of each one (its dialog counts them)
