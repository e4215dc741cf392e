"""The log file, and crash handlers that leave a traceback in it.

:func:`setup_logging` adds a rotating file handler (1 MiB x 3 backups) at
``log_dir()/fashion-annotator.log`` to the ``fashion_annotator`` logger and points
:mod:`faulthandler` at ``faults.log`` beside it, so a hard crash (segfault in a native library)
still leaves the Python stacks. :func:`install_excepthook` sends uncaught exceptions, in the main
thread and in other threads, to the log and then to a callback (the GUI shows a dialog).

Every line written is passed through :func:`redact` first: the password of a PostgreSQL project
URL (the command line, a driver's message, a traceback), percent-escaped or not, and a
``PGPASSWORD`` value never reach the log file.
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import logging
import logging.handlers
import platform
import re
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO
from urllib.parse import unquote

from fashion_annotator import __version__
from fashion_annotator.runtime.paths import log_dir

LOG_NAME = "fashion-annotator.log"
FAULT_NAME = "faults.log"
MAX_BYTES = 1 << 20
BACKUPS = 3

log = logging.getLogger("fashion_annotator")

_state: dict[str, object] = {}

CrashCallback = Callable[[str, Path | None], None]
"""``callback(traceback_text, log_file)``: told of an uncaught exception after it was logged."""

#: ``postgresql://user:PASSWORD@`` (greedy to the token's last ``@``: a password may hold one).
_URL_PASSWORD = re.compile(r"(?i)(postgres(?:ql)?://[^:/?#@\s]*:)\S*@")
#: ``password=SECRET`` in a URL's query or a libpq conninfo.
_KEY_PASSWORD = re.compile(r"(?i)\b((?:ssl)?password\s*=\s*)('[^']*'|[^&\s'\"]+)")
#: ``PGPASSWORD=SECRET`` (a shell line, ``env``) or ``'PGPASSWORD': 'SECRET'`` (an environment
#: printed as a dict): libpq's password variable.
_ENV_PASSWORD = re.compile(r"""(?i)\b(PGPASSWORD['"]?\s*[=:]\s*)('[^']*'|"[^"]*"|[^\s,;}]+)""")
#: A word with percent-escapes (``postgresql%3A%2F%2Fuser%3APASSWORD%40host``: a URL written
#: whole inside another, a query parameter or a file name), decoded before it is looked at.
_ESCAPED = re.compile(r"""[^\s'"<>(),;\[\]{}]*%[0-9A-Fa-f]{2}[^\s'"<>(),;\[\]{}]*""")
#: How many times a word is decoded at most (a URL escaped inside an escaped one).
_DECODINGS = 3


def redact(text: str) -> str:
    """``text`` with the password of every PostgreSQL URL, ``password=`` setting and
    ``PGPASSWORD`` value as ``***``, also where it is written percent-escaped (such a word is
    then shown decoded, its secrets masked); the one place where logs, crash reports and
    command-line errors are masked."""
    return _ESCAPED.sub(lambda found: _decoded_redacted(found.group()), _redact_plain(text))


def _redact_plain(text: str) -> str:
    """``text`` with the secrets :func:`redact` masks, as written (no decoding)."""
    text = _ENV_PASSWORD.sub(r"\1***", text)
    return _KEY_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", text))


def _decoded_redacted(word: str) -> str:
    """A percent-escaped ``word`` decoded and masked when a decoding shows a secret in it, else
    ``word`` unchanged."""
    decoded = word
    for _ in range(_DECODINGS):
        again = unquote(decoded)
        if again == decoded:
            break
        decoded = again
        masked = _redact_plain(decoded)
        if masked != decoded:
            return masked
    return word


def version_line() -> str:
    """``fashion-annotator VERSION, Python X.Y.Z, PLATFORM``: what a log reader needs first."""
    return f"fashion-annotator {__version__}, Python {platform.python_version()}, {platform.platform()}"


class _RedactingFormatter(logging.Formatter):
    """A formatter whose every line, traceback included, goes through :func:`redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _LogFile(logging.handlers.RotatingFileHandler):
    """The rotating log file; lines it cannot write (a full disk) are said once on stderr.

    Python's handler printed "--- Logging error ---" and a traceback on stderr for every line,
    and the crash dialog still said the traceback was saved there. While lines fail,
    :func:`log_file` is None (the dialog says the traceback went to stderr only); the next line
    written there makes it the log file again.
    """

    failing = False

    def emit(self, record: logging.LogRecord) -> None:
        said = self.failing
        self.failing = False
        super().emit(record)  # calls handleError when the line cannot be written
        if said and not self.failing:
            _state.pop("unwritable", None)
            _say(f"fashion-annotator: the log file {self.baseFilename} is written again\n")

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802
        if not self.failing and not _state.get("unwritable"):
            _say(f"fashion-annotator: the log file {self.baseFilename} cannot be written "
                 f"({sys.exc_info()[1]}); lines are left out until it can\n")  # fmt: skip
        self.failing = True
        _state["unwritable"] = True


def setup_logging(folder: Path | None = None) -> Path | None:
    """Log to a rotating file under ``folder`` (default :func:`log_dir`); idempotent.

    Parameters
    ----------
    folder : Path, optional
        Where the log files go.

    Returns
    -------
    Path or None
        The log file, or None when the folder cannot be written (the program runs on, without
        a log file; ``fashion-annotator doctor`` reports the folder).
    """
    folder = Path(folder) if folder is not None else log_dir()
    current = _state.get("file")
    if isinstance(current, Path) and current.parent == folder:
        return current
    teardown_logging()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # a path as the OS gave it may hold undecodable bytes (surrogate escapes): written
        # as \udcNN, never a "Logging error" that loses the line
        handler = _LogFile(
            folder / LOG_NAME, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8",
            errors="backslashreplace",
        )
        faults: IO[str] = open(folder / FAULT_NAME, "a", encoding="utf-8")  # noqa: SIM115
    except OSError:
        return None
    handler.setFormatter(
        _RedactingFormatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    )
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    faulthandler.enable(file=faults, all_threads=True)
    _state.update(file=folder / LOG_NAME, handler=handler, faults=faults)
    if not _state.get("atexit"):
        atexit.register(teardown_logging)  # close the fault file before the interpreter ends
        _state["atexit"] = True
    return folder / LOG_NAME


def teardown_logging() -> None:
    """Remove the file handler and close the fault file (tests, or before switching folders)."""
    handler = _state.pop("handler", None)
    _state.pop("unwritable", None)
    if isinstance(handler, logging.Handler):
        log.removeHandler(handler)
        with contextlib.suppress(OSError):  # a full disk: the last flush fails
            handler.close()
    faults = _state.pop("faults", None)
    if faults is not None:
        if faulthandler.is_enabled():
            faulthandler.disable()
        faults.close()  # type: ignore[attr-defined]
    _state.pop("file", None)


def log_file() -> Path | None:
    """The current log file, or None before :func:`setup_logging` (or when it failed, or a line
    could not be written there since)."""
    current = _state.get("file")
    return current if isinstance(current, Path) and not _state.get("unwritable") else None


def format_exception(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> str:
    """The traceback text of an exception."""
    return "".join(traceback.format_exception(exc_type, exc, tb))


def _say(text: str) -> None:
    """Write ``text`` on stderr, if there is one: a windowed start has none (``None``), and a
    closed terminal's raises; either stopped the crash hook before the dialog."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        sys.stderr.write(text)


def traceback_key(text: str) -> str:
    """What makes two formatted tracebacks the same error: where it was raised (every
    ``File`` line) and the exception's type, not its message.

    A message that changes at every tick (it names a counter, an index) made each traceback a
    new error: logged in full every time, and each one opened a crash dialog of its own.
    """
    lines = text.strip().splitlines()
    frames = [line for line in lines if line.startswith("  File ")]
    kind = lines[-1].split(":", 1)[0] if lines else ""
    return "\n".join([*frames, kind])


def install_excepthook(callback: CrashCallback | None = None) -> None:
    """Log uncaught exceptions (main thread and other threads), then tell ``callback``.

    Ctrl+C (``KeyboardInterrupt``) is left to Python's default hook. The log record names the
    version (:func:`version_line`). The same traceback again (a repeating timer that raises at
    every tick) is logged in full once, then as one line at its 2nd, 4th, 8th... time: written
    in full ten times a second it filled the rotated files in seconds and pushed every earlier
    line out of them. "The same" is :func:`traceback_key`'s: its message may differ.
    """
    repeats: dict[str, int] = {}

    def hook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        text = redact(format_exception(exc_type, exc, tb))
        key = traceback_key(text)
        count = repeats[key] = repeats.get(key, 0) + 1
        if count == 1:
            log.critical("uncaught exception (%s)\n%s", version_line(), text)
        elif count & (count - 1) == 0:
            last = text.strip().splitlines()[-1]
            log.critical("the same uncaught exception again (%d times so far): %s", count, last)
            _say(f"the same uncaught exception again ({count} times so far): {last}\n")
        where = log_file()  # after the record: None when it could not be written
        if count == 1:
            _say(text + (f"(traceback saved in {where})\n" if where is not None else ""))
        if callback is not None:
            callback(text, where)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
