"""The SQL that adds a mask version to a PostgreSQL project (its PNG is a column of the row).

Kept apart from :mod:`fashion_annotator.dataset.postgres.project` so the project's class stays
about its records.
"""

from __future__ import annotations

import psycopg
from psycopg.rows import DictRow

from fashion_annotator.dataset.postgres.connection import NOW, one

_INSERT = f"""
WITH v AS (
    INSERT INTO mask_versions (image_id, task, version, png, sha256, source,
                               seconds, actions, username, created)
    VALUES (%(id)s, %(task)s, (SELECT COALESCE(MAX(version), 0) + 1
            FROM mask_versions WHERE image_id = %(id)s AND task = %(task)s),
            %(png)s, %(sha)s, %(source)s, %(seconds)s, %(actions)s, %(user)s,
            {NOW})
    RETURNING version, created),
u AS (
    UPDATE images SET updated = {NOW}, username = %(user)s,
        status = COALESCE(%(status)s::text, status)
    WHERE id = %(id)s),
s AS (
    INSERT INTO status_log (image_id, status, username, at)
    SELECT %(id)s, %(status)s::text, %(user)s, {NOW}
    WHERE %(status)s::text IS NOT NULL)
SELECT version, created FROM v
"""
"""SQL: add the next version of ``(id, task)`` and update the image (and its status log)."""


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
