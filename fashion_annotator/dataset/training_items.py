"""The training data of a SQLite project: each usable image's photo and latest mask, and
what a retrain's count and QA's scoring read of each (:meth:`TrainingItems.mask_starts`,
:meth:`TrainingItems.load_masks`, :meth:`TrainingItems.proposals_of`).

:class:`TrainingItems` is a mixin of :class:`fashion_annotator.dataset.store.Project` (the
PostgreSQL project overrides :meth:`TrainingItems.training_items`,
:meth:`TrainingItems.mask_starts`, :meth:`TrainingItems.load_masks` and
:meth:`TrainingItems.proposals_of` with its own SQL and
keeps :meth:`TrainingItems.training_masks`).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fashion_annotator.dataset import confine
from fashion_annotator.dataset.records import (
    MaskRead,
    MaskStart,
    MaskVersion,
    ProjectError,
    ProposalRecord,
    mask_starts_of,
)


def proposal_record(root: Path, row: sqlite3.Row) -> ProposalRecord:
    """The record of a ``proposals`` row of the project at ``root`` (its path confined there)."""
    return ProposalRecord(row["image_id"], row["task"], row["version"],
                          confine.version_file(root, row["path"]), row["model_version"],
                          row["user"], row["created"])  # fmt: skip


#: Image ids per query of :meth:`TrainingItems.mask_starts` (SQLite builds before 3.32 take
#: at most 999 parameters a statement).
IDS_PER_QUERY = 500


class TrainingItems:
    """``training_items`` and ``training_masks`` of a project (a mixin of ``Project``)."""

    root: Path

    if TYPE_CHECKING:

        @property
        def _conn(self) -> sqlite3.Connection: ...

        def image_path(self, image_id: int) -> Path: ...

        def mask_versions(self, image_id: int, task: str) -> list[MaskVersion]: ...

        def _mask_version(self, r: sqlite3.Row) -> MaskVersion: ...

        def load_mask(self, image_id: int, task: str, version: int | None = None) -> np.ndarray | None: ...

    def training_items(
        self,
        task: str,
        statuses: Sequence[str] = ("done", "approved"),
        exclude_rejected: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[tuple[int, Path, Path]]:
        """``(image_id, photo_path, latest mask PNG path)`` of every image usable for training.

        ``progress`` is the team store's (its copies into the working folder); a folder
        project copies nothing and never calls it.

        Images whose current decision for ``task`` is a reject are left out when
        ``exclude_rejected``, whatever their status: the latest decision made on the latest mask
        version (a reject of an earlier version the operator has since fixed no longer counts;
        decisions older than the ``mask_version`` column: made no earlier than that version).
        """
        marks = ",".join("?" * len(statuses))
        rows = self._conn.execute(
            f"""
            SELECT i.id AS image_id, m.path AS mask_path,
                   (SELECT d.decision FROM decisions d WHERE d.image_id = i.id AND d.task = ?
                    AND ((d.mask_version IS NOT NULL AND d.mask_version = m.version)
                         OR (d.mask_version IS NULL AND d.at >= m.created))
                    ORDER BY d.id DESC LIMIT 1) AS decision
            FROM images i JOIN mask_versions m ON m.image_id = i.id AND m.task = ?
            WHERE i.status IN ({marks}) AND m.version =
                  (SELECT MAX(version) FROM mask_versions WHERE image_id = i.id AND task = ?)
            ORDER BY i.id
            """,
            (task, task, *statuses, task),
        ).fetchall()
        return [
            (r["image_id"], self.image_path(r["image_id"]), confine.version_file(self.root, r["mask_path"]))
            for r in rows
            if not (exclude_rejected and r["decision"] == "reject")
        ]

    def mask_starts(
        self, task: str, image_ids: Iterable[int], progress: Callable[[int, int], None] | None = None
    ) -> dict[int, MaskStart]:
        """``image_id -> MaskStart`` of each of ``image_ids``: its mask versions of ``task`` and
        the proposal they started from, in a query of each table per :data:`IDS_PER_QUERY` images
        (not two per image).

        ``progress`` is the team store's (the shown proposals it copies); a folder project
        copies nothing and never calls it. An image with a damaged row (a path outside the
        project) gets a start whose ``problem`` says so (:meth:`.MaskStart.checked` raises it):
        that image is unreadable, the others are read.
        """
        ids = [int(i) for i in image_ids]
        problems: dict[int, str] = {}  # a damaged row: its image's problem, not every image's
        versions: dict[int, list[MaskVersion]] = {}
        for r in self._rows_of("mask_versions", task, ids):
            try:
                versions.setdefault(r["image_id"], []).append(self._mask_version(r))
            except ProjectError as exc:
                problems.setdefault(r["image_id"], str(exc))
        proposals: dict[int, list[ProposalRecord]] = {}
        for r in self._rows_of("proposals", task, ids):
            try:
                proposals.setdefault(r["image_id"], []).append(proposal_record(self.root, r))
            except ProjectError as exc:
                problems.setdefault(r["image_id"], str(exc))
        starts = mask_starts_of(ids, versions, proposals)
        return starts | {i: MaskStart((), None, problem) for i, problem in problems.items()}

    def proposals_of(
        self, task: str, image_ids: Iterable[int], wanted: Callable[[ProposalRecord], bool] | None = None,
        progress: Callable[[int, int], None] | None = None, problems: dict[int, str] | None = None,
    ) -> dict[int, list[ProposalRecord]]:  # fmt: skip
        """``image_id -> proposals(image_id, task)`` (oldest first) of each of ``image_ids`` with
        a proposal, :data:`IDS_PER_QUERY` images a query (Model history read one query per
        masked image). ``wanted``, ``progress`` and ``problems`` are the team store's: the PNGs
        are local here, nothing is copied.

        Raises
        ------
        ProjectError
            A proposal row whose path lies outside the project, as :meth:`proposals`.
        """
        found: dict[int, list[ProposalRecord]] = {}
        for r in self._rows_of("proposals", task, [int(i) for i in image_ids]):
            found.setdefault(r["image_id"], []).append(proposal_record(self.root, r))
        return found

    def _rows_of(self, table: str, task: str, ids: Sequence[int]) -> Iterator[sqlite3.Row]:
        """The ``table`` rows (``mask_versions`` or ``proposals``) of ``task`` of the images
        ``ids``, per image oldest first: :data:`IDS_PER_QUERY` ids a query, read through the
        ``(image_id, task, version)`` index (the Review poll's few changed images read theirs,
        not the task's every row)."""
        distinct = sorted(set(ids))
        for start in range(0, len(distinct), IDS_PER_QUERY):
            batch = distinct[start : start + IDS_PER_QUERY]
            marks = ", ".join("?" * len(batch))
            yield from self._conn.execute(
                f"SELECT * FROM {table} WHERE task = ? AND image_id IN ({marks}) ORDER BY image_id, version",
                (task, *batch),
            ).fetchall()

    def load_masks(
        self, task: str, wanted: Sequence[tuple[int, int]]
    ) -> Iterator[tuple[int, MaskRead]]:
        """Lazily, for each distinct ``(image_id, version)`` of ``wanted`` in order (as a team
        project gives them), ``(image_id, read)`` where ``read()`` is :meth:`load_mask` of that
        version (a local file: read when called)."""
        for image_id, version in dict.fromkeys((int(i), int(v)) for i, v in wanted):
            yield image_id, functools.partial(self.load_mask, image_id, task, version)

    def training_masks(
        self,
        task: str,
        statuses: Sequence[str] = ("done", "approved"),
        exclude_rejected: bool = True,
    ) -> Iterator[tuple[int, Path, np.ndarray]]:
        """Yield ``(image_id, photo_path, (H, W) uint8 mask)`` lazily, see :meth:`training_items`.

        Each mask is read as :meth:`load_mask` reads it (the same check on both backends: the
        bytes against the SHA-256 the index recorded, the photo's size, the task's labels).

        Raises
        ------
        ProjectError
            A mask that cannot be read or is not the one saved, naming its file.
        """
        for image_id, photo, mask_path in self.training_items(task, statuses, exclude_rejected):
            version = next((v for v in self.mask_versions(image_id, task) if v.path == mask_path), None)
            mask = None if version is None else self.load_mask(image_id, task, version.version)
            if mask is None:
                raise ProjectError(f"{mask_path}: the saved mask is no longer in the project index")
            yield image_id, photo, mask
