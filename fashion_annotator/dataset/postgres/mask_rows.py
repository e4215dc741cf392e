"""The SQL that adds a mask version to a PostgreSQL project (its PNG is a column of the row),
and the read of one version, checked as the SQLite store checks its files.

Kept apart from :mod:`fashion_annotator.dataset.postgres.project` so the project's class stays
about its records.
"""

from __future__ import annotations

import numpy as np
import psycopg
from psycopg import sql
from psycopg.rows import DictRow

from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.dataset import mask_files
from fashion_annotator.dataset.postgres.connection import NOW, PgConnection, one

COLUMNS = "SELECT image_id, task, version, sha256, source, seconds, actions, username, created"
"""SQL: the columns of a mask version row that its record holds (all but the PNG)."""
VERSIONS = f"{COLUMNS} FROM mask_versions WHERE image_id = %s AND task = %s"
"""SQL: the mask versions of ``(image_id, task)`` (without their PNGs); an ORDER BY follows."""
TASK_VERSIONS = f"{COLUMNS} FROM mask_versions WHERE task = %s ORDER BY image_id, version"
"""SQL: every mask version of a task (without their PNGs), per image, oldest first."""

_INSERT = f"""
WITH v AS (
    INSERT INTO mask_versions (image_id, task, version, png, sha256, source,
                               seconds, actions, username, created)
    VALUES (%(id)s, %(task)s, (SELECT COALESCE(MAX(version), 0) + 1
            FROM mask_versions WHERE image_id = %(id)s AND task = %(task)s),
            %(png)s, %(sha)s, %(source)s, %(seconds)s, %(actions)s, %(user)s,
            {NOW})
    RETURNING version, created),
o AS (SELECT updated FROM images WHERE id = %(id)s),
u AS (
    UPDATE images SET updated = {NOW}, username = %(user)s,
        status = COALESCE(%(status)s::text, status)
    WHERE id = %(id)s),
s AS (
    INSERT INTO status_log (image_id, status, username, at)
    SELECT %(id)s, %(status)s::text, %(user)s, {NOW}
    WHERE %(status)s::text IS NOT NULL)
SELECT version, created, (SELECT updated FROM o) AS before FROM v
"""
"""SQL: add the next version of ``(id, task)`` and update the image (and its status log); the
version, its ``created`` (the image's new ``updated``) and the image's ``updated`` before
(``before``: every sub-statement sees the row as the lock taken before left it)."""


def insert_mask_version(
    conn: psycopg.Connection[DictRow], image_id: int, task: str, data: bytes, sha: str,
    source: str, seconds: float, actions: int, user: str, status: str | None,
) -> DictRow:  # fmt: skip
    """Inside a transaction that locked the image row: add the next version of its mask, as
    ``user``, and set ``status`` (None: unchanged); the new row's ``version`` and ``created``.

    One statement adds the version and updates the image (and its status log): fewer round
    trips keep the image row's lock short when many operators save.
    """
    row = conn.execute(
        _INSERT,
        {"id": image_id, "task": task, "png": data, "sha": sha, "source": source,
         "seconds": float(seconds), "actions": int(actions), "user": user, "status": status},
    ).fetchone()  # fmt: skip
    return one(row)


def read_version_row(
    db: PgConnection, table: str, image_id: int, task: str, version: int | None, taxonomy: Taxonomy
) -> np.ndarray | None:
    """The mask of a version row of ``table`` (``mask_versions`` or ``proposals``; the latest
    unless ``version``), or None when there is none.

    The PNG is checked as :func:`~fashion_annotator.dataset.mask_files.decode_version` checks
    the SQLite store's files: its bytes against the row's SHA-256 (mask versions: proposals
    record none), its size against the photo's, its labels against ``taxonomy``.

    Raises
    ------
    ProjectError
        The PNG does not decode or is not the mask that was saved; the message names the
        project, the image, the task and the version.
    """
    sha = sql.SQL("v.sha256" if table == "mask_versions" else "NULL")
    query = sql.SQL(
        "SELECT v.png, v.version, {} AS sha256, i.height, i.width FROM {} v JOIN images i"
        " ON i.id = v.image_id WHERE v.image_id = %s AND v.task = %s"
    ).format(sha, sql.Identifier(table))
    args: list = [int(image_id), task]
    if version is not None:
        query += sql.SQL(" AND v.version = %s")
        args.append(int(version))
    rows = db.query(query + sql.SQL(" ORDER BY v.version DESC LIMIT 1"), args)
    if not rows:
        return None
    row = rows[0]
    kind = "mask" if table == "mask_versions" else "proposal"
    where = f"{db.url.display}: image {image_id}, task {task}, saved {kind} version {row['version']}"
    return mask_files.decode_version(
        bytes(row["png"]), where, sha256=row["sha256"], shape=(row["height"], row["width"]),
        taxonomy=taxonomy, medium="in the database",
    )  # fmt: skip
