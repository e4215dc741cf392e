"""Where the files of a COCO dataset lie: its JSON under a folder, and the photos it lists;
whether an ``images`` entry's ``width`` / ``height`` are its photo's (:func:`checked_size`), and
how a refusal names the entry (:func:`entry_where`); for the coco and coco-instances imports.

The standard layouts (the official COCO zips, Datumaro, CVAT "COCO 1.0") put the JSON in
``ROOT/annotations/instances_SUBSET.json`` and the photos in ``ROOT/SUBSET/`` or
``ROOT/images/SUBSET/``; this app's export writes ``OUT/annotations.json`` and ``OUT/images/``.
"""

from __future__ import annotations

from pathlib import Path

from fashion_annotator.dataset.formats.common import safe_join

ANNOTATIONS_FOLDER = "annotations"
INSTANCE_PREFIX = "instances_"


def coco_file(src: Path, name: str) -> tuple[Path, list[tuple[str, str]]]:
    """The COCO file to read for ``src``, and the JSON files left out beside it.

    ``src`` is the file itself, or a folder: ``src/name`` (this app's export) when it is there,
    else the one JSON file of the standard layout's ``annotations/`` folder (``src`` itself
    when it is named so, any case), else its one ``instances_*.json`` (the other files,
    ``captions_*.json`` and such, are listed as left out, naming the file taken).

    Raises
    ------
    ValueError
        Naming ``src``: the folder has no JSON file where one is looked for, or several that
        could be the one (each listed).
    """
    if not src.is_dir() or (src / name).is_file():
        return (src / name if src.is_dir() else src), []
    folder = src if src.name.lower() == ANNOTATIONS_FOLDER else _annotations_folder(src)
    found = sorted(p for p in folder.glob("*") if p.suffix.lower() == ".json" and p.is_file())
    if len(found) == 1:
        return found[0], []
    instances = [p for p in found if p.name.lower().startswith(INSTANCE_PREFIX)]
    if not found:
        raise ValueError(f"{src}: no {name}, and no .json file in {folder}; pass the COCO file's path")
    if len(instances) != 1:
        names = ", ".join(p.name for p in instances or found)
        raise ValueError(f"{src}: several COCO files in {folder} ({names}); import one of them by its path")
    chosen = instances[0]
    return chosen, [(str(p), f"not an instance file; imported {chosen}") for p in found if p != chosen]


def _annotations_folder(root: Path) -> Path:
    """``root``'s ``annotations`` folder, whatever its case (``root/annotations`` when none)."""
    for child in sorted(root.iterdir()):
        if child.name.lower() == ANNOTATIONS_FOLDER and child.is_dir():
            return child
    return root / ANNOTATIONS_FOLDER


def photo_folders(path: Path) -> list[Path]:
    """The folders searched, in order, for the photos a COCO file ``path`` lists.

    The file's folder and its ``images/``; for a file in a folder named ``annotations`` (the
    standard layout: ``annotations/instances_SUBSET.json``) also that folder's parent ``DATA``,
    ``DATA/images``, then ``DATA/images/SUBSET`` and ``DATA/SUBSET`` (Datumaro and CVAT write
    ``images/default/``, the COCO zips ``val2017/``), ``SUBSET`` being the file's stem without
    ``instances_`` and then the plain stem. A subset that is no plain folder name (``..``) is
    not searched.
    """
    root = path.parent
    folders = [root, root / "images"]
    if root.name.lower() != ANNOTATIONS_FOLDER:
        return folders
    data = root.parent
    folders += [data, data / "images"]
    for subset in dict.fromkeys((path.stem.removeprefix(INSTANCE_PREFIX), path.stem)):
        for parent in (data / "images", data):
            try:
                folders.append(safe_join(parent, subset))
            except ValueError:
                continue
    return list(dict.fromkeys(folders))


def entry_where(path: Path, index: int, name: str) -> str:
    """How the coco and coco-instances imports name an ``images`` entry in a message:
    ``FILE.json: images[INDEX], image 'NAME'`` (``NAME`` its ``file_name``)."""
    return f"{path}: images[{index}], image {name!r}"


def checked_size(entry: dict, photo: tuple[int, int], where: str) -> None:
    """Refuse an ``images`` entry whose ``width`` / ``height`` are not integers or not the
    photo's; absent ones are not checked: the photo's own size is taken.

    Parameters
    ----------
    entry : dict
        The COCO file's ``images`` entry.
    photo : tuple of int
        The photo's ``(height, width)``, read from the photo file.
    where : str
        Leads the message: the file, the entry and its photo's name.

    Raises
    ------
    ValueError
        A size that is not a whole number, or not the photo's.
    """
    given = {key: entry.get(key) for key in ("width", "height") if entry.get(key) is not None}
    for key, value in given.items():
        if isinstance(value, float) and value.is_integer():
            value = given[key] = int(value)  # 30.0: a whole number
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{where}: '{key}' must be an integer number of pixels, got {value!r:.40}")
    height, width = photo
    if given.get("width", width) != width or given.get("height", height) != height:
        raise ValueError(
            f"{where}: the file gives {given.get('width', width)}x{given.get('height', height)} pixels, the "
            f"photo has {width}x{height}; its regions would not line up with the photo (not imported)"
        )
