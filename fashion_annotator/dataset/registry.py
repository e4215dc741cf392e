"""QA decisions, the model registry and training-data access of a project.

Mixed into :class:`fashion_annotator.dataset.store.Project`; every method runs on the
project's connection and writes in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from fashion_annotator.dataset.atomic import atomic_write_bytes
from fashion_annotator.dataset.records import DecisionRecord, ModelRecord, ProjectError
from fashion_annotator.dataset.schema import DECISIONS, STATUSES


class RegistryMixin:
    """Decisions, models and training masks; needs ``root``, ``user``, ``_conn``, ``_tx``."""

    # -- decisions ---------------------------------------------------------------------------

    def record_decision(
        self, image_id: int, task: str, decision: str, reason: str | None = None, text: str = ""
    ) -> DecisionRecord:
        """Record a QA decision; ``"reject"`` sets the status "rejected", ``"approve"`` "approved"."""
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}; expected one of {DECISIONS}")
        self.image(image_id)
        self.taxonomy(task)
        now = time.time()
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO decisions (image_id, task, decision, reason, text, user, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (int(image_id), task, decision, reason, text, self.user, now),
            )
            status = "approved" if decision == "approve" else "rejected"
            self._set_status(conn, int(image_id), status)
        return DecisionRecord(
            int(cur.lastrowid), int(image_id), task, decision, reason, text, self.user, now
        )

    def decisions(
        self, image_id: int | None = None, task: str | None = None
    ) -> list[DecisionRecord]:
        """QA decisions, oldest first, optionally for one image and/or one task."""
        sql, args = "SELECT * FROM decisions WHERE 1", []
        if image_id is not None:
            sql += " AND image_id = ?"
            args.append(int(image_id))
        if task is not None:
            sql += " AND task = ?"
            args.append(task)
        rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        return [_decision(r) for r in rows]

    def last_decision(self, image_id: int, task: str | None = None) -> DecisionRecord | None:
        """The most recent decision on the image (for showing a reject reason), or None."""
        found = self.decisions(image_id, task)
        return found[-1] if found else None

    # -- model registry ----------------------------------------------------------------------

    def register_model(
        self,
        task: str,
        weights_path: str | Path,
        metrics: dict,
        trained_on: Sequence[str],
        *,
        activate: bool = False,
    ) -> ModelRecord:
        """Copy a model (``.safetensors`` and its ``.json`` meta) into ``models/<task>/vN``.

        The new version is not active unless ``activate``; see :meth:`set_active_model`.
        """
        src = Path(weights_path)
        if not src.is_file():
            raise ProjectError(f"{src}: model file not found")
        metrics_json = json.dumps(metrics, sort_keys=True)
        now = time.time()
        with self._tx() as conn:
            row = conn.execute(
                "SELECT COALESCE(MAX(version), 0) FROM models WHERE task = ?", (task,)
            ).fetchone()
            version = int(row[0]) + 1
            rel = f"models/{task}/v{version}.safetensors"
            dest = self.root / rel
            try:
                if src.resolve() != dest.resolve():
                    _copy_model(src, dest)
            except OSError as exc:
                raise ProjectError(f"{dest}: cannot copy the model: {exc.strerror or exc}") from exc
            if activate:
                conn.execute("UPDATE models SET active = 0 WHERE task = ?", (task,))
            conn.execute(
                "INSERT INTO models (task, version, path, metrics, trained_on, created, user,"
                " active) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (task, version, rel, metrics_json, json.dumps(list(trained_on)), now, self.user,
                 int(activate)),
            )  # fmt: skip
        return self._model(task, version)

    def models(self, task: str) -> list[ModelRecord]:
        """Registered models of a task, oldest first."""
        rows = self._conn.execute(
            "SELECT * FROM models WHERE task = ? ORDER BY version", (task,)
        ).fetchall()
        return [self._model_record(r) for r in rows]

    def active_model(self, task: str) -> ModelRecord | None:
        """The task's active model (it wins over the shipped default), or None."""
        row = self._conn.execute(
            "SELECT * FROM models WHERE task = ? AND active = 1", (task,)
        ).fetchone()
        return None if row is None else self._model_record(row)

    def set_active_model(self, task: str, version: int | None) -> None:
        """Make ``version`` the task's active model; None reverts to the shipped default."""
        with self._tx() as conn:
            if version is not None:
                found = conn.execute(
                    "SELECT 1 FROM models WHERE task = ? AND version = ?", (task, int(version))
                ).fetchone()
                if found is None:
                    raise ProjectError(f"{self.root}: no model version {version} for task {task!r}")
            conn.execute("UPDATE models SET active = 0 WHERE task = ?", (task,))
            if version is not None:
                conn.execute(
                    "UPDATE models SET active = 1 WHERE task = ? AND version = ?",
                    (task, int(version)),
                )

    def _model(self, task: str, version: int) -> ModelRecord:
        row = self._conn.execute(
            "SELECT * FROM models WHERE task = ? AND version = ?", (task, version)
        ).fetchone()
        return self._model_record(row)

    def _model_record(self, row: sqlite3.Row) -> ModelRecord:
        return ModelRecord(
            task=row["task"],
            version=row["version"],
            path=self.root / row["path"],
            metrics=json.loads(row["metrics"]),
            trained_on=json.loads(row["trained_on"]),
            created=row["created"],
            active=bool(row["active"]),
        )

    # -- reporting -------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Number of images per status (every status present, zeros included)."""
        rows = self._conn.execute("SELECT status, COUNT(*) FROM images GROUP BY status")
        found = dict(rows.fetchall())
        return {s: int(found.get(s, 0)) for s in STATUSES}

    def task_counts(self) -> dict[str, int]:
        """Number of images with at least one saved mask, per task."""
        rows = self._conn.execute(
            "SELECT task, COUNT(DISTINCT image_id) FROM mask_versions GROUP BY task"
        )
        found = dict(rows.fetchall())
        return {t: int(found.get(t, 0)) for t in self.tasks}

    # -- training data -----------------------------------------------------------------------

    def training_items(
        self,
        task: str,
        statuses: Sequence[str] = ("done", "approved"),
        exclude_rejected: bool = True,
    ) -> list[tuple[int, Path, Path]]:
        """``(image_id, photo_path, latest mask PNG path)`` of every image usable for training.

        Images whose latest decision for ``task`` is a reject are left out when
        ``exclude_rejected``, whatever their status.
        """
        marks = ",".join("?" * len(statuses))
        rows = self._conn.execute(
            f"""
            SELECT i.id AS image_id, m.path AS mask_path,
                   (SELECT d.decision FROM decisions d WHERE d.image_id = i.id AND d.task = ?
                    ORDER BY d.id DESC LIMIT 1) AS decision
            FROM images i JOIN mask_versions m ON m.image_id = i.id AND m.task = ?
            WHERE i.status IN ({marks}) AND m.version =
                  (SELECT MAX(version) FROM mask_versions WHERE image_id = i.id AND task = ?)
            ORDER BY i.id
            """,
            (task, task, *statuses, task),
        ).fetchall()
        return [
            (r["image_id"], self.image_path(r["image_id"]), self.root / r["mask_path"])
            for r in rows
            if not (exclude_rejected and r["decision"] == "reject")
        ]

    def training_masks(
        self,
        task: str,
        statuses: Sequence[str] = ("done", "approved"),
        exclude_rejected: bool = True,
    ) -> Iterator[tuple[int, Path, np.ndarray]]:
        """Yield ``(image_id, photo_path, (H, W) uint8 mask)`` lazily, see :meth:`training_items`."""
        for image_id, photo, mask_path in self.training_items(task, statuses, exclude_rejected):
            yield image_id, photo, self._read_png(str(mask_path.relative_to(self.root)))


def _copy_model(src: Path, dest: Path) -> None:
    """Copy weights and meta durably (fsync, rename) before the index row is committed.

    A file left at ``dest`` by a registration that crashed before its commit is overwritten;
    its meta is removed when ``src`` has none, so old meta never describes new weights.
    """
    meta, dest_meta = src.with_suffix(".json"), dest.with_suffix(".json")
    if meta.is_file():
        atomic_write_bytes(dest_meta, meta.read_bytes())
    else:
        dest_meta.unlink(missing_ok=True)
    atomic_write_bytes(dest, src.read_bytes())


def _decision(row: sqlite3.Row) -> DecisionRecord:
    return DecisionRecord(
        row["id"], row["image_id"], row["task"], row["decision"], row["reason"], row["text"],
        row["user"], row["at"],
    )  # fmt: skip
