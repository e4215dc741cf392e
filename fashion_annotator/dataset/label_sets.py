"""The label sets a project owns: studio taxonomies stored in its index (table ``label_sets``).

A project's tasks are shipped taxonomy names or label sets read from a file at creation or
when a task is added (:mod:`fashion_annotator.core.label_sets`, :meth:`ProjectLabelSets.adding`). A label set's definition is stored in the project
(SQLite schema 5, PostgreSQL schema 4: one row per task, the file's JSON), so the project opens
the same on every desktop without the file, and a program older than those schemas refuses the
project (its version is newer) instead of failing on an unknown task. When a project opens,
:class:`ProjectLabelSets` reads the rows and registers each set with
:func:`~fashion_annotator.core.tasks.register_project_task`, so titles and primary metrics are
known to code that only has the task's name; :meth:`ProjectLabelSets.taxonomy` is what the
store's ``taxonomy(task)`` returns.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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

__all__ = ["LABEL_SETS_QUERY", "OWN_SET_HINT", "WITHOUT_MASK_QUERY", "ProjectLabelSets", "resolve_tasks"]

#: Said with an unknown task name: a label set is named by its file, also when it is added later.
OWN_SET_HINT = (
    "your own label set is given by its file (PATH.json, README 'Your own labels'): "
    "`new --tasks garment,PATH.json`, or `tasks PROJECT --add PATH.json` for a project made without it"
)
#: What :class:`ProjectLabelSets` reads (no parameters: the same text for SQLite and PostgreSQL).
LABEL_SETS_QUERY = "SELECT task, definition FROM label_sets"
#: Per task, the images marked Done or Approved with no saved mask of it (a task added after
#: they were done), read by :meth:`ProjectLabelSets.without_mask` (SQLite and PostgreSQL alike).
WITHOUT_MASK_QUERY = (
    "SELECT t.name AS task, i.id AS image_id FROM tasks t JOIN images i "
    "ON i.status IN ('done', 'approved') WHERE NOT EXISTS "
    "(SELECT 1 FROM mask_versions m WHERE m.image_id = i.id AND m.task = t.name)"
)


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
            try:
                load_task_taxonomy(str(entry))  # an unknown name: the error names the task
            except ProjectError as exc:
                raise ProjectError(f"{exc}; {OWN_SET_HINT}") from exc
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
    """An open project's own label sets, read when it opens and again when a task of no known
    label set is asked for (another session added it: ``fashion-annotator tasks P --add``).

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
        self._read = read
        self._specs: dict[str, TaskSpec] = {}
        self._damaged: dict[str, str] = {}
        self._load()

    def _load(self) -> None:
        for row in self._read(LABEL_SETS_QUERY):
            if row["task"] in self._specs:
                continue
            source = f"{self._where}: label set {row['task']!r}"
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

    def check_new(self, specs: Iterable[TaskSpec], tasks: Sequence[str]) -> None:
        """Refuse adding ``specs`` to a project whose tasks are ``tasks``: a task of one of its
        names with other classes, or of a name differing only in letter case.

        Raises
        ------
        ProjectError
            Naming the task and the clash.
        """
        for spec in specs:
            alike = [t for t in tasks if same_files(t, spec.name)]
            if alike:
                raise ProjectError(
                    f"{self._where}: its task {alike[0]!r} and {spec.name!r} differ only in letter case, "
                    "and on Windows and macOS both name the same mask folders and model files; rename yours"
                )
            if spec.name in tasks and self.taxonomy(spec.name) != spec.taxonomy:
                raise ProjectError(
                    f"{self._where}: it has a task {spec.name!r} of other classes, colours or keys "
                    f"({', '.join(self.taxonomy(spec.name).names)}); give your label set another name"
                )

    @contextlib.contextmanager
    def adding(
        self, tasks: Iterable[str | Path | TaskSpec], present: Sequence[str]
    ) -> Iterator[tuple[list[str], list[tuple[str, str]]]]:
        """Check ``tasks`` (shipped names, label set files or specs, or names among ``present``,
        the project's tasks) together, before any is stored; give the block their names, in
        order, and the ``(task, definition)`` rows it stores with them in one transaction (none
        for a shipped task or one the project has). Their label sets are kept here once the
        block ends without an error: a task refused in the transaction leaves none.

        Raises
        ------
        ProjectError
            An unknown name, a file's problem, two of ``tasks`` that clash, or a clash with the
            project's tasks (:meth:`check_new`): naming the task; nothing is added.
        """
        names: list[str] = []
        specs: list[TaskSpec] = []
        for task in tasks:
            if isinstance(task, str) and task in present:
                self.taxonomy(task)
                names.append(task)
                continue
            (spec,) = resolve_tasks([task], self._where)
            specs.append(spec)
            names.append(spec.name)
        specs = resolve_tasks(specs, self._where) if specs else []  # two of them that clash
        self.check_new(specs, present)
        new = [s for s in specs if s.name not in present and s.name not in available_taxonomies()]
        yield list(dict.fromkeys(names)), [(s.name, label_set_json(s)) for s in new]
        self.add(new)

    def without_mask(self, ids: Sequence[int] | None = None) -> dict[str, list[int]]:
        """Per task (only tasks that have such images), the ids of the images marked Done or
        Approved that have no saved mask of it, ascending: a task added to a project whose
        images were done gives them none until it is painted (the queue's filter "Done, no
        mask of ...", ``fashion-annotator tasks PROJECT``). ``ids``: only among those images
        (those a save changed: 120 ms for every image at 20,000 done ones)."""
        if ids is not None and not ids:
            return {}
        among = "" if ids is None else f" AND i.id IN ({', '.join(str(int(i)) for i in ids)})"
        found: dict[str, list[int]] = {}
        for row in self._read(f"{WITHOUT_MASK_QUERY}{among} ORDER BY t.position, i.id"):
            found.setdefault(row["task"], []).append(int(row["image_id"]))
        return found

    def unstored(self, rows: list[tuple[str, str]], stored: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
        """The ``(task, definition)`` rows of :meth:`adding` still to store, checked against the
        label sets ``stored`` (:data:`LABEL_SETS_QUERY` read inside the storing transaction):
        another session may have added a task of the same name since :meth:`adding` checked.

        One of the same classes is dropped (it is stored); one of other classes is refused
        and kept here as stored, instead of the database's bare constraint error.

        Raises
        ------
        ProjectError
            Naming the task and its stored classes.
        """
        theirs = {row["task"]: row["definition"] for row in stored}
        fresh = []
        for task, definition in rows:
            if task not in theirs:
                fresh.append((task, definition))
                continue
            source = f"{self._where}: label set {task!r}"
            try:
                spec = label_set_from_dict(json.loads(theirs[task]), source)
            except (ValueError, TypeError, AttributeError) as exc:
                raise ProjectError(f"{exc} (as stored in the project: damaged)") from exc
            if spec.taxonomy != label_set_from_dict(json.loads(definition), source).taxonomy:
                self._keep(spec)
                raise ProjectError(
                    f"{self._where}: task {task!r} was added meanwhile (another session) with other classes, "
                    f"colours or keys ({', '.join(spec.taxonomy.names)}); nothing added: give your label set "
                    "another name"
                )
        return fresh

    def taxonomy(self, task: str) -> Taxonomy:
        """The taxonomy of ``task``: the project's label set of that name, else the shipped one.

        Raises
        ------
        ProjectError
            Neither exists.
        """
        if task not in self._specs and task not in self._damaged and task not in available_taxonomies():
            self._load()  # a label set another session added since the project opened
        if task in self._damaged:
            raise ProjectError(self._damaged[task])
        spec = self._specs.get(task)
        return spec.taxonomy if spec is not None else load_task_taxonomy(task)
