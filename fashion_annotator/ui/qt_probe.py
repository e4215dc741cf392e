"""The child side of ``fashion-annotator doctor``'s Qt check (the only part of it that imports Qt)."""

from __future__ import annotations

import os
import sys


def run_probe(platform: str) -> int:
    """Start Qt on ``platform``, print its name, exit 0 (see :func:`~fashion_annotator.runtime.doctor.probe_qt`)."""
    os.environ["QT_QPA_PLATFORM"] = platform
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication([sys.argv[0]])
    print(f"{app.platformName()} started")
    return 0
