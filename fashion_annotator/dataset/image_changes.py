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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fashion_annotator.dataset.connection import StoreConnection

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


rows_since = since  # the name a method whose parameter is ``since`` calls it by


class ChangeTokens:
    """The change tokens a poll compares (a mixin of
    :class:`fashion_annotator.dataset.store.Project`, whose index connection it reads)."""

    if TYPE_CHECKING:
        _db: StoreConnection

        @property
        def _conn(self) -> sqlite3.Connection: ...

    def change_token(self) -> tuple[int, int] | None:
        """``(others, own)``: ``PRAGMA data_version``, which moves when another connection
        commits to the index, and how many image rows this connection changed
        (this module's log; ``data_version`` ignores them: the image list kept "To do" for
        images its own window had saved); a poll reads the images only when one moved. A
        lease, a proposal or a model changes no image: neither moves ``own``."""
        if self._db.logs_image_changes:
            own = count(self._conn)
        else:  # a connection that writes no image, or cannot log them: every row it wrote
            own = self._conn.total_changes
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0]), own

    def proposal_token(self) -> tuple[int, int]:
        """``(count, latest id)`` of the recorded proposals: it moves with each one recorded,
        this connection's or another's (:meth:`change_token` does not)."""
        recorded, latest = self._conn.execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM proposals").fetchone()
        return int(recorded), int(latest)

    def changed_images(self, since: tuple[int, int]) -> list[int] | None:
        """The images whose rows changed since the :meth:`change_token` ``since`` (an image list
        re-reads only these rows); None when it cannot tell: another connection committed."""
        if not self._db.logs_image_changes or (self.change_token() or (None,))[0] != since[0]:
            return None
        return rows_since(self._conn, since[1])
