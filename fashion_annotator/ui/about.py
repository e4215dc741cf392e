"""Help > Getting started (the first steps, where the sample lives) and Help > About (version,
where the log file and the data are, and the library versions)."""

from __future__ import annotations

import platform
import sys

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from fashion_annotator import __version__
from fashion_annotator.runtime.logs import log_file
from fashion_annotator.runtime.paths import app_data_dir, log_dir
from fashion_annotator.ui.shortcuts import key_name


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


def getting_started_text() -> str:
    """Help > Getting started: what the window shows and the first steps (plain text), with the
    operator's keys (the defaults were named after the keys had been changed in Preferences)."""
    key = key_name
    tools = ", ".join(f"{key(f'tool_{name}', default)} {what}" for name, default, what in (
        ("brush", "B", "brush"), ("eraser", "E", "eraser"), ("superpixel", "S", "superpixel regions"),
        ("smartclick", "C", "Smart click (left click adds, right click removes)"), ("polygon", "P", "polygon"),
    ))  # fmt: skip
    return "\n".join([
        f"The queue on the left lists the project's photos; the model's proposal is the starting "
        f"mask of each ({key('switch_task', 'Tab')} on the photo switches between the garment cutout "
        "and the clothing parsing; elsewhere Tab moves the keyboard focus).",
        "",
        f"1. Fix what the proposal got wrong: {tools}. {key('undo', 'Ctrl+Z')} undoes.",
        f"   Which tool for which job: a region of the photo (the backdrop, a sleeve): "
        f"{key('tool_superpixel', 'S')} superpixel; a wrongly labelled blob of the mask (a parsing "
        f"blob of the wrong class): {key('tool_fill', 'F')} fill, one click relabels all of it; "
        f"edges: {key('tool_brush', 'B')} brush or {key('tool_smartclick', 'C')} Smart click.",
        f"2. {key('accept', 'Ctrl+Enter')} accepts the mask and opens the next photo "
        f"({key('done', 'Ctrl+D')} marks it done). Work is saved as you go, and a crash loses nothing.",
        "3. Review (the second tab) ranks the saved masks by their agreement with the proposal: "
        "A approves, R rejects with a reason.",
        "4. Train > Retrain model learns from your corrections; the next proposals need fewer.",
        "",
        "Your own photos: File > Open project or New project from folder "
        f"({key('new_project', 'Ctrl+N')}), or `fashion-annotator FOLDER`. "
        f"{key('help', 'F1')} lists every key.",
        f"The sample project lives in {app_data_dir() / 'sample-project'}.",
    ])


def show_getting_started(parent: QWidget | None = None) -> QMessageBox:
    """Open Help > Getting started (non-blocking) and return it."""
    box = QMessageBox(QMessageBox.Icon.Information, "Getting started", getting_started_text(), parent=parent)
    box.setObjectName("getting_started_dialog")
    box.open()
    return box
