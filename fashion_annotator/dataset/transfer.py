"""Copy a project between backends (SQLite folder <-> PostgreSQL URL), verified.

``fashion-annotator migrate SRC DST`` copies every image (with its photo, or its reference for
photos left in place), status change, mask version, proposal, QA decision, model registry
entry and garment instance version (map and rows), keeping ids, version numbers, users and
times. Leases are not copied. The destination
must not exist yet; it is written in one transaction (a failure leaves no half project behind
in PostgreSQL; an SQLite destination that failed is removed).

Verification reads the destination back: row counts per table, and one SHA-256 digest over
every row of both projects with each stored file (photo, mask PNG, model) replaced by the
SHA-256 of its bytes. Equal digests mean identical contents, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fashion_annotator.core.atomic import atomic_write_bytes
from fashion_annotator.dataset import confine, mask_files, unfinished
from fashion_annotator.dataset.click_logs import read_click_log, write_click_log
from fashion_annotator.dataset.instances_store import INSTANCES_FOLDER
from fashion_annotator.dataset.postgres.url import postgres_or_folder, without_password
from fashion_annotator.dataset.records import ProjectError
from fashion_annotator.dataset.store import Project, create_project, open_project
from fashion_annotator.runtime.paths import check_output_outside

log = logging.getLogger(__name__)

TABLES: dict[str, tuple[str, ...]] = {
    "tasks": ("name", "position"),
    "label_sets": ("task", "definition"),
    "images": ("id", "name", "original_name", "stem", "source", "stored", "sha256", "width",
               "height", "status", "created", "updated", "user", "photo"),
    "status_log": ("id", "image_id", "status", "user", "at"),
    "mask_versions": ("id", "image_id", "task", "version", "png", "sha256", "source", "seconds",
                      "actions", "user", "created"),
    "proposals": ("id", "image_id", "task", "version", "png", "model_version", "user",
                  "created"),
    "decisions": ("id", "image_id", "task", "decision", "reason", "text", "user", "at", "mask_version"),
    "models": ("id", "task", "version", "weights", "meta", "metrics", "trained_on", "created",
               "user", "active"),
    "instance_versions": ("id", "image_id", "version", "png", "sha256", "parsing_task", "taxonomy",
                          "source", "user", "created"),
    "instances": ("id", "version_id", "instance", "parsing_class", "category", "proposed_category",
                  "category_score", "attributes", "proposed_attributes", "colour", "colour_rgb"),
}  # fmt: skip
"""The backend-neutral columns of each table, in copy order (parents before children)."""

_BLOBS = ("photo", "png", "weights", "meta")
_HASHED = ("mask_versions", "instance_versions")
_ORDER = {"tasks": "position", "label_sets": "task"}
#: Tables written when the project is made (its tasks and their label sets), not copied row by row.
_MADE_WITH_PROJECT = ("tasks", "label_sets")


@dataclass
class TransferReport:
    """What :func:`migrate_project` copied and how it was checked (``source`` and
    ``destination``: the locations, a URL without its password)."""

    source: str
    destination: str
    counts: dict[str, int] = field(default_factory=dict)
    source_digest: str = ""
    destination_digest: str = ""
    #: Smart-click logs copied beside their mask versions (files, not rows: not in the digest).
    click_logs: int = 0
    #: Saved mask and instance versions of the source whose bytes differ from the SHA-256 its
    #: index recorded (changed behind it), one line each: copied as they are, with that hash,
    #: so the readers of the copy pass over them as the source's do.
    changed: list[str] = field(default_factory=list)
    #: Whether a half-made copy an interrupted migration left at the destination was cleared first.
    restarted: bool = False
    #: What ``--force`` overrode to clear it (:func:`.unfinished.forced_note`), "" when nothing.
    forced: str = ""

    @property
    def verified(self) -> bool:
        """Whether the destination read back identical to the source."""
        return bool(self.source_digest) and self.source_digest == self.destination_digest

    def as_dict(self) -> dict:
        """JSON-ready summary."""
        return {"source": self.source, "destination": self.destination, "counts": self.counts,
                "source_digest": self.source_digest,
                "destination_digest": self.destination_digest, "verified": self.verified,
                "click_logs": self.click_logs, "changed": self.changed}  # fmt: skip


def migrate_project(src: str | Path, dst: str | Path, *, force: bool = False) -> TransferReport:
    """Copy the project at ``src`` to a new project at ``dst`` and verify the copy.

    Parameters
    ----------
    force : bool
        Clear the half-made copy of a migration another computer marked (its process may still
        run there; the user says it was stopped). A migration into the same PostgreSQL project
        that still runs is refused all the same: it holds the project's lock
        (:func:`.unfinished.making_lock`) until it ends.

    Raises
    ------
    ProjectError
        ``src`` cannot be opened, ``dst`` exists (but as the half-made copy of a migration
        cut short, :mod:`.unfinished`, which is cleared first; another computer's only with
        ``force``), another migration into ``dst`` runs, ``dst`` lies inside ``src`` or holds it, a write
        failed (the destination is removed), or the verification found a difference (the
        destination is kept for inspection; the message names the tables that differ).
    """
    with unfinished.making_lock(dst):
        return _migrate(src, dst, force)


def _migrate(src: str | Path, dst: str | Path, force: bool) -> TransferReport:
    """:func:`migrate_project`, its destination's lock held."""
    if not isinstance(dst, str) or "://" not in dst:
        if not isinstance(src, str) or "://" not in src:
            try:  # the source's next write-open would move a copy inside it to its lost+found
                check_output_outside(Path(dst), Path(src), "source project", holding=True)
            except ValueError as exc:
                raise ProjectError(str(exc)) from None
    restart = unfinished.left_by(dst, "migrate", force=force)  # a migration into dst cut short: started over
    folder = Path(dst)
    if restart is None and not postgres_or_folder(dst) and folder.exists() and (
        not folder.is_dir() or any(folder.iterdir())
    ):
        raise ProjectError(f"{dst}: the destination must be a new or empty folder")
    with open_project(src) as source:
        own = source.label_sets.specs  # a task of the project's own label set is made with it
        tasks = [own.get(row["name"], row["name"]) for row in _side(source).rows("tasks")]
        if restart is not None:
            _start_over(dst, restart)
        making = unfinished.Making.now("migrate", src)  # marked as it is made; removed once the copy is verified
        target = create_project(dst, tasks=tasks, user=source.user, making=making)
        try:
            with target:
                _copy(source, target)
        except BaseException:
            _remove(target, dst)
            raise
        try:
            report = TransferReport(without_password(str(src)), without_password(str(dst)))  # as written out
            report.source_digest, counts = digest(source, report.changed)
            with open_project(dst) as copied:
                report.destination_digest, report.counts = digest(copied)
                report.click_logs = _copy_click_logs(source_location=src, target=copied)
                unfinished.unmark(copied)  # verified (or kept for inspection: it opens)
            report.restarted = restart is not None
            report.forced = "" if restart is None else unfinished.forced_note(dst, restart)
        except BaseException:
            # stopped (Ctrl+C) or failed before the copy was verified: an unverified copy that
            # looked finished was left, and a rerun refused its non-empty folder
            _remove(target, dst)
            raise
    if report.counts != counts or not report.verified:
        differ = [t for t in TABLES if report.counts.get(t) != counts.get(t)] or ["contents"]
        raise ProjectError(
            f"{dst}: the copy differs from {src} ({', '.join(differ)}); it was kept for inspection"
        )
    return report


def digest(project: Project, changed: list[str] | None = None) -> tuple[str, dict[str, int]]:
    """SHA-256 over every row of ``project`` (stored files by their hash) and rows per table.

    ``changed``, when given, receives one line per mask or instance version whose stored bytes
    differ from the SHA-256 its row recorded (:func:`~.mask_files.check_bytes`).
    """
    side = _side(project)
    total = hashlib.sha256()
    counts = {}
    for table in TABLES:
        n = 0
        for row in side.rows(table):
            neutral = {k: (_sha(v) if k in _BLOBS else v) for k, v in row.items()}
            if changed is not None and table in _HASHED and neutral["png"] != row["sha256"]:
                try:
                    mask_files.check_bytes(row["png"], row["sha256"], side.where(table, row), side.medium)
                except ProjectError as exc:
                    changed.append(str(exc))
            total.update(json.dumps([table, neutral], sort_keys=True).encode())
            n += 1
        counts[table] = n
    return total.hexdigest(), counts


def _copy(source: Project, target: Project) -> None:
    reader, writer = _side(source), _side(target)
    with writer.transaction():
        for table in TABLES:
            if table in _MADE_WITH_PROJECT:
                continue
            for row in reader.rows(table):
                writer.insert(table, row)
        writer.finish()


def _copy_click_logs(source_location: str | Path, target: Project) -> int:
    """Copy each mask version's Smart-click log (:mod:`.click_logs`, the click trainer's
    record of real corrections) beside the same version of ``target``; returns how many. A
    damaged log is left out (logged): the masks themselves are copied and verified."""
    copied = 0
    with open_project(source_location) as source:
        for record in source.images():
            for task in source.tasks:
                logs = {}
                for version in source.mask_versions(record.id, task):
                    try:
                        logs[version.version] = read_click_log(version.path)
                    except ValueError as exc:
                        log.warning("click log not copied: %s", exc)
                for version in target.mask_versions(record.id, task):
                    if logs.get(version.version):
                        write_click_log(version.path, logs[version.version])
                        copied += 1
    return copied


def _sha(value: bytes | None) -> str | None:
    return None if value is None else hashlib.sha256(value).hexdigest()


def _start_over(dst: str | Path, making: unfinished.Making) -> None:
    """Clear the half-made copy an interrupted migration (``making``) left at ``dst``."""
    log.warning("%s: clearing the half-made copy of the migration from %s cut short", without_password(str(dst)),
                making.source)  # fmt: skip
    if postgres_or_folder(dst):
        unfinished.drop_postgres(str(dst))
    else:
        unfinished.clear_folder(Path(dst))


def _remove(target: Project, dst: str | Path) -> None:
    """Undo a destination that failed half way (its own transaction was rolled back)."""
    if getattr(target, "backend", "sqlite") == "sqlite":
        shutil.rmtree(dst, ignore_errors=True)
        return
    from psycopg import sql

    from fashion_annotator.dataset.postgres.project import PgProject

    with PgProject.open(str(dst)) as pg:
        pg._db.conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(pg.url.schema)))


def _side(project: Project):
    return _PgSide(project) if getattr(project, "backend", "sqlite") == "postgresql" else (
        _SqliteSide(project))  # fmt: skip


class _SqliteSide:
    """Rows of an SQLite project, the stored files read in as bytes (and written out)."""

    medium = "on disk"

    def __init__(self, project: Project) -> None:
        self.project = project
        self.conn = project._conn

    def where(self, table: str, row: dict) -> Path:
        """The file of a mask or instance version row."""
        if table == "instance_versions":
            return self.project.root / f"{INSTANCES_FOLDER}/{row['image_id']}/v{row['version']}.png"
        return self.project.root / mask_files.version_file("masks", row["image_id"], row["task"], row["version"])

    def rows(self, table: str) -> Iterator[dict]:
        order = _ORDER.get(table, "id")
        for row in self.conn.execute(f"SELECT * FROM {table} ORDER BY {order}"):
            row = dict(row)
            if table == "images":
                row["stored"] = bool(row["stored"])
                row["photo"] = self._read(confine.stored_photo(self.project.root, row["name"])) if row["stored"] else None
            elif table in ("mask_versions", "proposals", "instance_versions"):
                row["png"] = self._read(confine.indexed_file(self.project.root, row["path"]))
            elif table == "models":
                path = confine.indexed_file(self.project.root, row["path"])
                confine.indexed_file(self.project.root, f"models/{row['task']}/v{row['version']}.safetensors")
                row["weights"] = self._read(path)
                meta = path.with_suffix(".json")
                row["meta"] = meta.read_bytes() if meta.is_file() else None
                row["active"] = bool(row["active"])
            yield {k: row[k] for k in TABLES[table]}

    def _read(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ProjectError(f"{path}: cannot read: {exc.strerror or exc}") from exc

    def transaction(self):
        return self.project._tx()

    def insert(self, table: str, row: dict) -> None:
        row = dict(row)
        if table == "images":
            if row["stored"]:
                confine.stored_photo(self.project.root, row["name"])
                self._write(f"images/{row['name']}", row["photo"])
            row["stored"] = int(row["stored"])
        elif table in ("mask_versions", "proposals"):
            folder = "masks" if table == "mask_versions" else "proposals"
            row["path"] = f"{folder}/{row['image_id']}/{row['task']}/v{row['version']}.png"
            self._write(row["path"], row["png"])
        elif table == "instance_versions":
            row["path"] = f"{INSTANCES_FOLDER}/{row['image_id']}/v{row['version']}.png"
            self._write(row["path"], row["png"])
        elif table == "models":
            row["path"] = f"models/{row['task']}/v{row['version']}.safetensors"
            if row["meta"] is not None:
                self._write(row["path"][: -len(".safetensors")] + ".json", row["meta"])
            self._write(row["path"], row["weights"])
            row["active"] = int(row["active"])
        columns = [c for c in row if c not in _BLOBS]
        self.conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [row[c] for c in columns],
        )

    def _write(self, rel: str, data: bytes) -> None:
        """Write ``rel`` of the copy: a stored photo (its name checked by the caller) or a file
        an index row names (:func:`~.confine.indexed_file`; a model's meta beside its weights)."""
        if not rel.startswith("images/"):
            weights = rel[: -len(".json")] + ".safetensors" if rel.endswith(".json") else rel
            confine.indexed_file(self.project.root, weights)
        path = self.project.root / rel
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            raise ProjectError(f"{path}: cannot write: {exc.strerror or exc}") from exc

    def finish(self) -> None:
        """Nothing to do: SQLite continues ids after the largest."""


class _PgSide:
    """Rows of a PostgreSQL project (bytes are columns)."""

    _RENAMED = {"user": "username"}
    medium = "in the database"

    def __init__(self, project: Project) -> None:
        self.project = project
        self.conn = project._conn

    def where(self, table: str, row: dict) -> str:
        """The project, image, task and version of a mask or instance version row."""
        kind = "instance map" if table == "instance_versions" else f"task {row['task']}, saved mask"
        from fashion_annotator.dataset.postgres.url import describe_location

        return f"{describe_location(self.project.location)}: image {row['image_id']}, {kind} version {row['version']}"

    def rows(self, table: str) -> Iterator[dict]:
        order = _ORDER.get(table, "id")
        if table == "images":
            query = ("SELECT i.*, p.data AS photo FROM images i LEFT JOIN photos p ON i.stored"
                     " AND p.sha256 = i.sha256 ORDER BY i.id")  # fmt: skip
        else:
            query = f"SELECT * FROM {table} ORDER BY {order}"
        for found in self.conn.execute(query):
            row = {("user" if k == "username" else k): v for k, v in found.items()}
            for blob in _BLOBS:
                if row.get(blob) is not None:
                    row[blob] = bytes(row[blob])
            for key in ("id", "image_id"):
                if key in row:
                    row[key] = int(row[key])
            yield {k: row[k] for k in TABLES[table]}

    def transaction(self):
        return self.project._tx()

    def insert(self, table: str, row: dict) -> None:
        row = dict(row)
        if table == "images":
            photo = row.pop("photo")
            if photo is not None:
                self.conn.execute(
                    "INSERT INTO photos (sha256, data) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    (row["sha256"], photo),
                )
        if table == "models":
            row["sha256"] = hashlib.sha256(row["weights"]).hexdigest()
        columns = [self._RENAMED.get(c, c) for c in row]
        self.conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(row))})",
            list(row.values()),
        )

    def finish(self) -> None:
        """Move each identity past the copied ids, so new rows do not collide with them."""
        for table in TABLES:
            if table in _MADE_WITH_PROJECT:
                continue
            self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
