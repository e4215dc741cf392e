"""``fashion-annotator train``: train a model from a project or a plain mask folder.

The options and the run live in the training package (:mod:`training.request`,
:mod:`training.console`); this module only registers the subcommand.
"""

from __future__ import annotations

import argparse

from training.request import add_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``train`` subcommand on ``subparsers``."""
    p = subparsers.add_parser(
        "train",
        help="train a garment, person or parsing model",
        description="Train a model on a project's done, approved and edited in-progress masks "
        "(see --exclude-unchanged) or on a plain mask folder.",
    )
    add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``train`` (see :func:`training.console.main`)."""
    from training.console import main

    return main(args)
