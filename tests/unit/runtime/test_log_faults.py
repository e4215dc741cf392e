"""The log file under faults: no password of a project URL, the version with each traceback, and
a repeating failure that does not flood the rotated files."""

from __future__ import annotations

import errno
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fashion_annotator import __version__
from fashion_annotator.cli import main
from fashion_annotator.runtime import logs

URL = "postgresql://anna:Sup3rSecret@127.0.0.1:1/annotations?project=shop&password=Other5ecret"


def _raise_from_a_tick() -> None:
    raise RuntimeError(f"renew failed for {URL}")


def _crash() -> None:
    """What an uncaught error from a timer tick does: the hook gets it."""
    try:
        _raise_from_a_tick()
    except RuntimeError:
        sys.excepthook(*sys.exc_info())


@contextmanager
def _hooked(folder: Path, callback: Callable[[str, Path | None], None]) -> Iterator[Path | None]:
    """Logging into ``folder`` with the crash hook calling ``callback``; yields the log file.
    The previous hooks come back and logging is torn down after."""
    old_hook, old_thread_hook = sys.excepthook, threading.excepthook
    where = logs.setup_logging(folder)
    try:
        logs.install_excepthook(callback)
        yield where
    finally:
        sys.excepthook, threading.excepthook = old_hook, old_thread_hook
        logs.teardown_logging()


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
    with _hooked(tmp_path, lambda text, _path: seen.append(text)) as where:
        _crash()
    assert where is not None
    text = where.read_text(encoding="utf-8")
    assert f"fashion-annotator {__version__}, Python " in text
    assert "renew failed for postgresql://anna:***@" in text and "Sup3rSecret" not in text
    assert "Sup3rSecret" not in seen[0]  # the crash dialog's text too


def test_pgpassword_and_a_percent_escaped_url_never_reach_the_log(tmp_path, monkeypatch, capsys) -> None:
    """``PGPASSWORD=SECRET`` (a child's environment said in a message) and a project URL written
    percent-escaped (inside another URL, a file name) reached the log file in clear."""
    import logging
    from urllib.parse import quote

    escaped = quote(URL, safe="")
    monkeypatch.setenv("FA_LOG_DIR", str(tmp_path / "logs"))
    try:
        main(["info", escaped])  # the command line is logged as typed
        logging.getLogger("fashion_annotator.ui.train.background_retrain").warning(
            "retrain child environment: PGPASSWORD=%s, {'PGPASSWORD': 'Sup3rSecret'}; project %s, next=%s",
            "Sup3rSecret", escaped, quote(escaped, safe=""),
        )  # fmt: skip
    finally:
        logs.teardown_logging()
    text = (tmp_path / "logs" / logs.LOG_NAME).read_text(encoding="utf-8")
    assert "Sup3rSecret" not in text and "Other5ecret" not in text
    assert "PGPASSWORD=***, {'PGPASSWORD': ***}" in text
    shown = "postgresql://anna:***@127.0.0.1:1/annotations?project=shop&password=***"
    assert f"fashion-annotator info {shown}\n" in text
    assert f"project {shown}, next={shown}\n" in text
    assert "Sup3rSecret" not in capsys.readouterr().err


def test_a_traceback_naming_an_escaped_url_is_logged_without_its_password(tmp_path) -> None:
    from urllib.parse import quote

    def fail() -> None:
        raise RuntimeError(f"cannot open {quote(URL, safe='')} (PGPASSWORD=Sup3rSecret)")

    seen: list[str] = []
    with _hooked(tmp_path, lambda text, _path: seen.append(text)) as where:
        try:
            fail()
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    assert where is not None
    text = where.read_text(encoding="utf-8")
    assert "cannot open postgresql://anna:***@127.0.0.1:1/annotations" in text
    assert "Sup3rSecret" not in text and "Other5ecret" not in text and "PGPASSWORD=***" in text
    assert "Sup3rSecret" not in seen[0]  # the crash dialog's text too


def test_the_same_exception_from_a_repeating_timer_is_logged_in_full_once(tmp_path) -> None:
    """A timer raising at every tick wrote its full traceback each time: the 4 MiB of rotated
    files were full in seconds and the first failure's traceback was pushed out of them."""
    calls: list[str] = []
    with _hooked(tmp_path, lambda text, _path: calls.append(text)) as where:
        for _ in range(100):
            _crash()
    assert where is not None
    text = where.read_text(encoding="utf-8")
    assert text.count("Traceback (most recent call last)") == 1
    assert "again (64 times so far): RuntimeError: renew failed" in text
    assert len(calls) == 100  # the window still hears of each one (its dialog counts them)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_under_the_log_is_said_once_and_not_claimed_as_saved(tmp_path, capsys) -> None:
    """With the log's disk full, every line printed "--- Logging error ---" and a traceback on
    the terminal, the exit added "Exception ignored in atexit callback ... No space left on
    device", and the crash dialog still said the traceback was saved in the log file."""
    (tmp_path / logs.LOG_NAME).symlink_to("/dev/full")
    seen: list[Path | None] = []
    with _hooked(tmp_path, lambda _text, where: seen.append(where)) as where:
        assert where == tmp_path / logs.LOG_NAME
        for n in range(3):
            logs.log.info("line %d", n)
        _crash()
    # the last flush (in the teardown) fails too: nothing raised
    err = capsys.readouterr().err
    assert "Logging error" not in err
    assert err.count("cannot be written ([Errno 28] No space left on device)") == 1
    assert "RuntimeError: renew failed" in err  # the traceback is on stderr
    assert seen == [None] and logs.log_file() is None


def test_doctor_names_a_full_disk_under_the_log_folder_as_full(tmp_path, monkeypatch) -> None:
    """`doctor` on a log folder whose disk is full said "fix: make FOLDER writable for this
    user" (it is writable; the disk is full), and its free-disk line looks at the data folder."""
    from fashion_annotator.runtime import doctor

    def full(_self: Path, _data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    check = doctor.check_writable("log folder", tmp_path / "logs")
    assert not check.ok and "No space left on device" in check.detail
    assert check.fix == f"free some space on the disk of {tmp_path / 'logs'}"


@pytest.mark.parametrize("stderr", [None, "closed"])
def test_the_crash_callback_is_told_without_a_usable_stderr(tmp_path, monkeypatch, stderr) -> None:
    """Started without a terminal (pythonw, a windowed bundle: sys.stderr is None) or from one
    closed since, the crash hook raised writing the traceback there and never showed the dialog."""
    seen: list[Path | None] = []
    if stderr == "closed":
        stderr = open(tmp_path / "gone", "w")  # noqa: SIM115
        stderr.close()
    with _hooked(tmp_path, lambda _text, path: seen.append(path)) as where:
        monkeypatch.setattr(sys, "stderr", stderr)
        _crash()
    assert seen == [where]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_crash_record_that_could_not_be_written_is_not_claimed_as_saved(tmp_path, capsys) -> None:
    (tmp_path / logs.LOG_NAME).symlink_to("/dev/full")
    seen: list[Path | None] = []
    with _hooked(tmp_path, lambda _text, where: seen.append(where)):
        _crash()
    assert seen == [None] and "traceback saved in" not in capsys.readouterr().err


def test_the_log_file_is_used_again_once_lines_can_be_written(tmp_path, capsys) -> None:
    """A disk freed again (or a file another process held for its rollover): logging goes on."""
    where = logs.setup_logging(tmp_path)
    handler = logs._state["handler"]
    real = handler.stream

    class FullOnce:
        full = True

        def write(self, text: str) -> int:
            if self.full:
                self.full = False
                raise OSError(28, "No space left on device")
            return real.write(text)

        def flush(self) -> None:
            real.flush()

        def seek(self, offset: int, whence: int = 0) -> int:
            return real.seek(offset, whence)

        def tell(self) -> int:
            return real.tell()

    try:
        handler.stream = FullOnce()
        logs.log.warning("lost line")
        assert logs.log_file() is None
        logs.log.warning("kept line")
        assert logs.log_file() == where
    finally:
        handler.stream = real
        logs.teardown_logging()
    assert "kept line" in where.read_text(encoding="utf-8")
    assert "is written again" in capsys.readouterr().err


def test_doctor_names_a_log_file_that_cannot_be_opened(tmp_path, monkeypatch) -> None:
    """A log file this user cannot open (left by a run under sudo, or a folder by that name):
    the program ran without a log, and `doctor` said "[ok] log folder: ... writable", then
    "log file: none (log folder not writable)", then "everything found"."""
    from fashion_annotator.runtime import doctor

    (tmp_path / "logs" / logs.LOG_NAME).mkdir(parents=True)
    monkeypatch.setenv("FA_LOG_DIR", str(tmp_path / "logs"))
    (check,) = [c for c in doctor.run_checks(probe=False) if c.name == "log folder"]
    assert not check.ok and str(tmp_path / "logs" / logs.LOG_NAME) in check.detail
    assert "sudo" in check.fix
