"""The Retrain dialog's last used settings, per project and model: Epochs, Time and Device.

Kept in the user's settings (``QSettings``, as the window keeps each project's last image and
export choices) when a retrain starts, and set again when the dialog opens for the same
project and model: the dialog set Epochs from the mask count at every opening, so a retrain
run with 1 epoch offered 27 again the next time (a hand test).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from fashion_annotator.dataset.postgres.url import is_postgres_url, without_password

#: The settings group of the remembered retrain settings.
GROUP = "retrain"


def settings_key(location: str | Path, task: str) -> str:
    """The settings key of ``task``'s retrain in the project at ``location`` (a folder, or a
    server URL, kept without its password); slashes would nest groups."""
    if is_postgres_url(str(location)):
        where = without_password(str(location))
    else:
        where = str(Path(location).resolve())
    return f"{GROUP}/{where.replace('/', '|').replace(chr(92), '|')}|{task}"


def _whole(value: object, least: int, most: int) -> int | None:
    """``value`` as a whole number from ``least`` to ``most``, or None (missing, damaged)."""
    try:
        number = float(str(value))
    except (TypeError, ValueError):
        return None
    return min(most, max(least, int(number))) if math.isfinite(number) else None


def remembered(location: str | Path, task: str, settings: QSettings | None = None) -> dict[str, Any]:
    """The settings of the last retrain of ``task`` started in the project at ``location``:
    ``epochs`` (1-1000), ``minutes`` (1-600) and ``device`` (a name), each None when never
    chosen or unreadable."""
    store = settings or QSettings()
    key = settings_key(location, task)
    device = store.value(f"{key}/device")
    return {
        "epochs": _whole(store.value(f"{key}/epochs"), 1, 1000),
        "minutes": _whole(store.value(f"{key}/minutes"), 1, 600),
        "device": str(device) if device not in (None, "") else None,
    }


def remember(
    location: str | Path, task: str, epochs: int, minutes: int, device: str,
    settings: QSettings | None = None,
) -> None:  # fmt: skip
    """Keep a started retrain's ``epochs``, ``minutes`` and ``device`` for the next one."""
    store = settings or QSettings()
    key = settings_key(location, task)
    store.setValue(f"{key}/epochs", int(epochs))
    store.setValue(f"{key}/minutes", int(minutes))
    store.setValue(f"{key}/device", str(device))
