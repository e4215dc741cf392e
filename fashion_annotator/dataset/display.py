"""How an image is named to people: relative to the project, never a truncated absolute path."""

from __future__ import annotations

from pathlib import Path


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
