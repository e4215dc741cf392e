"""Instances in the project store: versioned instance maps plus one row per instance.

The part ``project.instances`` of :class:`fashion_annotator.dataset.store.Project` (PostgreSQL:
:mod:`fashion_annotator.dataset.postgres.instances`). A save writes the instance map
PNG (``instances/<image_id>/vN.png``) with the same atomic write as masks (temporary file,
fsync, rename), then commits the version row and its instance rows in one transaction; every
save adds a version and none is overwritten.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fashion_annotator.core.label_images import decode_mask_png, encode_mask_png
from fashion_annotator.dataset import mask_files
from fashion_annotator.dataset.records import ImageRecord, ProjectError
from fashion_annotator.dataset.schema import EDITED_STATUS
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.instances.schema import load_attribute_schema, load_instance_taxonomy

if TYPE_CHECKING:
    from fashion_annotator.dataset.connection import StoreConnection
    from fashion_annotator.dataset.leases import Leases

INSTANCES_FOLDER = "instances"


@dataclass(frozen=True)
class InstanceVersion:
    """One saved version of an image's instances."""

    image_id: int
    version: int
    path: Path
    sha256: str
    source: str
    n_instances: int
    user: str
    created: float


def _instance_palette() -> np.ndarray:
    rng = np.random.default_rng(16)
    colours = rng.integers(40, 256, size=(256, 3), dtype=np.uint8)
    colours[0] = 0
    return colours


def encode_instances(record: ImageRecord, iset: InstanceSet) -> tuple[bytes, str, list[tuple]]:
    """Validate an instance set for an image; return its PNG, the PNG's sha256 and its rows.

    Each row is ``(instance, parsing_class, category, proposed_category, category_score,
    attributes_json, proposed_attributes_json, colour, colour_rgb_json)``; the SQLite and the
    PostgreSQL stores write the same rows.

    Raises
    ------
    ValueError
        Wrong shape or dtype, an id in the map without a record, unknown category or attribute.
    """
    where = f"instances of {record.name} (image {record.id}): "
    m = np.asarray(iset.map)
    if m.shape != record.shape or m.dtype != np.uint8:
        raise ValueError(f"{where}map must be {record.shape} uint8, got {m.shape} {m.dtype}")
    iset.validate(load_instance_taxonomy(iset.taxonomy), load_attribute_schema(), where=where)
    data = encode_mask_png(m, _instance_palette())
    rows = [
        (i.id, i.parsing_class, i.category, i.proposed_category, i.category_score,
         json.dumps(i.attributes), json.dumps(i.proposed_attributes), i.colour,
         None if i.colour_rgb is None else json.dumps(list(i.colour_rgb)))
        for i in iset.instances.values()
    ]  # fmt: skip
    return data, hashlib.sha256(data).hexdigest(), rows


def decode_instances(
    where: str, data: bytes, rows: Iterable[Any], parsing_task: str, taxonomy: str, shape: tuple[int, int],
    sha256: str | None = None, medium: str = "on disk",
) -> InstanceSet:  # fmt: skip
    """The :class:`InstanceSet` of a saved instance map's PNG bytes and its instance rows.

    ``shape`` is the photo's ``(height, width)``, which the map must have; ``sha256`` the hash
    its row recorded, which the bytes must have (:func:`~.mask_files.check_bytes`: a row with
    none usable is not hash-checked; ``medium`` says where a changed map changed).

    Raises
    ------
    ProjectError
        The PNG cannot be read, is not the photo's size or differs from the recorded hash (a
        damaged or replaced file); ``where`` names it.
    """
    try:
        m = decode_mask_png(data)
    except ValueError as exc:
        raise ProjectError(f"{where}: cannot read the saved instance map: {exc}") from exc
    if m.shape != tuple(shape):
        raise ProjectError(
            f"{where}: the saved instance map is {m.shape[1]}x{m.shape[0]}, the photo "
            f"{shape[1]}x{shape[0]} (damaged or replaced file)"
        )
    mask_files.check_bytes(data, sha256, where, medium)
    instances = {}
    for r in rows:
        rgb = json.loads(r["colour_rgb"]) if r["colour_rgb"] else None
        instances[r["instance"]] = Instance(
            r["instance"], r["parsing_class"], r["category"], r["proposed_category"], r["category_score"],
            json.loads(r["attributes"]), json.loads(r["proposed_attributes"]), r["colour"],
            None if rgb is None else tuple(rgb),
        )  # fmt: skip
    return InstanceSet(m, instances, parsing_task, taxonomy)


class InstanceStore:
    """The instances part of a SQLite project (``project.instances``), sharing its connection.

    Parameters
    ----------
    db : StoreConnection
        The project's connection (root, user, write transactions).
    image : callable
        ``image(image_id) -> ImageRecord``; raises :class:`ProjectError` for an unknown id.
    leases : Leases
        The project's leases part: a save refuses an image another operator holds.
    """

    def __init__(
        self, db: StoreConnection, image: Callable[[int], ImageRecord], leases: Leases
    ) -> None:
        self._db = db
        self._image = image
        self._leases = leases

    def save(
        self, image_id: int, iset: InstanceSet, *, source: str = "operator", edited: bool = False
    ) -> InstanceVersion:
        """Save a new version of an image's instances; ``edited``: the image takes the status
        an edit earns (:data:`~fashion_annotator.dataset.schema.EDITED_STATUS`) in the save's own
        transaction, so a lost connection never leaves edited instances approved.

        Raises
        ------
        ValueError
            Wrong shape, an id in the map without a record, unknown category or attribute.
        LeaseHeld
            Another operator holds the image's lease.
        ProjectError
            The write failed; nothing was recorded and earlier versions are intact.
        """
        record = self._image(image_id)
        data, sha, rows = encode_instances(record, iset)
        with self._db.tx() as conn:
            self._leases.check_not_held(conn, record.id)
            row = conn.execute(
                "SELECT COALESCE(MAX(version), 0) FROM instance_versions WHERE image_id = ?",
                (record.id,),
            ).fetchone()
            version = int(row[0]) + 1
            rel = f"{INSTANCES_FOLDER}/{record.id}/v{version}.png"
            self._db.write_version(rel, data)  # removed again if the transaction rolls back
            now = time.time()
            cur = conn.execute(
                "INSERT INTO instance_versions (image_id, version, path, sha256, parsing_task, taxonomy,"
                " source, user, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    version,
                    rel,
                    sha,
                    iset.parsing_task,
                    iset.taxonomy,
                    source,
                    self._db.user,
                    now,
                ),
            )
            vid = cur.lastrowid
            conn.executemany(
                "INSERT INTO instances (version_id, instance, parsing_class, category, proposed_category,"
                " category_score, attributes, proposed_attributes, colour, colour_rgb)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(vid, *r) for r in rows],
            )
            conn.execute(
                "UPDATE images SET updated = ?, user = ? WHERE id = ?",
                (now, self._db.user, record.id),
            )
            status = conn.execute("SELECT status FROM images WHERE id = ?", (record.id,)).fetchone()[0]
            if edited and status in EDITED_STATUS:
                self._db.write_status(conn, record.id, EDITED_STATUS[status])
        return InstanceVersion(
            record.id,
            version,
            self._db.root / rel,
            sha,
            source,
            len(iset.instances),
            self._db.user,
            now,
        )

    def versions(self, image_id: int) -> list[InstanceVersion]:
        """Every saved version of an image's instances, oldest first."""
        rows = self._db.conn.execute(
            "SELECT v.*, (SELECT COUNT(*) FROM instances i WHERE i.version_id = v.id) AS n"
            " FROM instance_versions v WHERE image_id = ? ORDER BY version",
            (int(image_id),),
        ).fetchall()
        return [
            InstanceVersion(r["image_id"], r["version"], self._db.root / r["path"], r["sha256"], r["source"],
                            r["n"], r["user"], r["created"])
            for r in rows
        ]  # fmt: skip

    def load(self, image_id: int, version: int | None = None) -> InstanceSet | None:
        """The saved instances (latest unless ``version``), or None when none were saved."""
        sql = (
            "SELECT v.*, i.width AS image_width, i.height AS image_height FROM instance_versions v "
            "JOIN images i ON i.id = v.image_id WHERE v.image_id = ?"
        )
        args = [int(image_id)]
        if version is not None:
            sql += " AND v.version = ?"
            args.append(int(version))
        row = self._db.conn.execute(sql + " ORDER BY v.version DESC LIMIT 1", args).fetchone()
        if row is None:
            return None
        path = self._db.root / row["path"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ProjectError(
                f"{path}: cannot read the saved instance map: {exc.strerror or exc}"
            ) from exc
        rows = self._db.conn.execute(
            "SELECT * FROM instances WHERE version_id = ? ORDER BY instance", (row["id"],)
        )
        shape = (int(row["image_height"]), int(row["image_width"]))
        return decode_instances(str(path), data, rows, row["parsing_task"], row["taxonomy"], shape, row["sha256"])

    def image_ids(self) -> list[int]:
        """Ids of the images that have saved instances, in id order."""
        rows = self._db.conn.execute(
            "SELECT DISTINCT image_id FROM instance_versions ORDER BY image_id"
        )
        return [int(r[0]) for r in rows]

    def __iter__(self) -> Iterator[tuple[int, InstanceSet]]:
        """``(image_id, latest InstanceSet)`` for every image with saved instances."""
        for image_id in self.image_ids():
            iset = self.load(image_id)
            if iset is not None:
                yield image_id, iset
