"""The one place that locates files shipped under ``resources/``."""

from __future__ import annotations

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """Return the path of a shipped resource.

    Parameters
    ----------
    *parts : str
        Path components below ``resources/``, e.g. ``("taxonomies", "parsing7.json")``.

    Returns
    -------
    Path
        The absolute path; it is not checked for existence.
    """
    return RESOURCES_DIR.joinpath(*parts)
