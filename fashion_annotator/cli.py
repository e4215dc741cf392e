"""Command-line entry point: ``fashion-annotator [PATH]`` or ``fashion-annotator SUBCOMMAND``.

Each group of subcommands lives in a module of :mod:`fashion_annotator.commands` that exposes
``register(subparsers)``; the registered parser sets ``func(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES = (
    "fashion_annotator.commands.project",
    "fashion_annotator.commands.train",
    "fashion_annotator.commands.evaluate",
    "fashion_annotator.commands.bench",
    "fashion_annotator.commands.qa",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="fashion-annotator",
        description="Annotate and review garment cutout and clothing parsing masks.",
    )
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand, or open the GUI when the first argument is not one."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    subcommands = set(sub.choices)
    if not argv or (argv[0] not in subcommands and not argv[0].startswith("-")):
        from fashion_annotator.ui.app import run_gui

        return run_gui(argv[0] if argv else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return int(args.func(args) or 0)
