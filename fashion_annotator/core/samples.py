"""The one reader of plain mask-folder datasets (the CCP layout).

A plain mask-folder dataset is ``images/<stem>.<ext>`` photos, ``masks/<stem>.png`` label masks
in the dataset's own ids, ``taxonomies.json`` mapping those ids to each task's classes
(:func:`fashion_annotator.core.labels.mapping_from_taxonomies_json`), and optionally
``splits.json`` (split name -> list of stems). Evaluation, the effort benchmark and training
all list and decode samples here, with :mod:`fashion_annotator.core.images`, so they read the
same pixels and the same labels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fashion_annotator.core.images import PHOTO_SUFFIXES, ImageLoadError, load_image
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
    splits_path = data_dir / "splits.json"
    if split != ALL_SPLIT and splits_path.is_file():
        try:
            splits = json.loads(splits_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{splits_path}: not valid JSON ({exc})") from None
        if not isinstance(splits, dict) or split not in splits:
            names = sorted(splits) if isinstance(splits, dict) else []
            raise ValueError(f"{splits_path}: no split {split!r} (has {names} and 'all')")
        stems = [str(s) for s in splits[split]]
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
