"""Subcommands (being written; see docs/architecture.md)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register this module's subcommands on ``subparsers``."""
