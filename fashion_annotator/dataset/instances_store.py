"""Instances in the project store: versioned instance maps plus one row per instance.

Mixed into :class:`fashion_annotator.dataset.store.Project`. A save writes the instance map
PNG (``instances/<image_id>/vN.png``) with the same atomic write as masks (temporary file,
fsync, rename), then commits the version row and its instance rows in one transaction; every
save adds a version and none is overwritten.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fashion_annotator.core.atomic import atomic_write_bytes
from fashion_annotator.core.images import decode_mask_png, encode_mask_png
from fashion_annotator.dataset.records import ImageRecord, ProjectError
from fashion_annotator.instances.model import Instance, InstanceSet
from fashion_annotator.instances.schema import load_attribute_schema, load_instance_taxonomy

if TYPE_CHECKING:
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
    where: str, data: bytes, rows: Iterable[Any], parsing_task: str, taxonomy: str
) -> InstanceSet:
    """The :class:`InstanceSet` of a saved instance map's PNG bytes and its instance rows.

    Raises
    ------
    ProjectError
        The PNG cannot be read; ``where`` names it.
    """
    try:
        m = decode_mask_png(data)
    except ValueError as exc:
        raise ProjectError(f"{where}: cannot read the saved instance map: {exc}") from exc
    instances = {}
    for r in rows:
        rgb = json.loads(r["colour_rgb"]) if r["colour_rgb"] else None
        instances[r["instance"]] = Instance(
            r["instance"], r["parsing_class"], r["category"], r["proposed_category"], r["category_score"],
            json.loads(r["attributes"]), json.loads(r["proposed_attributes"]), r["colour"],
            None if rgb is None else tuple(rgb),
        )  # fmt: skip
    return InstanceSet(m, instances, parsing_task, taxonomy)


class InstanceStoreMixin:
    """Save and load :class:`InstanceSet` s; needs ``root``, ``user``, ``_conn``, ``_tx``, ``image``, ``leases``."""

    root: Path
    user: str
    leases: Leases

    if TYPE_CHECKING:  # provided by the class this is mixed into (Project)

        @property
        def _conn(self) -> sqlite3.Connection: ...

        def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def image(self, image_id: int) -> ImageRecord: ...

    def save_instances(
        self, image_id: int, iset: InstanceSet, *, source: str = "operator"
    ) -> InstanceVersion:
        """Save a new version of an image's instances.

        Raises
        ------
        ValueError
            Wrong shape, an id in the map without a record, unknown category or attribute.
        LeaseHeld
            Another operator holds the image's lease.
        ProjectError
            The write failed; nothing was recorded and earlier versions are intact.
        """
        record = self.image(image_id)
        data, sha, rows = encode_instances(record, iset)
        with self._tx() as conn:
            self.leases.check_not_held(conn, record.id)
            row = conn.execute(
                "SELECT COALESCE(MAX(version), 0) FROM instance_versions WHERE image_id = ?",
                (record.id,),
            ).fetchone()
            version = int(row[0]) + 1
            rel = f"{INSTANCES_FOLDER}/{record.id}/v{version}.png"
            try:
                atomic_write_bytes(self.root / rel, data)
            except OSError as exc:
                raise ProjectError(
                    f"{self.root / rel}: cannot save ({exc.strerror or exc}); nothing was recorded "
                    "and earlier versions are intact"
                ) from exc
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
                    self.user,
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
                "UPDATE images SET updated = ?, user = ? WHERE id = ?", (now, self.user, record.id)
            )
        return InstanceVersion(
            record.id, version, self.root / rel, sha, source, len(iset.instances), self.user, now
        )

    def instance_versions(self, image_id: int) -> list[InstanceVersion]:
        """Every saved version of an image's instances, oldest first."""
        rows = self._conn.execute(
            "SELECT v.*, (SELECT COUNT(*) FROM instances i WHERE i.version_id = v.id) AS n"
            " FROM instance_versions v WHERE image_id = ? ORDER BY version",
            (int(image_id),),
        ).fetchall()
        return [
            InstanceVersion(r["image_id"], r["version"], self.root / r["path"], r["sha256"], r["source"],
                            r["n"], r["user"], r["created"])
            for r in rows
        ]  # fmt: skip

    def load_instances(self, image_id: int, version: int | None = None) -> InstanceSet | None:
        """The saved instances (latest unless ``version``), or None when none were saved."""
        sql, args = "SELECT * FROM instance_versions WHERE image_id = ?", [int(image_id)]
        if version is not None:
            sql += " AND version = ?"
            args.append(int(version))
        row = self._conn.execute(sql + " ORDER BY version DESC LIMIT 1", args).fetchone()
        if row is None:
            return None
        path = self.root / row["path"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ProjectError(
                f"{path}: cannot read the saved instance map: {exc.strerror or exc}"
            ) from exc
        rows = self._conn.execute(
            "SELECT * FROM instances WHERE version_id = ? ORDER BY instance", (row["id"],)
        )
        return decode_instances(str(path), data, rows, row["parsing_task"], row["taxonomy"])

    def images_with_instances(self) -> list[int]:
        """Ids of the images that have saved instances, in id order."""
        rows = self._conn.execute(
            "SELECT DISTINCT image_id FROM instance_versions ORDER BY image_id"
        )
        return [int(r[0]) for r in rows]

    def iter_instances(self) -> Iterator[tuple[int, InstanceSet]]:
        """``(image_id, latest InstanceSet)`` for every image with saved instances."""
        for image_id in self.images_with_instances():
            iset = self.load_instances(image_id)
            if iset is not None:
                yield image_id, iset
