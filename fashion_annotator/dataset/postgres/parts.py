"""The parts of a PostgreSQL project: ``.models``, ``.decisions`` and ``.leases``.

They implement :class:`fashion_annotator.dataset.api.ModelsPart`, ``DecisionsPart`` and
``LeasesPart`` over the shared :class:`PgConnection` (the cache part is the local
:class:`fashion_annotator.dataset.cache.Cache` of the working folder).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg
from psycopg.rows import DictRow

from fashion_annotator.dataset.decisions import (
    APPROVED_PER_TASK,
    CURRENT_PER_TASK,
    LATEST_VERSION,
    SAVED_BY,
    STATUS_BEFORE_REJECT,
    STATUS_NOW,
    not_seen,
    seen_is_latest,
    status_before,
    status_from_decisions,
)
from fashion_annotator.dataset.leases import Lease, LeaseHeld
from fashion_annotator.dataset.postgres.connection import LIVE, NOW, PgConnection, one
from fashion_annotator.dataset.records import DecisionRecord, ModelRecord, ProjectError
from fashion_annotator.dataset.schema import DECISIONS, STATUSES

_TAKE_LEASE = f"""
INSERT INTO leases AS l (image_id, token, holder, host, pid, backend_pid, acquired, expires)
VALUES (%(image_id)s, %(token)s, %(holder)s, %(host)s, %(pid)s, pg_backend_pid(), {NOW},
        {NOW} + %(ttl)s)
ON CONFLICT (image_id) DO UPDATE SET
    token = EXCLUDED.token, holder = EXCLUDED.holder, host = EXCLUDED.host, pid = EXCLUDED.pid,
    backend_pid = EXCLUDED.backend_pid,
    acquired = CASE WHEN l.token = EXCLUDED.token THEN l.acquired ELSE EXCLUDED.acquired END,
    expires = EXCLUDED.expires
WHERE l.token = EXCLUDED.token OR NOT {LIVE}
RETURNING image_id, holder, token, acquired, expires, host, pid
"""
"""SQL: take or renew a lease in one statement; returns no row when another session holds it."""

_LEASE_COLUMNS = "image_id, holder, token, acquired, expires, host, pid"


class PgDecisions:
    """``project.decisions``: call it to list decisions; ``record`` and ``last``.

    ``check(image_id, task)`` raises for an unknown image or task.
    """

    def __init__(
        self,
        db: PgConnection,
        check: Callable[[int, str], None],
        check_free: Callable[[psycopg.Connection[DictRow], int], object] | None = None,
    ) -> None:
        self._db = db
        self._check = check
        self._check_free = check_free

    def record(
        self, image_id: int, task: str, decision: str, reason: str | None = None, text: str = "",
        seen_version: int | None = None,
    ) -> DecisionRecord:  # fmt: skip
        """Record a QA decision of one task; the image's status follows every task's current
        decision (:func:`~fashion_annotator.dataset.decisions.status_from_decisions`).

        ``seen_version``: the mask version the reviewer looked at; another one latest, under
        the image row's lock, refuses the decision (``ValueError``, see
        :meth:`fashion_annotator.dataset.decisions.Decisions.record`).
        """
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}; expected one of {DECISIONS}")
        self._check(int(image_id), task)
        with self._db.tx() as conn:
            if self._check_free is not None:  # an operator editing it would save over the decision
                self._check_free(conn, int(image_id))
            version = int(one(conn.execute(LATEST_VERSION, (int(image_id), task)).fetchone())["v"])
            if not seen_is_latest(seen_version, version):
                saved = one(conn.execute(SAVED_BY.format(user="username"),
                                         (int(image_id), task, version)).fetchone())  # fmt: skip
                raise ValueError(not_seen(saved["name"], version, saved["who"], int(seen_version or 0)))
            row = conn.execute(
                "INSERT INTO decisions (image_id, task, decision, reason, text, username, at, mask_version)"
                f" VALUES (%s, %s, %s, %s, %s, %s, {NOW}, %s) RETURNING *",
                (int(image_id), task, decision, reason, text, self._db.user, version),
            ).fetchone()
            current = conn.execute(CURRENT_PER_TASK, (int(image_id),) * 5).fetchall()
            status = one(conn.execute(STATUS_NOW, (int(image_id),)).fetchone())["status"]
            earlier = conn.execute(STATUS_BEFORE_REJECT, (int(image_id),)).fetchone()
            before = status_before(status, earlier["status"] if earlier else None)
            self._db.write_status(conn, int(image_id), status_from_decisions((r["decision"] for r in current), before))
        return _decision(one(row))

    def __call__(
        self, image_id: int | None = None, task: str | None = None
    ) -> list[DecisionRecord]:
        """QA decisions, oldest first, optionally for one image and/or one task."""
        query, args = "SELECT * FROM decisions WHERE TRUE", list[object]()
        if image_id is not None:
            query += " AND image_id = %s"
            args.append(int(image_id))
        if task is not None:
            query += " AND task = %s"
            args.append(task)
        return [_decision(r) for r in self._db.query(query + " ORDER BY id", args)]

    def last(self, image_id: int, task: str | None = None) -> DecisionRecord | None:
        """The most recent decision on the image (for showing a reject reason), or None."""
        found = self(image_id, task)
        return found[-1] if found else None

    def approved_counts(self) -> dict[str, int]:
        """Per task, the images whose latest saved mask of it QA approved (tasks without one
        are left out)."""
        return {str(r["task"]): int(r["n"]) for r in self._db.query(APPROVED_PER_TASK)}


class PgModels:
    """``project.models``: model files stored in the database, copied into ``models/`` locally."""

    def __init__(self, db: PgConnection) -> None:
        self._db = db

    def register(
        self,
        task: str,
        weights_path: str | Path,
        metrics: dict,
        trained_on: Sequence[str],
        *,
        activate: bool = False,
    ) -> ModelRecord:
        """Store a model (``.safetensors`` and its ``.json`` meta) as the task's next version.

        The new version is not active unless ``activate``; see :meth:`set_active`.
        """
        src = Path(weights_path)
        if not src.is_file():
            raise ProjectError(f"{src}: model file not found")
        try:
            weights = src.read_bytes()
            meta_file = src.with_suffix(".json")
            meta = meta_file.read_bytes() if meta_file.is_file() else None
        except OSError as exc:
            raise ProjectError(f"{src}: cannot read the model: {exc.strerror or exc}") from exc
        with self._db.tx() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('fa.models'), hashtext(%s))",
                         (task,))  # fmt: skip
            if activate:
                conn.execute("UPDATE models SET active = FALSE WHERE task = %s", (task,))
            row = conn.execute(
                "INSERT INTO models (task, version, weights, meta, sha256, metrics, trained_on,"
                " created, username, active) VALUES (%(task)s, (SELECT COALESCE(MAX(version), 0)"
                " + 1 FROM models WHERE task = %(task)s), %(weights)s, %(meta)s, %(sha)s,"
                f" %(metrics)s, %(trained_on)s, {NOW}, %(user)s, %(active)s) RETURNING version",
                {"task": task, "weights": weights, "meta": meta,
                 "sha": hashlib.sha256(weights).hexdigest(),
                 "metrics": json.dumps(metrics, sort_keys=True),
                 "trained_on": json.dumps(list(trained_on)), "user": self._db.user,
                 "active": bool(activate)},
            ).fetchone()  # fmt: skip
        version = one(row)["version"]
        return self._records("WHERE task = %s AND version = %s", (task, version))[0]

    def __call__(self, task: str) -> list[ModelRecord]:
        """Registered models of a task, oldest first (their files fetched locally)."""
        return self._records("WHERE task = %s ORDER BY version", (task,))

    def active(self, task: str) -> ModelRecord | None:
        """The task's active model (it wins over the shipped default), or None."""
        found = self._records("WHERE task = %s AND active", (task,))
        return found[0] if found else None

    def set_active(self, task: str, version: int | None) -> None:
        """Make ``version`` the task's active model; None reverts to the shipped default."""
        with self._db.tx() as conn:
            if version is not None:
                found = conn.execute(
                    "SELECT 1 FROM models WHERE task = %s AND version = %s", (task, int(version))
                ).fetchone()
                if found is None:
                    raise ProjectError(
                        f"{self._db.url.display}: no model version {version} for task {task!r}"
                    )
            conn.execute("UPDATE models SET active = FALSE WHERE task = %s", (task,))
            if version is not None:
                conn.execute(
                    "UPDATE models SET active = TRUE WHERE task = %s AND version = %s",
                    (task, int(version)),
                )

    def _records(self, where: str, args: Sequence) -> list[ModelRecord]:
        rows = self._db.query(
            "SELECT task, version, sha256, metrics, trained_on, created, active FROM models "
            + where,
            args,
        )
        return [self._with_file(r) for r in rows]

    def _with_file(self, row: DictRow) -> ModelRecord:
        """The record, with the weights (and meta) copied into ``models/`` when absent or stale."""
        path = self._db.root / "models" / row["task"] / f"v{row['version']}.safetensors"
        if not has_sha(path, row["sha256"]):
            blob = self._db.query(
                "SELECT weights, meta FROM models WHERE task = %s AND version = %s",
                (row["task"], row["version"]),
            )[0]
            if blob["meta"] is None:
                path.with_suffix(".json").unlink(missing_ok=True)
            else:
                self._db.keep_local(path.with_suffix(".json"), bytes(blob["meta"]))
            self._db.keep_local(path, bytes(blob["weights"]))
        return ModelRecord(
            task=row["task"], version=row["version"], path=path,
            metrics=json.loads(row["metrics"]), trained_on=json.loads(row["trained_on"]),
            created=row["created"], active=bool(row["active"]),
        )  # fmt: skip


class PgLeases:
    """``project.leases``: leases as rows with an expiry, the holder's token and server session.

    A lease is held until it expires, whatever became of the server session that took it
    (:data:`~fashion_annotator.dataset.postgres.connection.LIVE`): a holder whose connection
    dropped or whose server restarted reconnects, re-attaches it and renews it; a killed
    client's lease is free when it expires. ``backend_pid`` only says which server session a
    lease is attached to now.
    ``check_image(image_id)`` raises for an unknown image.
    """

    def __init__(self, db: PgConnection, check_image: Callable[[int], object]) -> None:
        self._db = db
        self._check_image = check_image

    @property
    def token(self) -> str:
        """This session's lease token (what its leases carry in ``Lease.token``)."""
        return self._db.token

    def acquire(self, image_id: int, ttl_s: float = 300) -> Lease:
        """Take (or renew) this session's lease on an image for ``ttl_s`` seconds.

        Raises
        ------
        LeaseHeld
            Another live session holds it; ``.holder`` says who, ``.expires`` until when.
        """
        if ttl_s <= 0:
            raise ValueError(f"lease ttl must be positive, got {ttl_s}")
        self._check_image(int(image_id))
        with self._db.tx() as conn:
            row = self.take(conn, int(image_id), ttl_s)
            if row is None:
                held = conn.execute(
                    f"SELECT {_LEASE_COLUMNS}, i.name FROM leases l JOIN images i ON i.id = l.image_id"
                    " WHERE l.image_id = %s", (int(image_id),)
                ).fetchone()
                raise _held(one(held))
        return _lease(row)

    def take(
        self, conn: psycopg.Connection[DictRow], image_id: int, ttl_s: float
    ) -> DictRow | None:
        """Inside a transaction: take or renew the lease; None when another session holds it."""
        return conn.execute(_TAKE_LEASE, {
            "image_id": int(image_id), "token": self._db.token, "holder": self._db.holder,
            "host": self._db.host, "pid": self._db.pid, "ttl": float(ttl_s),
        }).fetchone()  # fmt: skip

    def release(self, image_id: int) -> bool:
        """Give up this session's lease on an image; return whether it held one."""
        with self._db.tx() as conn:
            cur = conn.execute(
                "DELETE FROM leases WHERE image_id = %s AND token = %s",
                (int(image_id), self._db.token),
            )
            return cur.rowcount > 0

    def release_all(self) -> int:
        """Drop every lease this session holds (closing a project); return how many."""
        with self._db.tx() as conn:
            return conn.execute("DELETE FROM leases WHERE token = %s", (self._db.token,)).rowcount

    def current(self, image_id: int) -> Lease | None:
        """Return the live lease on an image, whoever holds it, or None."""
        rows = self._db.query(
            f"SELECT {_LEASE_COLUMNS} FROM leases l WHERE image_id = %s AND {LIVE}",
            (int(image_id),),
        )
        return _lease(rows[0]) if rows else None

    def lock_unleased(self, conn: psycopg.Connection[DictRow], image_id: int) -> str:
        """Inside a transaction: lock the image row (versions are numbered one save at a time)
        and raise :class:`LeaseHeld` when another live session holds the image; the image's
        status, as locked."""
        held = conn.execute(
            f"SELECT i.id, i.name, i.status, l.holder, l.expires, l.host, l.pid FROM images i LEFT JOIN leases l ON"
            f" l.image_id = i.id AND l.token <> %s AND {LIVE} WHERE i.id = %s FOR UPDATE OF i",
            (self._db.token, image_id),
        ).fetchone()
        if held is not None and held["holder"] is not None:
            raise _held({**held, "image_id": image_id})
        return "" if held is None else str(held["status"])

    def claim(self, ttl_s: float, statuses: Sequence[str]) -> DictRow | None:
        """Lease the least recently changed unleased image of ``statuses``; its row, or None.

        Concurrent claims skip each other's candidate rows (``FOR UPDATE SKIP LOCKED``) and the
        lease is taken in the same transaction, so two sessions never get the same image.
        Images this session already holds are skipped.
        """
        for status in statuses:
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
        if ttl_s <= 0:
            raise ValueError(f"lease ttl must be positive, got {ttl_s}")
        for _ in range(100):
            with self._db.tx() as conn:
                row = conn.execute(
                    "SELECT * FROM images i WHERE status = ANY(%s) AND NOT EXISTS (SELECT 1 FROM"
                    f" leases l WHERE l.image_id = i.id AND (l.token = %s OR {LIVE}))"
                    " ORDER BY updated, id LIMIT 1 FOR UPDATE OF i SKIP LOCKED",
                    (list(statuses), self._db.token),
                ).fetchone()
                if row is None:
                    return None
                if self.take(conn, row["id"], ttl_s) is not None:
                    return row
        raise ProjectError(f"{self._db.url.display}: could not claim an image after 100 tries")


def has_sha(path: Path, sha: str) -> bool:
    """Whether the file at ``path`` exists with this SHA-256."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha
    except OSError:
        return False


def _lease(row: DictRow) -> Lease:
    return Lease(int(row["image_id"]), row["holder"], row["token"], row["acquired"],
                 row["expires"], row["host"], row["pid"])  # fmt: skip


def _held(row: DictRow) -> LeaseHeld:
    """The refusal of another session's lease (``row``: its columns and the photo's ``name``)."""
    return LeaseHeld(int(row["image_id"]), row["holder"], row["expires"], row["host"], row["pid"], row["name"])


def _decision(row: DictRow) -> DecisionRecord:
    return DecisionRecord(
        int(row["id"]), int(row["image_id"]), row["task"], row["decision"], row["reason"],
        row["text"], row["username"], row["at"],
        None if row["mask_version"] is None else int(row["mask_version"]),
    )  # fmt: skip
