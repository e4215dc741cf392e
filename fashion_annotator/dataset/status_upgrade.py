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

from fashion_annotator.dataset.decisions import status_from_decisions

__all__ = ["UPGRADE_USER", "reapply_decision_rule"]

log = logging.getLogger(__name__)

#: The user the status log names for a status the upgrade changed.
UPGRADE_USER = "upgrade"
#: The most images the upgrade's log line names (the status log has every one): 2,000 changed
#: images of a 20,000-image project made one line of 30 KB, all their ids in one query.
LOGGED_NAMES = 20


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
    changed = {
        image_id: status
        for image_id, current in sorted(_current_decisions(conn).items())
        if (status := status_from_decisions(current)) != "approved"
    }
    now = time.time()
    for image_id, status in changed.items():
        conn.execute(f"UPDATE images SET status = {p} WHERE id = {p}", (status, image_id))
        conn.execute(
            f"INSERT INTO status_log (image_id, status, {user_column}, at) VALUES ({p}, {p}, {p}, {p})",
            (image_id, status, UPGRADE_USER, now),
        )
    if changed:
        shown = list(changed.items())[:LOGGED_NAMES]
        listed = ", ".join(str(i) for i, _ in shown)  # ids read from the index: integers
        rows = conn.execute(f"SELECT id, name FROM images WHERE id IN ({listed})").fetchall()
        names = {int(_at(r, 0, "id")): str(_at(r, 1, "name")) for r in rows}
        more = f" and {len(changed) - len(shown)} more (the status log names them all)" if len(changed) > len(shown) else ""
        log.warning(
            "%s: %d image(s) approved by an earlier version have a mask nobody approved (saved again "
            "after the approval, or a task never reviewed); their status is now: %s%s",
            where, len(changed), ", ".join(f"{names.get(i, i)} {s}" for i, s in shown), more,
        )  # fmt: skip
    return list(changed)


def _current_decisions(conn: Any) -> dict[int, list[str | None]]:
    """Each approved image's current decision per task, as
    :data:`~fashion_annotator.dataset.decisions.CURRENT_PER_TASK` gives them (the latest decision
    made on the task's latest mask version, or, without a version recorded, made no earlier than
    its latest save), read in three queries.

    That query per image scans the decisions, which no index covers: 63 s at 20,000 approved
    images on SQLite, the index's write lock held all along (every colleague's save waited,
    then failed), and the PostgreSQL tables locked by the upgrade as long.
    """
    approved = "SELECT id FROM images WHERE status = 'approved'"
    latest: dict[tuple[int, str], tuple[int, float]] = {}
    for r in conn.execute(
        "SELECT image_id, task, MAX(version) AS version, MAX(created) AS created FROM mask_versions"
        f" WHERE image_id IN ({approved}) GROUP BY image_id, task"
    ):
        latest[(int(_at(r, 0, "image_id")), str(_at(r, 1, "task")))] = (_at(r, 2, "version"), _at(r, 3, "created"))
    current: dict[tuple[int, str], str | None] = dict.fromkeys(latest)
    for r in conn.execute(
        "SELECT image_id, task, decision, mask_version, at FROM decisions"
        f" WHERE image_id IN ({approved}) ORDER BY id"
    ):
        key = (int(_at(r, 0, "image_id")), str(_at(r, 1, "task")))
        current.setdefault(key, None)  # a task with a decision and no saved version counts too
        version, created = latest.get(key, (0, 0.0))
        seen = _at(r, 3, "mask_version")
        if (seen == version) if seen is not None else (_at(r, 4, "at") >= created):
            current[key] = _at(r, 2, "decision")  # in id order: the latest one stays
    by_image: dict[int, list[str | None]] = {int(i): [] for i in (_at(r, 0, "id") for r in conn.execute(approved))}
    for (image_id, _task), decision in current.items():
        by_image.setdefault(image_id, []).append(decision)
    return by_image


def _at(row: Any, index: int, name: str) -> Any:
    """Column ``name`` (at ``index``) of a tuple, ``sqlite3.Row`` or dict row."""
    return row[name] if isinstance(row, dict) else row[index]
