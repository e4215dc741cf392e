"""Annotation throughput from the effort log of saved masks (time spent and edit counts).

Every saved mask version stores the image's running totals when it was saved (seconds spent
and edits made on the image, all tasks, by everyone); each operator is credited what their
versions added to them (:func:`~fashion_annotator.qa.effort.effort_contributions`). Versions
written by an import carry no effort and are left out; a crashed window's edits restored from
its journal count for the operator who made them.

An image counts for every operator who saved a version of it (``images``: images worked on;
their effort is credited to each), so an image one operator started and another reworked
counts in both rows and the rows add up to more images than there are masks; ``latest``
counts each image once, for the operator whose version is its latest (a partition of the
images whose latest version is a person's work).
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

    ``images`` counts distinct images the operator saved at least once (images worked on: an
    image reworked by a colleague counts in both rows); ``latest`` those whose latest saved
    version of the task is the operator's (each image in one row at most); ``hours`` and
    ``actions`` add up what the operator's saves added to the images' running totals (a save of
    several tasks at once counts in each task's row);
    ``images_per_hour`` (images worked on per hour) is NaN when no time was logged.
    """

    operator: str
    task: str
    images: int
    saves: int
    hours: float
    actions: int
    latest: int = 0

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
    latest: dict[tuple[str, str], int] = defaultdict(int)
    wanted = set(tasks)
    for image_id in sorted({i for task in project_tasks for i in saved[task]}):  # import order
        versions = {(v.task, v.version): v for task in project_tasks
                    for v in saved[task].get(image_id, ())}  # fmt: skip
        credited = effort_contributions(versions.values())
        for (task, number), (spent, edits) in credited.items():
            if task not in wanted:
                continue
            key = (versions[(task, number)].user, task)
            images[key].add(image_id)
            saves[key] += 1
            seconds[key] += spent
            actions[key] += edits
        for task in wanted:  # a person's work: the operator who saved it (an import: nobody)
            newest = max(saved[task].get(image_id, ()), key=lambda v: v.version, default=None)
            if newest is not None and (task, newest.version) in credited:
                latest[(newest.user, task)] += 1
    return [
        Throughput(op, task, len(images[(op, task)]), saves[(op, task)],
                   seconds[(op, task)] / 3600.0, actions[(op, task)], latest[(op, task)])
        for task, op in sorted((t, o) for o, t in images)
    ]  # fmt: skip
