"""Annotation throughput from the effort log of saved masks (time spent and edit counts).

Every saved mask version carries the seconds the operator spent and the number of edits since
the previous save. Versions written by an import or by a model (``source`` other than
``"operator"``) carry no effort and are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from fashion_annotator.dataset.api import ProjectStore

__all__ = ["Throughput", "throughput"]


@dataclass(frozen=True)
class Throughput:
    """Effort of one operator on one task.

    ``images`` counts distinct images saved at least once; ``hours`` is the summed time log;
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
    for record in project.images():
        for task in tasks:
            for version in project.mask_versions(record.id, task):
                if version.source != "operator":
                    continue
                key = (version.user, task)
                images[key].add(record.id)
                saves[key] += 1
                seconds[key] += version.seconds
                actions[key] += version.actions
    return [
        Throughput(op, task, len(images[(op, task)]), saves[(op, task)],
                   seconds[(op, task)] / 3600.0, actions[(op, task)])
        for task, op in sorted((t, o) for o, t in images)
    ]  # fmt: skip
