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
        "(see --exclude-unchanged) or on a plain mask folder. With --project it runs the "
        "recipe of the window's Train > Retrain (fine-tune from the active model, lr 0.0005, "
        "epochs from the mask count, an 8-minute limit, object crops, refit, refinement "
        "choice: training/recipe.py); an option given on the command line overrides its part. "
        "With --data the defaults shown below apply (from scratch).",
    )
    add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``train`` (see :func:`training.console.main`)."""
    from training.console import main

    return main(args)
