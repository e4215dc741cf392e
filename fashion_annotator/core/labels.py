"""Taxonomies (class name, colour, shortcut) and data-driven label mappings.

Taxonomies ship as ``resources/taxonomies/NAME.json``::

    {"name": "parsing7", "classes": [{"name": "background", "color": [0, 0, 0], "shortcut": "1"}, ...]}

Mappings from a source label set into a taxonomy are data in the CCP ``taxonomies.json``
format, ``{task: {"classes": [...], "from_<source>": {"<source id>": class}}}``; shipped
ones live in ``resources/taxonomies/mappings/SOURCE.json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.resources import resource_path

__all__ = [
    "UNMAPPED",
    "LabelClass",
    "LabelMapping",
    "Taxonomy",
    "apply_mapping",
    "available_mappings",
    "available_taxonomies",
    "load_mapping",
    "load_taxonomy",
    "load_taxonomy_file",
    "mapping_from_taxonomies_json",
    "taxonomy_from_dict",
    "validate_mask",
]

UNMAPPED = 255
"""LUT value of source ids that a mapping does not cover (no taxonomy reaches 255 classes)."""

_MAX_CLASSES = UNMAPPED


@dataclass(frozen=True)
class LabelClass:
    """One class of a taxonomy.

    Attributes
    ----------
    id : int
        The label id stored in masks (the class's position in its taxonomy).
    name : str
        Display and file-format name.
    color : tuple of 3 int
        RGB overlay colour, 0..255 each.
    shortcut : str
        Keyboard shortcut ('1'..'9', '0'), or '' for none.
    """

    id: int
    name: str
    color: tuple[int, int, int]
    shortcut: str


@dataclass(frozen=True)
class Taxonomy:
    """An ordered list of classes; class ``i`` has label id ``i`` and 0 is background."""

    name: str
    classes: tuple[LabelClass, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.classes) <= _MAX_CLASSES:
            raise ValueError(
                f"taxonomy {self.name!r} must have 1..{_MAX_CLASSES} classes, got {len(self.classes)}"
            )
        for i, cls in enumerate(self.classes):
            if cls.id != i:
                raise ValueError(
                    f"taxonomy {self.name!r}: class {cls.name!r} has id {cls.id}, expected {i}"
                )
        names = self.names
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"taxonomy {self.name!r}: duplicate class names {dupes}")

    @property
    def names(self) -> list[str]:
        """Class names in id order."""
        return [c.name for c in self.classes]

    @property
    def colors(self) -> np.ndarray:
        """``(K, 3) uint8`` RGB colours in id order (a fresh array each call)."""
        return np.array([c.color for c in self.classes], dtype=np.uint8).reshape(-1, 3)

    @property
    def num_classes(self) -> int:
        """Number of classes ``K``, background included."""
        return len(self.classes)

    @property
    def is_binary(self) -> bool:
        """True for two-class (background / foreground) tasks."""
        return len(self.classes) == 2

    def index(self, name: str) -> int:
        """Label id of the class called ``name``.

        Raises
        ------
        KeyError
            No such class; the message lists the taxonomy's classes.
        """
        for cls in self.classes:
            if cls.name == name:
                return cls.id
        raise KeyError(f"taxonomy {self.name!r} has no class {name!r}; classes: {self.names}")


def _parse_color(value: Any, where: str) -> tuple[int, int, int]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 3
        or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)
    ):
        raise ValueError(f"{where}: 'color' must be three integers 0..255, got {value!r}")
    return (int(value[0]), int(value[1]), int(value[2]))


def taxonomy_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Taxonomy:
    """Build a :class:`Taxonomy` from the JSON structure.

    Parameters
    ----------
    data : mapping
        ``{"name": str, "classes": [{"name": str, "color": [r, g, b], "shortcut": str}]}``.
    source : str
        Named in error messages (usually the file path).

    Raises
    ------
    ValueError
        A missing or malformed field, naming ``source`` and the field.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{source}: expected a JSON object, got {type(data).__name__}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{source}: 'name' must be a non-empty string")
    raw = data.get("classes")
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{source}: 'classes' must be a non-empty list")
    classes = []
    for i, entry in enumerate(raw):
        where = f"{source}: class {i}"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where}: expected an object, got {entry!r}")
        cname = entry.get("name")
        if not isinstance(cname, str) or not cname:
            raise ValueError(f"{where}: 'name' must be a non-empty string")
        shortcut = entry.get("shortcut", "")
        if not isinstance(shortcut, str):
            raise ValueError(f"{where}: 'shortcut' must be a string")
        classes.append(LabelClass(i, cname, _parse_color(entry.get("color"), where), shortcut))
    try:
        return Taxonomy(name, tuple(classes))
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from exc


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{path}: file does not exist") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: invalid JSON ({exc})") from exc
    except RecursionError:
        raise ValueError(f"{path}: invalid JSON (nested too deeply)") from None


def load_taxonomy_file(path: str | Path) -> Taxonomy:
    """Load a taxonomy from a JSON file (format in the module docstring)."""
    path = Path(path)
    return taxonomy_from_dict(_read_json(path), source=str(path))


def _taxonomy_dir() -> Path:
    return resource_path("taxonomies")


def available_taxonomies() -> list[str]:
    """Names of the shipped taxonomies, sorted."""
    return sorted(p.stem for p in _taxonomy_dir().glob("*.json"))


def load_taxonomy(name: str) -> Taxonomy:
    """Load the shipped taxonomy ``name`` from ``resources/taxonomies/NAME.json``.

    Raises
    ------
    ValueError
        Unknown name (the message lists the available ones) or a malformed file.
    """
    path = _taxonomy_dir() / f"{name}.json"
    if "/" in name or "\\" in name or not path.is_file():
        raise ValueError(f"unknown taxonomy {name!r}; available: {available_taxonomies()}")
    taxonomy = load_taxonomy_file(path)
    if taxonomy.name != name:
        raise ValueError(f"{path}: 'name' is {taxonomy.name!r} but the file is named {name!r}")
    return taxonomy


@dataclass(frozen=True)
class LabelMapping:
    """A lookup table from source label ids to target taxonomy ids.

    Attributes
    ----------
    source : str
        The source label set (e.g. ``"ccp"``).
    target : str
        The target taxonomy name.
    lut : ndarray, shape (256,), dtype uint8
        ``lut[source_id]`` is the target id, :data:`UNMAPPED` where the mapping is silent.
    """

    source: str
    target: str
    lut: np.ndarray

    def __post_init__(self) -> None:
        lut = np.asarray(self.lut)
        if lut.shape != (256,) or lut.dtype != np.uint8:
            raise ValueError(f"mapping lut must be (256,) uint8, got {lut.shape} {lut.dtype}")
        # A private read-only copy, so a shared mapping cannot be altered by one caller.
        frozen = lut.copy()
        frozen.flags.writeable = False
        object.__setattr__(self, "lut", frozen)


def _parse_source_id(key: Any, where: str) -> int:
    try:
        sid = int(key)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: source id {key!r} is not an integer") from None
    if not 0 <= sid <= 255:
        raise ValueError(f"{where}: source id {sid} outside 0..255")
    return sid


def _parse_target(value: Any, classes: list[str], where: str) -> int:
    if isinstance(value, str):
        if value not in classes:
            raise ValueError(f"{where}: class {value!r} is not one of {classes}")
        return classes.index(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(classes):
        return value
    raise ValueError(f"{where}: target {value!r} is not a class id 0..{len(classes) - 1} or name")


def mapping_from_taxonomies_json(path: str | Path, target: str) -> LabelMapping:
    """Read the mapping into ``target`` from a CCP-style ``taxonomies.json``.

    Parameters
    ----------
    path : str or Path
        ``{task: {"classes": [names], "from_<source>": {"<id>": class id or name}}}``.
    target : str
        The task / taxonomy name to read. When a shipped taxonomy has that name, the file's
        class list must equal it (same names, same order).

    Returns
    -------
    LabelMapping
        ``source`` is the ``<source>`` of the ``from_<source>`` key.

    Raises
    ------
    ValueError
        Missing target, malformed entries, or classes that disagree with the shipped taxonomy;
        each message names the file.
    """
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: expected a JSON object of tasks")
    if target not in data:
        raise ValueError(f"{path}: no mapping for taxonomy {target!r}; has {sorted(data)}")
    entry = data[target]
    where = f"{path}: {target!r}"
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: expected an object")
    classes = entry.get("classes")
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) for c in classes):
        raise ValueError(f"{where}: 'classes' must be a non-empty list of names")
    if len(classes) > _MAX_CLASSES:
        raise ValueError(f"{where}: {len(classes)} classes exceed the limit of {_MAX_CLASSES}")
    if target in available_taxonomies():
        shipped = load_taxonomy(target).names
        if classes != shipped:
            raise ValueError(
                f"{where}: classes {classes} differ from the shipped taxonomy {shipped}"
            )
    sources = [k for k in entry if isinstance(k, str) and k.startswith("from_")]
    if len(sources) != 1:
        raise ValueError(f"{where}: expected exactly one 'from_<source>' table, found {sources}")
    table = entry[sources[0]]
    if not isinstance(table, Mapping):
        raise ValueError(f"{where}: {sources[0]!r} must be an object of id -> class")
    lut = np.full(256, UNMAPPED, dtype=np.uint8)
    for key, value in table.items():
        lut[_parse_source_id(key, where)] = _parse_target(value, classes, where)
    return LabelMapping(source=sources[0][len("from_") :], target=target, lut=lut)


def available_mappings() -> list[str]:
    """Source label sets with a shipped mapping file, sorted (e.g. ``["ccp"]``)."""
    return sorted(p.stem for p in resource_path("taxonomies", "mappings").glob("*.json"))


def load_mapping(source: str, target: str) -> LabelMapping:
    """Load the shipped mapping ``resources/taxonomies/mappings/SOURCE.json`` into ``target``."""
    if source not in available_mappings():
        raise ValueError(f"no shipped mapping from {source!r}; available: {available_mappings()}")
    return mapping_from_taxonomies_json(
        resource_path("taxonomies", "mappings", f"{source}.json"), target
    )


def _value_summary(values: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(str(int(v)) for v in values[:limit])
    return shown + (f", ... ({values.size} values)" if values.size > limit else "")


def apply_mapping(mask: np.ndarray, mapping: LabelMapping) -> np.ndarray:
    """Translate source label ids to target ids.

    Parameters
    ----------
    mask : ndarray, shape (H, W), dtype uint8
        Source label ids.
    mapping : LabelMapping

    Returns
    -------
    ndarray, shape (H, W), dtype uint8
        Target ids (a new array).

    Raises
    ------
    ValueError
        The mask contains source ids the mapping does not cover (listed in the message).
    """
    mask = np.asarray(mask)
    if mask.dtype != np.uint8:
        raise ValueError(f"mask must be uint8 label ids, got dtype {mask.dtype}")
    out = mapping.lut[mask]
    if (mapping.lut == UNMAPPED).any():
        bad = np.unique(mask[out == UNMAPPED])
        if bad.size:
            source = "" if mapping.source in ("ids", mapping.target) else f"{mapping.source} "
            raise ValueError(f"mask has {source}ids not mapped to {mapping.target!r}: {_value_summary(bad)}")
    return out


def validate_mask(mask: np.ndarray, taxonomy: Taxonomy, path: str | Path | None = None) -> None:
    """Check that ``mask`` holds only ids of ``taxonomy``.

    Parameters
    ----------
    mask : ndarray, shape (H, W), dtype uint8
    taxonomy : Taxonomy
    path : str or Path, optional
        The file the mask came from, named in the error.

    Raises
    ------
    ValueError
        Wrong dimensions or dtype, or values >= ``taxonomy.num_classes`` (listed, with the file).
    """
    where = f"{path}: " if path is not None else ""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"{where}mask must be 2-D (H, W), got shape {mask.shape}")
    if mask.dtype != np.uint8:
        raise ValueError(f"{where}mask must be uint8 label ids, got dtype {mask.dtype}")
    if mask.size and int(mask.max()) >= taxonomy.num_classes:
        bad = np.unique(mask[mask >= taxonomy.num_classes])
        raise ValueError(
            f"{where}label values outside taxonomy {taxonomy.name!r} "
            f"(ids 0..{taxonomy.num_classes - 1}): {_value_summary(bad)}"
        )
