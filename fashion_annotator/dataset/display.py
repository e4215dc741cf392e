"""How an image and a project are named to people: relative to the project, never a truncated
absolute path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fashion_annotator.dataset.records import ProjectError

#: Where the window keeps the project of a folder of photos it was given (``PHOTOS/annotations``;
#: also ``dataset.store.PHOTO_FOLDER_PROJECT``).
PHOTO_FOLDER_PROJECT = "annotations"


def display_name(name: str, root: Path) -> str:
    """The name to show for an image stored under ``name`` in the project at ``root``.

    Photos copied into the project have a plain file name, kept as is. Photos left in place
    (a project made inside a folder of photos) are stored by absolute path: they are shown
    relative to the folder holding the project (the photo folder), else relative to the
    project itself, else by file name with its parent folder.

    Examples
    --------
    >>> display_name("/shoot/day1/look 01.jpg", Path("/shoot/day1/annotations"))
    'look 01.jpg'
    >>> display_name("look.jpg", Path("/p"))
    'look.jpg'
    """
    path = Path(name)
    if not path.is_absolute():
        return name
    for base in (root.parent, root):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def project_title(root: Path) -> str:
    """The name to show for the project at ``root``: its folder's, or for a project made inside a
    folder of photos (``FOLDER/annotations``) the photo folder's (every such window was titled
    "annotations"; a hand test).

    Examples
    --------
    >>> project_title(Path("/studio/shoot-0412/annotations"))
    'shoot-0412'
    >>> project_title(Path("/studio/autumn"))
    'autumn'
    """
    root = Path(root)
    return root.parent.name if root.name == PHOTO_FOLDER_PROJECT and root.parent.name else root.name


def missing_photo_hint(name: str, root: Path) -> str | None:
    """What to say about the photo stored as ``name`` in the project at ``root`` when its file is
    gone, for a photo referenced in a photo folder; None otherwise (a copied photo, a file that
    is there)."""
    path = Path(name)
    if not path.is_absolute() or path.exists() or Path(root).name != PHOTO_FOLDER_PROJECT:
        return None
    return (
        f"{display_name(name, Path(root))}: not in the folder any more (moved or deleted?); its "
        "masks are kept: put it back, or open the folder again to find it under a new name"
    )


def photo_name(project: Any, image_id: int | None, known: Callable[[int], str | None] | None = None) -> str:
    """The name of ``image_id``'s photo in ``project`` for a message ("" without an image): the
    name the caller holds in memory (``known``), else the store's (:func:`display_name`);
    ``image N`` when neither answers (a team project's server away)."""
    if not image_id:
        return ""
    if known is not None and (name := known(image_id)):
        return name
    try:
        return display_name(project.image(image_id).name, Path(project.root))
    except ProjectError:
        return f"image {image_id}"
