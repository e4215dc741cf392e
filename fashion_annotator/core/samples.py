"""The one reader of plain mask-folder datasets (the CCP layout).

A plain mask-folder dataset is ``images/<stem>.<ext>`` photos, ``masks/<stem>.png`` label masks
in the dataset's own ids, ``taxonomies.json`` mapping those ids to each task's classes
(:func:`fashion_annotator.core.labels.mapping_from_taxonomies_json`), and optionally
``splits.json`` (split name -> list of stems, each photo in one split at most, once). Evaluation, the effort benchmark and training
all list and decode samples here, with :mod:`fashion_annotator.core.images`, so they read the
same pixels and the same labels.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fashion_annotator.core.images import (
    PHOTO_SUFFIXES,
    ImageLoadError,
    exif_orientation,
    load_image,
    open_image_file,
)
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.labels import (
    UNMAPPED,
    LabelMapping,
    apply_mapping,
    load_taxonomy,
    mapping_from_taxonomies_json,
)

ALL_SPLIT = "all"
DEFAULT_SPLIT = "val"
TAXONOMIES_JSON = "taxonomies.json"
SPLITS_JSON = "splits.json"
#: How many names an error about ``splits.json`` quotes.
_QUOTED = 5


@dataclass(frozen=True)
class Sample:
    """One photo of a plain mask-folder dataset and its label mask."""

    name: str
    image: Path
    mask: Path


def list_samples(
    data_dir: Path | str, split: str = DEFAULT_SPLIT, *, require_masks: bool = True
) -> list[Sample]:
    """List the photos of a split, in the order of ``splits.json`` (by name for ``"all"``).

    Parameters
    ----------
    data_dir : Path or str
        The dataset folder (``images/``, ``masks/``, optional ``splits.json``).
    split : str
        A split named in ``splits.json``, or ``"all"``. The default ``"val"`` falls back to
        every photo when the dataset has no ``splits.json``.
    require_masks : bool
        A photo without a mask is an error (True) or left out (False: photos still to label).

    Raises
    ------
    ValueError
        When the folder has no ``images/``, two photos share a name (``0001.jpg`` and
        ``0001.png``), the split is unknown, a listed photo is missing, a photo has no mask (with
        ``require_masks``), or no photo is left.
    """
    data_dir = Path(data_dir)
    images_dir, masks_dir = data_dir / "images", data_dir / "masks"
    if not images_dir.is_dir():
        raise ValueError(f"{data_dir}: not a plain mask-folder dataset (no images/ folder)")
    photos: dict[str, Path] = {}
    for p in sorted(images_dir.iterdir()):
        if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES:
            if p.stem in photos:  # which one goes with masks/STEM.png? (one was scored silently)
                raise ValueError(
                    f"{images_dir}: two photos share the name {p.stem!r} ({photos[p.stem].name} and "
                    f"{p.name}); a mask pairs with a photo by name: keep one"
                )
            photos[p.stem] = p
    stems = sorted(photos)
    splits_path = data_dir / SPLITS_JSON
    splits = read_splits(data_dir) if split != ALL_SPLIT else None
    if splits is not None:
        if split not in splits:
            raise ValueError(f"{splits_path}: no split {split!r} (has {sorted(splits)} and 'all')")
        stems = splits[split]
    elif split not in (ALL_SPLIT, DEFAULT_SPLIT):
        raise ValueError(f"{data_dir}: no splits.json, so split {split!r} is unknown (use 'all')")
    samples = []
    for stem in stems:
        if stem not in photos:
            raise ValueError(
                f"{images_dir}: split {split!r} names {stem!r} but no such photo exists"
            )
        mask = masks_dir / f"{stem}.png"
        if mask.is_file():
            samples.append(Sample(stem, photos[stem], mask))
        elif require_masks:
            raise ValueError(f"{mask}: mask for photo {photos[stem].name} is missing")
    if not samples and not require_masks:
        raise ValueError(f"{data_dir}: no photo in images/ has a mask in masks/")
    return samples


def scored_split(data_dir: Path | str, split: str = DEFAULT_SPLIT) -> str:
    """Name the photos :func:`list_samples` gives for ``split``, as a report should write it.

    Parameters
    ----------
    data_dir : Path or str
        The dataset folder.
    split : str
        The split asked for.

    Returns
    -------
    str
        ``"all"`` when the default split was asked of a folder without ``splits.json`` (every
        photo is then listed), else ``split``.
    """
    if split == DEFAULT_SPLIT and not (Path(data_dir) / SPLITS_JSON).is_file():
        return ALL_SPLIT
    return split


def read_splits(data_dir: Path | str) -> dict[str, list[str]] | None:
    """Read ``data_dir/splits.json``: split name -> photo names, in the file's order.

    Returns
    -------
    dict or None
        None when the folder has no ``splits.json``.

    Raises
    ------
    ValueError
        Naming the file: not a JSON object; a split that is not a list of names (a string was
        read as its letters); a split naming a photo twice (it was scored twice); two splits
        sharing a photo (a model was trained on its own val photos). The message quotes the
        first few names.
    """
    path = Path(data_dir) / SPLITS_JSON
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected an object of splits (name -> list of photo names), "
                         f"not {type(raw).__name__}")  # fmt: skip
    splits: dict[str, list[str]] = {}
    seen: dict[str, str] = {}  # photo -> the first split naming it
    shared: dict[tuple[str, str], list[str]] = {}
    for split, names in raw.items():
        if not isinstance(names, list):
            raise ValueError(f"{path}: split {split!r} must be a list of photo names, not {type(names).__name__}")
        bad = [n for n in names if isinstance(n, bool) or not isinstance(n, str | int)]
        if bad:
            raise ValueError(f"{path}: split {split!r} lists {bad[0]!r}, not a photo name")
        stems = [str(n) for n in names]
        twice = sorted(n for n, count in Counter(stems).items() if count > 1)
        if twice:
            raise ValueError(f"{path}: split {split!r} names a photo more than once: {_quote(twice)}; "
                             "list each photo once")  # fmt: skip
        for stem in stems:
            if stem in seen:
                shared.setdefault((seen[stem], split), []).append(stem)
            else:
                seen[stem] = split
        splits[str(split)] = stems
    if shared:
        (first, second), both = next(iter(shared.items()))
        raise ValueError(
            f"{path}: splits {first!r} and {second!r} share {len(both)} photo{'s' if len(both) != 1 else ''}: "
            f"{_quote(sorted(both))}; a photo belongs to one split (a model trained on its val photos "
            "scores them too well)"
        )
    return splits


def _quote(names: list[str]) -> str:
    """The first few of ``names``, quoted, and how many more."""
    shown = ", ".join(repr(n) for n in names[:_QUOTED])
    return shown + (f" and {len(names) - _QUOTED} more" if len(names) > _QUOTED else "")


def task_classes(data_dir: Path | str, task: str) -> list[str]:
    """Class names of ``task`` as listed in the dataset's ``taxonomies.json``."""
    path = Path(data_dir) / TAXONOMIES_JSON
    try:
        taxonomies = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: missing; it maps the dataset's label ids to tasks") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(taxonomies, dict):
        raise ValueError(f"{path}: expected an object of tasks, got {type(taxonomies).__name__}")
    if task not in taxonomies:
        raise ValueError(f"{path}: no task {task!r} (has {sorted(taxonomies)})")
    if not isinstance(taxonomies[task], dict):
        raise ValueError(f"{path}: task {task!r} must be an object with 'classes' and 'from_ccp', "
                         f"got {type(taxonomies[task]).__name__}")  # fmt: skip
    classes = taxonomies[task].get("classes")
    if not isinstance(classes, list) or len(classes) < 2:
        raise ValueError(f"{path}: task {task!r} lists no classes")
    return [str(c) for c in classes]


def task_mapping(data_dir: Path | str, task: str) -> tuple[list[str], LabelMapping]:
    """The class names of ``task`` and the mapping from the dataset's ids to them.

    With ``taxonomies.json`` both come from it; without it the masks are taken to hold the
    task's ids already (identity) and the classes are the shipped taxonomy's.
    """
    path = Path(data_dir) / TAXONOMIES_JSON
    if not path.is_file():
        taxonomy = load_taxonomy(task)
        lut = np.full(256, UNMAPPED, np.uint8)
        lut[: taxonomy.num_classes] = np.arange(taxonomy.num_classes, dtype=np.uint8)
        return list(taxonomy.names), LabelMapping(task, task, lut)
    return task_classes(data_dir, task), mapping_from_taxonomies_json(path, task)


def read_sample(
    sample: Sample, mapping: LabelMapping | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Decode a sample: ``(H, W, 3) uint8`` photo and ``(H, W) uint8`` label mask.

    The mask holds the dataset's ids, or the task's class ids when ``mapping`` is given. Both
    are decoded by :mod:`fashion_annotator.core.images` (EXIF orientation, 16-bit scaled).
    """
    rgb = load_image(sample.image).rgb
    mask = load_mask(sample.mask, shape=rgb.shape[:2])
    if mapping is None:
        return rgb, mask
    try:
        return rgb, apply_mapping(mask, mapping)
    except ValueError as exc:  # ids the task does not map: name the file
        raise ImageLoadError(sample.mask, str(exc)) from exc


#: The most unusable samples :func:`check_samples` names (the rest are counted).
MAX_LISTED = 20
#: EXIF orientations that swap a photo's width and height.
_TURNED = (5, 6, 7, 8)


def check_samples(samples: list[Sample], mapping: LabelMapping | None = None, where: str = "") -> None:
    """Refuse a dataset with unusable samples before any work, naming every one of them.

    Each photo's size is read from its header (EXIF orientation applied) and each mask decoded
    and checked against it; with ``mapping``, its ids must all be mapped. A run stopped at the
    first bad mask named that one only; fixing the files one run at a time took as many runs.

    Parameters
    ----------
    samples : list of Sample
    mapping : LabelMapping or None
        The task's mapping (``evaluate``); None: ids are not checked (training maps the ids a
        dataset does not map to background).
    where : str
        The dataset, for the message.

    Raises
    ------
    ValueError
        ``N of M samples cannot be used``, then one line per sample (file and problem), at most
        :data:`MAX_LISTED`, and how many more.
    """
    problems: list[str] = []
    for s in samples:
        try:
            im, _ = open_image_file(s.image, decode=False)
            with im:
                width, height = im.size
                if exif_orientation(im) in _TURNED:
                    width, height = height, width
            mask = load_mask(s.mask, shape=(height, width))
            if mapping is not None:
                try:
                    apply_mapping(mask, mapping)
                except ValueError as exc:
                    raise ImageLoadError(s.mask, str(exc)) from exc
        except (ValueError, OSError) as exc:
            problems.append(str(exc) if isinstance(exc, ImageLoadError) else f"{s.mask}: {exc}")
    if not problems:
        return
    listed = problems[:MAX_LISTED]
    more = len(problems) - len(listed)
    head = f"{where + ': ' if where else ''}{len(problems)} of {len(samples)} samples cannot be used; fix or remove them:"
    raise ValueError("\n  ".join([head, *listed]) + (f"\n  ... and {more} more" if more else ""))
