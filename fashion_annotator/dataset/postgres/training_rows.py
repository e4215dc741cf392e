"""The training data of a PostgreSQL project: each usable image's latest mask, copied locally.

:func:`training_items` is :meth:`PgProject.training_items
<fashion_annotator.dataset.postgres.project.PgProject.training_items>`. It reads which masks
train (their versions, checksums, current decisions and their images' photo names) in one query
without the PNG or photo bytes, then copies image by image (``progress`` before each) the mask
PNGs this desktop lacks, fetched in batches of :data:`FETCH_BATCH` rows, and the photos it
lacks, fetched in batches of at most :data:`PHOTO_BATCH` photos and :data:`PHOTO_BYTES` bytes,
one query each: a team project's thousands of masks took one query of many seconds that
nothing could stop, every PNG came again at each count even where this desktop had it, and
each photo took a query of its own (two where it was missing).

:func:`mask_starts` is :meth:`PgProject.mask_starts
<fashion_annotator.dataset.postgres.project.PgProject.mask_starts>`: the mask versions and the
proposal shown of every image a retrain counts, in two queries without PNG bytes, then the
shown proposals' PNGs this desktop lacks (or holds stale: checked against the SHA-256 the
server computes) in batches of :data:`FETCH_BATCH`. The count read two queries per image
(its versions, then every proposal with its PNG): 600 round trips at 300 masks.

:func:`proposals_of` is :meth:`PgProject.proposals_of
<fashion_annotator.dataset.postgres.project.PgProject.proposals_of>`: every proposal of many
images (Model history's), in one query without PNG bytes, then the PNGs this desktop lacks of
those the caller reads in batches of :data:`FETCH_BATCH`, ``progress`` before each (it read
each masked image's proposals with their PNGs, a query per image).

:func:`load_masks` is :meth:`PgProject.load_masks
<fashion_annotator.dataset.postgres.project.PgProject.load_masks>`: the mask versions QA's
scoring compares, their PNGs fetched :data:`FETCH_BATCH` a query as the scoring reaches them
(it read each image's latest mask in a query of its own).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
from psycopg.rows import DictRow

from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.dataset import mask_files
from fashion_annotator.dataset.postgres.connection import PgConnection
from fashion_annotator.dataset.postgres.mask_rows import COLUMNS
from fashion_annotator.dataset.postgres.parts import has_sha
from fashion_annotator.dataset.postgres.working_folder import is_file, keep_local
from fashion_annotator.dataset.records import (
    MaskRead,
    MaskStart,
    MaskVersion,
    ProjectError,
    ProposalRecord,
    by_image,
    mask_starts_of,
)

__all__ = [
    "FETCH_BATCH", "PHOTO_BATCH", "PHOTO_BYTES", "load_masks", "mask_starts", "proposals_of", "training_items",
]

#: Mask PNGs fetched per query (about 20 ms each at a few kB per mask on a local network).
FETCH_BATCH = 200
#: Photos fetched per query at most (photos are 1 to 5 MB each).
PHOTO_BATCH = 32
#: Bytes of photos fetched per query at most (a bigger photo comes alone): what a batch holds in memory.
PHOTO_BYTES = 64 * 2**20

_LATEST = """
    SELECT i.id AS image_id, i.name, i.stored, i.sha256 AS photo_sha,
           m.id AS row_id, m.version, m.sha256,
           (SELECT d.decision FROM decisions d WHERE d.image_id = i.id AND d.task = %(t)s
            AND ((d.mask_version IS NOT NULL AND d.mask_version = m.version)
                 OR (d.mask_version IS NULL AND d.at >= m.created))
            ORDER BY d.id DESC LIMIT 1) AS decision
    FROM images i JOIN mask_versions m ON m.image_id = i.id AND m.task = %(t)s
    WHERE i.status = ANY(%(s)s) AND m.version =
          (SELECT MAX(version) FROM mask_versions WHERE image_id = i.id AND task = %(t)s)
    ORDER BY i.id
"""

_VERSIONS_OF = f"{COLUMNS} FROM mask_versions WHERE task = %s AND image_id = ANY(%s) ORDER BY image_id, version"
"""SQL: the mask versions of a task of the images ``ANY(ids)`` (without their PNGs), oldest first."""
_PROPOSALS_OF = """
    SELECT id, image_id, version, model_version, username, created, encode(sha256(png), 'hex') AS sha256
    FROM proposals WHERE task = %s AND image_id = ANY(%s) ORDER BY image_id, version
"""
"""SQL: the proposals of a task of the images ``ANY(ids)``, oldest first, with the SHA-256 of
each PNG (computed by the server: the bytes stay there)."""

_MASK_PNGS = """
    SELECT v.image_id, v.version, v.png, v.sha256, i.height, i.width
    FROM mask_versions v JOIN images i ON i.id = v.image_id
    WHERE v.task = %s AND (v.image_id, v.version) IN (SELECT * FROM unnest(%s::bigint[], %s::int[]))
"""
"""SQL: the PNGs of a task's mask versions ``(image_id, version)`` (two arrays) with what
checks them (their SHA-256, their photo's size)."""

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Batched(Generic[K, V]):
    """Bytes (or rows) fetched a batch at a time, on the first :meth:`take` of one of the batch's keys.

    Parameters
    ----------
    batches : iterable of lists
        The keys to fetch, split into the batches each query asks for.
    fetch : callable
        ``fetch(keys)``: ``(key, value)`` pairs the server has of ``keys`` (one query).
    """

    def __init__(self, batches: Iterable[list[K]], fetch: Callable[[list[K]], Iterable[tuple[K, V]]]) -> None:
        self._batches = [list(batch) for batch in batches]
        self._batch_of = {key: index for index, batch in enumerate(self._batches) for key in batch}
        self._fetched: set[int] = set()
        self._fetch = fetch
        self._got: dict[K, V] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._batch_of

    def take(self, key: K) -> V | None:
        """The bytes of ``key`` (fetching its batch with the first of its keys, once), None where
        the server no longer has them; each key is taken once and its bytes held no longer.

        A key the server lacks (its row deleted meanwhile) fetches nothing again: a batch is
        fetched once, keeping only the keys not taken yet.
        """
        index = self._batch_of.pop(key)
        if index not in self._fetched:
            self._fetched.add(index)
            fetched = self._fetch(self._batches[index])
            self._got.update((k, v) for k, v in fetched if k == key or k in self._batch_of)
        return self._got.pop(key, None)


def _by_count(keys: list[K], count: int) -> list[list[K]]:
    """``keys`` in order, ``count`` a batch."""
    return [keys[start : start + count] for start in range(0, len(keys), count)]


def _by_count_and_bytes(sizes: dict[K, int], count: int, cap: int) -> list[list[K]]:
    """The keys of ``sizes`` in order, in batches of at most ``count`` keys and ``cap`` bytes
    (a key bigger than ``cap`` alone)."""
    batches: list[list[K]] = []
    held = 0
    for key, size in sizes.items():
        if not batches or len(batches[-1]) >= count or held + size > cap:
            batches.append([])
            held = 0
        batches[-1].append(key)
        held += size
    return batches


def _photo_batches(db: PgConnection, missing: list[str]) -> _Batched[str, bytes]:
    """The uploaded photos (by SHA-256) this desktop lacks, fetched in batches by count and
    bytes (their sizes read first, in one query that reads none of the bytes)."""
    sizes: dict[str, int] = {}
    if missing:
        rows = db.query("SELECT sha256, octet_length(data) AS size FROM photos WHERE sha256 = ANY(%s)", (missing,))
        found = {r["sha256"]: int(r["size"]) for r in rows}
        sizes = {sha: found[sha] for sha in missing if sha in found}

    def fetch(shas: list[str]) -> Iterable[tuple[str, bytes]]:
        rows = db.query("SELECT sha256, data FROM photos WHERE sha256 = ANY(%s)", (shas,))
        return ((r["sha256"], bytes(r["data"])) for r in rows)

    return _Batched(_by_count_and_bytes(sizes, PHOTO_BATCH, PHOTO_BYTES), fetch)


def _proposal_pngs(db: PgConnection, row_ids: list[int]) -> _Batched[int, bytes]:
    """The PNGs of the proposal rows ``row_ids`` (in the order they are taken),
    :data:`FETCH_BATCH` a query."""

    def fetch(ids: list[int]) -> Iterable[tuple[int, bytes]]:
        rows = db.query("SELECT id, png FROM proposals WHERE id = ANY(%s)", (ids,))
        return ((int(r["id"]), bytes(r["png"])) for r in rows)

    return _Batched(_by_count(row_ids, FETCH_BATCH), fetch)


def training_items(
    db: PgConnection,
    task: str,
    statuses: Sequence[str],
    exclude_rejected: bool,
    mask_path: Callable[[int, int], Path],
    photo_path: Callable[[str, bool], Path],
    progress: Callable[[int, int], None] | None = None,
) -> list[tuple[int, Path, Path]]:
    """``(image_id, photo_path, latest mask PNG path)`` of every image usable for training.

    Parameters
    ----------
    db : PgConnection
        The project's connection.
    task, statuses, exclude_rejected
        As :meth:`fashion_annotator.dataset.store.Project.training_items`.
    mask_path : callable
        ``mask_path(image_id, version)``: where that mask version's PNG is copied locally.
    photo_path : callable
        ``photo_path(name, stored)``: where an image's photo lies (an uploaded one's local
        copy, written here where it is missing; else the file it references).
    progress : callable, optional
        ``progress(done, total)`` before each image's copies (its mask PNG, fetched with the
        next :data:`FETCH_BATCH` this desktop lacks, then its photo, fetched likewise), and
        ``(total, total)`` once the last is made; an exception it raises (a cancel) ends the
        call between two images: each file written so far is complete (written atomically),
        the rest are copied by the next call.
    """
    rows = [
        r for r in db.query(_LATEST, {"t": task, "s": list(statuses)})
        if not (exclude_rejected and r["decision"] == "reject")
    ]  # fmt: skip
    paths = {int(r["row_id"]): mask_path(int(r["image_id"]), r["version"]) for r in rows}
    photos = {int(r["image_id"]): photo_path(r["name"], bool(r["stored"])) for r in rows}
    missing_masks = [int(r["row_id"]) for r in rows if not has_sha(paths[int(r["row_id"])], r["sha256"])]
    missing_photos = [r["photo_sha"] for r in rows if r["stored"] and not is_file(photos[int(r["image_id"])])]

    def fetch_masks(ids: list[int]) -> Iterable[tuple[int, bytes]]:
        found = db.query("SELECT id, png FROM mask_versions WHERE id = ANY(%s)", (ids,))
        return ((int(r["id"]), bytes(r["png"])) for r in found)

    masks = _Batched(_by_count(missing_masks, FETCH_BATCH), fetch_masks)
    photo_data = _photo_batches(db, list(dict.fromkeys(missing_photos)))
    items = []
    for done, r in enumerate(rows):
        if progress is not None:
            progress(done, len(rows))
        row_id, image_id = int(r["row_id"]), int(r["image_id"])
        if row_id in masks:
            png = masks.take(row_id)
            if png is not None:
                db.keep_local(paths[row_id], png)
        if r["photo_sha"] in photo_data:
            photo = photo_data.take(r["photo_sha"])
            if photo is not None:  # else the photo is missing: the caller says so, naming it
                keep_local(db, photos[image_id], photo)
        items.append((image_id, photos[image_id], paths[row_id]))
    if progress is not None and rows:
        progress(len(rows), len(rows))  # the last copy made: "N / N", not "N - 1 / N"
    return items


def mask_starts(
    db: PgConnection,
    task: str,
    image_ids: Iterable[int],
    version_of: Callable[[DictRow], MaskVersion | None],
    proposal_path: Callable[[int, int], Path],
    progress: Callable[[int, int], None] | None = None,
) -> dict[int, MaskStart]:
    """Each image's mask versions of ``task`` and the proposal they started from, PNG copied.

    Parameters
    ----------
    db : PgConnection
        The project's connection.
    task, image_ids
        As :meth:`fashion_annotator.dataset.api.ProjectStore.mask_starts`.
    version_of : callable
        ``version_of(row)``: the record of a mask version row (its PNG's local path).
    proposal_path : callable
        ``proposal_path(image_id, version)``: where that proposal's PNG is copied locally.
    progress : callable, optional
        ``progress(done, total)`` before each shown proposal copied (``total``: those this
        desktop lacks), fetched with the next :data:`FETCH_BATCH` of them, and ``(total,
        total)`` after the last; an exception it raises (a cancel) ends the call between two
        copies, each written whole.

    A copy that cannot be written (a full or failing disk) makes that image's start a
    :attr:`~fashion_annotator.dataset.records.MaskStart.problem` naming the file and the error
    (the image is left out, said so); the other images are copied and read (one such error
    stopped the Review's whole scoring).
    """
    ids = [int(i) for i in image_ids]
    versions = by_image(v for v in map(version_of, db.query(_VERSIONS_OF, (task, ids))) if v is not None)
    proposals: dict[int, list[ProposalRecord]] = {}
    rows: dict[tuple[int, int], DictRow] = {}
    for r in db.query(_PROPOSALS_OF, (task, ids)):
        image_id = int(r["image_id"])
        rows[image_id, r["version"]] = r
        proposals.setdefault(image_id, []).append(ProposalRecord(
            image_id, task, r["version"], proposal_path(image_id, r["version"]),
            r["model_version"], r["username"], r["created"]))  # fmt: skip
    starts = mask_starts_of(ids, versions, proposals)
    stale = [
        (i, start.shown.path, int(rows[i, start.shown.version]["id"]))
        for i, start in starts.items()
        if start.shown is not None and not has_sha(start.shown.path, rows[i, start.shown.version]["sha256"])
    ]

    pngs = _proposal_pngs(db, [row_id for *_, row_id in stale])
    for done, (image_id, path, row_id) in enumerate(stale):
        if progress is not None:
            progress(done, len(stale))
        png = pngs.take(row_id)
        if png is None:  # gone from the server: reading the path says so
            continue
        try:
            db.keep_local(path, png)
        except ProjectError as exc:  # a disk error: this image's problem, the others go on
            starts[image_id] = MaskStart((), None, f"its proposal could not be copied from the server: {exc}")
    if progress is not None and stale:
        progress(len(stale), len(stale))  # the last copy made
    return starts


def proposals_of(
    db: PgConnection,
    task: str,
    image_ids: Iterable[int],
    proposal_path: Callable[[int, int], Path],
    wanted: Callable[[ProposalRecord], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
    problems: dict[int, str] | None = None,
) -> dict[int, list[ProposalRecord]]:
    """``image_id -> proposals`` (oldest first) of ``task`` of each of ``image_ids`` with one:
    one query without PNG bytes, then the PNGs this desktop lacks (or holds stale) of those
    ``wanted`` :data:`FETCH_BATCH` a query (Model history read every proposal of each masked
    image with its PNG, a query per image).

    Parameters
    ----------
    db : PgConnection
        The project's connection.
    task, image_ids
        Whose proposals.
    proposal_path : callable
        ``proposal_path(image_id, version)``: where that proposal's PNG is copied locally.
    wanted : callable, optional
        ``wanted(record)``: whether the caller reads that proposal's PNG (only those are
        copied; the others' records are given, their files perhaps absent). None: every one.
    progress : callable, optional
        ``progress(done, total)`` before each PNG copied (``total``: those this desktop lacks),
        fetched with the next :data:`FETCH_BATCH` of them, and ``(total, total)`` after the
        last; an exception it raises (a cancel) ends the call between two copies, each
        written whole.
    problems : dict, optional
        Receives ``image_id -> why`` for each image a PNG of which could not be written (a full
        or failing disk): that image is left out of the result, the others are copied. None:
        such an error raises.

    Raises
    ------
    ProjectError
        A copy that cannot be written, when ``problems`` is None.
    """
    found: dict[int, list[ProposalRecord]] = {}
    stale: list[tuple[int, Path, int]] = []
    for r in db.query(_PROPOSALS_OF, (task, sorted({int(i) for i in image_ids}))):
        image_id = int(r["image_id"])
        record = ProposalRecord(image_id, task, r["version"], proposal_path(image_id, r["version"]),
                                r["model_version"], r["username"], r["created"])  # fmt: skip
        found.setdefault(image_id, []).append(record)
        if (wanted is None or wanted(record)) and not has_sha(record.path, r["sha256"]):
            stale.append((image_id, record.path, int(r["id"])))

    pngs = _proposal_pngs(db, [row_id for *_, row_id in stale])
    for done, (image_id, path, row_id) in enumerate(stale):
        if progress is not None:
            progress(done, len(stale))
        png = pngs.take(row_id)
        if png is None or image_id not in found:  # gone from the server (reading says so), or failed
            continue
        try:
            db.keep_local(path, png)
        except ProjectError as exc:  # a disk error: this image's problem, the others go on
            if problems is None:
                raise
            problems[image_id] = f"its proposal could not be copied from the server: {exc}"
            del found[image_id]
    if progress is not None and stale:
        progress(len(stale), len(stale))  # the last copy made
    return found


def load_masks(
    db: PgConnection, task: str, wanted: Sequence[tuple[int, int]], taxonomy: Taxonomy
) -> Iterator[tuple[int, MaskRead]]:
    """Lazily, for each distinct ``(image_id, version)`` of ``wanted`` in order,
    ``(image_id, read)``: ``read()`` decodes and checks the PNG as
    :func:`~fashion_annotator.dataset.postgres.mask_rows.read_version_row` does (None: the
    server has no such version). The PNGs come :data:`FETCH_BATCH` a query, each batch when the
    caller reaches its first mask: one batch's bytes are held at a time, and a caller that stops
    iterating (a cancel) fetches no more.
    """
    keys = list(dict.fromkeys((int(i), int(v)) for i, v in wanted))

    def fetch(batch: list[tuple[int, int]]) -> Iterable[tuple[tuple[int, int], DictRow]]:
        rows = db.query(_MASK_PNGS, (task, [i for i, _ in batch], [v for _, v in batch]))
        return (((int(r["image_id"]), int(r["version"])), r) for r in rows)

    rows = _Batched(_by_count(keys, FETCH_BATCH), fetch)
    for image_id, version in keys:
        where = f"{db.url.display}: image {image_id}, task {task}, saved mask version {version}"
        yield image_id, functools.partial(_decoded, rows.take((image_id, version)), where, taxonomy)


def _decoded(row: DictRow | None, where: str, taxonomy: Taxonomy) -> np.ndarray | None:
    """The checked mask of a :data:`_MASK_PNGS` row (None: no row)."""
    if row is None:
        return None
    return mask_files.decode_version(
        bytes(row["png"]), where, sha256=row["sha256"], shape=(row["height"], row["width"]),
        taxonomy=taxonomy, medium="in the database",
    )  # fmt: skip
