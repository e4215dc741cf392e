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
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import psycopg
from psycopg.rows import DictRow

from fashion_annotator.core.images import check_photo_size, load_image
from fashion_annotator.core.tasks import TaskSpec
from fashion_annotator.dataset import confine, name_search, storeio
from fashion_annotator.dataset.cache import Cache
from fashion_annotator.dataset.label_sets import LABEL_SETS_QUERY, ProjectLabelSets, resolve_tasks
from fashion_annotator.dataset.postgres import mask_rows, training_rows
from fashion_annotator.dataset.postgres.changes import DIGEST_SQL, STAMPS_SQL, ImageStamps
from fashion_annotator.dataset.postgres.connection import NOW, PgConnection, connect, one
from fashion_annotator.dataset.postgres.instances import PgInstanceStore
from fashion_annotator.dataset.postgres.parts import PgDecisions, PgLeases, PgModels
from fashion_annotator.dataset.postgres.schema import drop_schema
from fashion_annotator.dataset.postgres.url import ProjectURL, parse_url
from fashion_annotator.dataset.postgres.working_folder import (
    claim_working_folder,
    fetch_missing,
    keep_local,
    project_uid,
)
from fashion_annotator.dataset.records import (
    ImageRecord,
    MaskRead,
    MaskStart,
    MaskVersion,
    ProjectError,
    ProposalRecord,
    by_image,
    check_base,
    check_status,
)
from fashion_annotator.dataset.schema import EDITED_STATUS, STATUSES
from fashion_annotator.dataset.store import FOLDERS, QUEUE_STATUSES, Project
from fashion_annotator.dataset.unfinished import Making
from fashion_annotator.runtime.paths import current_user


class PgProject(Project):
    """An open PostgreSQL project: one connection, owned by this object (a context manager).

    Use :meth:`create` or :meth:`open` with a project URL rather than the constructor.
    ``root`` is this desktop's working folder, ``url`` the parsed project URL.
    """

    backend = "postgresql"
    _db: PgConnection  # type: ignore[assignment]
    models: PgModels  # type: ignore[assignment]
    decisions: PgDecisions  # type: ignore[assignment]
    leases: PgLeases  # type: ignore[assignment]
    instances: PgInstanceStore  # type: ignore[assignment]

    def __init__(
        self, url: ProjectURL, conn: psycopg.Connection[DictRow], user: str | None, location: str = ""
    ) -> None:
        # Not Project.__init__: the same attributes and parts, over PostgreSQL.
        self.url = url
        try:
            self.root = claim_working_folder(url.local_root().resolve(), project_uid(conn))
            for name in FOLDERS:
                (self.root / name).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            conn.close()
            raise ProjectError(
                f"{url.local_root()}: cannot make the local working folder: {exc.strerror or exc}"
            ) from exc
        except psycopg.Error as exc:
            conn.close()
            raise ProjectError(f"{url.display}: cannot read the project's identity: {exc}") from exc
        self._db = PgConnection(url, conn, user or current_user(), self.root)
        self.user = self._db.user
        self._location = location or url.display
        self._taxonomies: dict = {}
        self._immutable: dict[int, ImageRecord] = {}
        self.models = PgModels(self._db)
        self.leases = PgLeases(self._db, self._known_image)
        self.decisions = PgDecisions(self._db, self._check_image_task, self.leases.lock_unleased)
        self.cache = Cache(self.root, lambda image_id: self._known_image(image_id).sha256)
        self.instances = PgInstanceStore(self._db, self._known_image, self.leases)
        self.label_sets = ProjectLabelSets(self._db.query, url.display)
        self._stamps = ImageStamps(self._db.own_writes)
        self._images = self.root / "images"  # made once: a path join is most of a record's cost

    def _check_image_task(self, image_id: int, task: str) -> None:
        self._known_image(image_id)
        self.taxonomy(task)

    @property
    def location(self) -> str:
        """The project URL it was opened with (what :func:`open_project` takes)."""
        return self._location

    # -- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def create(  # type: ignore[override]
        cls, url: str, tasks: Iterable[str | Path | TaskSpec] = ("garment", "parsing7"), user: str | None = None,
        making: Making | None = None,
    ) -> PgProject:  # fmt: skip
        """Make a new project in the database named by ``url`` (its ``project`` must be new);
        a task is a shipped name or a label set file (:func:`.label_sets.resolve_tasks`);
        ``making``: its unfinished mark, written with its schema (:func:`.connection.connect`)."""
        parsed = _parse(url)
        specs = resolve_tasks(tasks, parsed.display)  # shipped names and label set files
        conn, project = connect(parsed, create=True, making=making), None
        try:  # a project refused half way (no local working folder) is not left on the server
            project = cls(parsed, conn, user, url)
            with project._db.tx() as tx, tx.cursor() as cur:
                cur.executemany("INSERT INTO tasks (name, position) VALUES (%s, %s)", [(s.name, i) for i, s in enumerate(specs)])
                rows = project.label_sets.add(specs)  # the project's own label sets among the tasks
                cur.executemany("INSERT INTO label_sets (task, definition) VALUES (%s, %s)", rows)
        except BaseException:
            if project is not None:
                project.close()
            drop_schema(parsed.conninfo, parsed.schema)
            raise
        return project

    @classmethod
    def open(cls, url: str, user: str | None = None) -> PgProject:  # type: ignore[override]
        """Open an existing project, upgrading an older schema in place."""
        parsed = _parse(url)
        return cls(parsed, connect(parsed, create=False), user, url)

    def close(self) -> None:
        """Release this session's leases and close the connection."""
        if self._db.closed:
            return
        with contextlib.suppress(ProjectError):
            self.leases.release_all()
        self._db.close()

    def __enter__(self) -> PgProject:
        return self

    # -- tasks -------------------------------------------------------------------------------

    @property
    def tasks(self) -> tuple[str, ...]:
        """The project's task names (taxonomy names), in creation order."""
        return tuple(r["name"] for r in self._db.query("SELECT name FROM tasks ORDER BY position"))

    def add_task(self, *tasks: str | Path | TaskSpec) -> None:
        """Add tasks, all or none (:meth:`.ProjectLabelSets.adding`: shipped names, label set files
        or specs, stored as ``create`` stores them); adding a present task does nothing."""
        with self.label_sets.adding(tasks, self.tasks) as (names, rows), self._db.tx() as conn:
            conn.execute("LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE")  # then a colleague's label set
            rows = self.label_sets.unstored(rows, conn.execute(LABEL_SETS_QUERY).fetchall())  # is seen
            for name in names:
                conn.execute(
                    "INSERT INTO tasks (name, position) "
                    "VALUES (%s, (SELECT COALESCE(MAX(position), -1) + 1 FROM tasks)) "
                    "ON CONFLICT (name) DO NOTHING",
                    (name,),
                )
            for row in rows:  # a label set's definition, stored as create stores it
                conn.execute("INSERT INTO label_sets (task, definition) VALUES (%s, %s)", row)

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
            The file is not a readable photo, or not a regular file (a FIFO, a device, a
            folder); names the file and the problem.
        ProjectError
            The file cannot be read, or the database refused the write.
        """
        return self.add_image_counted(src, copy=copy)[0]

    def add_image_counted(self, src: str | Path, *, copy: bool = True) -> tuple[ImageRecord, bool]:
        """:meth:`add_image`, also saying whether this call added it (False: already present,
        perhaps added by another desktop a moment ago)."""
        src = Path(src)
        raw = storeio.read_photo_bytes(src)
        sha = hashlib.sha256(raw).hexdigest()
        found = self._image_by_sha(sha)
        if found is not None:
            return found, False
        photo = load_image(src)
        height, width = photo.rgb.shape[:2]
        check_photo_size(src, width, height)
        with self._db.tx() as conn:
            # One import chooses a name at a time, so two desktops never pick the same one.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('fa.images'))")
            row = conn.execute("SELECT * FROM images WHERE sha256 = %s", (sha,)).fetchone()
            if row is not None:
                return self._record(row), False
            original = confine.storable_name(src.name)  # as SQLite: a 250-byte name plus
            name = self._free_name(original, sha) if copy else confine.referenced_name(src)  # -<sha12>
            if copy:
                conn.execute(
                    "INSERT INTO photos (sha256, data) VALUES (%s, %s) "
                    "ON CONFLICT (sha256) DO NOTHING",
                    (sha, raw),
                )
            row = conn.execute(
                "INSERT INTO images (name, original_name, stem, source, stored, sha256, width,"
                f" height, status, created, updated, username) VALUES (%s, %s, %s, %s, %s, %s,"
                f" %s, %s, 'new', {NOW}, {NOW}, %s) RETURNING *",
                (name, original, Path(original).stem, confine.storable_name(str(src)), copy, sha,
                 width, height, self.user),
            ).fetchone()
        record = self._record(one(row))
        self._db.wrote_image(record.id, record.updated, None)
        if copy:  # the photo is in the database: a failed local copy is fetched again later
            keep_local(self._db, record.path, raw)
        return record, True

    def _free_name(self, name: str, sha: str) -> str:
        taken = self._db.conn.execute("SELECT 1 FROM images WHERE name = %s", (name,))
        if taken.fetchone() is None:
            return name
        stem, suffix = Path(name).stem, Path(name).suffix
        return f"{stem}-{sha[:12]}{suffix}"

    def _image_by_sha(self, sha: str) -> ImageRecord | None:
        rows = self._db.query("SELECT * FROM images WHERE sha256 = %s", (sha,))
        return self._with_photos(rows)[0] if rows else None

    def _photo_path(self, name: str, stored: bool) -> Path:
        """Where an image's photo lies: an uploaded one's copy in the working folder, else the
        file it references."""
        return confine.stored_photo(self.root, name, self._images) if stored else Path(name)

    def _record(self, row: DictRow) -> ImageRecord:  # type: ignore[override]
        return ImageRecord(
            id=int(row["id"]), name=row["name"], stem=row["stem"],
            path=self._photo_path(row["name"], bool(row["stored"])),
            source=row["source"], sha256=row["sha256"], width=row["width"],
            height=row["height"], status=row["status"], created=row["created"],
            updated=row["updated"], user=row["username"], in_store=bool(row["stored"]),
        )  # fmt: skip

    def _with_photos(self, rows: list[DictRow], fetch: bool = True) -> list[ImageRecord]:
        """Records of ``rows``, with every uploaded photo present in the local working folder
        (``fetch``; else the records only)."""
        records = [self._record(r) for r in rows]
        if not fetch:
            return records
        fetch_missing(self._db, records, self.root)
        return records

    def images(
        self, status: str | None = None, search: str | None = None, ids: Sequence[int] | None = None,
        *, fetch_photos: bool = True,
    ) -> list[ImageRecord]:  # fmt: skip
        """List images in import order, optionally by status, by a substring of the file name
        (:mod:`~fashion_annotator.dataset.name_search`) and among ``ids``. Uploaded photos not yet
        on this desktop are fetched into the working folder (``fetch_photos``; a list that shows
        names and statuses leaves them to :meth:`image_path`: a new desktop fetched 20,000 photos
        before its window showed, about 3 minutes).
        """
        where, args = "TRUE", list[object]()
        if ids is not None:
            where += " AND id = ANY(%s)"
            args.append([int(i) for i in ids])
        if status is not None:
            check_status(status)
            where += " AND status = %s"
            args.append(status)
        if search:  # folded in Python as SQLite's is (lower() here follows the locale): the names
            key = name_search.search_key(search)  # first, then the rows found (a third the time)
            named = self._db.query(f"SELECT id, name FROM images WHERE {where}", args)
            found = [r["id"] for r in named if name_search.matches(r["name"], key)]
            where, args = f"{where} AND id = ANY(%s)", [*args, found]  # filters again: rows change meanwhile
        rows = self._db.query(f"SELECT * FROM images WHERE {where} ORDER BY id", args)
        return self._with_photos(rows, fetch_photos)

    def image(self, image_id: int) -> ImageRecord:
        """Return one image's record (its photo fetched locally); unknown ids raise."""
        rows = self._db.query("SELECT * FROM images WHERE id = %s", (int(image_id),))
        if not rows:
            raise ProjectError(f"{self.url.display}: no image with id {image_id}")
        return self._with_photos(rows)[0]

    def images_by_stem(self, stem: str) -> list[ImageRecord]:
        """Images imported under a file name with this stem (how masks attach to photos)."""
        return self._with_photos(
            self._db.query("SELECT * FROM images WHERE stem = %s ORDER BY id", (stem,))
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
        user: str | None = None,
        edited: bool = False,
        base: int | None = None,
    ) -> MaskVersion:
        """Save a new version of an image's mask: the PNG and its row in one transaction.

        See :meth:`fashion_annotator.dataset.store.Project.save_mask` for the parameters and
        the errors; a database failure raises :class:`ProjectError` and records nothing.
        """
        record = self._known_image(image_id)
        if status is not None:
            check_status(status)
        data, sha = self._encode(record, task, mask)
        with self._db.tx() as conn:
            current = self.leases.lock_unleased(conn, record.id)
            if base is not None:  # the image row is locked: no version can come between
                latest = conn.execute(f"{mask_rows.VERSIONS} ORDER BY version DESC LIMIT 1", (record.id, task))
                check_base(record.id, task, self._pg_mask_version(latest.fetchone()), base)
            if edited and status is None:
                status = EDITED_STATUS.get(current)
            return self._insert_pg_mask(conn, record, task, data, sha, source, seconds, actions,
                                        status, user)  # fmt: skip

    def save_import(
        self, image_id: int, task: str, mask: np.ndarray, *, overwrite: bool = False
    ) -> MaskVersion | None:
        """Save an imported ground-truth mask without ever replacing an operator's work.

        The rules of :meth:`fashion_annotator.dataset.store.Project.save_import` (equal to a
        saved version: nothing; different from the latest: :class:`ImportConflict` unless
        ``overwrite``; ``done`` only from ``new`` or ``in_progress``), decided and applied in one
        transaction with the image row locked, so two importers cannot both add a version.
        """
        record = self._known_image(image_id)
        data, sha = self._encode(record, task, mask)
        with self._db.tx() as conn:
            self.leases.lock_unleased(conn, record.id)
            rows = conn.execute(
                'SELECT version, sha256, source, username AS "user" FROM mask_versions'
                " WHERE image_id = %s AND task = %s ORDER BY version",
                (record.id, task),
            ).fetchall()
            if not storeio.import_adds_version(
                record.name, task, rows, sha, mask,
                lambda: self._latest_png("mask_versions", record.id, task, rows[-1]["version"]),
                overwrite,
            ):  # fmt: skip
                return None
            current = one(conn.execute(
                "SELECT status FROM images WHERE id = %s", (record.id,)
            ).fetchone())["status"]  # fmt: skip
            status = storeio.import_status(current)
            return self._insert_pg_mask(conn, record, task, data, sha, "import", 0.0, 0, status)

    def _insert_pg_mask(
        self, conn: psycopg.Connection[DictRow], record: ImageRecord, task: str, data: bytes,
        sha: str, source: str, seconds: float, actions: int, status: str | None, user: str | None = None,
    ) -> MaskVersion:  # fmt: skip
        """Inside a transaction that locked the image row: add the next version of its mask
        (``user``: whose work, when not this session's operator)."""
        user = user or self.user
        row = mask_rows.insert_mask_version(conn, record.id, task, data, sha, source, seconds,
                                            actions, user, status)  # fmt: skip
        self._db.wrote_image(record.id, row["created"], row["before"])  # the stamp: the same NOW
        return MaskVersion(record.id, task, row["version"], self._png_path("masks", record.id,
                           task, row["version"]), sha, source, float(seconds), int(actions),
                           user, row["created"])  # fmt: skip

    def _image_row(self, image_id: int) -> ImageRecord:
        """The image's record without fetching its photo."""
        rows = self._db.query("SELECT * FROM images WHERE id = %s", (int(image_id),))
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

    def save_proposal(
        self, image_id: int, task: str, mask: np.ndarray, model_version: str
    ) -> ProposalRecord:
        """Record what the model proposed (kept beside the masks, for QA's Dice later)."""
        record = self._known_image(image_id)
        data, _ = self._encode(record, task, mask)
        with self._db.tx() as conn:
            conn.execute("SELECT id FROM images WHERE id = %s FOR UPDATE", (record.id,))
            row = conn.execute(
                "INSERT INTO proposals (image_id, task, version, png, model_version, username,"
                " created) VALUES (%(id)s, %(task)s, (SELECT COALESCE(MAX(version), 0) + 1 FROM"
                " proposals WHERE image_id = %(id)s AND task = %(task)s), %(png)s, %(model)s,"
                f" %(user)s, {NOW}) RETURNING version, created",
                {"id": record.id, "task": task, "png": data, "model": str(model_version),
                 "user": self.user},
            ).fetchone()  # fmt: skip
            row = one(row)
        path = self._png_path("proposals", record.id, task, row["version"])
        self._db.keep_local(path, data)
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
        rows = self._db.query(f"{mask_rows.VERSIONS} ORDER BY version", (int(image_id), task))
        return [version for version in map(self._pg_mask_version, rows) if version is not None]

    def mask_versions_of_task(self, task: str) -> dict[int, list[MaskVersion]]:
        """Every saved version of ``task``'s masks in one query, per image id (ascending)."""
        rows = self._db.query(mask_rows.TASK_VERSIONS, (task,))
        return by_image(v for v in map(self._pg_mask_version, rows) if v is not None)

    def _pg_mask_version(self, r: DictRow | None) -> MaskVersion | None:
        if r is None:
            return None
        return MaskVersion(int(r["image_id"]), r["task"], r["version"],
                           self._png_path("masks", r["image_id"], r["task"], r["version"]),
                           r["sha256"], r["source"], r["seconds"], r["actions"], r["username"],
                           r["created"])  # fmt: skip

    def proposals(self, image_id: int, task: str) -> list[ProposalRecord]:
        """Every recorded proposal for the image and task, oldest first (PNGs copied locally)."""
        rows = self._db.query(
            "SELECT image_id, task, version, png, model_version, username, created FROM proposals"
            " WHERE image_id = %s AND task = %s ORDER BY version",
            (int(image_id), task),
        )
        found = []
        for r in rows:
            path = self._png_path("proposals", r["image_id"], task, r["version"])
            png = bytes(r["png"])
            if not path.is_file() or path.read_bytes() != png:  # a stale copy (project re-created)
                self._db.keep_local(path, png)
            found.append(ProposalRecord(int(r["image_id"]), task, r["version"], path,
                                        r["model_version"], r["username"], r["created"]))  # fmt: skip
        return found

    def proposals_of(
        self, task: str, image_ids: Iterable[int], wanted: Callable[[ProposalRecord], bool] | None = None,
        progress: Callable[[int, int], None] | None = None, problems: dict[int, str] | None = None,
    ) -> dict[int, list[ProposalRecord]]:  # fmt: skip
        """As the folder project's: one query, the ``wanted`` PNGs copied in batches (:func:`.training_rows.proposals_of`)."""
        return training_rows.proposals_of(self._db, task, image_ids, lambda i, v: self._png_path("proposals", i, task, v),
                                          wanted, progress, problems)  # fmt: skip

    def mask_starts(
        self, task: str, image_ids: Iterable[int], progress: Callable[[int, int], None] | None = None
    ) -> dict[int, MaskStart]:
        """Each image's mask versions and the proposal shown, in two queries; the shown PNGs this
        desktop lacks copied in batches (:func:`.training_rows.mask_starts`)."""
        return training_rows.mask_starts(self._db, task, image_ids, self._pg_mask_version,
                                         lambda i, v: self._png_path("proposals", i, task, v), progress)  # fmt: skip

    def load_masks(self, task: str, wanted: Sequence[tuple[int, int]]) -> Iterator[tuple[int, MaskRead]]:
        """As the folder project's, the PNGs fetched in batches (:func:`.training_rows.load_masks`)."""
        return training_rows.load_masks(self._db, task, wanted, self.taxonomy(task))

    def _latest_png(
        self, table: str, image_id: int, task: str, version: int | None = None
    ) -> np.ndarray | None:
        return mask_rows.read_version_row(self._db, table, image_id, task, version, self.taxonomy(task))

    # -- reporting ---------------------------------------------------------------------------

    def change_token(self) -> tuple[int, int]:
        """``(others, rows)``: how many polls found an image row another user wrote, and a hash
        of every row's stamp (:mod:`.changes`): it moves with each committed status, save or
        import."""
        digest = self._db.query(DIGEST_SQL)[0]["digest"]  # 11 ms at 20,000 images; the stamps 70
        if self._stamps.latest is not None and digest == self._stamps.digest:
            return self._stamps.latest
        return self._stamps.token(self._db.query(STAMPS_SQL), digest)

    def proposal_token(self) -> tuple[int, int]:
        """``(count, latest id)`` of the recorded proposals, anyone's: it moves with each
        proposal recorded, which :meth:`change_token` does not."""
        row = self._db.query("SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS latest FROM proposals")[0]
        return int(row["n"]), int(row["latest"])

    def changed_images(self, since: tuple[int, int]) -> list[int] | None:
        """The images whose rows anyone changed between the token ``since`` and the last
        :meth:`change_token`, to be re-read with ``images(..., ids=...)`` (None: ``since`` is
        too old to tell, read them all)."""
        return self._stamps.changed(since)

    def counts(self) -> dict[str, int]:
        """Number of images per status (every status present, zeros included)."""
        rows = self._db.query("SELECT status, COUNT(*) AS n FROM images GROUP BY status")
        found = {r["status"]: int(r["n"]) for r in rows}
        return {s: found.get(s, 0) for s in STATUSES}

    def task_counts(self) -> dict[str, int]:
        """Number of images with at least one saved mask, per task."""
        rows = self._db.query("SELECT task, COUNT(DISTINCT image_id) AS n FROM mask_versions GROUP BY task")
        found = {r["task"]: int(r["n"]) for r in rows}
        return {t: found.get(t, 0) for t in self.tasks}

    def training_items(
        self,
        task: str,
        statuses: Sequence[str] = ("done", "approved"),
        exclude_rejected: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[tuple[int, Path, Path]]:
        """``(image_id, photo_path, latest mask PNG path)`` of every image usable for training,
        copied locally with ``progress(done, total)`` before each (it may raise to stop), fetched
        in batches (:func:`.training_rows.training_items`; the rules:
        :meth:`fashion_annotator.dataset.store.Project.training_items`)."""
        return training_rows.training_items(
            self._db, task, statuses, exclude_rejected,
            lambda image_id, version: self._png_path("masks", image_id, task, version),
            self._photo_path, progress,
        )  # fmt: skip

    # -- the work queue --------------------------------------------------------------------

    def claim_next(
        self, ttl_s: float = 300, statuses: Sequence[str] = QUEUE_STATUSES
    ) -> ImageRecord | None:
        """Lease the next image to work on, the least recently changed unleased one of
        ``statuses``, or None; ``FOR UPDATE SKIP LOCKED`` with the lease in the same
        transaction, so two sessions never get the same image."""
        row = self.leases.claim(ttl_s, tuple(statuses))
        return None if row is None else self._with_photos([row])[0]


def _parse(url: str) -> ProjectURL:
    try:
        return parse_url(url)
    except ValueError as exc:
        raise ProjectError(str(exc)) from exc


__all__ = ["PgProject"]
