"""One definition per task, read from its taxonomy file's ``"task"`` block.

A taxonomy file (``resources/taxonomies/NAME.json``) may carry::

    "task": {"title": "Garment cutout", "primary_metric": "median_dice",
             "refinements": ["snap", "grabcut"], "agrees_with": []}

``title`` is what the window and reports show, ``primary_metric`` the validation figure that
ranks models (training promotion) and decides QA's per-image score (``median_dice`` and
``mean_dice``: Dice; ``miou``: mean foreground IoU), ``refinements`` the refinement chain
applied to every model proposal (names of :data:`fashion_annotator.segmentation.refine.REFINEMENTS`),
``agrees_with`` the cutout tasks a parsing task's proposals are made to agree with in a project
that has them (:mod:`fashion_annotator.segmentation.consistency`; kept only where it measurably
helps the task). A missing block or key takes the defaults: the capitalised name, ``median_dice``
for two-class tasks and ``miou`` otherwise, no refinements, no cutouts. QA, training, the window and the command line
read :func:`task_spec` instead of naming tasks in code.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fashion_annotator.core.labels import Taxonomy, available_taxonomies, load_taxonomy
from fashion_annotator.resources import resource_path

#: The project's model task name of click models (no taxonomy: :mod:`training.click_retrain`).
CLICK_TASK = "click"
#: Primary metrics whose per-image score is Dice (the others: mean foreground IoU).
DICE_METRICS: tuple[str, ...] = ("median_dice", "mean_dice")
#: Validation figures a task may rank models by.
PRIMARY_METRICS: tuple[str, ...] = (*DICE_METRICS, "miou")


@dataclass(frozen=True)
class TaskSpec:
    """What the application knows about one task.

    Attributes
    ----------
    name : str
        The task (taxonomy) name.
    title : str
        Shown to people ("Garment cutout").
    taxonomy : Taxonomy
    primary_metric : str
        One of :data:`PRIMARY_METRICS`.
    refinements : tuple of str
        Applied in order to every model proposal.
    agrees_with : tuple of str
        Cutout tasks whose proposals this parsing task's proposals are made to agree with.
    """

    name: str
    title: str
    taxonomy: Taxonomy
    primary_metric: str
    refinements: tuple[str, ...]
    agrees_with: tuple[str, ...] = ()

    @property
    def binary(self) -> bool:
        """Two classes (background / foreground): a sigmoid network."""
        return self.taxonomy.is_binary

    @property
    def uses_dice(self) -> bool:
        """Whether per-image scores are Dice (else mean foreground IoU)."""
        return self.primary_metric in DICE_METRICS


def default_primary_metric(binary: bool) -> str:
    """The primary metric of a task without a spec: median Dice if binary, else mIoU."""
    return "median_dice" if binary else "miou"


def spec_from_dict(taxonomy: Taxonomy, block: Mapping[str, Any] | None, source: str) -> TaskSpec:
    """Build a :class:`TaskSpec` from a taxonomy and its ``"task"`` block (None: defaults).

    Raises
    ------
    ValueError
        A malformed block, naming ``source`` and the key.
    """
    block = {} if block is None else block
    if not isinstance(block, Mapping):
        raise ValueError(f"{source}: 'task' must be an object")
    title = block.get("title", taxonomy.name.capitalize())
    if not isinstance(title, str) or not title:
        raise ValueError(f"{source}: task 'title' must be a non-empty string")
    metric = block.get("primary_metric", default_primary_metric(taxonomy.is_binary))
    if metric not in PRIMARY_METRICS:
        raise ValueError(f"{source}: task 'primary_metric' {metric!r} not one of {PRIMARY_METRICS}")
    refinements = block.get("refinements", [])
    if not isinstance(refinements, list) or not all(isinstance(r, str) for r in refinements):
        raise ValueError(f"{source}: task 'refinements' must be a list of names")
    agrees = block.get("agrees_with", [])
    if not isinstance(agrees, list) or not all(isinstance(r, str) for r in agrees):
        raise ValueError(f"{source}: task 'agrees_with' must be a list of task names")
    if agrees and taxonomy.is_binary:
        raise ValueError(f"{source}: task 'agrees_with' is for parsing tasks; {taxonomy.name!r} is a cutout")
    return TaskSpec(taxonomy.name, title, taxonomy, metric, tuple(refinements), tuple(agrees))


#: Task specs of project-owned label sets, by name (:func:`register_project_task`).
_PROJECT_TASKS: dict[str, TaskSpec] = {}


def register_project_task(spec: TaskSpec) -> None:
    """Make a project's own label set known to the name-only lookups (:func:`task_spec`,
    :func:`task_title`, :func:`primary_metric`) of this process.

    A project registers its stored label sets when it opens. The taxonomy that masks are
    checked and drawn with always comes from the project itself
    (:meth:`~fashion_annotator.dataset.api.ProjectStore.taxonomy`); this registry only lends
    the title and primary metric to code that has a task name and no project. Two open
    projects with different label sets of one name: the last registered names both.

    Raises
    ------
    ValueError
        ``spec`` has a shipped task's name.
    """
    if spec.name in available_taxonomies():
        raise ValueError(f"{spec.name!r} is a shipped task; a project label set cannot replace it")
    _PROJECT_TASKS[spec.name] = spec


def known_task(name: str) -> bool:
    """Whether ``name`` is a shipped task or a registered project label set."""
    return name in _PROJECT_TASKS or name in available_taxonomies()


def task_spec(name: str) -> TaskSpec:
    """The spec of a shipped task or a registered project label set; ``ValueError`` for an
    unknown one."""
    spec = _PROJECT_TASKS.get(name)
    return spec if spec is not None else _shipped_spec(name)


@functools.cache
def _shipped_spec(name: str) -> TaskSpec:
    if name not in available_taxonomies():
        raise ValueError(f"unknown task {name!r}; tasks: {', '.join(available_taxonomies())}")
    path = resource_path("taxonomies", f"{name}.json")
    block = json.loads(path.read_text(encoding="utf-8")).get("task")
    return spec_from_dict(load_taxonomy(name), block, str(path))


def task_title(task: str) -> str:
    """Display name of a task: its spec's title, else the name capitalised."""
    return task_spec(task).title if known_task(task) else task.capitalize()


def available_tasks() -> list[str]:
    """Names of the shipped tasks, sorted."""
    return available_taxonomies()


def primary_metric(task: str, binary: bool) -> str:
    """The primary metric of ``task``: its spec's, or the default for tasks without one."""
    if known_task(task):
        return task_spec(task).primary_metric
    return default_primary_metric(binary)


def uses_dice(taxonomy: Taxonomy) -> bool:
    """Whether ``taxonomy``'s per-image scores are Dice: as its task spec says, else if binary."""
    return primary_metric(taxonomy.name, taxonomy.is_binary) in DICE_METRICS
