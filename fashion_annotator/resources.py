"""The one place that locates files shipped under ``resources/``.

In the repository the files live in the top-level ``resources/`` folder; a wheel installs the
same folder as the package data ``fashion_annotator/_resources/`` (mapped in ``setup.py``) and a
PyInstaller bundle carries it at the same place. :func:`resources_dir` finds it:

1. a source tree (``pyproject.toml`` beside the package): its own ``resources/``, so a checkout
   run with ``PYTHONPATH`` never reads another install's files;
2. otherwise through :mod:`importlib.resources` as ``fashion_annotator._resources``.
"""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path

RESOURCES_PACKAGE = "fashion_annotator._resources"
_PACKAGE_DIR = Path(__file__).resolve().parent


class ResourcesNotFoundError(FileNotFoundError):
    """The shipped resources are neither in a source tree nor installed with the package."""


@functools.cache
def resources_dir() -> Path:
    """Return the folder holding ``taxonomies/``, ``models/``, ``icons/`` and ``sample/``.

    Returns
    -------
    Path
        An existing folder on the file system.

    Raises
    ------
    ResourcesNotFoundError
        When neither a source tree nor the installed package data holds it.
    """
    source_tree = _PACKAGE_DIR.parent
    if (source_tree / "pyproject.toml").is_file() and (source_tree / "resources").is_dir():
        return source_tree / "resources"
    try:
        root = importlib.resources.files(RESOURCES_PACKAGE)
    except ModuleNotFoundError:
        root = None
    if isinstance(root, Path) and root.is_dir():
        return root
    frozen = _PACKAGE_DIR / "_resources"  # bundles that keep data files beside the package
    if frozen.is_dir():
        return frozen
    raise ResourcesNotFoundError(
        f"the shipped resources (taxonomies, models, icons, sample) are missing: not in "
        f"{source_tree / 'resources'} nor installed as {RESOURCES_PACKAGE}; reinstall "
        "fashion-annotator"
    )


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
    return resources_dir().joinpath(*parts)
