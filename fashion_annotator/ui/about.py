"""Help > About: version, where the log file and the data are, and the library versions."""

from __future__ import annotations

import platform
import sys

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from fashion_annotator import __version__
from fashion_annotator.runtime.logs import log_file
from fashion_annotator.runtime.paths import app_data_dir, log_dir


def about_text() -> str:
    """The About box's text (plain, one fact per line)."""
    from fashion_annotator.resources import resources_dir

    where = log_file()
    lines = [
        f"Fashion Annotator {__version__}",
        "Annotate and review garment cutout and clothing parsing masks.",
        "",
        f"Log file: {where if where else f'none ({log_dir()} is not writable)'}",
        f"Data folder: {app_data_dir()}",
        f"Resources: {resources_dir()}",
        "",
        f"Python {platform.python_version()} on {sys.platform}, "
        f"Qt {qVersion()}, PySide6 {PySide6.__version__}",
        "License: Apache-2.0. Sample photos and models: Clothing Co-Parsing dataset "
        "(Yang, Luo, Lin, CVPR 2014; Apache-2.0).",
    ]
    return "\n".join(lines)


def show_about(parent: QWidget | None = None) -> QMessageBox:
    """Open the About box (non-blocking) and return it."""
    box = QMessageBox(QMessageBox.Icon.Information, "About Fashion Annotator", about_text(), parent=parent)
    box.setObjectName("about_dialog")
    box.open()
    return box
