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
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from fashion_annotator.dataset.postgres.connection import PgConnection
from fashion_annotator.dataset.postgres.parts import has_sha
from fashion_annotator.dataset.postgres.working_folder import is_file, keep_local

__all__ = ["FETCH_BATCH", "PHOTO_BATCH", "PHOTO_BYTES", "training_items"]

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

K = TypeVar("K", bound=Hashable)


class _Batched(Generic[K]):
    """Bytes fetched a batch at a time, on the first :meth:`take` of one of the batch's keys.

    Parameters
    ----------
    batches : iterable of lists
        The keys to fetch, split into the batches each query asks for.
    fetch : callable
        ``fetch(keys)``: ``(key, bytes)`` pairs the server has of ``keys`` (one query).
    """

    def __init__(self, batches: Iterable[list[K]], fetch: Callable[[list[K]], Iterable[tuple[K, bytes]]]) -> None:
        self._batch_of = {key: batch for batch in batches for key in batch}
        self._fetch = fetch
        self._got: dict[K, bytes] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._batch_of

    def take(self, key: K) -> bytes | None:
        """The bytes of ``key`` (fetching its batch with the first of its keys), None where the
        server no longer has them; each key is taken once."""
        batch = self._batch_of.pop(key)
        if key not in self._got:
            self._got.update(self._fetch(batch))
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


def _photo_batches(db: PgConnection, missing: list[str]) -> _Batched[str]:
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
        next :data:`FETCH_BATCH` this desktop lacks, then its photo, fetched likewise); an
        exception it raises (a cancel) ends the call between two images: each file written so
        far is complete (written atomically), the rest are copied by the next call.
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
    return items
