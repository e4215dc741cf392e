"""The model registry of a project: ``project.models``.

Each registered model is copied (weights and meta, fsynced) into ``models/<task>/vN`` before
its index row is committed, never over a file there and never into a project folder put in
place of the open one; at most one version per task is active.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from fashion_annotator.dataset.connection import StoreConnection
from fashion_annotator.dataset.records import ModelRecord, ProjectError


class ModelRegistry:
    """``project.models``: call it to list a task's models; ``register``, ``active``,
    ``set_active``."""

    def __init__(self, db: StoreConnection) -> None:
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
        """Copy a model (``.safetensors`` and its ``.json`` meta) into ``models/<task>/vN``.

        The new version is not active unless ``activate``; see :meth:`set_active`.
        """
        src = Path(weights_path)
        if not src.is_file():
            raise ProjectError(f"{src}: model file not found")
        metrics_json = json.dumps(metrics, sort_keys=True)
        db, now = self._db, time.time()
        with db.tx() as conn:
            row = conn.execute(
                "SELECT COALESCE(MAX(version), 0) FROM models WHERE task = ?", (task,)
            ).fetchone()
            version = int(row[0]) + 1
            rel = f"models/{task}/v{version}.safetensors"
            db.check_same_folder()  # also when the model is already in place
            if src.resolve() != (db.root / rel).resolve():
                _copy_model(db, src, rel)
            if activate:
                conn.execute("UPDATE models SET active = 0 WHERE task = ?", (task,))
            conn.execute(
                "INSERT INTO models (task, version, path, metrics, trained_on, created, user,"
                " active) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (task, version, rel, metrics_json, json.dumps(list(trained_on)), now, db.user,
                 int(activate)),
            )  # fmt: skip
        return self._one(task, version)

    def __call__(self, task: str) -> list[ModelRecord]:
        """Registered models of a task, oldest first."""
        rows = self._db.conn.execute(
            "SELECT * FROM models WHERE task = ? ORDER BY version", (task,)
        ).fetchall()
        return [self._record(r) for r in rows]

    def active(self, task: str) -> ModelRecord | None:
        """The task's active model (it wins over the shipped default), or None."""
        row = self._db.conn.execute(
            "SELECT * FROM models WHERE task = ? AND active = 1", (task,)
        ).fetchone()
        return None if row is None else self._record(row)

    def set_active(self, task: str, version: int | None) -> None:
        """Make ``version`` the task's active model; None reverts to the shipped default."""
        with self._db.tx() as conn:
            if version is not None:
                found = conn.execute(
                    "SELECT 1 FROM models WHERE task = ? AND version = ?", (task, int(version))
                ).fetchone()
                if found is None:
                    raise ProjectError(
                        f"{self._db.root}: no model version {version} for task {task!r}"
                    )
            conn.execute("UPDATE models SET active = 0 WHERE task = ?", (task,))
            if version is not None:
                conn.execute(
                    "UPDATE models SET active = 1 WHERE task = ? AND version = ?",
                    (task, int(version)),
                )

    def _one(self, task: str, version: int) -> ModelRecord:
        row = self._db.conn.execute(
            "SELECT * FROM models WHERE task = ? AND version = ?", (task, version)
        ).fetchone()
        return self._record(row)

    def _record(self, row: sqlite3.Row) -> ModelRecord:
        return ModelRecord(
            task=row["task"],
            version=row["version"],
            path=self._db.root / row["path"],
            metrics=json.loads(row["metrics"]),
            trained_on=json.loads(row["trained_on"]),
            created=row["created"],
            active=bool(row["active"]),
        )


def _copy_model(db: StoreConnection, src: Path, rel: str) -> None:
    """Copy weights and meta durably (fsync, link) to ``rel`` for the open transaction (removed
    again if it rolls back), before the index row is committed.

    Nothing is written over a file already there, nor into a replaced project folder
    (:meth:`StoreConnection.write_version`): a file left by a registration that crashed before
    its commit is set aside in ``lost+found/``, as the sweep at open would. A meta file there
    is set aside also when ``src`` has none, so old meta never describes new weights.

    Raises
    ------
    ProjectError
        ``src`` or its meta cannot be read, the folder was replaced, or the write failed.
    """
    meta = src.with_suffix(".json")
    try:
        weights = src.read_bytes()
        meta_bytes = meta.read_bytes() if meta.is_file() else None
    except OSError as exc:
        raise ProjectError(f"{src}: cannot read the model: {exc.strerror or exc}") from exc
    rel_meta = PurePosixPath(rel).with_suffix(".json").as_posix()
    if meta_bytes is not None:
        db.write_version(rel_meta, meta_bytes)
    elif (db.root / rel_meta).exists():
        db.set_aside(rel_meta)
    db.write_version(rel, weights)
