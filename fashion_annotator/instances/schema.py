"""Instance taxonomies and attribute schemas: data files under ``resources/``.

An instance taxonomy (``resources/taxonomies/instances/NAME.json``)::

    {"name": "ccp", "pair_classes": {"parsing7": ["shoes"]},
     "categories": [{"name": "blazer", "color": [r, g, b],
                     "parents": {"parsing7": "top", "parsing18": "outer"}, "pair": false}, ...]}

``parents`` names the class a category's pixels carry in each parsing taxonomy
("background" where the taxonomy has no class for it, e.g. bags in parsing7).

An attribute schema (``resources/schemas/attributes/NAME.json``)::

    {"name": "deepfashion6", "groups": [{"name": "pattern", "shortcut": "Q",
                                         "values": ["floral", ...], "computed": false}, ...]}

Attribute ids (COCO ``attribute_ids``) are positions in the flattened list of every group's
values, in file order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from fashion_annotator.resources import resource_path

MAX_INSTANCES = 255
"""The most instances one image holds (ids 1..255 in a uint8 instance map)."""
DEFAULT_INSTANCE_TAXONOMY = "ccp"
DEFAULT_ATTRIBUTE_SCHEMA = "deepfashion6"


@dataclass(frozen=True)
class Category:
    """One fine category of an instance taxonomy (``id`` is its position, 0-based)."""

    id: int
    name: str
    color: tuple[int, int, int]
    parents: Mapping[str, str]
    pair: bool = False

    def parent(self, parsing_task: str) -> str:
        """Class name this category's pixels carry in ``parsing_task`` ("background" if none)."""
        return self.parents.get(parsing_task, "background")


@dataclass(frozen=True)
class InstanceTaxonomy:
    """Ordered fine categories plus the parsing classes whose items come in pairs."""

    name: str
    categories: tuple[Category, ...]
    pair_classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """Category names in id order."""
        return [c.name for c in self.categories]

    def __len__(self) -> int:
        return len(self.categories)

    def index(self, name: str) -> int:
        """Position of category ``name``; ``KeyError`` lists the categories when absent."""
        for c in self.categories:
            if c.name == name:
                return c.id
        raise KeyError(f"instance taxonomy {self.name!r} has no category {name!r}; categories: {self.names}")

    def category(self, name: str) -> Category:
        """The :class:`Category` called ``name``."""
        return self.categories[self.index(name)]

    def children(self, parsing_task: str, class_name: str) -> list[Category]:
        """Categories whose pixels carry ``class_name`` in ``parsing_task``."""
        return [c for c in self.categories if c.parent(parsing_task) == class_name]

    def parent_classes(self, parsing_task: str) -> set[str]:
        """Parsing classes that at least one category maps to."""
        return {c.parent(parsing_task) for c in self.categories}

    def off_class(self, category: str | None, parsing_class: int, parsing_task: str, parsing_names: list[str]) -> bool:
        """Whether an instance of ``category`` whose pixels carry ``parsing_class`` (an index of
        ``parsing_names``, the classes of ``parsing_task``) lies on another class's pixels than
        its category's own (the category model may name a garment across classes; accessories,
        class 0, and unknown categories have no class of their own)."""
        if category is None or parsing_class == 0:
            return False
        try:
            parent = self.category(category).parent(parsing_task)
        except KeyError:
            return False
        return parent in parsing_names and parsing_names.index(parent) != parsing_class


@dataclass(frozen=True)
class AttributeGroup:
    """A single-choice attribute group (``values`` in order; ``computed``: filled from pixels)."""

    name: str
    values: tuple[str, ...]
    shortcut: str = ""
    computed: bool = False

    @property
    def key(self) -> str:
        """The key that, with Alt, focuses its box in the Instances panel (its shortcut, else
        its name's initial)."""
        return self.shortcut or self.name[:1].upper()


@dataclass(frozen=True)
class AttributeSchema:
    """Attribute groups; ``attribute_id`` flattens (group, value) into COCO attribute ids."""

    name: str
    groups: tuple[AttributeGroup, ...]

    @property
    def group_names(self) -> list[str]:
        """Group names in file order."""
        return [g.name for g in self.groups]

    def group(self, name: str) -> AttributeGroup:
        """The group called ``name``; ``KeyError`` lists the groups when absent."""
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(f"attribute schema {self.name!r} has no group {name!r}; groups: {self.group_names}")

    @property
    def flat(self) -> list[tuple[str, str]]:
        """Every ``(group, value)`` pair in attribute-id order."""
        return [(g.name, v) for g in self.groups for v in g.values]

    def attribute_id(self, group: str, value: str) -> int:
        """COCO attribute id of ``value`` in ``group``."""
        try:
            return self.flat.index((group, value))
        except ValueError:
            raise KeyError(f"attribute schema {self.name!r}: {group!r} has no value {value!r}") from None

    def validate(self, attributes: Mapping[str, str], where: str = "") -> dict[str, str]:
        """Return ``attributes`` as a plain dict after checking every group and value exists."""
        out = {}
        for gname, value in attributes.items():
            group = self.group(gname)
            if value not in group.values:
                raise ValueError(f"{where}attribute {gname!r} has no value {value!r}; values: {list(group.values)}")
            out[gname] = value
        return out


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: file does not exist") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: invalid JSON ({exc})") from None


def _color(value: Any, where: str) -> tuple[int, int, int]:
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, int) and 0 <= v <= 255 for v in value)):
        raise ValueError(f"{where}: 'color' must be three integers 0..255, got {value!r}")
    return (value[0], value[1], value[2])


def instance_taxonomy_from_dict(data: Any, source: str = "<dict>") -> InstanceTaxonomy:
    """Build an :class:`InstanceTaxonomy`; ``ValueError`` names ``source`` and the bad field."""
    if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
        raise ValueError(f"{source}: expected an object with a string 'name'")
    raw = data.get("categories")
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{source}: 'categories' must be a non-empty list")
    cats = []
    for i, entry in enumerate(raw):
        where = f"{source}: category {i}"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise ValueError(f"{where}: expected an object with a non-empty 'name'")
        parents = entry.get("parents", {})
        if not isinstance(parents, Mapping) or not all(isinstance(v, str) for v in parents.values()):
            raise ValueError(f"{where}: 'parents' must map parsing task names to class names")
        cats.append(Category(i, entry["name"], _color(entry.get("color"), where), dict(parents), bool(entry.get("pair", False))))
    names = [c.name for c in cats]
    if len(set(names)) != len(names):
        raise ValueError(f"{source}: duplicate category names {sorted({n for n in names if names.count(n) > 1})}")
    if len(cats) > 254:
        raise ValueError(f"{source}: at most 254 categories, got {len(cats)}")
    pairs = data.get("pair_classes", {})
    if not isinstance(pairs, Mapping):
        raise ValueError(f"{source}: 'pair_classes' must map parsing task names to class lists")
    return InstanceTaxonomy(data["name"], tuple(cats), {k: tuple(v) for k, v in pairs.items()})


def attribute_schema_from_dict(data: Any, source: str = "<dict>") -> AttributeSchema:
    """Build an :class:`AttributeSchema`; ``ValueError`` names ``source`` and the bad field."""
    if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
        raise ValueError(f"{source}: expected an object with a string 'name'")
    raw = data.get("groups")
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{source}: 'groups' must be a non-empty list")
    groups = []
    for i, entry in enumerate(raw):
        where = f"{source}: group {i}"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise ValueError(f"{where}: expected an object with a string 'name'")
        values = entry.get("values")
        if not isinstance(values, list) or len(values) < 2 or not all(isinstance(v, str) and v for v in values):
            raise ValueError(f"{where} ({entry['name']}): 'values' must list at least two non-empty strings")
        if len(set(values)) != len(values):
            raise ValueError(f"{where} ({entry['name']}): duplicate values")
        groups.append(AttributeGroup(entry["name"], tuple(values), str(entry.get("shortcut", "")), bool(entry.get("computed", False))))
    if len({g.name for g in groups}) != len(groups):
        raise ValueError(f"{source}: duplicate group names")
    return AttributeSchema(data["name"], tuple(groups))


@lru_cache(maxsize=8)
def instance_parsing_task(tasks: Sequence[str]) -> str | None:
    """The task a project's instances derive from: its first task named ``parsing*``, or None.

    Instance pixels carry that task's class; a studio that wants outer wear and accessories kept
    apart makes parsing18 its (first) parsing task.
    """
    return next((t for t in tasks if t.startswith("parsing")), None)


def instance_taxonomy_names() -> list[str]:
    """The names :func:`load_instance_taxonomy` knows (``resources/taxonomies/instances/``)."""
    return sorted(path.stem for path in resource_path("taxonomies", "instances").glob("*.json"))


@lru_cache(maxsize=8)
def load_instance_taxonomy(name: str = DEFAULT_INSTANCE_TAXONOMY) -> InstanceTaxonomy:
    """Load ``resources/taxonomies/instances/NAME.json`` (or a path to such a file), once: each
    image's instances name theirs (parsing it again was a fifth of the Review tab's instance
    figures)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"instance taxonomy name must be a non-empty string, got {name!r:.60}")
    path = Path(name) if name.endswith(".json") else resource_path("taxonomies", "instances", f"{name}.json")
    return instance_taxonomy_from_dict(_read(path), str(path))


@lru_cache(maxsize=8)
def load_attribute_schema(name: str = DEFAULT_ATTRIBUTE_SCHEMA) -> AttributeSchema:
    """Load ``resources/schemas/attributes/NAME.json`` (or a path to such a file)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"attribute schema name must be a non-empty string, got {name!r:.60}")
    path = Path(name) if name.endswith(".json") else resource_path("schemas", "attributes", f"{name}.json")
    return attribute_schema_from_dict(_read(path), str(path))
