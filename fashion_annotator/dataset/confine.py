"""Keep paths that come from the index or from imported files inside their folders.

A project index (``project.sqlite``) is data, and data can be damaged or hostile: a stored
photo name such as ``../../etc/passwd`` or a mask path ``/home/x/secret.png`` must never make
the store read or export a file outside the project. Names taken from imported files are
made storable: valid UTF-8 and short enough for any file system once a suffix is added.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from fashion_annotator.dataset.records import ProjectError

MAX_NAME_BYTES = 200
"""Longest stored photo name in UTF-8 bytes: leaves room for ``-<sha12>`` and temp-file parts
within the usual 255-byte limit of a file name."""

_VERSION_PATH = re.compile(r"^(masks|proposals)/[0-9]{1,12}/[A-Za-z0-9_+-]{1,64}/v[0-9]{1,9}\.png$")


def shown_path(path: Path | str) -> str:
    """``path`` as text that can be printed and logged: bytes that are not UTF-8 written as
    ``\\xNN`` (a path as the OS gave it may hold them as surrogate escapes)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def referable_folder(folder: Path) -> None:
    """Refuse a folder whose photos cannot be referenced in place: its path is not UTF-8.

    Raises
    ------
    ProjectError
        Names the folder (its odd bytes as ``\\xNN``) and what to do instead.
    """
    if not _is_utf8(str(folder.resolve())):
        raise ProjectError(
            f"{shown_path(folder.resolve())}: the folder's path is not valid UTF-8 (a name in "
            "another encoding, as from an old share or camera card), so its photos cannot be "
            "referenced where they are; rename the folder, or make a project that copies them: "
            "fashion-annotator new PROJECT --images FOLDER"
        )


def referenced_name(src: Path) -> str:
    """The name a photo referenced in place (not copied) is stored under: its absolute path.

    The folder's own links are resolved, the file's name is kept: a link is named as the
    folder shows it (``SKU123_front.jpg``, not its target ``IMG_0001.jpg``) and read through.

    Raises
    ------
    ProjectError
        The path is not valid UTF-8 (:func:`referable_folder`; a file name alone: named too).
    """
    referable_folder(src.parent)
    path = referenced_path(src)
    if not _is_utf8(src.name):
        raise ProjectError(
            f"{shown_path(path)}: the file name is not valid UTF-8 (a name in another "
            "encoding), so the photo cannot be referenced where it is; rename it, or make a "
            "project that copies the photos: fashion-annotator new PROJECT --images FOLDER"
        )
    return str(path)


def referenced_path(src: Path) -> Path:
    """The absolute path :func:`referenced_name` stores, unchecked: the folder's links
    resolved, the file's own name kept (for looking a photo up among the stored names)."""
    return src.parent.resolve() / src.name


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable_name(name: str) -> str:
    """A file name safe to store: undecodable bytes replaced, at most :data:`MAX_NAME_BYTES`.

    Parameters
    ----------
    name : str
        A file name as the OS gave it (may hold surrogate escapes of non-UTF-8 bytes).

    Returns
    -------
    str
        Valid UTF-8 (undecodable bytes become U+FFFD), the suffix kept, the stem shortened
        when the whole is too long.
    """
    clean = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    clean = clean.replace("/", "_").replace("\\", "_").replace("\x00", "_")
    if len(clean.encode("utf-8")) <= MAX_NAME_BYTES:
        return clean
    path = Path(clean)
    suffix = path.suffix if len(path.suffix.encode("utf-8")) <= 16 else ""
    budget = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    stem = clean[: len(clean) - len(suffix)] if suffix else clean
    stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return stem + suffix


def stored_photo(root: Path, name: str, images: Path | None = None) -> Path:
    """The path of a photo stored in ``root/images``; refuses names that would lead elsewhere.

    ``images``: ``root / "images"``, made once by a caller that lists thousands of photos (a
    path join is most of the cost of an image record).

    Raises
    ------
    ProjectError
        The name is empty, has a folder part, ``..`` or a NUL: a damaged or hostile index.
    """
    if (
        not name
        or name in {".", ".."}
        or "/" in name
        or "\\" in name
        or "\x00" in name
    ):
        raise ProjectError(
            f"{root / 'project.sqlite'}: stored photo name {name!r} leads outside images/ "
            "(damaged or hostile index); refused"
        )
    return (root / "images" if images is None else images) / name


def version_file(root: Path, rel: str) -> Path:
    """The path of a saved mask or proposal version; refuses paths outside ``masks/`` or
    ``proposals/``.

    Raises
    ------
    ProjectError
        The index row names anything but ``masks|proposals/<id>/<task>/vN.png``.
    """
    if not isinstance(rel, str) or not _VERSION_PATH.match(rel):
        raise ProjectError(
            f"{root / 'project.sqlite'}: saved mask path {rel!r} is not a mask of this project "
            "(damaged or hostile index); refused"
        )
    return root / rel


_INDEXED_PATH = re.compile(
    r"^(?:(?:masks|proposals)/[0-9]{1,12}/[A-Za-z0-9_+-]{1,64}/v[0-9]{1,9}\.png"
    r"|instances/[0-9]{1,12}/v[0-9]{1,9}\.png"
    r"|models/[A-Za-z0-9_+-]{1,64}/v[0-9]{1,9}\.safetensors)$"
)


def indexed_file(root: Path, rel: object) -> Path:
    """The path of a file an index row names (a mask or proposal version, an instance map, a
    model's weights), for a copy of the whole project (``migrate``); refuses any other.

    Raises
    ------
    ProjectError
        ``rel`` is not ``masks|proposals/<id>/<task>/vN.png``, ``instances/<id>/vN.png`` or
        ``models/<task>/vN.safetensors``: a damaged or hostile index (``../`` in a task name
        would have a copy read or write a file anywhere).
    """
    if not isinstance(rel, str) or not _INDEXED_PATH.match(rel):
        raise ProjectError(
            f"{root / 'project.sqlite'}: file {rel!r} is not one of this project's saved files "
            "(damaged or hostile index); refused"
        )
    return root / rel
