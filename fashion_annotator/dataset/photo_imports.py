"""Adding photos to a SQLite project: content-addressed, never overwriting, atomic.

:class:`PhotoImports` is a mixin of :class:`fashion_annotator.dataset.store.Project` (the
PostgreSQL project overrides each method with its own SQL): a photo already present (same
SHA-256) is not added twice, a stored copy gets a free name under ``images/`` chosen under the
index's write lock, and the copy is written atomically before its row is committed (and
removed again when the commit fails).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from fashion_annotator.core.atomic import atomic_write_bytes
from fashion_annotator.core.images import check_photo_size, load_image
from fashion_annotator.dataset import confine, storeio
from fashion_annotator.dataset.records import ImageRecord, ProjectError

if TYPE_CHECKING:
    from fashion_annotator.dataset.connection import StoreConnection


class PhotoImports:
    """``add_image`` and ``add_image_counted`` of a SQLite project (a mixin of ``Project``)."""

    root: Path
    user: str

    if TYPE_CHECKING:

        @property
        def _conn(self) -> sqlite3.Connection: ...

        _db: StoreConnection

        def _tx(self) -> contextlib.AbstractContextManager[sqlite3.Connection]: ...

        def image(self, image_id: int) -> ImageRecord: ...

        def _record(self, row: sqlite3.Row) -> ImageRecord: ...

    def add_image(self, src: str | Path, *, copy: bool = True) -> ImageRecord:
        """Add a photo; a photo whose content is already present returns the existing record.

        Raises
        ------
        fashion_annotator.core.images.ImageLoadError
            The file is not a readable photo, or not a regular file (a FIFO, a device, a
            folder); names the file and the problem.
        ProjectError
            The copy into ``images/`` failed (full disk, read-only folder).
        """
        return self.add_image_counted(src, copy=copy)[0]

    def add_image_counted(self, src: str | Path, *, copy: bool = True) -> tuple[ImageRecord, bool]:
        """:meth:`add_image`, also saying whether this call added it (False: already present,
        perhaps added by another process a moment ago)."""
        src = Path(src)
        raw = storeio.read_photo_bytes(src)
        sha = hashlib.sha256(raw).hexdigest()
        found = self._image_by_sha(sha)
        if found is not None:
            return found, False
        photo = load_image(src)
        height, width = photo.rgb.shape[:2]
        check_photo_size(src, width, height)
        now = time.time()
        # The name is chosen and the file written under the index's write lock: two processes
        # importing different photos of the same name must not both pick (and overwrite) it.
        with self._tx() as conn:
            found = self._image_by_sha(sha)
            if found is not None:  # another process added it since our lookup
                return found, False
            original = confine.storable_name(src.name)
            name = self._free_name(original, sha) if copy else confine.referenced_name(src)
            if copy:
                dest = self.root / "images" / name
                try:
                    atomic_write_bytes(dest, raw)
                except OSError as exc:
                    raise copy_error(src, dest, exc) from exc
                # removed again when its row does not commit (a full disk): no orphan for the
                # next open to set aside as if a crash or a restored index had lost it
                self._db.wrote(dest)
            cur = conn.execute(
                "INSERT INTO images (name, original_name, stem, source, stored, sha256, width,"
                " height, status, created, updated, user) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?)",
                (name, original, Path(original).stem, confine.storable_name(str(src)),
                 int(copy), sha, width, height, now, now, self.user),
            )  # fmt: skip
        return self.image(int(cur.lastrowid or 0)), True

    def _free_name(self, name: str, sha: str) -> str:
        taken = self._conn.execute("SELECT 1 FROM images WHERE name = ?", (name,)).fetchone()
        path = self.root / "images" / name
        if taken is None and (not path.exists() or storeio.same_content(path, sha)):
            return name  # free, or our own orphan from an import killed before its commit
        stem, suffix = Path(name).stem, Path(name).suffix
        return f"{stem}-{sha[:12]}{suffix}"

    def _image_by_sha(self, sha: str) -> ImageRecord | None:
        row = self._conn.execute("SELECT * FROM images WHERE sha256 = ?", (sha,)).fetchone()
        return None if row is None else self._record(row)

    def relocate_referenced(self, folder: Path) -> int:
        """Point photos referenced in place (not copied) whose file is gone at the file of
        the same name and content in ``folder``: a folder of photos and the project the window
        made in it (``FOLDER/annotations``) renamed or moved together. Returns how many moved;
        a file of that name with other content is left alone (no mask ever pairs with
        another photo)."""
        rows = self._conn.execute("SELECT id, name, sha256 FROM images WHERE stored = 0").fetchall()
        moved = []
        for row in rows:
            old = Path(row["name"])
            new = folder / old.name
            if old.parent != folder and not old.exists() and storeio.same_content(new, row["sha256"]):
                moved.append((str(new), int(row["id"])))
        if moved:
            with self._tx() as conn:
                conn.executemany("UPDATE images SET name = ? WHERE id = ?", moved)
        return len(moved)


    def referenced_images(self) -> list[tuple[int, str, str]]:
        """``(id, name, sha256)`` of every photo referenced in place (not copied), in import
        order: the photos of a folder whose project the window made in it."""
        rows = self._conn.execute("SELECT id, name, sha256 FROM images WHERE stored = 0 ORDER BY id").fetchall()
        return [(int(r["id"]), str(r["name"]), str(r["sha256"])) for r in rows]

    def relink_referenced(self, image_id: int, old: str, src: Path) -> bool:
        """Point the photo referenced in place as ``old`` at ``src``, a file of the same content
        under another name (a photo renamed in its folder): its masks, statuses and history stay
        with it. The caller has checked the content. Returns False, changing nothing, when the
        image is no longer stored as ``old`` (another process relinked or removed it) or another
        image already has ``src``'s name.

        Raises
        ------
        ProjectError
            ``src``'s path is not valid UTF-8, or the index cannot be written.
        """
        name = confine.referenced_name(src)
        original = confine.storable_name(src.name)
        with self._tx() as conn:
            if conn.execute("SELECT 1 FROM images WHERE name = ?", (name,)).fetchone() is not None:
                return False
            cur = conn.execute(
                "UPDATE images SET name = ?, original_name = ?, stem = ?, source = ?, updated = ? "
                "WHERE id = ? AND name = ? AND stored = 0",
                (name, original, Path(original).stem, confine.storable_name(str(src)), time.time(),
                 image_id, old),
            )  # fmt: skip
        return cur.rowcount == 1


def copy_error(src: Path, dest: Path, exc: OSError) -> ProjectError:
    """The error of a photo ``src`` whose copy to ``dest`` failed with ``exc``: ``SRC: cannot copy
    it into FOLDER: REASON``, naming each path once (a full disk's reason names the folder and
    the file already: it is said as ``into the project: the disk is full (... free on FOLDER)``).
    """
    reason = (exc.strerror or str(exc)).removeprefix(f"{dest}: cannot write: ")
    into = "the project" if str(dest.parent) in reason else str(dest.parent)
    return ProjectError(f"{src}: cannot copy it into {into}: {reason}")
