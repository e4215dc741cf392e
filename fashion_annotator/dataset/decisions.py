"""QA decisions of a project: ``project.decisions``.

Every decision is recorded (who, when, what, why) and sets the image's status in the same
transaction: ``rejected``, ``approved`` once every task's saved mask is, else ``done`` (an image
nobody marked done stays new or in progress unless rejected).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable

from fashion_annotator.dataset.connection import StoreConnection
from fashion_annotator.dataset.records import DecisionRecord
from fashion_annotator.dataset.schema import DECISIONS

#: Statuses of an image nobody marked done: a QA approval does not finish it.
UNFINISHED: tuple[str, ...] = ("new", "in_progress")
#: An image's status (``%s``: its id).
STATUS_NOW = "SELECT status FROM images WHERE id = %s"
#: The last status an image (``%s``: its id) had other than rejected.
STATUS_BEFORE_REJECT = (
    "SELECT status FROM status_log WHERE image_id = %s AND status <> 'rejected' ORDER BY id DESC LIMIT 1"
)

#: The current decision of each task of one image that has a saved mask or a decision: its
#: latest decision made at or after its latest saved mask version (None when the mask was saved
#: since: that version waits for review; the Review table shows decisions by the same rule,
#: ``qa.decisions.current_decision``). ``%s`` is the image id, four times; SQLite swaps in ``?``.
CURRENT_PER_TASK = (
    "SELECT t.task, (SELECT d.decision FROM decisions d WHERE d.image_id = %s AND d.task = t.task"
    " AND ((d.mask_version IS NOT NULL AND d.mask_version = COALESCE((SELECT MAX(v.version)"
    " FROM mask_versions v WHERE v.image_id = %s AND v.task = t.task), 0))"
    " OR (d.mask_version IS NULL AND d.at >= COALESCE((SELECT MAX(v.created) FROM mask_versions v"
    " WHERE v.image_id = %s AND v.task = t.task), 0))) ORDER BY d.id DESC LIMIT 1) AS decision"
    " FROM (SELECT task FROM mask_versions WHERE image_id = %s"
    " UNION SELECT task FROM decisions WHERE image_id = %s) t"
)
"""Each task's current decision on one image (``%s`` five times: the image id): the latest one
made on the task's latest mask version (decisions older than the ``mask_version`` column: made
no earlier than that version was saved)."""
#: How many images each task's latest saved mask is approved on (the rule of
#: :data:`CURRENT_PER_TASK`: each image's latest decision on the task, made on that mask
#: version), one row per task with an approval: ``task``, ``n``. No parameters.
APPROVED_PER_TASK = (
    "SELECT d.task AS task, COUNT(*) AS n FROM decisions d"
    " JOIN (SELECT MAX(id) AS id FROM decisions GROUP BY image_id, task) l ON l.id = d.id"
    " WHERE d.decision = 'approve'"
    " AND ((d.mask_version IS NOT NULL AND d.mask_version = COALESCE((SELECT MAX(v.version)"
    " FROM mask_versions v WHERE v.image_id = d.image_id AND v.task = d.task), 0))"
    " OR (d.mask_version IS NULL AND d.at >= COALESCE((SELECT MAX(v.created) FROM mask_versions v"
    " WHERE v.image_id = d.image_id AND v.task = d.task), 0)))"
    " GROUP BY d.task"
)
#: The latest mask version of ``(image_id, task)`` when a decision is recorded (``%s``: image
#: id, task), 0 when none is saved.
LATEST_VERSION = "SELECT COALESCE(MAX(version), 0) AS v FROM mask_versions WHERE image_id = %s AND task = %s"
#: The image's name and who saved mask version ``%s`` of ``(image_id, task)`` (``%s`` three
#: times: image id, task, version); ``{user}``: the backend's user column.
SAVED_BY = (
    "SELECT i.name, v.{user} AS who FROM images i JOIN mask_versions v ON v.image_id = i.id"
    " WHERE i.id = %s AND v.task = %s AND v.version = %s"
)


def not_seen(name: str, version: int, user: str, seen_version: int) -> str:
    """Why a decision on ``seen_version`` is refused: version ``version`` was saved since the
    reviewer looked (another reviewer's stale table would approve work nobody looked at)."""
    return (
        f"{name}: version {version} ({user}) was saved after you looked at version "
        f"{seen_version}; refresh the table (F5) and look again"
    )


def seen_is_latest(seen_version: int | None, latest: int) -> bool:
    """Whether a decision made on ``seen_version`` (None: not checked) is on the ``latest``
    saved mask version (0: none saved, nothing to check)."""
    return seen_version is None or latest in (0, seen_version)


def status_before(now: str, before_reject: str | None) -> str:
    """The status a decision starts from: the image's ``now``, or while it is rejected the one
    it had before (``before_reject``, :data:`STATUS_BEFORE_REJECT`; ``"new"`` when none was
    logged). A reject, a fix autosaved and an approval made an image nobody marked done
    approved (a review)."""
    if now != "rejected":
        return now
    return before_reject or "new"


def status_from_decisions(current: Iterable[str | None], before: str = "done") -> str:
    """An image's status from its tasks' current decisions (:data:`CURRENT_PER_TASK`):
    ``"rejected"`` while any task's is a reject (approving another task does not send it back
    to done), ``"approved"`` when every task's is an approve, else ``"done"``: a task nobody
    reviewed, or whose mask was saved again since its decision, is still waiting (approving the
    parsing mask approved the image whose garment mask nobody looked at, and brought back a
    reject an operator had already fixed).

    An image nobody marked done (``before`` is ``"new"`` or ``"in_progress"``, see
    :func:`status_before`) keeps that status unless it is rejected: approving the one saved task
    of a half-edited image made the image approved (its other task never saved), and the
    operator's next stroke made it done.
    """
    decisions = list(current)
    if any(d == "reject" for d in decisions):
        return "rejected"
    if before in UNFINISHED:
        return before
    return "approved" if decisions and all(d == "approve" for d in decisions) else "done"


class Decisions:
    """``project.decisions``: call it to list decisions; ``record`` and ``last``.

    Parameters
    ----------
    db : StoreConnection
        The project's shared connection.
    check : callable
        ``check(image_id, task)`` raises for an unknown image or task.
    check_free : callable, optional
        ``check_free(conn, image_id)`` raises :class:`~fashion_annotator.dataset.leases.LeaseHeld`
        inside the transaction while another session edits the image.
    """

    def __init__(
        self,
        db: StoreConnection,
        check: Callable[[int, str], None],
        check_free: Callable[[sqlite3.Connection, int], None] | None = None,
    ) -> None:
        self._db = db
        self._check = check
        self._check_free = check_free

    def record(
        self, image_id: int, task: str, decision: str, reason: str | None = None, text: str = "",
        seen_version: int | None = None,
    ) -> DecisionRecord:  # fmt: skip
        """Record a QA decision of one task; the image's status follows every task's current
        decision (:func:`status_from_decisions`).

        Raises
        ------
        ValueError
            An unknown decision, or a mask version other than ``seen_version`` (the one the
            reviewer looked at) is the latest inside the write transaction (:func:`not_seen`).
        """
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}; expected one of {DECISIONS}")
        self._check(int(image_id), task)
        db, now = self._db, time.time()
        with db.tx() as conn:
            if self._check_free is not None:  # an operator editing it would save over the decision
                self._check_free(conn, int(image_id))
            version = int(conn.execute(LATEST_VERSION.replace("%s", "?"), (int(image_id), task)).fetchone()["v"])
            if not seen_is_latest(seen_version, version):
                saved = conn.execute(SAVED_BY.format(user="user").replace("%s", "?"),
                                     (int(image_id), task, version)).fetchone()  # fmt: skip
                raise ValueError(not_seen(saved["name"], version, saved["who"], int(seen_version or 0)))
            cur = conn.execute(
                "INSERT INTO decisions (image_id, task, decision, reason, text, user, at, mask_version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (int(image_id), task, decision, reason, text, db.user, now, version),
            )
            current = conn.execute(CURRENT_PER_TASK.replace("%s", "?"), (int(image_id),) * 5).fetchall()
            status = conn.execute(STATUS_NOW.replace("%s", "?"), (int(image_id),)).fetchone()["status"]
            earlier = conn.execute(STATUS_BEFORE_REJECT.replace("%s", "?"), (int(image_id),)).fetchone()
            before = status_before(status, earlier["status"] if earlier else None)
            db.write_status(conn, int(image_id), status_from_decisions((r["decision"] for r in current), before))
        return DecisionRecord(
            int(cur.lastrowid or 0), int(image_id), task, decision, reason, text, db.user, now, version
        )

    def __call__(
        self, image_id: int | None = None, task: str | None = None
    ) -> list[DecisionRecord]:
        """QA decisions, oldest first, optionally for one image and/or one task."""
        sql, args = "SELECT * FROM decisions WHERE 1", list[object]()
        if image_id is not None:
            sql += " AND image_id = ?"
            args.append(int(image_id))
        if task is not None:
            sql += " AND task = ?"
            args.append(task)
        rows = self._db.conn.execute(sql + " ORDER BY id", args).fetchall()
        return [_decision(r) for r in rows]

    def last(self, image_id: int, task: str | None = None) -> DecisionRecord | None:
        """The most recent decision on the image (for showing a reject reason), or None."""
        found = self(image_id, task)
        return found[-1] if found else None

    def approved_counts(self) -> dict[str, int]:
        """Per task, the images whose latest saved mask of it QA approved (:data:`APPROVED_PER_TASK`;
        tasks without one are left out)."""
        rows = self._db.conn.execute(APPROVED_PER_TASK).fetchall()
        return {str(r["task"]): int(r["n"]) for r in rows}


def _decision(row: sqlite3.Row) -> DecisionRecord:
    return DecisionRecord(
        row["id"], row["image_id"], row["task"], row["decision"], row["reason"], row["text"],
        row["user"], row["at"], row["mask_version"],
    )  # fmt: skip
