"""The label sets a project owns: studio taxonomies stored in its index (table ``label_sets``).

A project's tasks are shipped taxonomy names or label sets read at creation from a file
(:mod:`fashion_annotator.core.label_sets`). A label set's definition is stored in the project
(SQLite schema 5, PostgreSQL schema 4: one row per task, the file's JSON), so the project opens
the same on every desktop without the file, and a program older than those schemas refuses the
project (its version is newer) instead of failing on an unknown task. When a project opens,
:class:`ProjectLabelSets` reads the rows and registers each set with
:func:`~fashion_annotator.core.tasks.register_project_task`, so titles and primary metrics are
known to code that only has the task's name; :meth:`ProjectLabelSets.taxonomy` is what the
store's ``taxonomy(task)`` returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fashion_annotator.core.label_sets import (
    is_label_set_path,
    label_set_from_dict,
    label_set_json,
    load_label_set,
    same_files,
)
from fashion_annotator.core.labels import Taxonomy, available_taxonomies
from fashion_annotator.core.tasks import TaskSpec, register_project_task, task_spec
from fashion_annotator.dataset.records import ProjectError, load_task_taxonomy

__all__ = ["LABEL_SETS_QUERY", "ProjectLabelSets", "resolve_tasks"]

#: What :class:`ProjectLabelSets` reads (no parameters: the same text for SQLite and PostgreSQL).
LABEL_SETS_QUERY = "SELECT task, definition FROM label_sets"


def resolve_tasks(tasks: Iterable[str | Path | TaskSpec], where: str | Path) -> list[TaskSpec]:
    """The task specs of a new project's tasks, in order, without repeats.

    Parameters
    ----------
    tasks : iterable
        Shipped task names, label set files (paths ending in ``.json``) or task specs.
    where : str or Path
        The project, named in errors.

    Raises
    ------
    ProjectError
        No task, an unknown name, a label set file's problem (naming the file), or two tasks
        of one name, or of names differing only in letter case (the same folders on Windows
        and macOS).
    """
    specs: list[TaskSpec] = []
    for entry in tasks:
        if isinstance(entry, TaskSpec):
            spec = entry
        elif is_label_set_path(entry):
            try:
                spec = load_label_set(entry)
            except (OSError, ValueError) as exc:
                raise ProjectError(f"label set {exc}") from exc
        else:
            load_task_taxonomy(str(entry))  # an unknown name: the error names the task
            spec = task_spec(str(entry))
        alike = [s.name for s in specs if same_files(s.name, spec.name)]
        if alike:
            raise ProjectError(
                f"{where}: tasks {alike[0]!r} and {spec.name!r} differ only in letter case, and on "
                "Windows and macOS both name the same mask folders and model files; rename one"
            )
        same = [s for s in specs if s.name == spec.name]
        if same and same[0].taxonomy != spec.taxonomy:
            raise ProjectError(f"{where}: two tasks are named {spec.name!r} with different classes")
        if not same:
            specs.append(spec)
    if not specs:
        raise ProjectError(f"{where}: a project needs at least one task")
    return specs


class ProjectLabelSets:
    """An open project's own label sets, read once when it opens (they are fixed at creation).

    A stored definition that no longer parses (an index edited by hand, damaged) does not stop
    the project opening: only its task's :meth:`taxonomy` raises, naming the problem.

    Parameters
    ----------
    read : callable
        Runs :data:`LABEL_SETS_QUERY` on the project's index and returns its rows (mappings
        with ``task`` and ``definition``).
    where : str
        The project, named in errors.
    """

    def __init__(self, read: Callable[[str], Sequence[Mapping[str, Any]]], where: str) -> None:
        self._where = where
        self._specs: dict[str, TaskSpec] = {}
        self._damaged: dict[str, str] = {}
        for row in read(LABEL_SETS_QUERY):
            source = f"{where}: label set {row['task']!r}"
            try:
                spec = label_set_from_dict(json.loads(row["definition"]), source)
                if spec.name != row["task"]:
                    raise ValueError(f"{source}: its definition is named {spec.name!r}")
            except (ValueError, TypeError, AttributeError) as exc:
                self._damaged[row["task"]] = f"{exc} (as stored in the project: damaged)"
                continue
            self._keep(spec)

    def _keep(self, spec: TaskSpec) -> None:
        self._specs[spec.name] = spec
        register_project_task(spec)

    @property
    def specs(self) -> dict[str, TaskSpec]:
        """The project's label sets by task name (a copy)."""
        return dict(self._specs)

    def add(self, specs: Iterable[TaskSpec]) -> list[tuple[str, str]]:
        """Keep the label sets among ``specs`` (shipped tasks are skipped) and return the
        ``(task, definition)`` rows the caller stores in its creating transaction."""
        rows = []
        for spec in specs:
            if spec.name not in available_taxonomies():
                self._keep(spec)
                rows.append((spec.name, label_set_json(spec)))
        return rows

    def taxonomy(self, task: str) -> Taxonomy:
        """The taxonomy of ``task``: the project's label set of that name, else the shipped one.

        Raises
        ------
        ProjectError
            Neither exists.
        """
        if task in self._damaged:
            raise ProjectError(self._damaged[task])
        spec = self._specs.get(task)
        return spec.taxonomy if spec is not None else load_task_taxonomy(task)
