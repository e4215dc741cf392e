"""Mask versions as files: validated and encoded, written atomically, read back with errors.

The project stores (:mod:`fashion_annotator.dataset.store` and its PostgreSQL twin) decide
which version a save becomes and record it in their index; this module is what happens to
the mask itself: checked against the photo and the task's taxonomy, encoded as an indexed
PNG with the taxonomy's palette, hashed, written to ``FOLDER/<image_id>/<task>/vN.png`` and
decoded again.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from fashion_annotator.core.atomic import atomic_create_bytes
from fashion_annotator.core.label_images import decode_mask_png, encode_mask_png
from fashion_annotator.core.labels import Taxonomy, validate_mask
from fashion_annotator.dataset import confine
from fashion_annotator.dataset.records import ImageRecord, ProjectError


def encode_version(
    taxonomy: Taxonomy, record: ImageRecord, task: str, mask: np.ndarray
) -> tuple[bytes, str]:
    """Check ``mask`` for ``record``'s photo and encode it: ``(PNG bytes, their SHA-256)``.

    Parameters
    ----------
    taxonomy : Taxonomy
        The task's classes and palette.
    record : ImageRecord
        The photo the mask belongs to (its ``shape`` and ``name``, for errors).
    task : str
    mask : (H, W) integer array
        Class ids ``0 .. taxonomy.num_classes - 1``, the photo's size.

    Raises
    ------
    ValueError
        Wrong shape, not an integer type, or labels outside the taxonomy; the message names the
        photo, the image id and the task.
    """
    mask = np.asarray(mask)
    where = f"mask for {record.name} (image {record.id}, task {task})"
    if mask.shape != record.shape:
        raise ValueError(f"{where}: shape {mask.shape} differs from the photo's {record.shape}")
    if mask.dtype.kind not in "biu":
        raise ValueError(f"{where}: dtype {mask.dtype} is not an integer label type")
    if mask.size and (mask.min() < 0 or mask.max() >= taxonomy.num_classes):
        raise ValueError(
            f"{where}: labels {int(mask.min())}..{int(mask.max())} outside the taxonomy "
            f"{task!r} (0..{taxonomy.num_classes - 1})"
        )
    mask = mask.astype(np.uint8, copy=False)
    validate_mask(mask, taxonomy, path=where)
    data = encode_mask_png(mask, taxonomy.colors)
    return data, hashlib.sha256(data).hexdigest()


class FileTaken(ProjectError):
    """A new version's path already holds a file this index does not name (see
    :func:`write_version`); nothing was written."""


def file_taken(path: Path) -> FileTaken:
    """The refusal to write over ``path``, a file the index does not name."""
    return FileTaken(
        f"{path}: a file is already there that this project's index does not name "
        "(another copy of the project saved it, or a save was cut short); not overwritten and "
        "nothing was saved: reopen the project"
    )


def version_file(folder: str, image_id: int, task: str, version: int) -> str:
    """The project-relative path of a version: ``FOLDER/<image_id>/<task>/vN.png``."""
    return f"{folder}/{image_id}/{task}/v{version}.png"


def write_version(root: Path, rel: str, data: bytes) -> None:
    """Write a new version's PNG atomically (temporary file, fsync, rename) under ``root``,
    never over an existing file.

    The caller holds the index's write lock and took the version number from it, so a file
    already at ``rel`` belongs to no row of this index: a version another index names (a
    project folder replaced while open) or a save cut short in another process. Either way it
    is not this function's to replace: it raises :class:`FileTaken`, and the caller, which can
    tell the two apart, sets a leftover aside (``lost+found/``) and writes again
    (:meth:`~fashion_annotator.dataset.connection.StoreConnection.write_version`).

    Raises
    ------
    FileTaken
        A file is already at ``rel``; it is left as it was.
    ProjectError
        The write failed (full disk, read-only folder, the project folder gone); the message
        says that nothing was recorded and that earlier versions are intact.
    """
    if not root.is_dir():  # never re-create a project folder at the place it was moved from
        raise ProjectError(
            f"{root}: the project folder is gone (moved, renamed or deleted while open); nothing "
            "was saved: reopen the project where it is now"
        )
    try:
        atomic_create_bytes(root / rel, data)
    except FileExistsError:
        raise file_taken(root / rel) from None
    except OSError as exc:
        raise ProjectError(
            f"{root / rel}: cannot save ({exc.strerror or exc}); nothing was recorded "
            "and earlier versions are intact"
        ) from exc


_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_bytes(data: bytes, sha256: str | None, where: str | Path, medium: str = "on disk") -> bool:
    """Compare a saved version's bytes with the SHA-256 its index row recorded.

    Every version saved since the first schema records the SHA-256 of the PNG it wrote (the
    migrate command copies it with the bytes), so a difference means the file was changed or
    replaced behind the index. A row with no usable hash (empty, or not 64 lowercase hex
    digits: an index edited or made elsewhere) is not checked.

    Parameters
    ----------
    data : bytes
        The version's PNG as read.
    sha256 : str or None
        What the index recorded (None: a table that records none, the proposals).
    where : str or Path
        The file (or the row) named in the error.
    medium : str
        Where it changed, for the error: ``"on disk"`` (a file), ``"in the database"``.

    Returns
    -------
    bool
        True when the bytes match a recorded hash, False when there was none to compare with.

    Raises
    ------
    ProjectError
        The bytes differ from the recorded hash.
    """
    if sha256 is None or not _SHA256.fullmatch(sha256):
        return False
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ProjectError(
            f"{where}: changed {medium} since it was saved (SHA-256 differs from the one the "
            "project index recorded)"
        )
    return True


def check_decoded(
    mask: np.ndarray, where: str | Path, shape: tuple[int, int] | None, taxonomy: Taxonomy | None
) -> np.ndarray:
    """Check a decoded version against its photo's size and its task's taxonomy; return it.

    Raises
    ------
    ProjectError
        Another size than the photo's, or labels outside the taxonomy, naming ``where``.
    """
    if shape is not None and mask.shape != tuple(shape):
        raise ProjectError(
            f"{where}: not this image's mask: shape {mask.shape} differs from the photo's "
            f"{tuple(shape)}"
        )
    if taxonomy is not None and mask.size and int(mask.max()) >= taxonomy.num_classes:
        raise ProjectError(
            f"{where}: not a saved mask of this task: labels {int(mask[mask >= taxonomy.num_classes].min())}"
            f"..{int(mask.max())} outside the taxonomy {taxonomy.name!r} (0..{taxonomy.num_classes - 1})"
        )
    return mask


def decode_version(
    data: bytes,
    where: str | Path,
    *,
    sha256: str | None = None,
    shape: tuple[int, int] | None = None,
    taxonomy: Taxonomy | None = None,
    medium: str = "on disk",
) -> np.ndarray:
    """Decode a saved version's PNG once its bytes, size and labels check out.

    Parameters
    ----------
    data : bytes
        The PNG as stored.
    where : str or Path
        The file (or the row) named in errors.
    sha256 : str, optional
        The SHA-256 the index recorded (see :func:`check_bytes`).
    shape : (int, int), optional
        The photo's ``(height, width)``.
    taxonomy : Taxonomy, optional
        The task's classes.
    medium : str
        See :func:`check_bytes`.

    Raises
    ------
    ProjectError
        The bytes do not decode (a truncated or foreign file), differ from the recorded hash, or
        decode to a mask of another size or with labels outside the taxonomy (checked in this
        order); the message names ``where``.
    """
    try:
        mask = decode_mask_png(data)
    except (OSError, ValueError) as exc:
        raise ProjectError(f"{where}: cannot read the saved mask: {exc}") from exc
    check_bytes(data, sha256, where, medium)
    return check_decoded(mask, where, shape, taxonomy)


def read_version(
    root: Path,
    rel: str,
    *,
    sha256: str | None = None,
    shape: tuple[int, int] | None = None,
    taxonomy: Taxonomy | None = None,
) -> np.ndarray:
    """Decode the saved version ``rel`` (confined to ``root``): ``(H, W) uint8`` class ids,
    checked as :func:`decode_version` checks (the recorded hash, the photo's size, the
    taxonomy's labels: each one given).

    Raises
    ------
    ProjectError
        The file is missing, unreadable, not a mask PNG, or not the mask that was saved;
        naming the file.
    """
    path = confine.version_file(root, rel)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProjectError(f"{path}: cannot read the saved mask: {exc.strerror or exc}") from exc
    return decode_version(data, path, sha256=sha256, shape=shape, taxonomy=taxonomy)
