"""``fashion-annotator migrate SRC DST``: copy a project between SQLite and PostgreSQL, verified."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fashion_annotator.commands.outputs import write_json
from fashion_annotator.dataset.postgres.url import PROJECT_URL_ENV, project_location
from fashion_annotator.runtime.arg_types import output_file
from fashion_annotator.runtime.exit_codes import EXIT_PARTIAL, report_error
from fashion_annotator.runtime.paths import check_output_outside


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register ``migrate`` on ``subparsers``."""
    p = subparsers.add_parser(
        "migrate", help="copy a project SQLite <-> PostgreSQL (every version), verified",
        description="Copy the project SRC into a new project DST: each is a project folder or "
        "a URL postgresql://user@host/db?project=NAME. Every image, photo, mask version, "
        "proposal, decision and registered model is copied with its ids, users and times; the "
        "copy is read back and compared (row counts and a SHA-256 over every row and file). "
        f"A URL without a password takes it from the environment variable {PROJECT_URL_ENV} "
        "where that holds the same URL with it, as the other commands do.",
        epilog="A migration cut short (killed, a power cut) leaves DST marked unfinished: it refuses "
        "to open and says so, and the same command run again clears that half-made copy (only what "
        "the migration wrote) and starts over. A mark left by another computer may be a migration "
        "still running there: it is refused with who started it, when and where, and cleared only "
        "with --force; a migration into a PostgreSQL project holds the project's lock on the server "
        "while it runs, so a second one into it is refused even with --force. "
        "exit status: 0 copied and verified, 1 refused or failed (nothing left at DST, "
        "or DST kept for inspection when the verification found a difference), 3 copied and "
        "verified but saved mask files of SRC had changed since they were saved (listed; copied "
        "as found) or the --json report was not written",
    )  # fmt: skip
    p.add_argument("src", metavar="SRC", type=project_location,
                   help="project folder or PostgreSQL project URL")  # fmt: skip
    p.add_argument("dst", metavar="DST", type=project_location,
                   help="new project folder or PostgreSQL project URL")  # fmt: skip
    p.add_argument("--force", action="store_true",
                   help="DST is the half-made copy of a migration another computer started, or "
                   "one whose process number another program of this computer now has (it says so), "
                   "stopped since: clear it and start over")  # fmt: skip
    p.add_argument("--json", type=output_file, metavar="OUT", help="write the report (counts, digests) here")
    p.set_defaults(func=_cmd_migrate)


def _cmd_migrate(args: argparse.Namespace) -> int:
    from fashion_annotator.dataset.records import ProjectError
    from fashion_annotator.dataset.transfer import migrate_project

    try:
        if args.json:  # written at the end: over the source's index, or a photo of the copy
            for location in (args.src, args.dst):
                if isinstance(location, Path):
                    check_output_outside(args.json, location, "project")
        report = migrate_project(args.src, args.dst, force=args.force)
    except (ProjectError, ValueError) as exc:
        return report_error(exc, "migrate")
    if report.forced:
        print(report.forced, file=sys.stderr)
    if report.restarted:
        print(f"note: {args.dst}: the half-made copy of an earlier migration that was cut short was "
              "cleared, and the copy made again from the start", file=sys.stderr)  # fmt: skip
    counts = ", ".join(f"{n} {table}" for table, n in report.counts.items())
    print(f"copied {counts}; verified: SHA-256 {report.destination_digest[:16]} on both sides; "
          f"{report.click_logs} Smart-click logs copied beside their masks")  # fmt: skip
    if args.json:
        try:
            write_json(args.json, report.as_dict())
        except OSError as exc:
            print(f"fashion-annotator migrate: copied and verified; the report was not written: "
                  f"{exc}", file=sys.stderr)  # fmt: skip
            return EXIT_PARTIAL
    if report.changed:
        n = len(report.changed)
        print(f"fashion-annotator migrate: {n} saved file{'s' if n > 1 else ''} changed since "
              f"{'they were' if n > 1 else 'it was'} saved, copied as found with the recorded "
              "SHA-256, so both projects pass over them to the newest good version:\n  "
              + "\n  ".join(report.changed), file=sys.stderr)  # fmt: skip
        return EXIT_PARTIAL
    return 0
