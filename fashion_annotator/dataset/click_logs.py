"""Click logs: the Smart-click prompts behind a saved mask version, kept beside its PNG.

Each mask version saved after Smart-click edits gets ``v<N>.clicks.json`` next to
``v<N>.png``: ``{"version": 1, "clicks": [{"kind": "click"|"box", "y", "x", "positive",
"label", "model", "t"}, ...]}`` in photo pixels, oldest first; a box prompt's entry (its virtual
click) also has ``"box": [y0, x0, y1, x1]``. They are the operator's real
corrections: the click trainer can replay them on the saved masks (see
:func:`iter_click_logs`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fashion_annotator.core.atomic import atomic_write_bytes

FORMAT_VERSION = 1
KEYS = ("kind", "y", "x", "positive", "label")


#: What a mask version's file name ``vN.png`` becomes for its click log, ``vN.clicks.json``.
CLICK_LOG_SUFFIX = ".clicks.json"


def click_log_path(mask_path: Path) -> Path:
    """``masks/<id>/<task>/vN.png`` -> ``masks/<id>/<task>/vN.clicks.json``."""
    mask_path = Path(mask_path)
    return mask_path.with_name(f"{mask_path.stem}{CLICK_LOG_SUFFIX}")


def write_click_log(mask_path: Path, clicks: list[dict[str, Any]]) -> Path:
    """Write the click log of the mask version saved at ``mask_path`` (atomic); return its path.

    Raises
    ------
    ValueError
        A click lacks one of :data:`KEYS`.
    """
    for i, c in enumerate(clicks):
        missing = [k for k in KEYS if k not in c]
        if missing:
            raise ValueError(f"click {i} of {mask_path}: missing {missing}")
    path = click_log_path(mask_path)
    data = json.dumps({"version": FORMAT_VERSION, "clicks": clicks}, indent=0).encode()
    atomic_write_bytes(path, data)
    return path


def read_click_log(mask_path: Path) -> list[dict[str, Any]]:
    """The clicks saved with a mask version (empty when it has none).

    Raises
    ------
    ValueError
        The file is not a click log (naming it).
    """
    path = click_log_path(mask_path)
    if not path.is_file():
        return []
    try:
        doc = json.loads(path.read_text())
        clicks = doc["clicks"]
        if not isinstance(clicks, list):
            raise TypeError("'clicks' is not a list")
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a click log ({exc})") from None
    return clicks


def iter_click_logs(mask_paths: list[Path]) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """Yield ``(mask_path, clicks)`` for the mask versions that have a click log."""
    for path in mask_paths:
        clicks = read_click_log(path)
        if clicks:
            yield Path(path), clicks
