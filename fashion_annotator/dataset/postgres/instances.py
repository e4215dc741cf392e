"""Instances in a PostgreSQL project: the same versions and rows as the SQLite store.

The part ``project.instances`` of :class:`fashion_annotator.dataset.postgres.project.PgProject`
(the SQLite one is :class:`fashion_annotator.dataset.instances_store.InstanceStore`). A version's instance map
PNG is a column of its row, committed with its instance rows in one transaction, so a crash or a
dropped connection leaves both or neither; a local copy is kept in the working folder
(``instances/<image_id>/vN.png``) for exports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from fashion_annotator.dataset.instances_store import (
    INSTANCES_FOLDER,
    InstanceVersion,
    decode_instances,
    encode_instances,
)
from fashion_annotator.dataset.postgres.connection import NOW, STAMPED, one
from fashion_annotator.dataset.schema import EDITED_STATUS
from fashion_annotator.instances.model import InstanceSet

if TYPE_CHECKING:
    from fashion_annotator.dataset.postgres.connection import PgConnection
    from fashion_annotator.dataset.postgres.parts import PgLeases
    from fashion_annotator.dataset.records import ImageRecord


class PgInstanceStore:
    """The instances part of a PostgreSQL project (``project.instances``).

    Parameters
    ----------
    db : PgConnection
        The project's connection.
    known_image : callable
        ``known_image(image_id) -> ImageRecord``; raises :class:`ProjectError` for an unknown id.
    leases : PgLeases
        The project's leases part: a save refuses an image another operator holds.
    """

    def __init__(
        self, db: PgConnection, known_image: Callable[[int], ImageRecord], leases: PgLeases
    ) -> None:
        self._db = db
        self._known_image = known_image
        self._leases = leases

    def save(
        self, image_id: int, iset: InstanceSet, *, source: str = "operator", edited: bool = False
    ) -> InstanceVersion:
        """Save a new version of an image's instances (see the SQLite store for ``edited`` and
        the errors)."""
        record = self._known_image(image_id)
        data, sha, rows = encode_instances(record, iset)
        with self._db.tx() as conn:
            status = self._leases.lock_unleased(conn, record.id)
            row = one(
                conn.execute(
                    f"""INSERT INTO instance_versions (image_id, version, png, sha256, parsing_task,
                        taxonomy, source, username, created)
                    VALUES (%(id)s, (SELECT COALESCE(MAX(version), 0) + 1 FROM instance_versions
                            WHERE image_id = %(id)s), %(png)s, %(sha)s, %(task)s, %(taxonomy)s,
                            %(source)s, %(user)s, {NOW})
                    RETURNING id, version, created""",
                    {"id": record.id, "png": data, "sha": sha, "task": iset.parsing_task,
                     "taxonomy": iset.taxonomy, "source": source, "user": self._db.user},
                ).fetchone()
            )  # fmt: skip
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO instances (version_id, instance, parsing_class, category,"
                    " proposed_category, category_score, attributes, proposed_attributes, colour,"
                    " colour_rgb) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [(row["id"], *r) for r in rows],
                )
            stamp = one(conn.execute(
                f"UPDATE images SET updated = {NOW}, username = %s {STAMPED}",
                (self._db.user, record.id),
            ).fetchone())  # fmt: skip
            self._db.wrote_image(record.id, stamp["updated"], stamp["before"])
            if edited and status in EDITED_STATUS:
                self._db.write_status(conn, record.id, EDITED_STATUS[status])
        path = self._db.root / f"{INSTANCES_FOLDER}/{record.id}/v{row['version']}.png"
        self._db.keep_local(path, data)
        return InstanceVersion(
            record.id, row["version"], path, sha, source, len(rows), self._db.user, row["created"]
        )

    def versions(self, image_id: int) -> list[InstanceVersion]:
        """Every saved version of an image's instances, oldest first."""
        rows = self._db.query(
            "SELECT v.image_id, v.version, v.sha256, v.source, v.username, v.created,"
            " (SELECT COUNT(*) FROM instances i WHERE i.version_id = v.id) AS n"
            " FROM instance_versions v WHERE image_id = %s ORDER BY version",
            (int(image_id),),
        )
        root = self._db.root
        return [
            InstanceVersion(r["image_id"], r["version"],
                            root / f"{INSTANCES_FOLDER}/{r['image_id']}/v{r['version']}.png",
                            r["sha256"], r["source"], int(r["n"]), r["username"], r["created"])
            for r in rows
        ]  # fmt: skip

    def load(self, image_id: int, version: int | None = None) -> InstanceSet | None:
        """The saved instances (latest unless ``version``), or None when none were saved."""
        query = (
            "SELECT v.*, i.width AS image_width, i.height AS image_height FROM instance_versions v "
            "JOIN images i ON i.id = v.image_id WHERE v.image_id = %s"
        )
        args: list = [int(image_id)]
        if version is not None:
            query += " AND v.version = %s"
            args.append(int(version))
        found = self._db.query(query + " ORDER BY v.version DESC LIMIT 1", args)
        if not found:
            return None
        row = found[0]
        rows = self._db.query(
            "SELECT * FROM instances WHERE version_id = %s ORDER BY instance", (row["id"],)
        )
        where = f"{self._db.url.display}: image {image_id}, instances version {row['version']}"
        shape = (int(row["image_height"]), int(row["image_width"]))
        return decode_instances(
            where, bytes(row["png"]), rows, row["parsing_task"], row["taxonomy"], shape,
            row["sha256"], medium="in the database",
        )  # fmt: skip

    def image_ids(self) -> list[int]:
        """Ids of the images that have saved instances, in id order."""
        rows = self._db.query("SELECT DISTINCT image_id FROM instance_versions ORDER BY image_id")
        return [int(r["image_id"]) for r in rows]

    def __iter__(self) -> Iterator[tuple[int, InstanceSet]]:
        """``(image_id, latest InstanceSet)`` for every image with saved instances."""
        for image_id in self.image_ids():
            iset = self.load(image_id)
            if iset is not None:
                yield image_id, iset
