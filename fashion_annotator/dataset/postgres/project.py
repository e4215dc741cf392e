"""A project whose index and bytes live in PostgreSQL, shared by many operators' desktops.

:class:`PgProject` has the API of :class:`fashion_annotator.dataset.store.Project` (the same
records, errors and rules) over one PostgreSQL connection:

- every mask and proposal version is a row that holds its PNG, so a crash or a dropped
  connection never leaves a row without its mask or a mask without its row;
- photos are uploaded into the ``photos`` table (content-addressed, ``copy=True``) or referenced
  on a shared path (``copy=False``); each desktop fetches uploaded photos into its local working
  folder (:meth:`ProjectURL.local_root`) on first use, where the superpixel and probability
  caches and the recovery journal also live;
- model files are rows too, fetched into ``models/`` of the working folder when listed;
- a lease is a row with an expiry on the server's clock and the server process id of the
  session that holds it: a lease whose session has ended (a crashed or killed client) is free
  at once, one whose client vanished from the network expires with its time;
- :meth:`PgProject.claim_next` hands out the next image with ``FOR UPDATE SKIP LOCKED``, so two
  operators never get the same image.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row

from fashion_annotator.core.images import decode_mask_png, load_image
from fashion_annotator.dataset.atomic import atomic_write_bytes
from fashion_annotator.dataset.leases import Lease, LeaseHeld
from fashion_annotator.dataset.postgres import schema as pg_schema
from fashion_annotator.dataset.postgres.url import ProjectURL, parse_url
from fashion_annotator.dataset.records import (
    DecisionRecord,
    ImageRecord,
    MaskVersion,
    ModelRecord,
    ProjectError,
    ProposalRecord,
)
from fashion_annotator.dataset.schema import DECISIONS, STATUSES
from fashion_annotator.dataset.store import (
    FOLDERS,
    QUEUE_STATUSES,
    Project,
    _check_status,
    _load_taxonomy,
)

_NOW = "EXTRACT(EPOCH FROM now())::float8"
_LIVE = (
    f"(l.expires > {_NOW} AND EXISTS "
    "(SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.backend_pid))"
)
"""SQL: lease row ``l`` is held (not expired, and the session that took it is still alive)."""

_TAKE_LEASE = f"""
INSERT INTO leases AS l (image_id, token, holder, backend_pid, acquired, expires)
VALUES (%(image_id)s, %(token)s, %(holder)s, pg_backend_pid(), {_NOW}, {_NOW} + %(ttl)s)
ON CONFLICT (image_id) DO UPDATE SET
    token = EXCLUDED.token, holder = EXCLUDED.holder, backend_pid = EXCLUDED.backend_pid,
    acquired = CASE WHEN l.token = EXCLUDED.token THEN l.acquired ELSE EXCLUDED.acquired END,
    expires = EXCLUDED.expires
WHERE l.token = EXCLUDED.token OR NOT {_LIVE}
RETURNING image_id, holder, token, acquired, expires
"""
"""SQL: take or renew a lease in one statement; returns no row when another session holds it."""

_CONNECT_OPTIONS = {
    "application_name": "fashion-annotator",
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
"""libpq defaults (a URL parameter wins): TCP keepalives notice a dead server in about a minute."""

_FETCH_BATCH = 32
"""Photos fetched from the database per query when filling the local working folder."""


class PgProject(Project):
    """An open PostgreSQL project: one connection, owned by this object (a context manager).

    Use :meth:`create` or :meth:`open` with a project URL rather than the constructor.
    ``root`` is this desktop's working folder, ``url`` the parsed project URL.
    """

    backend = "postgresql"

    def __init__(
        self, url: ProjectURL, conn: psycopg.Connection, user: str | None, location: str = ""
    ) -> None:
        super().__init__(url.local_root(), conn, user)  # type: ignore[arg-type]
        self.url = url
        self._location = location or url.display
        self._immutable: dict[int, ImageRecord] = {}
        try:
            for name in FOLDERS:
                (self.root / name).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            conn.close()
            raise ProjectError(
                f"{self.root}: cannot make the local working folder: {exc.strerror or exc}"
            ) from exc

    @property
    def location(self) -> str:
        """The project URL it was opened with (what :func:`open_project` takes)."""
        return self._location

    # -- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def create(  # type: ignore[override]
        cls,
        url: str,
        tasks: Iterable[str] = ("garment", "parsing7"),
        user: str | None = None,
    ) -> PgProject:
        """Make a new project in the database named by ``url`` (its ``project`` must be new)."""
        parsed = _parse(url)
        tasks = list(dict.fromkeys(tasks))
        if not tasks:
            raise ProjectError(f"{parsed.display}: a project needs at least one task")
        for task in tasks:
            _load_taxonomy(task)
        project = cls(parsed, _connect(parsed, create=True), user, url)
        with project._tx() as conn:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO tasks (name, position) VALUES (%s, %s)",
                    [(t, i) for i, t in enumerate(tasks)],
                )
        return project

    @classmethod
    def open(cls, url: str, user: str | None = None) -> PgProject:  # type: ignore[override]
        """Open an existing project, upgrading an older schema in place."""
        parsed = _parse(url)
        return cls(parsed, _connect(parsed, create=False), user, url)

    def close(self) -> None:
        """Release this session's leases and close the connection."""
        if self._conn is None:
            return
        with contextlib.suppress(psycopg.Error):
            self._conn.execute("DELETE FROM leases WHERE token = %s", (self._token,))
        self._conn.close()
        self._conn = None

    def __enter__(self) -> PgProject:
        return self

    @contextlib.contextmanager
    def _tx(self) -> Iterator[psycopg.Connection]:  # type: ignore[override]
        """One transaction; a database failure becomes a :class:`ProjectError` naming the URL."""
        conn = self._live_conn()
        try:
            with conn.transaction():
                yield conn
        except psycopg.Error as exc:
            raise self._error("cannot write the project", exc) from exc

    def _live_conn(self) -> psycopg.Connection:
        """The connection; one lost to a network drop or a server restart is made again.

        The statement that met the broken connection has already failed (and raised); this
        session's leases are re-attached to the new server session unless they were taken
        over meanwhile.
        """
        if self._conn is None:
            raise ProjectError(f"{self.url.display}: the project is closed")
        if self._conn.broken:
            conn = _connect(self.url, create=False)
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = conn
            conn.execute(
                f"UPDATE leases SET backend_pid = pg_backend_pid() WHERE token = %s"
                f" AND expires > {_NOW}",
                (self._token,),
            )
        return self._conn

    def _query(self, query: str, args: Sequence | dict = ()) -> list[dict]:
        """Run a read outside any transaction and return every row."""
        try:
            return self._live_conn().execute(query, args).fetchall()
        except psycopg.Error as exc:
            raise self._error("cannot read the project", exc) from exc

    def _error(self, what: str, exc: psycopg.Error) -> ProjectError:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return ProjectError(f"{self.url.display}: {what}: {detail}")

    # -- tasks -------------------------------------------------------------------------------

    @property
    def tasks(self) -> tuple[str, ...]:
        """The project's task names (taxonomy names), in creation order."""
        return tuple(r["name"] for r in self._query("SELECT name FROM tasks ORDER BY position"))

    def add_task(self, task: str) -> None:
        """Add a task (a shipped taxonomy name); adding a present task does nothing."""
        _load_taxonomy(task)
        with self._tx() as conn:
            conn.execute("LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE")
            conn.execute(
                "INSERT INTO tasks (name, position) "
                "VALUES (%s, (SELECT COALESCE(MAX(position), -1) + 1 FROM tasks)) "
                "ON CONFLICT (name) DO NOTHING",
                (task,),
            )

    def taxonomy(self, task: str):
        """Return the taxonomy of one of the project's tasks."""
        if task not in self._taxonomies and task not in self.tasks:
            raise ProjectError(
                f"{self.url.display}: no task {task!r} (tasks: {', '.join(self.tasks)})"
            )
        return super().taxonomy(task)

    # -- images ------------------------------------------------------------------------------

    def add_image(self, src: str | Path, *, copy: bool = True) -> ImageRecord:
        """Add a photo: uploaded into the database (``copy``) or referenced at its path.

        A referenced photo must lie on a path every desktop reads at the same place (a shared
        folder). A photo whose content is already present returns the existing record.

        Raises
        ------
        fashion_annotator.core.images.ImageLoadError
            The file is not a readable photo (names the file and the problem).
        ProjectError
            The file cannot be read, or the database refused the write.
        """
        src = Path(src)
        try:
            raw = src.read_bytes()
        except OSError as exc:
            raise ProjectError(f"{src}: cannot read: {exc.strerror or exc}") from exc
        sha = hashlib.sha256(raw).hexdigest()
        found = self._image_by_sha(sha)
        if found is not None:
            return found
        photo = load_image(src)
        height, width = photo.rgb.shape[:2]
        with self._tx() as conn:
            # One import chooses a name at a time, so two desktops never pick the same one.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('fa.images'))")
            row = conn.execute("SELECT * FROM images WHERE sha256 = %s", (sha,)).fetchone()
            if row is not None:
                return self._record(row)
            name = self._free_name(src.name, sha) if copy else str(src.resolve())
            if copy:
                conn.execute(
                    "INSERT INTO photos (sha256, data) VALUES (%s, %s) "
                    "ON CONFLICT (sha256) DO NOTHING",
                    (sha, raw),
                )
            row = conn.execute(
                "INSERT INTO images (name, original_name, stem, source, stored, sha256, width,"
                f" height, status, created, updated, username) VALUES (%s, %s, %s, %s, %s, %s,"
                f" %s, %s, 'new', {_NOW}, {_NOW}, %s) RETURNING *",
                (name, src.name, src.stem, str(src), copy, sha, width, height, self.user),
            ).fetchone()
        record = self._record(row)
        if copy:
            self._keep_local(record.path, raw)
        return record

    def _free_name(self, name: str, sha: str) -> str:
        taken = self._live_conn().execute("SELECT 1 FROM images WHERE name = %s", (name,))
        if taken.fetchone() is None:
            return name
        stem, suffix = Path(name).stem, Path(name).suffix
        return f"{stem}-{sha[:12]}{suffix}"

    def _image_by_sha(self, sha: str) -> ImageRecord | None:
        rows = self._query("SELECT * FROM images WHERE sha256 = %s", (sha,))
        return self._with_photos(rows)[0] if rows else None

    def _record(self, row: dict) -> ImageRecord:  # type: ignore[override]
        path = self.root / "images" / row["name"] if row["stored"] else Path(row["name"])
        return ImageRecord(
            id=int(row["id"]), name=row["name"], stem=row["stem"], path=path,
            source=row["source"], sha256=row["sha256"], width=row["width"],
            height=row["height"], status=row["status"], created=row["created"],
            updated=row["updated"], user=row["username"],
        )  # fmt: skip

    def _with_photos(self, rows: list[dict]) -> list[ImageRecord]:
        """Records of ``rows``, with every uploaded photo present in the local working folder."""
        records = [self._record(r) for r in rows]
        missing = {r.sha256: r.path for r in records
                   if r.path.is_relative_to(self.root) and not r.path.is_file()}  # fmt: skip
        shas = list(missing)
        for start in range(0, len(shas), _FETCH_BATCH):
            batch = self._query(
                "SELECT sha256, data FROM photos WHERE sha256 = ANY(%s)",
                (shas[start : start + _FETCH_BATCH],),
            )
            for row in batch:
                self._keep_local(missing[row["sha256"]], bytes(row["data"]))
        return records

    def _keep_local(self, path: Path, data: bytes) -> None:
        """Write a copy of database bytes into the working folder (a cache: no fsync needed)."""
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            raise ProjectError(f"{path}: cannot write the local copy: {exc.strerror or exc}") from exc

    def images(self, status: str | None = None, search: str | None = None) -> list[ImageRecord]:
        """List images in import order, optionally by status and by a substring of the name.

        Uploaded photos not yet on this desktop are fetched into the working folder.
        """
        query, args = "SELECT * FROM images WHERE TRUE", []
        if status is not None:
            _check_status(status)
            query += " AND status = %s"
            args.append(status)
        if search:
            query += " AND strpos(lower(name), lower(%s)) > 0"
            args.append(search)
        return self._with_photos(self._query(query + " ORDER BY id", args))

    def image(self, image_id: int) -> ImageRecord:
        """Return one image's record (its photo fetched locally); unknown ids raise."""
        rows = self._query("SELECT * FROM images WHERE id = %s", (int(image_id),))
        if not rows:
            raise ProjectError(f"{self.url.display}: no image with id {image_id}")
        return self._with_photos(rows)[0]

    def images_by_stem(self, stem: str) -> list[ImageRecord]:
        """Images imported under a file name with this stem (how masks attach to photos)."""
        return self._with_photos(
            self._query("SELECT * FROM images WHERE stem = %s ORDER BY id", (stem,))
        )

    def photo_bytes(self, image_id: int) -> bytes:
        """The photo file's bytes as stored (uploaded) or referenced."""
        record = self.image(image_id)
        try:
            return record.path.read_bytes()
        except OSError as exc:
            raise ProjectError(f"{record.path}: cannot read the photo: {exc.strerror or exc}") from exc

    def load_photo(self, image_id: int):
        """Decode the photo (EXIF orientation applied)."""
        return load_image(self.image_path(image_id))

    # -- status ------------------------------------------------------------------------------

    def _set_status(self, conn: psycopg.Connection, image_id: int, status: str) -> None:  # type: ignore[override]
        conn.execute(
            f"UPDATE images SET status = %s, updated = {_NOW}, username = %s WHERE id = %s",
            (status, self.user, image_id),
        )
        conn.execute(
            f"INSERT INTO status_log (image_id, status, username, at) VALUES (%s, %s, %s, {_NOW})",
            (image_id, status, self.user),
        )

    # -- masks and proposals -----------------------------------------------------------------

    def save_mask(
        self,
        image_id: int,
        task: str,
        mask: np.ndarray,
        *,
        seconds: float = 0.0,
        actions: int = 0,
        source: str = "operator",
        status: str | None = None,
    ) -> MaskVersion:
        """Save a new version of an image's mask: the PNG and its row in one transaction.

        See :meth:`fashion_annotator.dataset.store.Project.save_mask` for the parameters and
        the errors; a database failure raises :class:`ProjectError` and records nothing.
        """
        record = self._known_image(image_id)
        if status is not None:
            _check_status(status)
        data, sha = self._encode(record, task, mask)
        with self._tx() as conn:
            self._lock_unleased(conn, record.id)
            # One statement adds the version and updates the image (and its status log): fewer
            # round trips keep the image row's lock short when many operators save.
            row = conn.execute(
                f"""
                WITH v AS (
                    INSERT INTO mask_versions (image_id, task, version, png, sha256, source,
                                               seconds, actions, username, created)
                    VALUES (%(id)s, %(task)s, (SELECT COALESCE(MAX(version), 0) + 1
                            FROM mask_versions WHERE image_id = %(id)s AND task = %(task)s),
                            %(png)s, %(sha)s, %(source)s, %(seconds)s, %(actions)s, %(user)s,
                            {_NOW})
                    RETURNING version, created),
                u AS (
                    UPDATE images SET updated = {_NOW}, username = %(user)s,
                        status = COALESCE(%(status)s::text, status)
                    WHERE id = %(id)s),
                s AS (
                    INSERT INTO status_log (image_id, status, username, at)
                    SELECT %(id)s, %(status)s::text, %(user)s, {_NOW}
                    WHERE %(status)s::text IS NOT NULL)
                SELECT version, created FROM v
                """,
                {"id": record.id, "task": task, "png": data, "sha": sha, "source": source,
                 "seconds": float(seconds), "actions": int(actions), "user": self.user,
                 "status": status},
            ).fetchone()  # fmt: skip
        return MaskVersion(record.id, task, row["version"], self._png_path("masks", record.id,
                           task, row["version"]), sha, source, float(seconds), int(actions),
                           self.user, row["created"])  # fmt: skip

    def _image_row(self, image_id: int) -> ImageRecord:
        """The image's record without fetching its photo."""
        rows = self._query("SELECT * FROM images WHERE id = %s", (int(image_id),))
        if not rows:
            raise ProjectError(f"{self.url.display}: no image with id {image_id}")
        return self._record(rows[0])

    def _known_image(self, image_id: int) -> ImageRecord:
        """The image's record as first read in this session: for its id, name and size only,
        which never change (status and times may be stale)."""
        image_id = int(image_id)
        if image_id not in self._immutable:
            self._immutable[image_id] = self._image_row(image_id)
        return self._immutable[image_id]

    def _lock_unleased(self, conn: psycopg.Connection, image_id: int) -> None:
        """Lock the image row (versions are numbered one save at a time) and check the lease."""
        held = conn.execute(
            "SELECT i.id, l.holder, l.expires FROM images i LEFT JOIN leases l ON"
            f" l.image_id = i.id AND l.token <> %s AND {_LIVE} WHERE i.id = %s FOR UPDATE OF i",
            (self._token, image_id),
        ).fetchone()
        if held is not None and held["holder"] is not None:
            raise LeaseHeld(image_id, held["holder"], held["expires"])

    def save_proposal(
        self, image_id: int, task: str, mask: np.ndarray, model_version: str
    ) -> ProposalRecord:
        """Record what the model proposed (kept beside the masks, for QA's Dice later)."""
        record = self._known_image(image_id)
        data, _ = self._encode(record, task, mask)
        with self._tx() as conn:
            conn.execute("SELECT id FROM images WHERE id = %s FOR UPDATE", (record.id,))
            row = conn.execute(
                "INSERT INTO proposals (image_id, task, version, png, model_version, username,"
                " created) VALUES (%(id)s, %(task)s, (SELECT COALESCE(MAX(version), 0) + 1 FROM"
                " proposals WHERE image_id = %(id)s AND task = %(task)s), %(png)s, %(model)s,"
                f" %(user)s, {_NOW}) RETURNING version, created",
                {"id": record.id, "task": task, "png": data, "model": str(model_version),
                 "user": self.user},
            ).fetchone()  # fmt: skip
        path = self._png_path("proposals", record.id, task, row["version"])
        self._keep_local(path, data)
        return ProposalRecord(record.id, task, row["version"], path, str(model_version),
                              self.user, row["created"])  # fmt: skip

    def _png_path(self, folder: str, image_id: int, task: str, version: int) -> Path:
        """Where a version's PNG is (or will be) copied in the local working folder."""
        return self.root / folder / str(image_id) / task / f"v{version}.png"

    def mask_versions(self, image_id: int, task: str) -> list[MaskVersion]:
        """Every saved version of an image's mask for ``task``, oldest first.

        ``path`` is where the PNG is copied locally on demand (:meth:`training_items`);
        read masks with :meth:`load_mask`.
        """
        rows = self._query(
            "SELECT image_id, task, version, sha256, source, seconds, actions, username, created"
            " FROM mask_versions WHERE image_id = %s AND task = %s ORDER BY version",
            (int(image_id), task),
        )
        return [
            MaskVersion(int(r["image_id"]), r["task"], r["version"],
                        self._png_path("masks", r["image_id"], task, r["version"]), r["sha256"],
                        r["source"], r["seconds"], r["actions"], r["username"], r["created"])
            for r in rows
        ]  # fmt: skip

    def proposals(self, image_id: int, task: str) -> list[ProposalRecord]:
        """Every recorded proposal for the image and task, oldest first (PNGs copied locally)."""
        rows = self._query(
            "SELECT image_id, task, version, png, model_version, username, created FROM proposals"
            " WHERE image_id = %s AND task = %s ORDER BY version",
            (int(image_id), task),
        )
        found = []
        for r in rows:
            path = self._png_path("proposals", r["image_id"], task, r["version"])
            if not path.is_file():
                self._keep_local(path, bytes(r["png"]))
            found.append(ProposalRecord(int(r["image_id"]), task, r["version"], path,
                                        r["model_version"], r["username"], r["created"]))  # fmt: skip
        return found

    def _latest_png(  # type: ignore[override]
        self, table: str, image_id: int, task: str, version: int | None = None
    ) -> np.ndarray | None:
        query = sql.SQL("SELECT png, version FROM {} WHERE image_id = %s AND task = %s").format(
            sql.Identifier(table)
        )
        args: list = [int(image_id), task]
        if version is not None:
            query += sql.SQL(" AND version = %s")
            args.append(int(version))
        rows = self._query(query + sql.SQL(" ORDER BY version DESC LIMIT 1"), args)
        if not rows:
            return None
        try:
            return decode_mask_png(bytes(rows[0]["png"]))
        except ValueError as exc:
            raise ProjectError(
                f"{self.url.display}: image {image_id}, task {task}, version "
                f"{rows[0]['version']}: cannot read the saved mask: {exc}"
            ) from exc

    # -- decisions ---------------------------------------------------------------------------

    def record_decision(
        self, image_id: int, task: str, decision: str, reason: str | None = None, text: str = ""
    ) -> DecisionRecord:
        """Record a QA decision; ``"reject"`` sets the status "rejected", ``"approve"`` "approved"."""
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}; expected one of {DECISIONS}")
        self._image_row(image_id)
        self.taxonomy(task)
        with self._tx() as conn:
            row = conn.execute(
                "INSERT INTO decisions (image_id, task, decision, reason, text, username, at)"
                f" VALUES (%s, %s, %s, %s, %s, %s, {_NOW}) RETURNING *",
                (int(image_id), task, decision, reason, text, self.user),
            ).fetchone()
            status = "approved" if decision == "approve" else "rejected"
            self._set_status(conn, int(image_id), status)
        return _decision(row)

    def decisions(
        self, image_id: int | None = None, task: str | None = None
    ) -> list[DecisionRecord]:
        """QA decisions, oldest first, optionally for one image and/or one task."""
        query, args = "SELECT * FROM decisions WHERE TRUE", []
        if image_id is not None:
            query += " AND image_id = %s"
            args.append(int(image_id))
        if task is not None:
            query += " AND task = %s"
            args.append(task)
        return [_decision(r) for r in self._query(query + " ORDER BY id", args)]

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
        """Store a model (``.safetensors`` and its ``.json`` meta) in the database as ``vN``.

        The new version is not active unless ``activate``; see :meth:`set_active_model`.
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
        with self._tx() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('fa.models'), hashtext(%s))",
                         (task,))  # fmt: skip
            if activate:
                conn.execute("UPDATE models SET active = FALSE WHERE task = %s", (task,))
            row = conn.execute(
                "INSERT INTO models (task, version, weights, meta, sha256, metrics, trained_on,"
                " created, username, active) VALUES (%(task)s, (SELECT COALESCE(MAX(version), 0)"
                " + 1 FROM models WHERE task = %(task)s), %(weights)s, %(meta)s, %(sha)s,"
                f" %(metrics)s, %(trained_on)s, {_NOW}, %(user)s, %(active)s) RETURNING version",
                {"task": task, "weights": weights, "meta": meta,
                 "sha": hashlib.sha256(weights).hexdigest(),
                 "metrics": json.dumps(metrics, sort_keys=True),
                 "trained_on": json.dumps(list(trained_on)), "user": self.user,
                 "active": bool(activate)},
            ).fetchone()  # fmt: skip
        return self._model(task, row["version"])

    def models(self, task: str) -> list[ModelRecord]:
        """Registered models of a task, oldest first (their files fetched locally)."""
        return self._model_records("WHERE task = %s ORDER BY version", (task,))

    def active_model(self, task: str) -> ModelRecord | None:
        """The task's active model (it wins over the shipped default), or None."""
        found = self._model_records("WHERE task = %s AND active", (task,))
        return found[0] if found else None

    def set_active_model(self, task: str, version: int | None) -> None:
        """Make ``version`` the task's active model; None reverts to the shipped default."""
        with self._tx() as conn:
            if version is not None:
                found = conn.execute(
                    "SELECT 1 FROM models WHERE task = %s AND version = %s", (task, int(version))
                ).fetchone()
                if found is None:
                    raise ProjectError(
                        f"{self.url.display}: no model version {version} for task {task!r}"
                    )
            conn.execute("UPDATE models SET active = FALSE WHERE task = %s", (task,))
            if version is not None:
                conn.execute(
                    "UPDATE models SET active = TRUE WHERE task = %s AND version = %s",
                    (task, int(version)),
                )

    def _model(self, task: str, version: int) -> ModelRecord:  # type: ignore[override]
        return self._model_records("WHERE task = %s AND version = %s", (task, version))[0]

    def _model_records(self, where: str, args: Sequence) -> list[ModelRecord]:
        rows = self._query(
            "SELECT task, version, sha256, metrics, trained_on, created, active FROM models "
            + where,
            args,
        )
        return [self._model_file(r) for r in rows]

    def _model_file(self, row: dict) -> ModelRecord:
        """The record, with the weights (and meta) copied into ``models/`` when absent or stale."""
        path = self.root / "models" / row["task"] / f"v{row['version']}.safetensors"
        if not _has_sha(path, row["sha256"]):
            blob = self._query(
                "SELECT weights, meta FROM models WHERE task = %s AND version = %s",
                (row["task"], row["version"]),
            )[0]
            if blob["meta"] is None:
                path.with_suffix(".json").unlink(missing_ok=True)
            else:
                self._keep_local(path.with_suffix(".json"), bytes(blob["meta"]))
            self._keep_local(path, bytes(blob["weights"]))
        return ModelRecord(
            task=row["task"], version=row["version"], path=path,
            metrics=json.loads(row["metrics"]), trained_on=json.loads(row["trained_on"]),
            created=row["created"], active=bool(row["active"]),
        )  # fmt: skip

    # -- reporting ---------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Number of images per status (every status present, zeros included)."""
        rows = self._query("SELECT status, COUNT(*) AS n FROM images GROUP BY status")
        found = {r["status"]: int(r["n"]) for r in rows}
        return {s: found.get(s, 0) for s in STATUSES}

    def task_counts(self) -> dict[str, int]:
        """Number of images with at least one saved mask, per task."""
        rows = self._query(
            "SELECT task, COUNT(DISTINCT image_id) AS n FROM mask_versions GROUP BY task"
        )
        found = {r["task"]: int(r["n"]) for r in rows}
        return {t: found.get(t, 0) for t in self.tasks}

    def training_items(
        self,
        task: str,
        statuses: Sequence[str] = ("done", "approved"),
        exclude_rejected: bool = True,
    ) -> list[tuple[int, Path, Path]]:
        """``(image_id, photo_path, latest mask PNG path)`` of every image usable for training.

        The photos and mask PNGs are copied into the local working folder; see
        :meth:`fashion_annotator.dataset.store.Project.training_items` for the rules.
        """
        rows = self._query(
            """
            SELECT i.id AS image_id, m.version, m.png, m.sha256,
                   (SELECT d.decision FROM decisions d WHERE d.image_id = i.id AND d.task = %(t)s
                    ORDER BY d.id DESC LIMIT 1) AS decision
            FROM images i JOIN mask_versions m ON m.image_id = i.id AND m.task = %(t)s
            WHERE i.status = ANY(%(s)s) AND m.version =
                  (SELECT MAX(version) FROM mask_versions WHERE image_id = i.id AND task = %(t)s)
            ORDER BY i.id
            """,
            {"t": task, "s": list(statuses)},
        )
        items = []
        for r in rows:
            if exclude_rejected and r["decision"] == "reject":
                continue
            path = self._png_path("masks", r["image_id"], task, r["version"])
            if not _has_sha(path, r["sha256"]):
                self._keep_local(path, bytes(r["png"]))
            items.append((int(r["image_id"]), self.image_path(r["image_id"]), path))
        return items

    # -- leases and the work queue -----------------------------------------------------------

    def acquire_lease(self, image_id: int, ttl_s: float = 300) -> Lease:
        """Take (or renew) this session's lease on an image for ``ttl_s`` seconds.

        Raises
        ------
        LeaseHeld
            Another live session holds it; ``.holder`` says who, ``.expires`` until when.
        """
        if ttl_s <= 0:
            raise ValueError(f"lease ttl must be positive, got {ttl_s}")
        self._image_row(image_id)
        with self._tx() as conn:
            row = conn.execute(_TAKE_LEASE, self._lease_args(image_id, ttl_s)).fetchone()
            if row is None:
                held = conn.execute(
                    "SELECT holder, expires FROM leases WHERE image_id = %s", (int(image_id),)
                ).fetchone()
                raise LeaseHeld(int(image_id), held["holder"], held["expires"])
        return _lease(row)

    def _lease_args(self, image_id: int, ttl_s: float) -> dict:
        return {"image_id": int(image_id), "token": self._token, "holder": self._holder,
                "ttl": float(ttl_s)}  # fmt: skip

    def release_lease(self, image_id: int) -> None:
        """Give up this session's lease on an image (no-op when it holds none)."""
        with self._tx() as conn:
            conn.execute(
                "DELETE FROM leases WHERE image_id = %s AND token = %s", (int(image_id), self._token)
            )

    def lease(self, image_id: int) -> Lease | None:
        """Return the live lease on an image, whoever holds it, or None."""
        rows = self._query(
            f"SELECT image_id, holder, token, acquired, expires FROM leases l"
            f" WHERE image_id = %s AND {_LIVE}",
            (int(image_id),),
        )
        return _lease(rows[0]) if rows else None

    def claim_next(
        self, ttl_s: float = 300, statuses: Sequence[str] = QUEUE_STATUSES
    ) -> ImageRecord | None:
        """Lease the least recently changed unleased image of ``statuses``, atomically.

        Concurrent claims skip each other's candidate rows (``FOR UPDATE SKIP LOCKED``) and the
        lease is taken in the same transaction, so two sessions never get the same image.
        Images this session already holds are skipped. Returns None when none is free.
        """
        for status in statuses:
            _check_status(status)
        for _ in range(100):
            with self._tx() as conn:
                row = conn.execute(
                    "SELECT * FROM images i WHERE status = ANY(%s) AND NOT EXISTS (SELECT 1 FROM"
                    f" leases l WHERE l.image_id = i.id AND (l.token = %s OR {_LIVE}))"
                    " ORDER BY updated, id LIMIT 1 FOR UPDATE OF i SKIP LOCKED",
                    (list(statuses), self._token),
                ).fetchone()
                if row is None:
                    return None
                taken = conn.execute(_TAKE_LEASE, self._lease_args(row["id"], ttl_s)).fetchone()
            if taken is not None:
                return self._with_photos([row])[0]
        raise ProjectError(f"{self.url.display}: could not claim an image after 100 tries")


def _parse(url: str) -> ProjectURL:
    try:
        return parse_url(url)
    except ValueError as exc:
        raise ProjectError(str(exc)) from exc


def _connect(url: ProjectURL, *, create: bool) -> psycopg.Connection:
    """Connect in autocommit mode, create or upgrade the project's schema, and select it."""
    try:
        given = conninfo_to_dict(url.conninfo)
        defaults = {k: v for k, v in _CONNECT_OPTIONS.items() if k not in given}
        conn = psycopg.connect(url.conninfo, autocommit=True, row_factory=dict_row, **defaults)
    except psycopg.Error as exc:
        raise ProjectError(f"{url.display}: cannot connect: {_first_line(exc)}") from exc
    try:
        pg_schema.migrate(conn, url.schema, create=create)
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(url.schema)))
    except pg_schema.PgSchemaError as exc:
        conn.close()
        raise ProjectError(f"{url.display}: {exc}") from exc
    except psycopg.Error as exc:
        conn.close()
        raise ProjectError(f"{url.display}: cannot open the project: {_first_line(exc)}") from exc
    return conn


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _has_sha(path: Path, sha: str) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha
    except OSError:
        return False


def _lease(row: dict) -> Lease:
    return Lease(int(row["image_id"]), row["holder"], row["token"], row["acquired"],
                 row["expires"])  # fmt: skip


def _decision(row: dict) -> DecisionRecord:
    return DecisionRecord(
        int(row["id"]), int(row["image_id"]), row["task"], row["decision"], row["reason"],
        row["text"], row["username"], row["at"],
    )  # fmt: skip


__all__ = ["PgProject"]
