"""``fashion-annotator doctor``: check the environment and print what is missing with the fix."""

from __future__ import annotations

import argparse
import json

from fashion_annotator.runtime.exit_codes import EXIT_ERROR, EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``doctor`` subcommand on ``subparsers``."""
    p = subparsers.add_parser(
        "doctor",
        help="check Python, torch, Qt and its system libraries, folders and disk space",
        description=(
            "Check the environment: Python version, torch build and device, the shipped "
            "resources, the Qt platform plugin (on Linux the xcb libraries, with the apt-get "
            "line that installs them), write access to the data and log folders, free disk."
        ),
        epilog="exit status: 0 everything found, 1 something missing (each listed with its fix)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead")
    p.add_argument(
        "--no-probe", action="store_true", help="do not start Qt in a child process"
    )
    p.add_argument("--probe-qt", metavar="PLATFORM", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print every check; exit status 1 when one fails."""
    from fashion_annotator import __version__
    from fashion_annotator.runtime import doctor
    from fashion_annotator.runtime.logs import log_file

    if args.probe_qt:
        from fashion_annotator.ui.qt_probe import run_probe

        return run_probe(args.probe_qt)
    checks = doctor.run_checks(probe=not args.no_probe)
    ok = all(c.ok for c in checks)
    where = log_file()
    if args.json:
        print(json.dumps({
            "version": __version__, "ok": ok, "log_file": str(where) if where else None,
            "checks": [c.as_dict() for c in checks],
        }))  # fmt: skip
    else:
        print(f"fashion-annotator {__version__}")
        for check in checks:
            print(check.line())
        print(f"log file: {where or 'none (log folder not writable)'}")
        missing = sum(not c.ok for c in checks)
        print("everything found" if ok else f"{missing} problem(s) found; fixes above")
    return EXIT_OK if ok else EXIT_ERROR
