"""The public surface of a project store, as protocols: what the other layers may use.

:class:`fashion_annotator.dataset.store.Project` (SQLite + PNG files) implements
:class:`ProjectStore`; another backend implements the same protocol and its five parts
(:class:`ModelsPart`, :class:`DecisionsPart`, :class:`CachePart`, :class:`LeasesPart`,
:class:`InstancesPart`). Code
outside ``dataset/`` annotates ``project: ProjectStore``, never the concrete class.

:class:`LegacyNames` maps the method names used before the store was split into parts
(``project.acquire_lease``...) onto the parts; a backend inherits it to keep them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from fashion_annotator.core.images import ImageData
from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.dataset.leases import Lease
from fashion_annotator.dataset.records import (
    DecisionRecord,
    ImageRecord,
    MaskRead,
    MaskStart,
    MaskVersion,
    ModelRecord,
    ProposalRecord,
)

if TYPE_CHECKING:
    from fashion_annotator.core.tasks import TaskSpec
    from fashion_annotator.dataset.instances_store import InstanceVersion
    from fashion_annotator.instances.model import InstanceSet

__all__ = [
    "CachePart",
    "InstancesPart",
    "DecisionsPart",
    "LeasesPart",
    "LegacyNames",
    "ModelsPart",
    "ProjectStore",
]


class ModelsPart(Protocol):
    """``project.models``: the task models registered in the project."""

    def __call__(self, task: str) -> list[ModelRecord]:
        """Registered models of a task, oldest first."""
        ...

    def register(
        self,
        task: str,
        weights_path: str | Path,
        metrics: dict,
        trained_on: Sequence[str],
        *,
        activate: bool = False,
    ) -> ModelRecord:
        """Copy a model file (and its meta) into the project as the task's next version."""
        ...

    def active(self, task: str) -> ModelRecord | None:
        """The task's active model, or None (then the shipped default serves)."""
        ...

    def set_active(self, task: str, version: int | None) -> None:
        """Make ``version`` active; None reverts to the shipped default."""
        ...


class DecisionsPart(Protocol):
    """``project.decisions``: QA approve/reject decisions."""

    def __call__(
        self, image_id: int | None = None, task: str | None = None
    ) -> list[DecisionRecord]:
        """Decisions, oldest first, optionally of one image and/or task."""
        ...

    def record(
        self, image_id: int, task: str, decision: str, reason: str | None = None, text: str = "",
        seen_version: int | None = None,
    ) -> DecisionRecord:  # fmt: skip
        """Record a decision and set the image's status accordingly; ``ValueError`` when a
        mask version other than ``seen_version`` (the one the reviewer saw) is the latest."""
        ...

    def last(self, image_id: int, task: str | None = None) -> DecisionRecord | None:
        """The most recent decision on the image, or None."""
        ...

    def approved_counts(self) -> dict[str, int]:
        """Per task, the images whose latest saved mask of it QA approved (the queue's
        per-task Approved; tasks without one left out)."""
        ...


class CachePart(Protocol):
    """``project.cache``: derived arrays keyed by the photo's content."""

    def save(self, image_id: int, key: str, array: np.ndarray) -> None:
        """Store an array for the image's photo under ``key``."""
        ...

    def load(self, image_id: int, key: str) -> np.ndarray | None:
        """The cached array, or None when absent or unreadable."""
        ...

    def path(self, image_id: int, key: str) -> Path:
        """Where the entry ``key`` of the image's photo lies (a file
        :func:`~fashion_annotator.dataset.cache.write_entry` can write from any thread)."""
        ...


class LeasesPart(Protocol):
    """``project.leases``: one session edits an image at a time."""

    @property
    def token(self) -> str:
        """This session's lease token (what its leases carry in ``Lease.token``)."""
        ...

    def acquire(self, image_id: int, ttl_s: float = 300) -> Lease:
        """Take or renew this session's lease; raises ``LeaseHeld`` when another holds it."""
        ...

    def release(self, image_id: int) -> bool:
        """Give up this session's lease; return whether it held one."""
        ...

    def current(self, image_id: int) -> Lease | None:
        """The unexpired lease on the image, whoever holds it, or None."""
        ...


class InstancesPart(Protocol):
    """``project.instances``: versioned garment instance maps with one record per instance."""

    def save(
        self, image_id: int, iset: InstanceSet, *, source: str = "operator", edited: bool = False
    ) -> InstanceVersion:
        """Save a new version (``edited``: the image takes the status an edit earns, in the same
        transaction); raises ``ValueError`` (bad set), ``LeaseHeld``, ``ProjectError``."""
        ...

    def load(self, image_id: int, version: int | None = None) -> InstanceSet | None:
        """The latest (or ``version``) saved instances, or None when none were saved."""
        ...

    def versions(self, image_id: int) -> list[InstanceVersion]:
        """Every saved version of the image's instances, oldest first."""
        ...

    def image_ids(self) -> list[int]:
        """Ids of the images with saved instances, in id order."""
        ...

    def __iter__(self) -> Iterator[tuple[int, InstanceSet]]:
        """``(image_id, latest InstanceSet)`` for every image with saved instances."""
        ...


@runtime_checkable
class ProjectStore(Protocol):
    """An open project: images, masks, proposals, statuses and the four parts."""

    root: Path
    user: str

    @property
    def readonly(self) -> str | None:
        """Why the store is open read-only (every write raises), or None."""
        ...

    @property
    def models(self) -> ModelsPart:
        """The model registry."""
        ...

    @property
    def decisions(self) -> DecisionsPart:
        """QA decisions."""
        ...

    @property
    def cache(self) -> CachePart:
        """Derived arrays (superpixels...)."""
        ...

    @property
    def leases(self) -> LeasesPart:
        """Image leases."""
        ...

    @property
    def instances(self) -> InstancesPart:
        """Garment instances."""
        ...

    def close(self) -> None:
        """Release this session's leases and close the store."""
        ...

    @property
    def location(self) -> str | Path:
        """What ``store.open_project`` takes to open this project again (folder or URL)."""
        ...

    def claim_next(
        self, ttl_s: float = 300, statuses: Sequence[str] = ("new", "in_progress", "rejected")
    ) -> ImageRecord | None:
        """Lease the next image to work on (atomic: never the same image twice), or None."""
        ...

    @property
    def tasks(self) -> tuple[str, ...]:
        """Task names (taxonomy names) in creation order."""
        ...

    def add_task(self, *tasks: str | Path | TaskSpec) -> None:
        """Add tasks, all or none (shipped taxonomy names, label set files or specs)."""
        ...

    def taxonomy(self, task: str) -> Taxonomy:
        """The taxonomy of one of the project's tasks."""
        ...

    def add_image(self, src: str | Path, *, copy: bool = True) -> ImageRecord:
        """Add a photo (content-deduplicated)."""
        ...

    def add_image_counted(self, src: str | Path, *, copy: bool = True) -> tuple[ImageRecord, bool]:
        """Add a photo; also whether this call added it (False: already present)."""
        ...

    def images(
        self, status: str | None = None, search: str | None = None, ids: Sequence[int] | None = None,
        *, fetch_photos: bool = True,
    ) -> list[ImageRecord]:  # fmt: skip
        """Images in import order, optionally filtered (by status, name substring, ``ids``).
        ``fetch_photos=False``: a list for names and statuses; a shared project does not copy
        the photos to this desktop (:meth:`image_path` does, one at a time)."""
        ...

    def image(self, image_id: int) -> ImageRecord:
        """One image's record."""
        ...

    def images_by_stem(self, stem: str) -> list[ImageRecord]:
        """Images imported under a file name with this stem."""
        ...

    def image_path(self, image_id: int) -> Path:
        """Where the photo's file lies."""
        ...

    def load_photo(self, image_id: int) -> ImageData:
        """The decoded photo."""
        ...

    def set_status(self, image_id: int, status: str) -> None:
        """Set an image's status."""
        ...

    def change_token(self) -> tuple[int, int] | None:
        """``(others, own)``: counters that move whenever another session (or connection)
        commits a change, and whenever this one does (None: the store cannot tell cheaply,
        callers read what they need)."""
        ...

    def changed_images(self, since: tuple[int, int]) -> list[int] | None:
        """The images whose rows changed since the :meth:`change_token` ``since``, to be re-read
        with ``images(..., ids=...)`` (None: it cannot tell, read them all)."""
        ...

    def proposal_token(self) -> tuple[int, int]:
        """``(count, latest id)`` of the recorded proposals, of every session: it moves with
        each :meth:`save_proposal` (which :meth:`change_token` does not: a proposal changes no
        image row), and QA's scores and unscored reasons depend on them."""
        ...

    def counts(self) -> dict[str, int]:
        """Images per status."""
        ...

    def task_counts(self) -> dict[str, int]:
        """Images with at least one saved mask, per task."""
        ...

    def save_mask(
        self,
        image_id: int,
        task: str,
        mask: np.ndarray,
        *,
        seconds: float = 0.0,
        actions: int = 0,
        source: str = "operator",
        status: str | None = None,
        user: str | None = None,
        edited: bool = False,
        base: int | None = None,
    ) -> MaskVersion:
        """Save a new mask version (every version is kept); ``user``: whose work it is when
        not this session's operator (edits a crashed colleague's window left, restored);
        ``edited`` (without ``status``): the image takes the status an edit earns
        (``schema.EDITED_STATUS``) in the save's own transaction; ``base``: the version the
        edits started from, ``NewerVersion`` (nothing saved) when another is the latest."""
        ...

    def save_import(
        self, image_id: int, task: str, mask: np.ndarray, *, overwrite: bool = False
    ) -> MaskVersion | None:
        """Save an imported mask: None when equal to a saved version; ``ImportConflict``
        when it differs and not ``overwrite``; the status only rises to ``done``."""
        ...

    def load_mask(self, image_id: int, task: str, version: int | None = None) -> np.ndarray | None:
        """A saved mask (the latest unless ``version``), or None."""
        ...

    def mask_versions(self, image_id: int, task: str) -> list[MaskVersion]:
        """Every saved version, oldest first."""
        ...

    def mask_versions_of_task(self, task: str) -> dict[int, list[MaskVersion]]:
        """Every saved version of ``task``'s masks in one query: image id (ascending, images
        with a saved mask only) -> its versions, oldest first (as :meth:`mask_versions`)."""
        ...

    def save_proposal(
        self, image_id: int, task: str, mask: np.ndarray, model_version: str
    ) -> ProposalRecord:
        """Record what a model proposed for the image."""
        ...

    def load_proposal(self, image_id: int, task: str) -> np.ndarray | None:
        """The latest proposal, or None."""
        ...

    def proposals(self, image_id: int, task: str) -> list[ProposalRecord]:
        """Every recorded proposal, oldest first."""
        ...

    def proposals_of(
        self, task: str, image_ids: Iterable[int], wanted: Callable[[ProposalRecord], bool] | None = None,
        progress: Callable[[int, int], None] | None = None, problems: dict[int, str] | None = None,
    ) -> dict[int, list[ProposalRecord]]:  # fmt: skip
        """``proposals(image_id, task)`` of each of ``image_ids`` that has one, in a few queries
        (not one per image). A team store copies in batches the PNGs this desktop lacks of the
        records ``wanted(record)`` accepts (all when None), ``progress(done, total)`` before each
        copy and ``(total, total)`` after the last (it may raise to stop); an image a copy of
        which cannot be written is left out, ``problems[image_id]`` saying why (raised as
        ``ProjectError`` when ``problems`` is None)."""
        ...

    def mask_starts(
        self, task: str, image_ids: Iterable[int], progress: Callable[[int, int], None] | None = None
    ) -> dict[int, MaskStart]:
        """Each of ``image_ids``' mask versions and the proposal they were started from
        (``records.started_from``, its PNG local), for all images in a few queries;
        ``progress(done, total)`` before each proposal a team store copies and ``(total, total)``
        after the last (it may raise to stop)."""
        ...

    def load_masks(
        self, task: str, wanted: Sequence[tuple[int, int]]
    ) -> Iterator[tuple[int, MaskRead]]:
        """Lazily, for each distinct ``(image_id, version)`` of ``wanted`` in order,
        ``(image_id, read)``: ``read()`` returns or raises what ``load_mask(image_id, task,
        version)`` would; a team store fetches the PNGs a batch at a time (one query each)."""
        ...

    def training_items(
        self,
        task: str,
        statuses: Sequence[str] = ("done", "approved"),
        exclude_rejected: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[tuple[int, Path, Path]]:
        """``(image_id, photo path, latest mask path)`` of every image usable for training;
        ``progress(done, total)`` before each image a team store copies and ``(total, total)``
        after the last (it may raise to stop)."""
        ...

    def training_masks(
        self,
        task: str,
        statuses: Sequence[str] = ("done", "approved"),
        exclude_rejected: bool = True,
    ) -> Iterator[tuple[int, Path, np.ndarray]]:
        """``(image_id, photo path, mask)`` lazily, as :meth:`training_items`."""
        ...


class LegacyNames:
    """The method names of the store before it was split into parts, kept for callers."""

    models: ModelsPart
    decisions: DecisionsPart
    cache: CachePart
    leases: LeasesPart
    instances: InstancesPart

    def save_instances(
        self, image_id: int, iset: InstanceSet, *, source: str = "operator", edited: bool = False
    ) -> InstanceVersion:
        """Same as ``instances.save``."""
        return self.instances.save(image_id, iset, source=source, edited=edited)

    def load_instances(self, image_id: int, version: int | None = None) -> InstanceSet | None:
        """Same as ``instances.load``."""
        return self.instances.load(image_id, version)

    def instance_versions(self, image_id: int) -> list[InstanceVersion]:
        """Same as ``instances.versions``."""
        return self.instances.versions(image_id)

    def images_with_instances(self) -> list[int]:
        """Same as ``instances.image_ids``."""
        return self.instances.image_ids()

    def iter_instances(self) -> Iterator[tuple[int, InstanceSet]]:
        """Same as iterating ``instances``."""
        return iter(self.instances)

    def acquire_lease(self, image_id: int, ttl_s: float = 300) -> Lease:
        """Same as ``leases.acquire``."""
        return self.leases.acquire(image_id, ttl_s)

    def release_lease(self, image_id: int) -> None:
        """Same as ``leases.release``."""
        self.leases.release(image_id)

    def lease(self, image_id: int) -> Lease | None:
        """Same as ``leases.current``."""
        return self.leases.current(image_id)

    def save_cache(self, image_id: int, key: str, array: np.ndarray) -> None:
        """Same as ``cache.save``."""
        self.cache.save(image_id, key, array)

    def load_cache(self, image_id: int, key: str) -> np.ndarray | None:
        """Same as ``cache.load``."""
        return self.cache.load(image_id, key)

    def record_decision(
        self, image_id: int, task: str, decision: str, reason: str | None = None, text: str = "",
        seen_version: int | None = None,
    ) -> DecisionRecord:  # fmt: skip
        """Same as ``decisions.record``."""
        return self.decisions.record(image_id, task, decision, reason, text, seen_version)

    def last_decision(self, image_id: int, task: str | None = None) -> DecisionRecord | None:
        """Same as ``decisions.last``."""
        return self.decisions.last(image_id, task)

    def register_model(
        self,
        task: str,
        weights_path: str | Path,
        metrics: dict,
        trained_on: Sequence[str],
        *,
        activate: bool = False,
    ) -> ModelRecord:
        """Same as ``models.register``."""
        return self.models.register(task, weights_path, metrics, trained_on, activate=activate)

    def active_model(self, task: str) -> ModelRecord | None:
        """Same as ``models.active``."""
        return self.models.active(task)

    def set_active_model(self, task: str, version: int | None) -> None:
        """Same as ``models.set_active``."""
        self.models.set_active(task, version)
