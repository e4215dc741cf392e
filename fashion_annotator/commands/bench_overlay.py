"""``fashion-annotator bench overlay``: showing a very large label mask, the canvas's colour
table against recolouring it (:mod:`fashion_annotator.ui.bench_overlay`)."""

from __future__ import annotations

import argparse

from fashion_annotator.commands.bench import _size, _write
from fashion_annotator.runtime.arg_types import output_file, positive_int


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``overlay`` to the ``bench`` subcommands."""
    p = sub.add_parser("overlay", help="a very large mask's overlay: colour table vs recolouring")
    p.add_argument("--size", type=_size, default=(6000, 9000), metavar="WxH",
                   help="the mask's size (default 6000x9000)")  # fmt: skip
    p.add_argument("--runs", type=positive_int, default=5, help="timed runs of each way")
    p.add_argument("--json", type=output_file, default=None, help="write the figures here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the medians of both ways and the old over the new."""
    from fashion_annotator.ui.bench_overlay import main

    return _write(main(args.size, args.runs), args.json, "overlay")
