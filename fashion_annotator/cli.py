"""Command-line entry point: ``fashion-annotator [PATH]`` or ``fashion-annotator SUBCOMMAND``.

Each group of subcommands lives in a module of :mod:`fashion_annotator.commands` that exposes
``register(subparsers)``; the registered parser sets ``func(args) -> int``.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from fashion_annotator import __version__
from fashion_annotator.runtime.exit_codes import (
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    PROG,
    CommandError,
    report_error,
)
from fashion_annotator.runtime.logs import log_file, redact, setup_logging, version_line
from fashion_annotator.runtime.paths import USER_VARIABLE

log = logging.getLogger("fashion_annotator")

#: ``subcommand -> the module that registers it``: the window's launch and each subcommand
#: import only what they run (every module built the parser at each launch: about 0.2 s).
#: ``tests/unit/runtime/test_cli_contract.py`` keeps it equal to what the modules register.
COMMANDS = {
    "new": "fashion_annotator.commands.project",
    "import": "fashion_annotator.commands.project",
    "export": "fashion_annotator.commands.project",
    "info": "fashion_annotator.commands.project",
    "sync": "fashion_annotator.commands.project",
    "tasks": "fashion_annotator.commands.tasks",
    "train": "fashion_annotator.commands.train",
    "evaluate": "fashion_annotator.commands.evaluate",
    "bench": "fashion_annotator.commands.bench",
    "qa-report": "fashion_annotator.commands.qa",
    "migrate": "fashion_annotator.commands.migrate",
    "models": "fashion_annotator.commands.models",
    "doctor": "fashion_annotator.commands.doctor",
}


class _Parser(argparse.ArgumentParser):
    """A parser whose usage errors show a typed project URL's password as ``***`` (they
    repeated it: ``unrecognized arguments: postgresql://user:PASSWORD@...``, on a screen
    shared or pasted into a ticket); its subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        """Print the usage and ``message`` without passwords, then exit 2."""
        super().error(redact(message))


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Return the parser with every subcommand registered, or only the module of ``command``
    (one of :data:`COMMANDS`: what running it needs)."""
    parser = _Parser(
        prog="fashion-annotator",
        description="Annotate and review garment cutout and clothing parsing masks. "
        "`fashion-annotator [PATH | URL] [--user NAME]` (no subcommand) opens the window on a "
        "project, a folder of photos or a server project (with nothing: the last project, else "
        "the sample); its saves and decisions are recorded as NAME, else $FA_USER, else the "
        "login name (the --user of `new` or `import` names who ran that command only).",
        epilog="exit status: 0 done, 1 error, 2 usage error, 3 partly done, 130 interrupted, "
        "141 the reader of the output went away (| head), 143 stopped by SIGTERM (train)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")
    modules = dict.fromkeys(COMMANDS.values()) if command is None else {COMMANDS[command]: None}
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand, or open the GUI when the first argument is not one.

    Returns the exit status (see the parser's epilog). Ctrl+C ends any command with one line
    and 130; an unexpected exception prints ``PROG: error: ...`` and leaves its traceback in the
    log file.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    setup_logging()
    try:
        status = _dispatch(argv)
        if sys.stdout is not None:  # None in a windowed (frozen) GUI
            sys.stdout.flush()  # a reader gone away shows here, not at the interpreter's exit
        return status
    except BrokenPipeError:
        return _reader_gone(argv)
    except KeyboardInterrupt:
        log.info("interrupted: %s", argv)
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except CommandError as exc:
        return report_error(exc)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: log, one-line message
        log.exception("unexpected error running %s (%s)", argv, version_line())
        where = log_file()
        details = f" (traceback in {where})" if where else ""
        print(f"{PROG}: error: {type(exc).__name__}: {redact(str(exc))}{details}", file=sys.stderr)
        return EXIT_ERROR


def _reader_gone(argv: list[str]) -> int:
    """End quietly, as Unix tools do, when the reader of stdout went away (``| head -1``).

    stdout is pointed at the null device, so that the interpreter's last flush of what is
    left in its buffer does not print "Exception ignored ... BrokenPipeError" either.
    """
    log.info("stdout closed by its reader: %s", argv)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor behind stdout (an embedding caller)
        pass
    return EXIT_BROKEN_PIPE


def _window_user(argv: list[str]) -> tuple[list[str], str | None]:
    """``argv`` of the window without its ``--user NAME`` (or ``--user=NAME``), and NAME (None
    when not given; "" when given without a name)."""
    rest, user, i = [], None, 0
    while i < len(argv):
        if argv[i] == "--user":
            user, i = (argv[i + 1] if i + 1 < len(argv) else ""), i + 2
            continue
        if argv[i].startswith("--user="):
            user = argv[i][len("--user=") :]
        else:
            rest.append(argv[i])
        i += 1
    return rest, user


def _dispatch(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        window_argv, user = _window_user(argv)
        if user is not None and window_argv and window_argv[0] in COMMANDS:
            command = window_argv[0]
            print(f"{PROG}: error: --user goes after the command's name, for the commands that take "
                  f"one ({PROG} {command} --user NAME ...; see {PROG} {command} --help), or set "
                  f"{USER_VARIABLE}=NAME", file=sys.stderr)  # fmt: skip
            return EXIT_USAGE
        if user is not None and window_argv and window_argv[0].startswith("-"):
            argv = window_argv  # --user alice --version: the option is the window's, not --version's
        elif not window_argv or not window_argv[0].startswith("-"):
            refused = _not_a_window_argument(window_argv, set(COMMANDS))
            if user is not None and not user.strip():
                refused = "--user needs a name: the person recorded on the window's saves and decisions"
            if refused:
                print(f"{PROG}: error: {redact(refused)}", file=sys.stderr)
                return EXIT_USAGE
            if user is not None:  # the window, its File jobs and the commands it starts (train)
                os.environ[USER_VARIABLE] = user.strip()
            return _launch_gui(window_argv[0] if window_argv else None)
    parser = build_parser(argv[0] if argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    log.info("%s %s", PROG, " ".join(argv))
    return int(args.func(args) or 0)


def _not_a_window_argument(argv: list[str], subcommands: set[str]) -> str | None:
    """Why ``argv`` does not open the window, or None: the window takes one project, folder or
    URL (a mistyped subcommand such as ``infoo PROJECT`` opened it on a "no such project"
    question, and the rest was ignored)."""
    if not argv:
        return None
    first = argv[0]
    if "://" not in first and not Path(first).exists():
        close = difflib.get_close_matches(first, sorted(subcommands), n=1)
        close = close or sorted(c for c in subcommands if c.startswith(first) and len(first) >= 2)  # `qa`
        if close:
            return f"unknown subcommand {first!r} (did you mean {close[0]!r}?); see --help"
    if len(argv) > 1:
        return (f"the window opens one project, folder of photos or URL; "
                f"{' '.join(argv[1:])!r} is left over (a subcommand comes first; see --help)")  # fmt: skip
    return None


def _launch_gui(path: str | None) -> int:
    """Open the GUI, or print what the Qt platform plugin lacks (instead of Qt's abort)."""
    from fashion_annotator.runtime.doctor import qt_platform_problem

    log.info("%s GUI %s", PROG, path or "(last or sample project)")
    problem = qt_platform_problem()
    if problem is not None:
        return report_error(problem)
    from fashion_annotator.ui.app import run_gui

    return run_gui(path)
