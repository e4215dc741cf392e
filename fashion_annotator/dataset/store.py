"""The project store: a folder with an SQLite index and mask PNGs that never loses work.

Layout::

    project.sqlite                 the index (WAL mode)
    images/NAME                    the photos, copied in (content-hash dedupe)
    masks/<image_id>/<task>/vN.png every saved mask version, indexed PNG with the palette
    proposals/<image_id>/<task>/vN.png   what the model proposed when the image was opened
    cache/<photo sha256>/KEY.npz   derived arrays (superpixels, probabilities)
    models/<task>/vN.safetensors   the project's own models (see the registry)

A save writes the PNG to a temporary file in its folder, fsyncs it, renames it into place and
only then commits the index row, all under the index's write lock, so a crash at any moment
leaves every committed version readable. Every save adds a version; none is overwritten.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from fashion_annotator.core.images import ImageData, load_image
from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.core.tasks import TaskSpec
from fashion_annotator.dataset import confine, mask_files, name_search, storeio
from fashion_annotator.dataset.api import LegacyNames
from fashion_annotator.dataset.cache import Cache
from fashion_annotator.dataset.connection import INDEX_NAME, StoreConnection
from fashion_annotator.dataset.decisions import Decisions
from fashion_annotator.dataset.display import PHOTO_FOLDER_PROJECT
from fashion_annotator.dataset.image_changes import ChangeTokens
from fashion_annotator.dataset.index_damage import IndexDamaged
from fashion_annotator.dataset.instances_store import InstanceStore
from fashion_annotator.dataset.label_sets import LABEL_SETS_QUERY, ProjectLabelSets, resolve_tasks
from fashion_annotator.dataset.leases import QUEUE_STATUSES, LeaseHeld, Leases
from fashion_annotator.dataset.photo_imports import PhotoImports
from fashion_annotator.dataset.postgres.url import postgres_or_folder
from fashion_annotator.dataset.records import (
    ImageRecord,
    MaskVersion,
    ProjectError,
    ProposalRecord,
    by_image,
    check_base,
    check_status,
)
from fashion_annotator.dataset.registry import ModelRegistry
from fashion_annotator.dataset.schema import EDITED_STATUS, STATUSES
from fashion_annotator.dataset.stamps import version_stamp
from fashion_annotator.dataset.storeio import ImportConflict
from fashion_annotator.dataset.sweep import SweepReport, sweep
from fashion_annotator.dataset.sweep import candidates as sweep_candidates
from fashion_annotator.dataset.training_items import TrainingItems, proposal_record
from fashion_annotator.dataset.unfinished import Making, write_mark
from fashion_annotator.dataset.unfinished import check_folder as check_unfinished
from fashion_annotator.runtime.paths import current_user

log = logging.getLogger(__name__)

__all__ = [
    "INDEX_NAME", "PHOTO_FOLDER_PROJECT", "QUEUE_STATUSES", "ImportConflict", "LeaseHeld", "Project", "ProjectError",
    "create_project", "open_project",
]

FOLDERS = ("images", "masks", "proposals", "cache", "models")


class Project(PhotoImports, TrainingItems, LegacyNames, ChangeTokens):
    """An open project: one SQLite connection, owned by this object (use it as a context manager).

    Images, masks, proposals and statuses are methods (adding photos: the
    :class:`~fashion_annotator.dataset.photo_imports.PhotoImports` mixin, the training data:
    :class:`~fashion_annotator.dataset.training_items.TrainingItems`); the rest are parts
    sharing the
    connection: :attr:`models` (registry), :attr:`decisions` (QA), :attr:`cache` (derived
    arrays), :attr:`leases` and :attr:`instances`. It implements
    :class:`fashion_annotator.dataset.api.ProjectStore`.
    Use :meth:`create` or :meth:`open` rather than the constructor.
    """

    backend = "sqlite"
    models: ModelRegistry
    decisions: Decisions
    cache: Cache
    leases: Leases
    instances: InstanceStore

    def __init__(self, root: Path, conn: sqlite3.Connection, user: str | None) -> None:
        self._db = StoreConnection(root, conn, user or current_user())
        self.root = self._db.root
        self.user = self._db.user
        self._images = self.root / "images"
        self._taxonomies: dict[str, Taxonomy] = {}
        self.swept = SweepReport()
        self.models = ModelRegistry(self._db)
        self.leases = Leases(self._db, self.image)
        self.decisions = Decisions(self._db, self._check_image_task, self.leases.check_not_held)
        self.cache = Cache(self.root, lambda image_id: self.image(image_id).sha256)
        self.instances = InstanceStore(self._db, self.image, self.leases)
        self.label_sets = ProjectLabelSets(lambda q: conn.execute(q).fetchall(), str(self.root))

    def _check_image_task(self, image_id: int, task: str) -> None:
        self.image(image_id)
        self.taxonomy(task)

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._db.conn

    @property
    def readonly(self) -> str | None:
        """Why the project is open read-only (every write raises ProjectError), else None."""
        return self._db.readonly

    @property
    def location(self) -> str | Path:
        """What :func:`open_project` takes to open this project again (here: the folder)."""
        return self.root

    def claim_next(
        self, ttl_s: float = 300, statuses: Sequence[str] = QUEUE_STATUSES
    ) -> ImageRecord | None:
        """Lease the next image to work on, the least recently changed unleased one of
        ``statuses``, or None. Atomic: two sessions never get the same image."""
        image_id = self.leases.claim(ttl_s, tuple(statuses))
        return None if image_id is None else self.image(image_id)

    # -- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        root: str | Path,
        tasks: Iterable[str | Path | TaskSpec] = ("garment", "parsing7"),
        user: str | None = None,
        making: Making | None = None,
    ) -> Project:
        """Make a new project folder (it may exist but must not already hold a project, nor be
        a folder of photos whose project the window made in it, :data:`PHOTO_FOLDER_PROJECT`,
        nor lie inside another project, whose next open would move its files to lost+found).
        A task is a shipped name or a label set file (:func:`.label_sets.resolve_tasks`);
        ``making``: its unfinished mark, written before its index is filled in."""
        root = Path(root)
        storeio.check_new_project_folder(root, INDEX_NAME, PHOTO_FOLDER_PROJECT, FOLDERS)
        specs = resolve_tasks(tasks, root)  # shipped names and label set files
        try:
            for name in FOLDERS:
                (root / name).mkdir(parents=True, exist_ok=True)
            # Exclusive creation: of two processes creating one project, exactly one wins.
            os.close(os.open(root / INDEX_NAME, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            raise ProjectError(f"{root}: already a project ({INDEX_NAME} exists)") from None
        except OSError as exc:
            raise ProjectError(f"{root}: cannot create the project: {exc.strerror or exc}") from exc
        if making is not None:
            write_mark(root, making)
        project = cls(root, storeio.connect_index(root / INDEX_NAME, existing=False), user)
        with project._tx():
            project._conn.executemany(
                "INSERT INTO tasks (name, position) VALUES (?, ?)",
                [(s.name, i) for i, s in enumerate(specs)],
            )
            rows = project.label_sets.add(specs)  # the project's own label sets among the tasks
            project._conn.executemany("INSERT INTO label_sets (task, definition) VALUES (?, ?)", rows)
        return project

    @classmethod
    def open(
        cls, root: str | Path, user: str | None = None, *, readonly: bool | None = None
    ) -> Project:
        """Open an existing project, upgrading an older index schema in place.

        Opening for writing sweeps temp files and orphans left by killed processes (logged,
        see :mod:`~fashion_annotator.dataset.sweep`). A project that cannot be written (a
        read-only folder or medium, a full disk) opens read-only: it can be viewed, exported
        and reported on, ``readonly`` says why, and every write raises :class:`ProjectError`.

        Parameters
        ----------
        readonly : bool, optional
            True: open read-only. False: fail rather than fall back. None (default): open
            for writing when possible, else read-only.

        Raises
        ------
        IndexDamaged
            Opening for writing met a damaged page (the sweep reads the tables of the images,
            masks, proposals, models and instances); the index is closed again.
        """
        root = Path(root)
        index = root / INDEX_NAME
        if not index.is_file() and (root / PHOTO_FOLDER_PROJECT / INDEX_NAME).is_file():
            root, index = root / PHOTO_FOLDER_PROJECT, root / PHOTO_FOLDER_PROJECT / INDEX_NAME
        if not index.is_file():
            raise ProjectError(storeio.not_a_project(root, INDEX_NAME, PHOTO_FOLDER_PROJECT))
        check_unfinished(root)  # new or migrate cut short: nothing swept, nothing shown
        why = "opened read-only on request" if readonly else storeio.unwritable(root, index)
        if why is None:
            try:
                project = cls(root, storeio.connect_index(index), user)
            except ProjectError as exc:
                if readonly is False or not storeio.may_fall_back(exc):
                    raise
                why = f"cannot write it ({exc.__cause__ or exc})"
            else:
                project._sweep()
                if root.name == PHOTO_FOLDER_PROJECT and project.relocate_referenced(root.resolve().parent):
                    log.info("%s: photos found again in %s after a move", root, root.resolve().parent)
                return project
        if readonly is False:
            raise ProjectError(f"{root}: cannot open for writing: {why}")
        project = cls(root, storeio.connect_readonly(index), user)
        project._db.readonly = why
        (log.debug if readonly else log.warning)("%s: opened read-only: %s", root, why)
        return project

    def _sweep(self) -> None:
        try:
            found = sweep_candidates(self.root, self._conn)  # the walk: colleagues may save meanwhile
            if found:
                with self._tx() as conn:
                    self.swept = sweep(self.root, conn, found)
        except IndexDamaged:  # no sweep's problem: the project cannot be used as it is
            self.close()
            raise
        except (ProjectError, sqlite3.Error, OSError) as exc:
            log.warning("%s: sweep of leftovers skipped: %s", self.root, exc)

    def close(self) -> None:
        """Release this session's leases and close the index."""
        if self._db.closed:
            return
        with contextlib.suppress(sqlite3.Error, ProjectError):
            self.leases.release_all()
        self._db.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """One write transaction on the shared connection."""
        return self._db.tx()

    # -- tasks -------------------------------------------------------------------------------

    @property
    def tasks(self) -> tuple[str, ...]:
        """The project's task names (taxonomy names), in creation order."""
        rows = self._conn.execute("SELECT name FROM tasks ORDER BY position").fetchall()
        return tuple(r[0] for r in rows)

    def add_task(self, *tasks: str | Path | TaskSpec) -> None:
        """Add tasks, all or none: shipped names, label set files or specs (:meth:`.ProjectLabelSets.adding`)."""
        with self.label_sets.adding(tasks, self.tasks) as (names, rows), self._tx() as conn:
            rows = self.label_sets.unstored(rows, conn.execute(LABEL_SETS_QUERY).fetchall())  # a colleague's
            conn.executemany(  # label set of one of the names, stored since: checked
                "INSERT OR IGNORE INTO tasks (name, position) "
                "VALUES (?, (SELECT COALESCE(MAX(position), -1) + 1 FROM tasks))",
                [(name,) for name in names],
            )
            conn.executemany("INSERT INTO label_sets (task, definition) VALUES (?, ?)", rows)

    def taxonomy(self, task: str) -> Taxonomy:
        """Return the taxonomy of one of the project's tasks."""
        if task not in self._taxonomies:
            if task not in self.tasks:
                raise ProjectError(
                    f"{self.root}: no task {task!r} (tasks: {', '.join(self.tasks)})"
                )
            self._taxonomies[task] = self.label_sets.taxonomy(task)
        return self._taxonomies[task]

    # -- images (adding them: :class:`PhotoImports`) ------------------------------------------

    def _record(self, row: sqlite3.Row) -> ImageRecord:
        path = confine.stored_photo(self.root, row["name"], self._images) if row["stored"] else Path(row["name"])
        return ImageRecord(
            id=row["id"], name=row["name"], stem=row["stem"], path=path, source=row["source"],
            sha256=row["sha256"], width=row["width"], height=row["height"], status=row["status"],
            created=row["created"], updated=row["updated"], user=row["user"],
        )  # fmt: skip

    def images(
        self, status: str | None = None, search: str | None = None, ids: Sequence[int] | None = None,
        *, fetch_photos: bool = True,
    ) -> list[ImageRecord]:  # fmt: skip
        """List images in import order, optionally by status, by a substring of the file name
        (:mod:`.name_search`) and among ``ids`` (at most a few hundred: an image list re-reading
        the rows it changed). ``fetch_photos`` is PostgreSQL's (a folder's photos are on disk)."""
        sql = "SELECT * FROM images WHERE 1"
        args: list[object] = []
        if ids is not None:
            sql += f" AND id IN ({', '.join('?' * len(ids))})"
            args.extend(int(i) for i in ids)
        if status is not None:
            check_status(status)
            sql += " AND status = ?"
            args.append(status)
        if search:
            sql += f" AND instr({name_search.SQL_FUNCTION}(name), ?) > 0"
            args.append(name_search.search_key(search))
        rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        return [self._record(r) for r in rows]

    def image(self, image_id: int) -> ImageRecord:
        """Return one image's record; unknown ids raise :class:`ProjectError`."""
        row = self._conn.execute("SELECT * FROM images WHERE id = ?", (int(image_id),)).fetchone()
        if row is None:
            raise ProjectError(f"{self.root}: no image with id {image_id}")
        return self._record(row)

    def images_by_stem(self, stem: str) -> list[ImageRecord]:
        """Images imported under a file name with this stem (how masks attach to photos)."""
        rows = self._conn.execute("SELECT * FROM images WHERE stem = ? ORDER BY id", (stem,))
        return [self._record(r) for r in rows.fetchall()]

    def image_path(self, image_id: int) -> Path:
        """Return where the photo's file lies."""
        return self.image(image_id).path

    def load_photo(self, image_id: int) -> ImageData:
        """Decode the photo (EXIF orientation applied)."""
        return load_image(self.image_path(image_id))

    # -- status ------------------------------------------------------------------------------

    def set_status(self, image_id: int, status: str) -> None:
        """Set an image's status (one of :data:`~fashion_annotator.dataset.schema.STATUSES`)."""
        check_status(status)
        self.image(image_id)
        with self._tx() as conn:
            self._db.write_status(conn, image_id, status)

    def counts(self) -> dict[str, int]:
        """Number of images per status (every status present, zeros included)."""
        rows = self._conn.execute("SELECT status, COUNT(*) FROM images GROUP BY status")
        found = dict(rows.fetchall())
        return {s: int(found.get(s, 0)) for s in STATUSES}

    def task_counts(self) -> dict[str, int]:
        """Number of images with at least one saved mask, per task."""
        rows = self._conn.execute("SELECT task, COUNT(DISTINCT image_id) FROM mask_versions GROUP BY task")
        found = dict(rows.fetchall())
        return {t: int(found.get(t, 0)) for t in self.tasks}

    def check_index(self) -> None:
        """Read every page of the index (``PRAGMA quick_check``): ``IndexDamaged`` names a damaged one."""
        self._db.check_index()

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
        """Save a new version of an image's mask for ``task``; earlier versions are kept.

        Parameters
        ----------
        mask : (H, W) integer array
            Class ids of the task's taxonomy, the photo's size.
        seconds, actions : float, int
            The effort log of this version: the image's running totals of time spent (s) and
            edits made, over every task and everyone's saves, when it was saved.
        source : str
            ``"operator"``, ``"import"``, ``"model"``...
        status : str, optional
            Also set the image's status, in the same transaction.
        user : str, optional
            Whose work it is when not this session's operator (a crashed colleague's edits).
        edited : bool
            Without ``status``: the image takes the status an edit earns
            (:data:`~fashion_annotator.dataset.schema.EDITED_STATUS`: an approved image waits
            for review again) in the same transaction, so no version is saved without it.
        base : int, optional
            The version the edits started from (0: none was saved); checked against the
            latest one inside the write transaction.

        Raises
        ------
        ValueError
            Wrong shape, or labels outside the taxonomy.
        LeaseHeld
            Another operator holds the image's lease.
        NewerVersion
            A version other than ``base`` is the latest (a colleague saved since); nothing saved.
        ProjectError
            The write failed (full disk, read-only folder); nothing was recorded.
        """
        record = self.image(image_id)
        if status is not None:
            check_status(status)
        data, sha = self._encode(record, task, mask)
        with self._tx() as conn:
            latest = self._versions("mask_versions", record.id, task, conn, latest=True)
            check_base(record.id, task, self._mask_version(latest[0]) if latest else None, base)
            if edited and status is None:
                current = conn.execute("SELECT status FROM images WHERE id = ?", (record.id,)).fetchone()
                status = EDITED_STATUS.get(current["status"])
            return self._insert_mask(conn, record, task, data, sha, source, seconds, actions, status, user)

    def save_import(
        self, image_id: int, task: str, mask: np.ndarray, *, overwrite: bool = False
    ) -> MaskVersion | None:
        """Save an imported ground-truth mask without ever replacing an operator's work.

        A mask equal to any saved version is a no-op (returns None), so re-running or
        resuming an import adds nothing. A mask that differs from the saved ones is refused
        unless ``overwrite`` (then it becomes a new version; older ones are kept). The image
        becomes ``done`` when it was ``new``, ``in_progress`` or ``approved`` (the approved
        version is no longer the latest: QA reviews again); an import never clears ``rejected``.

        Raises
        ------
        ImportConflict
            The mask differs from the saved versions and ``overwrite`` is False.
        """
        record = self.image(image_id)
        data, sha = self._encode(record, task, mask)
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT version, path, sha256, source, user FROM mask_versions "
                "WHERE image_id = ? AND task = ? ORDER BY version",
                (record.id, task),
            ).fetchall()
            if not storeio.import_adds_version(
                record.name, task, rows, sha, mask,
                lambda: self._read_png(rows[-1]["path"], rows[-1]["sha256"], record.shape, task),
                overwrite,
            ):  # fmt: skip
                return None
            current = conn.execute(
                "SELECT status FROM images WHERE id = ?", (record.id,)
            ).fetchone()["status"]
            status = storeio.import_status(current)
            return self._insert_mask(conn, record, task, data, sha, "import", 0.0, 0, status)

    def _insert_mask(
        self, conn: sqlite3.Connection, record: ImageRecord, task: str, data: bytes, sha: str,
        source: str, seconds: float, actions: int, status: str | None, user: str | None = None,
    ) -> MaskVersion:  # fmt: skip
        self.leases.check_not_held(conn, record.id)
        user = user or self.user
        version, path, now = self._write_version(conn, "mask_versions", "masks", record, task, data)
        row = (record.id, task, version, path, sha, source, float(seconds), int(actions))
        conn.execute(
            "INSERT INTO mask_versions (image_id, task, version, path, sha256, source,"
            " seconds, actions, user, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*row, user, now),
        )
        if status is None:
            conn.execute("UPDATE images SET updated = ?, user = ? WHERE id = ?", (now, user, record.id))
        else:
            self._db.write_status(conn, record.id, status)
        return MaskVersion(record.id, task, version, self.root / path, sha, source,
                           float(seconds), int(actions), user, now)  # fmt: skip

    def save_proposal(
        self, image_id: int, task: str, mask: np.ndarray, model_version: str
    ) -> ProposalRecord:
        """Record what the model proposed (kept beside the masks, for QA's Dice later)."""
        record = self.image(image_id)
        data, _ = self._encode(record, task, mask)
        with self._tx() as conn:
            version, path, now = self._write_version(conn, "proposals", "proposals", record, task, data)
            conn.execute(
                "INSERT INTO proposals (image_id, task, version, path, model_version, user,"
                " created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (record.id, task, version, path, str(model_version), self.user, now),
            )
        return ProposalRecord(record.id, task, version, self.root / path, str(model_version),
                              self.user, now)  # fmt: skip

    def _encode(self, record: ImageRecord, task: str, mask: np.ndarray) -> tuple[bytes, str]:
        return mask_files.encode_version(self.taxonomy(task), record, task, mask)

    def _write_version(
        self,
        conn: sqlite3.Connection,
        table: str,
        folder: str,
        record: ImageRecord,
        task: str,
        data: bytes,
    ) -> tuple[int, str, float]:
        row = conn.execute(
            f"SELECT COALESCE(MAX(version), 0) FROM {table} WHERE image_id = ? AND task = ?",
            (record.id, task),
        ).fetchone()
        version = int(row[0]) + 1
        rel = mask_files.version_file(folder, record.id, task, version)
        self._db.write_version(rel, data)
        return version, rel, version_stamp(conn, record.id)

    def mask_versions(self, image_id: int, task: str) -> list[MaskVersion]:
        """Every saved version of an image's mask for ``task``, oldest first."""
        return [self._mask_version(r) for r in self._versions("mask_versions", image_id, task)]

    def mask_versions_of_task(self, task: str) -> dict[int, list[MaskVersion]]:
        """Every saved version of ``task``'s masks in one query: image id (ascending, only
        images with a saved mask) -> versions, oldest first, as :meth:`mask_versions`."""
        rows = self._conn.execute("SELECT * FROM mask_versions WHERE task = ? ORDER BY image_id, version", (task,))
        return by_image(map(self._mask_version, rows.fetchall()))

    def _mask_version(self, r: sqlite3.Row) -> MaskVersion:
        return MaskVersion(r["image_id"], r["task"], r["version"],
                           confine.version_file(self.root, r["path"]), r["sha256"], r["source"],
                           r["seconds"], r["actions"], r["user"], r["created"])  # fmt: skip

    def load_mask(self, image_id: int, task: str, version: int | None = None) -> np.ndarray | None:
        """Return a saved mask (the latest unless ``version``), or None when none was saved."""
        return self._latest_png("mask_versions", image_id, task, version)

    def load_proposal(self, image_id: int, task: str) -> np.ndarray | None:
        """Return the latest model proposal for the image and task, or None."""
        return self._latest_png("proposals", image_id, task)

    def _versions(
        self, table: str, image_id: int, task: str, conn: sqlite3.Connection | None = None,
        latest: bool = False,
    ) -> list[sqlite3.Row]:  # fmt: skip
        """Version rows, oldest first (``latest``: only the latest), read on ``conn`` when given."""
        order = "version DESC LIMIT 1" if latest else "version"
        return (conn or self._conn).execute(
            f"SELECT * FROM {table} WHERE image_id = ? AND task = ? ORDER BY {order}",
            (int(image_id), task),
        ).fetchall()

    def _latest_png(
        self, table: str, image_id: int, task: str, version: int | None = None
    ) -> np.ndarray | None:
        """The version's mask, checked (:meth:`_read_png`; proposals record no hash)."""
        sha = "v.sha256" if table == "mask_versions" else "NULL"
        sql = (f"SELECT v.path, {sha} AS sha256, i.height, i.width FROM {table} v JOIN images i"
               " ON i.id = v.image_id WHERE v.image_id = ? AND v.task = ?")  # fmt: skip
        args: list = [int(image_id), task]
        if version is not None:
            sql += " AND v.version = ?"
            args.append(int(version))
        row = self._conn.execute(sql + " ORDER BY v.version DESC LIMIT 1", args).fetchone()
        if row is None:
            return None
        return self._read_png(row["path"], row["sha256"], (row["height"], row["width"]), task)

    def proposals(self, image_id: int, task: str) -> list[ProposalRecord]:
        """Every recorded proposal for the image and task, oldest first."""
        return [proposal_record(self.root, r) for r in self._versions("proposals", image_id, task)]

    def _read_png(self, rel: str, sha256: str | None, shape: tuple[int, int], task: str) -> np.ndarray:
        """A saved PNG, refused (ProjectError) unless it is what was saved: the recorded hash,
        the photo's size, the task's labels (:func:`~.mask_files.read_version`)."""
        return mask_files.read_version(self.root, rel, sha256=sha256, shape=shape, taxonomy=self.taxonomy(task))


def open_project(location: str | Path, user: str | None = None, *, writing: bool = False) -> Project:
    """Open a project folder, or a PostgreSQL project URL (``postgresql://...?project=NAME``).

    ``writing``: the caller is about to write (an import, a model activation): a folder that
    cannot be written now (locked by another process, read-only) raises :class:`ProjectError`
    once, rather than opening read-only and refusing every write after it.
    """
    if postgres_or_folder(location):
        from fashion_annotator.dataset.postgres.project import PgProject

        return PgProject.open(str(location), user=user)
    return Project.open(location, user=user, readonly=False if writing else None)


def create_project(
    location: str | Path, tasks: Iterable[str | Path | TaskSpec] = ("garment", "parsing7"), user: str | None = None,
    making: Making | None = None,
) -> Project:  # fmt: skip
    """Make a project in a folder, or in the PostgreSQL database a project URL names; one made
    with ``making`` holds that unfinished mark (:mod:`.unfinished`) from its creation on."""
    if postgres_or_folder(location):
        from fashion_annotator.dataset.postgres.project import PgProject

        return PgProject.create(str(location), tasks=tasks, user=user, making=making)
    return Project.create(location, tasks=tasks, user=user, making=making)
