"""What changed since QA rejected a mask: each image's current mask scored against the version
QA last rejected (the Review tab's "vs version QA rejected").

A reviewer who rejected version 1 and sees the operator's version 2 marked Done wants to
check the fix: the score is Dice (or the foreground mIoU) of the current mask against the
rejected one, and the detail view's overlay shows the pixels that changed. There is no fallback
to another version: an image never rejected is listed unscored, saying "no rejected version",
and one whose rejected version is still the latest says nothing was saved since.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from fashion_annotator.dataset.api import ProjectStore
from fashion_annotator.dataset.records import DecisionRecord, ImageRecord, MaskVersion, ProjectError
from fashion_annotator.qa.decisions import last_decisions
from fashion_annotator.qa.scores import ImageScore, TaskVersions, _saved_rows, score_masks

__all__ = [
    "NO_REJECT",
    "REJECTED",
    "RejectedVersion",
    "rejected_mask",
    "rejected_version",
    "score_since_reject",
]

#: The reference of a row scored against the version QA rejected (:attr:`ImageScore.reference`).
REJECTED = "rejected"
#: Why a row is unscored against the rejected version: QA never rejected the image's mask.
NO_REJECT = "no rejected version"


@dataclass(frozen=True)
class RejectedVersion:
    """The version QA last rejected of one image's task mask, and that reject."""

    version: int
    decision: DecisionRecord


def rejected_version(decisions: Sequence[DecisionRecord], versions: Sequence[MaskVersion]) -> RejectedVersion | None:
    """The mask version of the latest reject among ``decisions`` (one image and task, oldest
    first), or None when none was rejected.

    A reject records the version it was made on; one recorded before that column existed
    (``mask_version`` None) is taken to be on the latest version saved before it, by time.

    Parameters
    ----------
    decisions : sequence of DecisionRecord
        The image's decisions on the task, oldest first.
    versions : sequence of MaskVersion
        The image's saved versions of the task, oldest first.
    """
    for decision in reversed(decisions):
        if decision.decision != "reject":
            continue
        number = decision.mask_version
        if number is None:
            before = [v.version for v in versions if v.created <= decision.created]
            number = before[-1] if before else None
        if number and any(v.version == number for v in versions):
            return RejectedVersion(number, decision)
    return None


def rejected_mask(project: ProjectStore, image_id: int, task: str) -> tuple[np.ndarray, int] | None:
    """The mask of the version QA last rejected of the image's ``task`` mask and its version
    number, or None (never rejected, or the file is gone)."""
    versions = project.mask_versions(image_id, task)
    rejected = rejected_version(project.decisions(image_id, task), versions)
    if rejected is None:
        return None
    mask = project.load_mask(image_id, task, rejected.version)
    return None if mask is None else (mask, rejected.version)


def score_since_reject(
    project: ProjectStore,
    task: str,
    *,
    records: Sequence[ImageRecord] | None = None,
    saved: TaskVersions | None = None,
) -> list[ImageScore]:
    """A row per image with a saved ``task`` mask, its latest version scored against the version
    QA last rejected (:func:`rejected_version`); only the masks of rejected images are read.

    Parameters
    ----------
    project : ProjectStore
    task : str
        One of the project's tasks.
    records : sequence of ImageRecord, optional
        ``project.images()`` when the caller has just read it.
    saved : mapping, optional
        ``project.mask_versions_of_task(task)`` when the caller has just read it.

    Returns
    -------
    list of ImageScore
        In import order, ``reference`` :data:`REJECTED`; ``compared`` says which versions a
        scored row compares (``"v2 against v1, rejected by bob"``), ``unscored`` why a row is
        not scored (:data:`NO_REJECT`, or no version saved since the reject).
    """
    saved = project.mask_versions_of_task(task) if saved is None else saved
    rows = _saved_rows(project, task, None, records, saved, last_decisions(project, task))
    history: dict[int, list[DecisionRecord]] = {}
    for decision in project.decisions(task=task):
        history.setdefault(decision.image_id, []).append(decision)
    return [_since_reject(project, task, row, saved[row.image_id], history.get(row.image_id, []))
            for row in rows]  # fmt: skip


def _since_reject(project: ProjectStore, task: str, row: ImageScore, versions: Sequence[MaskVersion],
                  decisions: Sequence[DecisionRecord]) -> ImageScore:  # fmt: skip
    """``row`` scored against its rejected version, or unscored saying why."""
    row = replace(row, reference=REJECTED)
    rejected = rejected_version(decisions, versions)
    if row.problem:
        return row
    if rejected is None:
        return replace(row, unscored=NO_REJECT)
    latest = versions[-1].version
    if rejected.version == latest:
        return replace(row, unscored=f"v{latest} is the version rejected: nothing saved since the reject")
    try:
        current = project.load_mask(row.image_id, task, latest)
        before = project.load_mask(row.image_id, task, rejected.version)
        if current is None or before is None:
            return replace(row, problem=f"{row.name}: the mask of v{rejected.version} or v{latest} is missing")
        pair = score_masks(before, current, project.taxonomy(task))
    except (ValueError, OSError, ProjectError) as exc:
        return replace(row, problem=f"{row.name}: {exc}")
    return replace(row, score=pair.score, pixel_accuracy=pair.pixel_accuracy, per_class_iou=pair.per_class_iou,
                   compared=f"v{latest} against v{rejected.version}, rejected by {rejected.decision.user}")  # fmt: skip

