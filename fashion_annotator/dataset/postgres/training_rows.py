"""The training data of a PostgreSQL project: each usable image's latest mask, copied locally.

:func:`training_items` is :meth:`PgProject.training_items
<fashion_annotator.dataset.postgres.project.PgProject.training_items>`. It reads which masks
train (their versions, checksums and current decisions) in one query without the PNG bytes,
then copies image by image (``progress`` before each) the PNGs this desktop lacks, fetched in
batches of :data:`FETCH_BATCH` rows, one query each, and the photos: a team project's thousands
of masks took one query of many seconds that nothing could stop, and every PNG came again at
each count even where this desktop had it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from fashion_annotator.dataset.postgres.connection import PgConnection
from fashion_annotator.dataset.postgres.parts import has_sha

__all__ = ["FETCH_BATCH", "training_items"]

#: Mask PNGs fetched per query (about 20 ms each at a few kB per mask on a local network).
FETCH_BATCH = 200

_LATEST = """
    SELECT i.id AS image_id, m.id AS row_id, m.version, m.sha256,
           (SELECT d.decision FROM decisions d WHERE d.image_id = i.id AND d.task = %(t)s
            AND ((d.mask_version IS NOT NULL AND d.mask_version = m.version)
                 OR (d.mask_version IS NULL AND d.at >= m.created))
            ORDER BY d.id DESC LIMIT 1) AS decision
    FROM images i JOIN mask_versions m ON m.image_id = i.id AND m.task = %(t)s
    WHERE i.status = ANY(%(s)s) AND m.version =
          (SELECT MAX(version) FROM mask_versions WHERE image_id = i.id AND task = %(t)s)
    ORDER BY i.id
"""


def training_items(
    db: PgConnection,
    task: str,
    statuses: Sequence[str],
    exclude_rejected: bool,
    mask_path: Callable[[int, int], Path],
    image_path: Callable[[int], Path],
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
    image_path : callable
        ``image_path(image_id)``: the photo's local copy (made on demand).
    progress : callable, optional
        ``progress(done, total)`` before each image's copies (its mask PNG, fetched with the
        next :data:`FETCH_BATCH` this desktop lacks, then its photo); an exception it raises
        (a cancel) ends the call between two images: each file written so far is complete
        (written atomically), the rest are copied by the next call.
    """
    rows = [
        r for r in db.query(_LATEST, {"t": task, "s": list(statuses)})
        if not (exclude_rejected and r["decision"] == "reject")
    ]  # fmt: skip
    paths = {int(r["row_id"]): mask_path(int(r["image_id"]), r["version"]) for r in rows}
    missing = [int(r["row_id"]) for r in rows if not has_sha(paths[int(r["row_id"])], r["sha256"])]
    position = {row_id: i for i, row_id in enumerate(missing)}
    fetched: dict[int, bytes] = {}
    items = []
    for done, r in enumerate(rows):
        if progress is not None:
            progress(done, len(rows))
        row_id, image_id = int(r["row_id"]), int(r["image_id"])
        if row_id in position:
            if row_id not in fetched:  # the next batch of PNGs this desktop lacks, from this one
                batch = missing[position[row_id] : position[row_id] + FETCH_BATCH]
                for found in db.query("SELECT id, png FROM mask_versions WHERE id = ANY(%s)", (batch,)):
                    fetched[int(found["id"])] = bytes(found["png"])
            db.keep_local(paths[row_id], fetched.pop(row_id))
        items.append((image_id, image_path(image_id), paths[row_id]))
    return items
