"""Launcher: ``python -m fashion_annotator`` and the ``fashion-annotator`` console script."""

from __future__ import annotations

import sys

from fashion_annotator.cli import main

if __name__ == "__main__":
    sys.exit(main())
