"""Label masks as image files: load (checked, EXIF-upright like the photos), encode, decode.

Files are opened through :mod:`.images`, so a mask gets exactly its photo's checks and
orientation; here they become ``(H, W) uint8`` label ids. Lossy data is refused whatever the
file is called (compression artefacts change ids), and a mask whose size differs from its
photo's is refused by name.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from fashion_annotator.core.images import (
    MEMORY_SOURCE,
    WIDE_GRAY_MODES,
    ImageLoadError,
    open_checked,
    open_image_file,
    upright,
)

__all__ = [
    "LOSSY_FORMATS",
    "decode_mask_png",
    "encode_mask_png",
    "load_label_pixels",
    "load_mask",
]

LOSSY_FORMATS = frozenset({"JPEG", "MPO", "JPEG2000"})
"""Pillow formats refused for label masks, whatever the file's suffix."""


def _to_label_ids(im: Image.Image, name: Path | str) -> np.ndarray:
    """Convert a single-channel label image to ``(H, W) uint8`` ids (palette indices kept)."""
    mode = im.mode
    if mode in {"L", "P"}:
        return np.array(im, dtype=np.uint8)
    if mode in {"LA", "PA"}:
        return np.array(im.getchannel(0), dtype=np.uint8)
    if mode == "1":
        return np.array(im, dtype=np.uint8)
    if mode in WIDE_GRAY_MODES or mode == "I":
        arr = np.asarray(im)
        if arr.size and (arr.min() < 0 or arr.max() > 255):
            raise ImageLoadError(
                name, f"label ids must be 0..255, found {int(arr.min())}..{int(arr.max())}"
            )
        return arr.astype(np.uint8)
    if mode in {"RGB", "RGBA"}:
        arr = np.asarray(im)
        if np.array_equal(arr[:, :, 0], arr[:, :, 1]) and np.array_equal(
            arr[:, :, 0], arr[:, :, 2]
        ):
            return np.ascontiguousarray(arr[:, :, 0])
        raise ImageLoadError(
            name, f"mask is a colour ({mode}) image; expected a single-channel label PNG"
        )
    raise ImageLoadError(name, f"unsupported mask mode {mode!r}; expected L or P")


def _check_shape(mask: np.ndarray, shape: tuple[int, int] | None, name: Path | str) -> None:
    if shape is None:
        return
    expected = (int(shape[0]), int(shape[1]))
    if mask.shape != expected:
        raise ImageLoadError(
            name,
            f"mask size {mask.shape[1]}x{mask.shape[0]} (WxH) differs from the photo "
            f"size {expected[1]}x{expected[0]}",
        )


def load_mask(path: str | Path, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Load a label mask.

    Parameters
    ----------
    path : str or Path
        A single-channel label image (``L`` or palette ``P`` PNG; palette indices are the ids).
    shape : tuple of int, optional
        The expected ``(H, W)``, typically the photo's; checked after EXIF orientation.

    Returns
    -------
    ndarray, shape (H, W), dtype uint8
        Label ids.

    Raises
    ------
    ImageLoadError
        Unreadable files, lossy data (JPEG, even named ``.png``), colour masks, ids above
        255 and a ``shape`` mismatch.
    """
    im, path = open_image_file(path)
    with im:
        _refuse_lossy(im, path)
        mask = _to_label_ids(upright(im), path)
    _check_shape(mask, shape, path)
    return mask


def load_label_pixels(path: str | Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Load a label image whose ids may be coded as colours (a Pascal VOC mask).

    Parameters
    ----------
    path : str or Path
        A lossless label image, checked like :func:`load_mask` (size limit, EXIF orientation).

    Returns
    -------
    pixels : ndarray
        ``(H, W) uint8`` values for a single-channel image (grey values, or palette indices
        of a ``P`` image), or ``(H, W, 3) uint8`` colours for an RGB or RGBA one (alpha
        dropped).
    palette : ndarray or None
        ``(K, 3) uint8``: the colours of a palette (``P``/``PA``) image's indices, for the
        caller to map through its colour table (an image editor may store the same colours
        in another index order); None for other images. Indices ``>= K`` have no colour.

    Raises
    ------
    ImageLoadError
        What :func:`load_mask` refuses, colour masks excepted.
    """
    im, path = open_image_file(path)
    with im:
        _refuse_lossy(im, path)
        turned = upright(im)
        if turned.mode in {"RGB", "RGBA"}:
            return np.array(turned.convert("RGB"), dtype=np.uint8), None
        palette = None
        if turned.mode in {"P", "PA"}:
            entries = turned.getpalette("RGB") or []
            palette = np.array(entries, dtype=np.uint8).reshape(-1, 3)
        return _to_label_ids(turned, path), palette


def _refuse_lossy(im: Image.Image, path: Path) -> None:
    """Raise :class:`ImageLoadError` when ``im`` holds lossy data (ids would be changed)."""
    if im.format in LOSSY_FORMATS:
        raise ImageLoadError(
            path, f"{im.format} (lossy) data; a label mask must be lossless (PNG), since "
            "compression artefacts change label ids"
        )


def _validate_mask_array(mask: np.ndarray) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (H, W), got shape {mask.shape}")
    if mask.dtype != np.uint8:
        raise ValueError(f"mask must be uint8 label ids, got dtype {mask.dtype}")
    if 0 in mask.shape:
        raise ValueError(f"mask has no pixels, shape {mask.shape}")
    return np.ascontiguousarray(mask)


def encode_mask_png(mask: np.ndarray, palette: np.ndarray | None = None) -> bytes:
    """Encode label ids as a PNG.

    Parameters
    ----------
    mask : ndarray, shape (H, W), dtype uint8
        Label ids.
    palette : ndarray, shape (K, 3), dtype uint8, optional
        Class colours; when given the PNG is indexed (``P``) so viewers show colours while
        the pixel values stay the ids. Ids >= K get black entries.

    Returns
    -------
    bytes
        The PNG file contents.
    """
    mask = _validate_mask_array(mask)
    height, width = mask.shape
    if palette is None:
        im = Image.frombytes("L", (width, height), mask.tobytes())
    else:
        pal = np.asarray(palette)
        if pal.ndim != 2 or pal.shape[1] != 3 or not 1 <= pal.shape[0] <= 256:
            raise ValueError(f"palette must have shape (K, 3) with 1 <= K <= 256, got {pal.shape}")
        if pal.dtype != np.uint8:
            raise ValueError(f"palette must be uint8, got dtype {pal.dtype}")
        entries = max(pal.shape[0], int(mask.max()) + 1)
        full = np.zeros((entries, 3), dtype=np.uint8)
        full[: pal.shape[0]] = pal
        im = Image.frombytes("P", (width, height), mask.tobytes())
        im.putpalette(full.tobytes(), rawmode="RGB")
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def decode_mask_png(data: bytes, source: str | Path | None = None) -> np.ndarray:
    """Decode PNG bytes written by :func:`encode_mask_png` (or any label PNG).

    Parameters
    ----------
    data : bytes
        The file contents.
    source : str or Path, optional
        Where the bytes came from, named in errors (default ``"<in-memory PNG>"``).

    Returns
    -------
    ndarray, shape (H, W), dtype uint8
        Label ids (palette indices, not colours).

    Raises
    ------
    ImageLoadError
        Empty or corrupt data; its ``path`` is ``source``.
    """
    name: Path | str = MEMORY_SOURCE if source is None else Path(source)
    if not data:
        raise ImageLoadError(name, "no data (0 bytes)")
    im = open_checked(io.BytesIO(data), name)
    with im:
        return _to_label_ids(upright(im), name)

