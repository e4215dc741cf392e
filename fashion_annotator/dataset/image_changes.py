"""Which image rows one index connection changed: the image list re-reads just those.

Every row this connection inserts, updates or deletes in ``images`` is logged in a temporary
table by temporary triggers, which only this connection has and which fire on whatever
statement writes the row (a save's status, an import, a QA decision, a rename): no code path
can forget to report one. The log is part of the write transaction, so a rolled-back write
leaves no entry. Writes that change no image (leases, proposals, models, the cache) leave none
either: the image list's change token (:meth:`~fashion_annotator.dataset.store.Project.
change_token`) counts these entries, not every row the connection wrote.
"""

from __future__ import annotations

import sqlite3

_LOG = "image_changes"
_SCHEMA = [
    f"CREATE TEMP TABLE IF NOT EXISTS {_LOG} (seq INTEGER PRIMARY KEY, image_id INTEGER NOT NULL)",
    *(
        f"CREATE TEMP TRIGGER IF NOT EXISTS {_LOG}_{event.lower()} AFTER {event} ON main.images "
        f"BEGIN INSERT INTO {_LOG} (image_id) VALUES ({row}.id); END"
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
    ),
]


def install(conn: sqlite3.Connection) -> bool:
    """Start logging ``conn``'s image row changes; False when it cannot (a read-only
    connection that cannot make a temporary table: it changes no image anyway)."""
    try:
        for sql in _SCHEMA:
            conn.execute(sql)
    except sqlite3.Error:
        return False
    return True


def count(conn: sqlite3.Connection) -> int:
    """How many image row changes ``conn`` committed (or made in its open transaction)."""
    return int(conn.execute(f"SELECT COALESCE(MAX(seq), 0) FROM temp.{_LOG}").fetchone()[0])


def since(conn: sqlite3.Connection, seen: int) -> list[int]:
    """The images whose rows ``conn`` changed after its first ``seen`` changes, ascending."""
    rows = conn.execute(f"SELECT DISTINCT image_id FROM temp.{_LOG} WHERE seq > ? ORDER BY image_id", (int(seen),))
    return [int(r[0]) for r in rows]
