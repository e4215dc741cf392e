"""A studio's own label set: a taxonomy file of the shipped format that a project stores.

``fashion-annotator new --tasks garment,/path/our_parts.json`` reads such a file::

    {"name": "garment_parts",
     "task": {"title": "Garment parts", "primary_metric": "miou"},
     "classes": [{"name": "background", "color": [0, 0, 0], "shortcut": "1"},
                 {"name": "garment", "color": [230, 25, 75], "shortcut": "2"}, ...]}

On top of the shipped format's checks (:func:`~fashion_annotator.core.labels.taxonomy_from_dict`,
:func:`~fashion_annotator.core.tasks.spec_from_dict`) a label set must name its task with
letters, digits, ``_`` or ``-`` (it becomes a folder and a model file name), not take a shipped
task's name with other classes (nor, in a new file, in other letter case, nor a shipped model's),
start with ``background``, and give every class its own colour
and shortcut. Its ``task`` block may set ``title`` (printable, :data:`MAX_TITLE` characters at most)
and ``primary_metric``; ``refinements`` and
``agrees_with`` are chosen by benchmarks of the shipped models and are refused.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fashion_annotator.core.labels import (
    Taxonomy,
    available_taxonomies,
    load_taxonomy,
    load_taxonomy_file,
    taxonomy_from_dict,
)
from fashion_annotator.core.tasks import TaskSpec, spec_from_dict, task_spec
from fashion_annotator.resources import resource_path

__all__ = [
    "MAX_TITLE",
    "RESERVED_TASK_NAMES",
    "SHORTCUTS",
    "is_label_set_path",
    "label_set_from_dict",
    "label_set_json",
    "load_label_set",
    "same_files",
    "split_task_entries",
]

#: Task names the application uses for models without a taxonomy (the click model, the garment
#: instances and their attribute heads): a label set may not take them.
RESERVED_TASK_NAMES: tuple[str, ...] = ("click", "instances", "instance_attributes")
#: The keys a class may have as its shortcut ('' for none).
SHORTCUTS: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")
#: The longest ``task.title`` a new label set may have (it labels a task button and menus).
MAX_TITLE = 40
_TASK_KEYS = ("title", "primary_metric")


def same_files(name: str, other: str) -> bool:
    """Whether task names ``name`` and ``other`` differ only in letter case: on Windows and
    macOS, whose folders ignore case, they name the same mask folders and model files."""
    return name != other and name.casefold() == other.casefold()


def _check_new_name(name: str, source: str) -> None:
    """Refuse for a new label set a name whose files are the application's: a shipped task's or
    a reserved name in other letters, or a shipped model's (``resources/models/NAME``, where
    a task without a project model takes its proposals from)."""
    models = [p.stem for p in resource_path("models").glob("*.safetensors")]
    for taken in (*available_taxonomies(), *RESERVED_TASK_NAMES, *models):
        if same_files(name, taken):
            raise ValueError(
                f"{source}: name {name!r} differs from the application's {taken!r} only in letter "
                "case, and on Windows and macOS both name the same mask folders and model files; "
                "give your label set another name"
            )
    if name in models and name not in available_taxonomies():
        raise ValueError(f"{source}: name {name!r} is a shipped model's; give your label set another name")


def _check_title(title: str, source: str) -> None:
    """Refuse a title the window cannot show on one line: control characters (a newline, a
    tab), spaces at its ends, or more than :data:`MAX_TITLE` characters."""
    if not title.isprintable() or title != title.strip():
        raise ValueError(f"{source}: task 'title' {title!r} has control characters or spaces at its ends")
    if len(title) > MAX_TITLE:
        raise ValueError(f"{source}: task 'title' has {len(title)} characters; {MAX_TITLE} at most")


def is_label_set_path(entry: str | Path) -> bool:
    """Whether a ``--tasks`` entry names a label set file (a path ending in ``.json``)."""
    return isinstance(entry, Path) or str(entry).lower().endswith(".json")


def _names_nothing(entry: str) -> bool:
    """Whether a ``--tasks`` entry is a path that names nothing yet: not a task name, not an
    existing file, not a ``.json`` file in an existing folder (a piece of a path with a comma)."""
    entry = entry.strip()
    path = Path(entry)
    in_folder = is_label_set_path(entry) and path.parent.is_dir()
    return bool(entry) and not _NAME.fullmatch(entry) and not path.is_file() and not in_folder


def _value_entries(value: str) -> list[str]:
    """The entries of one ``--tasks`` value (see :func:`split_task_entries`), blanks kept."""
    pieces = value.split(",")
    runs: list[str] = []
    i = 0
    while i < len(pieces):  # the longest run of pieces that names an existing file, else one
        j = next((j for j in range(len(pieces), i + 1, -1) if Path(",".join(pieces[i:j]).strip()).is_file()),
                 i + 1)  # fmt: skip
        runs.append(",".join(pieces[i:j]))
        i = j
    entries: list[str] = []
    for run in runs:
        last = entries[-1].strip() if entries else ""
        goes_on = _names_nothing(last) and not is_label_set_path(last)  # a folder's name, cut
        if goes_on and not _NAME.fullmatch(run.strip()) and not Path(run.strip()).is_file():
            entries[-1] += f",{run}"
        else:
            entries.append(run)
    return entries


def split_task_entries(values: list[str]) -> list[str]:
    """The entries of ``--tasks`` (or ``--add``) options, each comma-separated; blank entries
    are dropped.

    A run of comma-joined pieces that names an existing file is one entry (a label set file
    whose path holds a comma), the longest such run first. A path with a comma that names no
    file stays whole, so that the error names it as given: a piece that is no task name, no
    existing file and no ``.json`` file in an existing folder takes the pieces after it (no
    task names, no existing files) up to the one that ends in ``.json``.

    Examples
    --------
    >>> split_task_entries(["garment, parsing7", "person"])
    ['garment', 'parsing7', 'person']
    >>> split_task_entries(["garment,/no/studio, 2026/parts.json"])
    ['garment', '/no/studio, 2026/parts.json']
    """
    entries = [entry.strip() for value in values for entry in _value_entries(value)]
    return [e for e in entries if e]


def _duplicates(values: list[Any]) -> list[Any]:
    return [v for i, v in enumerate(values) if v in values[:i]]


def _check_classes(taxonomy: Taxonomy, source: str) -> None:
    if taxonomy.classes[0].name != "background":
        raise ValueError(
            f"{source}: the first class must be 'background' (label id 0), not {taxonomy.classes[0].name!r}"
        )
    if taxonomy.num_classes < 2:
        raise ValueError(f"{source}: a label set needs background and at least one more class")
    for cls in taxonomy.classes:
        if not cls.name.isprintable() or cls.name != cls.name.strip():
            raise ValueError(f"{source}: class name {cls.name!r} has control characters or spaces at its ends")
        if cls.shortcut not in ("", *SHORTCUTS):
            raise ValueError(
                f"{source}: class {cls.name!r} has shortcut {cls.shortcut!r}; use one of the keys "
                f"{', '.join(SHORTCUTS)} or \"\" for none"
            )
    colours = _duplicates([c.color for c in taxonomy.classes])
    if colours:
        named = [c.name for c in taxonomy.classes if c.color == colours[0]]
        raise ValueError(f"{source}: classes {named} share the colour {list(colours[0])}; each needs its own")
    keys = _duplicates([c.shortcut for c in taxonomy.classes if c.shortcut])
    if keys:
        named = [c.name for c in taxonomy.classes if c.shortcut == keys[0]]
        raise ValueError(f"{source}: classes {named} share the shortcut {keys[0]!r}; each needs its own")


def label_set_from_dict(data: Any, source: str) -> TaskSpec:
    """Check a label set's JSON structure and return its task spec.

    A label set with a shipped task's name and the same classes is that shipped task.

    Parameters
    ----------
    data : Any
        The parsed JSON.
    source : str
        Named in error messages (the file path).

    Raises
    ------
    ValueError
        Each problem in plain words, naming ``source``.
    """
    taxonomy = taxonomy_from_dict(data, source)
    if not _NAME.fullmatch(taxonomy.name):
        raise ValueError(
            f"{source}: name {taxonomy.name!r} must start with a letter and hold only letters, digits, "
            "'_' or '-' (40 at most): it names the task's folders and model files"
        )
    if taxonomy.name in RESERVED_TASK_NAMES:
        raise ValueError(f"{source}: name {taxonomy.name!r} is reserved for a model of the application")
    if taxonomy.name in available_taxonomies():
        shipped = load_taxonomy(taxonomy.name)
        if shipped != taxonomy:
            other = "other classes" if shipped.names != taxonomy.names else "other colours or keys"
            raise ValueError(
                f"{source}: name {taxonomy.name!r} is a shipped task with {other} "
                f"({', '.join(shipped.names)}); give your label set another name (a shipped "
                "task's colours are set in Preferences)"
            )
        return task_spec(taxonomy.name)
    _check_classes(taxonomy, source)
    block = data.get("task")
    if isinstance(block, dict):
        refused = [k for k in block if k not in _TASK_KEYS]
        if refused:
            raise ValueError(
                f"{source}: the 'task' block may set {' and '.join(_TASK_KEYS)} only, not {', '.join(refused)}"
            )
    return spec_from_dict(taxonomy, block, source)


def load_label_set(path: str | Path) -> TaskSpec:
    """Read and check a label set file (format in the module docstring).

    A new label set may not take a name whose files are the application's (a shipped task's
    name in other letters, a shipped model's), nor a title with control characters, spaces at
    its ends or more than :data:`MAX_TITLE` characters; a stored one is not checked again, so
    that a project made before these rules still opens.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not UTF-8, bad JSON, a name whose files are the application's, or a problem of
        :func:`label_set_from_dict`; the message names the file.
    """
    path = Path(path)
    load_taxonomy_file(path)  # the file's own problems (missing, not JSON) first, named as such
    spec = label_set_from_dict(json.loads(path.read_text(encoding="utf-8")), str(path))
    _check_new_name(spec.name, str(path))
    _check_title(spec.title, str(path))
    return spec


def label_set_json(spec: TaskSpec) -> str:
    """The definition a project stores for ``spec``: its file's format, compact."""
    block = {"title": spec.title, "primary_metric": spec.primary_metric}
    classes = [{"name": c.name, "color": list(c.color), "shortcut": c.shortcut} for c in spec.taxonomy.classes]
    return json.dumps({"name": spec.name, "task": block, "classes": classes}, separators=(",", ":"))
