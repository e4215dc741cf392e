"""Image statuses of a project upgraded from a version that kept them by earlier rules.

Before 2026-12-03 a QA approval of one task approved the whole image, and a mask saved again
after an approval left the image approved. Such an image came through the upgrade approved
although a mask of it was never approved: the Review tab's Done filter hid it, and an export of
approved images delivered it. The upgrade that adds ``decisions.mask_version`` (SQLite schema
4, PostgreSQL 3) gives each approved image the status today's rule gives it
(:func:`~fashion_annotator.dataset.decisions.status_from_decisions`): done, to be reviewed, or
rejected while a task's current decision is a reject. Every change is logged in ``status_log``
under :data:`UPGRADE_USER` and named in the log.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fashion_annotator.dataset.decisions import CURRENT_PER_TASK, status_from_decisions

__all__ = ["UPGRADE_USER", "reapply_decision_rule"]

log = logging.getLogger(__name__)

#: The user the status log names for a status the upgrade changed.
UPGRADE_USER = "upgrade"


def reapply_decision_rule(conn: Any, where: str, *, placeholder: str, user_column: str) -> list[int]:
    """Give every approved image of the index ``conn`` the status today's decision rule gives
    it, inside the caller's (upgrade) transaction; return the ids of the images changed.

    Parameters
    ----------
    conn : sqlite3.Connection or psycopg.Connection
        Rows as tuples, ``sqlite3.Row`` or dicts; the project's tables are found without a
        schema prefix.
    where : str
        The project, for the log.
    placeholder : str
        The driver's parameter marker: ``"?"`` (SQLite) or ``"%s"`` (PostgreSQL).
    user_column : str
        The status log's user column: ``user`` (SQLite) or ``username`` (PostgreSQL).
    """
    p = placeholder
    current_sql = CURRENT_PER_TASK.replace("%s", p)
    approved = [int(_at(r, 0, "id")) for r in conn.execute("SELECT id FROM images WHERE status = 'approved' ORDER BY id")]
    changed: dict[int, str] = {}
    for image_id in approved:
        current = [_at(r, 1, "decision") for r in conn.execute(current_sql, (image_id,) * 5).fetchall()]
        status = status_from_decisions(current)
        if status != "approved":
            changed[image_id] = status
    now = time.time()
    for image_id, status in changed.items():
        conn.execute(f"UPDATE images SET status = {p} WHERE id = {p}", (status, image_id))
        conn.execute(
            f"INSERT INTO status_log (image_id, status, {user_column}, at) VALUES ({p}, {p}, {p}, {p})",
            (image_id, status, UPGRADE_USER, now),
        )
    if changed:
        listed = ", ".join(str(i) for i in changed)  # ids read from the index: integers
        rows = conn.execute(f"SELECT id, name FROM images WHERE id IN ({listed})").fetchall()
        names = {int(_at(r, 0, "id")): str(_at(r, 1, "name")) for r in rows}
        log.warning(
            "%s: %d image(s) approved by an earlier version have a mask nobody approved (saved again "
            "after the approval, or a task never reviewed); their status is now: %s",
            where, len(changed), ", ".join(f"{names.get(i, i)} {s}" for i, s in changed.items()),
        )  # fmt: skip
    return list(changed)


def _at(row: Any, index: int, name: str) -> Any:
    """Column ``name`` (at ``index``) of a tuple, ``sqlite3.Row`` or dict row."""
    return row[name] if isinstance(row, dict) else row[index]
