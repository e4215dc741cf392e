"""The retrain child processes the window starts (Train > Retrain, the background retrain)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment

from fashion_annotator.runtime.child import PARENT_ENV


def training_process(parent: QObject, program: str, arguments: Sequence[str]) -> QProcess:
    """A ``QProcess`` (not started) running ``program arguments``, told this process's pid
    (:data:`~fashion_annotator.runtime.child.PARENT_ENV`): if the window dies (killed,
    crashed), the retrain stops cleanly instead of running on alone
    (:func:`~fashion_annotator.runtime.child.watch_parent`)."""
    process = QProcess(parent)
    process.setProgram(program)
    process.setArguments(list(arguments))
    environment = QProcessEnvironment.systemEnvironment()
    environment.insert(PARENT_ENV, str(os.getpid()))
    process.setProcessEnvironment(environment)
    return process
