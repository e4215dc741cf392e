"""Annotation throughput from the effort log of saved masks (time spent and edit counts).

Every saved mask version stores the image's running totals when it was saved (seconds spent
and edits made on the image, all tasks, by everyone); each operator is credited what their
versions added to them (:func:`~fashion_annotator.qa.effort.effort_contributions`). Versions
written by an import carry no effort and are left out; a crashed window's edits restored from
its journal count for the operator who made them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.records import MaskVersion
from fashion_annotator.qa.effort import effort_contributions

__all__ = ["Throughput", "throughput"]


@dataclass(frozen=True)
class Throughput:
    """Effort of one operator on one task.

    ``images`` counts distinct images saved at least once; ``hours`` and ``actions`` add up what
    the operator's saves added to the images' running totals (a save of several tasks at once
    counts in each task's row);
    ``images_per_hour`` is NaN when no time was logged.
    """

    operator: str
    task: str
    images: int
    saves: int
    hours: float
    actions: int

    @property
    def images_per_hour(self) -> float:
        return self.images / self.hours if self.hours > 0 else float("nan")

    @property
    def actions_per_image(self) -> float:
        return self.actions / self.images if self.images else float("nan")

    @property
    def seconds_per_image(self) -> float:
        return 3600.0 * self.hours / self.images if self.images else float("nan")


def throughput(
    project: ProjectStore,
    tasks: Iterable[str] | None = None,
    saved: Mapping[str, Mapping[int, Sequence[MaskVersion]]] | None = None,
) -> list[Throughput]:
    """Images per hour per operator and per task, sorted by task then operator.

    Parameters
    ----------
    project : fashion_annotator.dataset.store.Project
    tasks : iterable of str, optional
        Defaults to every task of the project.
    saved : mapping, optional
        ``task -> project.mask_versions_of_task(task)`` for every task of the project, when the
        caller has read them (else read here: one query per task). A save's effort depends on
        the versions of every task of its image.
    """
    project_tasks = project.tasks
    tasks = list(project_tasks if tasks is None else tasks)
    if saved is None:
        saved = {task: project.mask_versions_of_task(task) for task in project_tasks}
    images: dict[tuple[str, str], set[int]] = defaultdict(set)
    saves: dict[tuple[str, str], int] = defaultdict(int)
    seconds: dict[tuple[str, str], float] = defaultdict(float)
    actions: dict[tuple[str, str], int] = defaultdict(int)
    wanted = set(tasks)
    for image_id in sorted({i for task in project_tasks for i in saved[task]}):  # import order
        versions = {(v.task, v.version): v for task in project_tasks
                    for v in saved[task].get(image_id, ())}  # fmt: skip
        for (task, number), (spent, edits) in effort_contributions(versions.values()).items():
            if task not in wanted:
                continue
            key = (versions[(task, number)].user, task)
            images[key].add(image_id)
            saves[key] += 1
            seconds[key] += spent
            actions[key] += edits
    return [
        Throughput(op, task, len(images[(op, task)]), saves[(op, task)],
                   seconds[(op, task)] / 3600.0, actions[(op, task)])
        for task, op in sorted((t, o) for o, t in images)
    ]  # fmt: skip
