"""Plain records returned by :class:`fashion_annotator.dataset.store.Project`.

Times are seconds since the epoch (``time.time()``); paths are absolute.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fashion_annotator.core.labels import Taxonomy, load_taxonomy
from fashion_annotator.dataset.schema import STATUSES


class ProjectError(Exception):
    """A project cannot be created, opened or written; the message names the file."""


@dataclass(frozen=True)
class ImageRecord:
    """One photo of the project.

    ``name`` is the file name inside ``images/`` (unique), ``stem`` the stem of the name it
    was imported under (used to attach masks by name), ``source`` where it came from.
    """

    id: int
    name: str
    stem: str
    path: Path
    source: str
    sha256: str
    width: int
    height: int
    status: str
    created: float
    updated: float
    user: str
    in_store: bool = False
    """The photo's bytes are in the project's database (a PostgreSQL upload): ``path`` is this
    desktop's copy, made when the photo is opened (``image_path``), so its absence is no loss."""

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` in pixels, EXIF orientation applied."""
        return (self.height, self.width)


@dataclass(frozen=True)
class MaskVersion:
    """One saved mask of one task: ``version`` counts from 1 per image and task.

    ``seconds`` and ``actions`` are the effort log: the image's running totals (time spent and
    edits made on every task, by everyone) when this version was saved, not this save's own
    share (:func:`fashion_annotator.qa.effort.effort_contributions` derives that).
    """

    image_id: int
    task: str
    version: int
    path: Path
    sha256: str
    source: str
    seconds: float
    actions: int
    user: str
    created: float


def by_image(versions: Iterable[MaskVersion]) -> dict[int, list[MaskVersion]]:
    """``versions`` grouped per image id, each image's in the order given (ids as first met)."""
    grouped: dict[int, list[MaskVersion]] = {}
    for v in versions:
        grouped.setdefault(v.image_id, []).append(v)
    return grouped


class NewerVersion(ProjectError):
    """Someone saved a version of the image's mask after the one an edit started from (the
    ``base`` a save was given: a lease that lapsed, a colleague's save): saving would hide
    their work, so nothing was saved. ``version`` is theirs."""

    def __init__(self, image_id: int, task: str, version: MaskVersion) -> None:
        self.version, self.task = version, task
        super().__init__(self.said_of(f"image {image_id}"))

    def said_of(self, name: str) -> str:
        """The refusal naming the image ``name`` (its photo, where the caller knows it: the
        message names ``image N`` by the internal id)."""
        version = self.version
        when = time.strftime("%H:%M", time.localtime(version.created))
        return (f"{name} ({self.task}): version {version.version} was saved by {version.user} at "
                f"{when} after this image was opened; not saved over it")  # fmt: skip


def check_base(image_id: int, task: str, latest: MaskVersion | None, base: int | None) -> None:
    """Inside a save's transaction: raise :class:`NewerVersion` when ``base`` (the version the
    edits started from; None: no check) is not the ``latest`` saved version any more."""
    if base is not None and latest is not None and latest.version != base:
        raise NewerVersion(image_id, task, latest)


IMPORTED_PROPOSAL = "coco-instances import"
"""The model version of a proposal an import recorded (a parsing mask painted from imported
instances alone): the start an operator finishes, which a model's proposal never replaces."""


@dataclass(frozen=True)
class ProposalRecord:
    """What a model proposed for an image and task when it was opened."""

    image_id: int
    task: str
    version: int
    path: Path
    model_version: str
    user: str
    created: float


def started_from(
    proposals: Sequence[ProposalRecord], versions: Sequence[MaskVersion]
) -> ProposalRecord | None:
    """The proposal an image's saved masks (``versions``, oldest first) were made from: the
    latest recorded at or before the first save (with no save yet: the latest). A proposal
    recorded after the first save was never where the operator started: the window opens the
    saved mask once there is one, and a model refit on that very mask proposed it. None when
    the first save came before any proposal: a mask drawn by hand, or imported (an import's
    masks predate every proposal; the first one made after it is a model's view of the
    imported mask, not a proposal anyone accepted). The one rule for what a mask started from:
    QA scores a saved mask against it (none: unscored), Model history and a retrain count a
    mask equal to it as an accepted proposal."""
    first = versions[0].created if versions else math.inf
    earlier = [r for r in proposals if r.created <= first]
    return earlier[-1] if earlier else None


@dataclass(frozen=True)
class MaskStart:
    """An image's saved mask versions of one task (oldest first) and the proposal they were
    started from (:func:`started_from`; its PNG is at ``shown.path``), as a store's
    ``mask_starts`` reads them for all images at once."""

    versions: tuple[MaskVersion, ...]
    shown: ProposalRecord | None
    #: Why the image's rows could not be read (a damaged or hostile index row; then
    #: ``versions`` and ``shown`` are empty): :meth:`checked` raises it for that image alone.
    problem: str = ""
    #: Whether the image has proposals of the task although none was shown: all were recorded
    #: after its first mask version (an imported mask, one drawn before any proposal).
    later: bool = False

    def checked(self) -> MaskStart:
        """This start, or the :class:`ProjectError` of its :attr:`problem`."""
        if self.problem:
            raise ProjectError(self.problem)
        return self


MaskRead = Callable[[], "np.ndarray | None"]
"""What a store's ``load_masks`` gives for each mask: called, the checked ``(H, W) uint8``
mask (None: no such version), or the :class:`ProjectError` of a damaged file."""


def mask_starts_of(
    image_ids: Iterable[int],
    versions: dict[int, list[MaskVersion]],
    proposals: dict[int, list[ProposalRecord]],
) -> dict[int, MaskStart]:
    """``image_id -> MaskStart`` of each of ``image_ids`` from its ``versions`` and ``proposals``
    (per image id, oldest first; an image missing from either has none)."""
    starts = {}
    for i in image_ids:
        saved, made = versions.get(i, []), proposals.get(i, [])
        shown = started_from(made, saved)
        starts[i] = MaskStart(tuple(saved), shown, later=bool(saved and made) and shown is None)
    return starts


@dataclass(frozen=True)
class DecisionRecord:
    """A QA decision: ``decision`` is ``"approve"`` or ``"reject"``; ``mask_version`` is the
    latest mask version of the task when it was made (0: none saved; None in projects older
    than the column, where the times decide)."""

    id: int
    image_id: int
    task: str
    decision: str
    reason: str | None
    text: str
    user: str
    created: float
    mask_version: int | None = None


@dataclass(frozen=True)
class ModelRecord:
    """A model in the project's registry; ``version`` counts from 1 per task."""

    task: str
    version: int
    path: Path
    metrics: dict = field(default_factory=dict)
    trained_on: list[str] = field(default_factory=list)
    created: float = 0.0
    active: bool = False


def load_task_taxonomy(task: str) -> Taxonomy:
    """The shipped taxonomy of ``task``.

    Raises
    ------
    ProjectError
        No taxonomy of that name ships (the message names the task).
    """
    try:
        return load_taxonomy(task)
    except (OSError, ValueError, KeyError) as exc:
        raise ProjectError(f"unknown task {task!r}: no such taxonomy ({exc})") from exc


def check_status(status: str) -> None:
    """Refuse an image status that is not one of :data:`~.schema.STATUSES` (ValueError)."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
