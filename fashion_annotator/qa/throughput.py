"""Annotation throughput from the effort log of saved masks (time spent and edit counts).

Every saved mask version stores the image's running totals when it was saved (seconds spent
and edits made on the image, all tasks, by everyone); each operator is credited what their
versions added to them (:func:`~fashion_annotator.qa.effort.effort_contributions`). Versions
written by an import carry no effort and are left out; a crashed window's edits restored from
its journal count for the operator who made them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from fashion_annotator.dataset.api import ProjectStore
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


def throughput(project: ProjectStore, tasks: Iterable[str] | None = None) -> list[Throughput]:
    """Images per hour per operator and per task, sorted by task then operator.

    Parameters
    ----------
    project : fashion_annotator.dataset.store.Project
    tasks : iterable of str, optional
        Defaults to every task of the project.
    """
    tasks = list(project.tasks if tasks is None else tasks)
    images: dict[tuple[str, str], set[int]] = defaultdict(set)
    saves: dict[tuple[str, str], int] = defaultdict(int)
    seconds: dict[tuple[str, str], float] = defaultdict(float)
    actions: dict[tuple[str, str], int] = defaultdict(int)
    wanted = set(tasks)
    for record in project.images():
        versions = {(v.task, v.version): v for task in project.tasks
                    for v in project.mask_versions(record.id, task)}  # fmt: skip
        for (task, number), (spent, edits) in effort_contributions(versions.values()).items():
            if task not in wanted:
                continue
            key = (versions[(task, number)].user, task)
            images[key].add(record.id)
            saves[key] += 1
            seconds[key] += spent
            actions[key] += edits
    return [
        Throughput(op, task, len(images[(op, task)]), saves[(op, task)],
                   seconds[(op, task)] / 3600.0, actions[(op, task)])
        for task, op in sorted((t, o) for o, t in images)
    ]  # fmt: skip
