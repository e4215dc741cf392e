"""The one image loader used everywhere: photos as RGB (+ alpha); label masks in :mod:`.label_images`.

Every file, photo or mask, is opened and checked here by Pillow (header, size limit, frames,
EXIF orientation: :func:`open_image_file`, :func:`open_checked`, :func:`upright`), so photos
and masks get the same orientation, and every failure becomes an :class:`ImageLoadError` that
names the file and the cause. Ordinary 8-bit JPEG photos are decoded by OpenCV straight into
numpy (about three times faster than Pillow plus its copy at 50 megapixels);
:func:`load_preview` decodes a large JPEG at 1/2 .. 1/8 scale in the DCT for a quick first look.
Both convert colours through an embedded ICC profile to sRGB (:mod:`.colour_profiles`).
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image

from fashion_annotator.core.atomic import atomic_copy, atomic_path
from fashion_annotator.core.colour_profiles import to_srgb
from fashion_annotator.core.image_kinds import unreadable_reason

__all__ = [
    "ACCEPTED_FORMATS",
    "MAX_PIXELS",
    "MIN_PHOTO_SIDE",
    "MAX_PHOTO_ASPECT",
    "check_photo_size",
    "PHOTO_SUFFIXES",
    "PREVIEW_MIN_PIXELS",
    "PREVIEW_SIDE",
    "ImageData",
    "PhotoPreview",
    "ImageLoadError",
    "copy_upright",
    "exif_orientation",
    "has_alpha_channel",
    "MEMORY_SOURCE",
    "WIDE_GRAY_MODES",
    "load_image",
    "open_checked",
    "open_image_file",
    "upright",
    "load_preview",
]

PHOTO_SUFFIXES: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}
)
"""File suffixes (lower case) taken for photos wherever a folder is scanned."""

MAX_PIXELS: int = 120_000_000
"""Decompression-bomb limit in pixels (width * height); larger images are refused.

Pillow's own hard limit (twice ``PIL.Image.MAX_IMAGE_PIXELS``) still applies above it.
"""

MIN_PHOTO_SIDE: int = 4
"""Shortest side, in pixels, of a photo a project takes: superpixels, the models' letterboxed
input and the canvas need some pixels across (a 1x1 or 1x50000 photo was added, then every
proposal failed with a bare error)."""

MAX_PHOTO_ASPECT: float = 10.0
"""Longest side over shortest side of a photo a project takes: the models see a photo with its
long side at a few hundred pixels, where a 16x50000 strip has no pixel across."""

_EXIF_ORIENTATION = 0x0112
# EXIF orientation value -> the Pillow transpositions that make the image upright.
_ORIENTATION_OPS: dict[int, tuple[Image.Transpose, ...]] = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}
# The same transpositions in OpenCV terms, for photos decoded by OpenCV (applied in order).
_ORIENTATION_CV: dict[int, tuple[str, ...]] = {
    2: ("flip_lr",),
    3: ("rot180",),
    4: ("flip_tb",),
    5: ("transpose",),
    6: ("rot270",),
    7: ("transverse",),
    8: ("rot90",),
}
PREVIEW_MIN_PIXELS: int = 12_000_000
"""Photos above this many pixels get a :func:`load_preview` (smaller ones load whole at once)."""
PREVIEW_SIDE: int = 2048
"""A preview's longer side is at least this many pixels (when the photo is that large)."""
WIDE_GRAY_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
"""Pillow modes of 16-bit gray images (scaled to 8 bits for photos, ids for masks)."""
_ALPHA_MODES = {"RGBA", "LA", "PA", "RGBa", "La"}
MEMORY_SOURCE = "<in-memory PNG>"
"""The name an :class:`ImageLoadError` gives bytes decoded without a source."""
ACCEPTED_FORMATS: tuple[str, ...] = ("PNG", "JPEG", "TIFF", "WEBP", "BMP", "GIF", "JPEG2000")
"""The only Pillow formats opened, whatever the file's suffix says (JPEG includes MPO).

Pillow would otherwise try every plugin it has on any file: PostScript (EPS, rendered by an
external Ghostscript), PSD, FITS, ICNS and dozens more, none of which a photo or mask needs.
"""


class ImageLoadError(ValueError):
    """An image or mask file that cannot be loaded.

    Parameters
    ----------
    path : Path or str
        The offending file (or a description such as ``"<in-memory PNG>"``).
    reason : str
        What is wrong with it, in words.
    """

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path: Path | str = path if path == MEMORY_SOURCE else Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class ImageData:
    """A decoded, upright photo.

    Attributes
    ----------
    rgb : ndarray, shape (H, W, 3), dtype uint8
        The colour pixels.
    alpha : ndarray, shape (H, W), dtype uint8, or None
        The alpha channel (255 = opaque) when the file has one.
    path : Path
        The file it came from.
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    path: Path

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` in pixels."""
        return (int(self.rgb.shape[0]), int(self.rgb.shape[1]))


@dataclass(frozen=True)
class PhotoPreview:
    """A reduced, upright decode of a large photo, shown until the full pixels are loaded.

    Attributes
    ----------
    rgb : ndarray, shape (h, w, 3), dtype uint8
        The preview pixels; pixel ``(y, x)`` covers the full photo's pixels
        ``[y * H / h, (y + 1) * H / h) x [x * W / w, (x + 1) * W / w)``.
    shape : tuple of int
        ``(H, W)`` of the full, upright photo (from the file header).
    path : Path
        The file it came from.
    """

    rgb: np.ndarray
    shape: tuple[int, int]
    path: Path

    @property
    def scale(self) -> tuple[float, float]:
        """``(sy, sx)``: full-photo pixels per preview pixel along each axis."""
        return (self.shape[0] / self.rgb.shape[0], self.shape[1] / self.rgb.shape[1])


def open_checked(
    source: Path | BinaryIO, name: Path | str, *, decode: bool = True
) -> Image.Image:
    """Open ``source``, refusing bombs and broken files; decode it fully when ``decode``.

    ``name`` is what an :class:`ImageLoadError` names (the path, or a description of bytes).
    """
    with warnings.catch_warnings():
        # Our own MAX_PIXELS decides; Pillow's warning would be an error under pytest.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(source, formats=ACCEPTED_FORMATS)
        except Image.DecompressionBombError as exc:  # past Pillow's hard limit: ours is said
            raise ImageLoadError(name, _bomb_refused(_declared_size(source))) from exc
        except Image.UnidentifiedImageError as exc:
            raise ImageLoadError(name, unreadable_reason(source, ACCEPTED_FORMATS)) from exc
        except OSError as exc:  # a system error's text names the file again: its reason alone
            reason = f"cannot read: {exc.strerror}" if exc.strerror else f"cannot read file ({exc})"
            raise ImageLoadError(name, reason) from exc
        except Exception as exc:  # Pillow raises many types on corrupt headers
            raise ImageLoadError(
                name, f"corrupt image header ({type(exc).__name__}: {exc})"
            ) from exc
    width, height = im.size
    if width * height > MAX_PIXELS:
        im.close()
        raise ImageLoadError(name, _bomb_refused((width, height)))
    if width == 0 or height == 0:
        im.close()
        raise ImageLoadError(name, f"image has no pixels ({width}x{height})")
    _refuse_frames(im, name)
    if decode:
        _decode(im, name)
    return im


def _bomb_refused(size: tuple[int, int] | None) -> str:
    """Why a photo of ``size`` (width, height; None: not known) is refused as too large."""
    if size is None:
        return f"decompression bomb refused: more than the limit of {MAX_PIXELS} pixels"
    width, height = size
    return (f"decompression bomb refused: {width}x{height} = {width * height} pixels exceeds the "
            f"limit of {MAX_PIXELS}")  # fmt: skip


def _declared_size(source: Path | BinaryIO) -> tuple[int, int] | None:
    """The width and height the header of ``source`` declares, read by the plugin of an
    :data:`ACCEPTED_FORMATS` format without Pillow's decompression-bomb check (which refuses
    the file with its own limit, above :data:`MAX_PIXELS`); no pixel is read. None when no
    plugin takes it."""
    try:
        with contextlib.ExitStack() as stack:
            fp = stack.enter_context(open(source, "rb")) if isinstance(source, Path | str) else source
            fp.seek(0)
            prefix = fp.read(16)
            for fmt in ACCEPTED_FORMATS:
                factory, accept = Image.OPEN.get(fmt, (None, None))
                taken = accept is None or accept(prefix)
                if factory is not None and taken and not isinstance(taken, str):  # str: a warning
                    fp.seek(0)
                    width, height = factory(fp, "").size
                    return int(width), int(height)
    except Exception:  # noqa: BLE001 - the size is only for the message
        return None
    return None


def _refuse_frames(im: Image.Image, name: Path | str) -> None:
    """Close ``im`` and raise when it holds several frames (animation, multi-page TIFF).

    Only the first frame would be annotated and the others silently dropped. An MPO (a camera
    JPEG with a preview or depth frame after the photo) is one photo and is kept.
    """
    if im.format == "MPO":
        return
    try:
        frames = int(getattr(im, "n_frames", 1))
    except Exception as exc:  # walking a damaged frame chain fails in many ways
        im.close()
        raise ImageLoadError(name, f"corrupt frame list ({type(exc).__name__}: {exc})") from exc
    if frames > 1:
        im.close()
        raise ImageLoadError(
            name, f"{im.format} with {frames} frames (animation or multi-page); only single "
            "images are annotated: save the frame wanted as its own file"
        )


def _decode(im: Image.Image, name: Path | str) -> None:
    """Load the pixels of an opened image, turning Pillow's failures into ImageLoadError."""
    try:
        im.load()
    except OSError as exc:
        im.close()
        reason = str(exc)
        if "truncated" in reason.lower():
            # Pillow's words ("image file is truncated (0 bytes not processed)") stay on the
            # chained exception; people are told what happened and what to do about it.
            raise ImageLoadError(
                name, "the file is cut short (truncated); re-export or copy it again"
            ) from exc
        raise ImageLoadError(name, f"corrupt image data ({reason})") from exc
    except Exception as exc:  # struct.error, SyntaxError, ValueError... from broken data
        im.close()
        raise ImageLoadError(name, f"corrupt image data ({type(exc).__name__}: {exc})") from exc


def open_image_file(path: str | Path, *, decode: bool = True) -> tuple[Image.Image, Path]:
    """Open ``path`` with every check of this module (format, size, frames, data).

    Returns the open Pillow image (the caller closes it) and the path; raises
    :class:`ImageLoadError` naming the file.
    """
    path = Path(path)
    if not path.exists():
        raise ImageLoadError(path, "file does not exist")
    if not path.is_file():
        raise ImageLoadError(path, "not a regular file")
    if path.stat().st_size == 0:
        raise ImageLoadError(path, "file is empty (0 bytes)")
    return open_checked(path, path, decode=decode), path


def exif_orientation(im: Image.Image) -> int:
    """The EXIF orientation tag (1..8), 1 when absent or unreadable."""
    try:
        value = im.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # a broken EXIF block must not hide the pixels
        return 1
    return int(value) if value in _ORIENTATION_OPS else 1


def has_alpha_channel(path: str | Path) -> bool:
    """Whether the photo at ``path`` has an alpha channel or a transparent colour (read from
    its header; False when it cannot be opened, which the loader reports)."""
    try:
        with Image.open(path) as im:
            return im.mode in _ALPHA_MODES or "transparency" in im.info
    except (OSError, ValueError, Image.DecompressionBombError):
        return False


def upright(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; identical for photos and masks."""
    for op in _ORIENTATION_OPS.get(exif_orientation(im), ()):
        im = im.transpose(op)
    return im


def copy_upright(src: str | Path, dst: str | Path, shape: tuple[int, int] | None = None) -> bool:
    """Copy a photo for an export so that its pixels stand as the masks do.

    A photo whose EXIF orientation is not 1 is written turned upright, with the tag cleared
    (JPEG at quality 95, other formats losslessly, its embedded colour profile kept), since
    readers that ignore EXIF (OpenCV, most training loaders) would otherwise pair it with a
    mask of another shape; any other photo is copied byte for byte. Returns whether the photo was re-encoded.

    Parameters
    ----------
    src, dst : path
        The photo and where its copy goes.
    shape : (H, W), optional
        The size the upright photo must have (its masks'): a file replaced since it was added
        by one of another size is refused, never written beside masks it does not fit.

    Raises
    ------
    ImageLoadError
        ``src`` cannot be read, or is not of ``shape`` upright.
    OSError
        ``dst`` cannot be written (the message names it; a full disk says so). ``dst`` is then
        left as it was: the copy goes through a temporary file, never cut short in place.
    """

    def check(size: tuple[int, int]) -> None:
        if shape is not None and (size[1], size[0]) != tuple(shape):
            raise ImageLoadError(path, f"the photo is now {size[0]}x{size[1]} upright, its masks "
                                       f"{shape[1]}x{shape[0]} (the file was replaced since it was added)")  # fmt: skip

    im, path = open_image_file(src, decode=False)
    with im:
        if exif_orientation(im) == 1:
            check(im.size)
            atomic_copy(Path(path), Path(dst))
            return False
        fmt = im.format or "PNG"
        _decode(im, path)  # as load_image: a TIFF turns itself upright while it loads
        straight = upright(im)
        check(straight.size)
        exif = im.getexif()
        exif[_EXIF_ORIENTATION] = 1
        # a TIFF's "EXIF" is its own directory, stale sizes included: it is written afresh
        options: dict[str, Any] = {} if fmt == "TIFF" else {"exif": exif.tobytes()}
        if im.info.get("icc_profile"):  # the copy's colours mean what the original's do
            options["icc_profile"] = im.info["icc_profile"]
        if fmt == "JPEG":
            options.update(quality=95, subsampling=0)
        elif fmt == "WEBP":
            options.update(lossless=True)
        with atomic_path(Path(dst)) as tmp:
            straight.save(tmp, format=fmt, **options)
    return True


def _scale_wide_gray(arr: np.ndarray, name: Path | str) -> np.ndarray:
    """Scale a 16-bit (or 32-bit int holding 16-bit) gray image to uint8 by the high byte."""
    if arr.dtype == np.uint16:
        return (arr >> 8).astype(np.uint8)
    if arr.size and (arr.min() < 0 or arr.max() > 65535):
        raise ImageLoadError(name, f"unsupported {arr.dtype} pixel range {arr.min()}..{arr.max()}")
    return (arr.astype(np.uint32) >> 8).astype(np.uint8)


def _to_rgb_alpha(im: Image.Image, name: Path | str) -> tuple[np.ndarray, np.ndarray | None]:
    """Convert any Pillow mode to ``(H, W, 3) uint8`` RGB plus optional alpha."""
    mode = im.mode
    if mode in WIDE_GRAY_MODES or mode == "I":
        gray = _scale_wide_gray(np.asarray(im), name)
        return np.repeat(gray[:, :, None], 3, axis=2), None
    if mode == "F":
        arr = np.asarray(im)
        if not np.all(np.isfinite(arr)):
            raise ImageLoadError(name, "float image contains NaN or infinite values")
        scale = 255.0 if arr.size and arr.max() <= 1.0 else 1.0
        gray = np.clip(np.rint(arr * scale), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2), None
    has_alpha = mode in _ALPHA_MODES or (mode in {"P", "L", "RGB"} and "transparency" in im.info)
    if has_alpha:
        rgba = np.asarray(im.convert("RGBA"))
        return np.ascontiguousarray(rgba[:, :, :3]), np.ascontiguousarray(rgba[:, :, 3])
    if mode != "RGB":
        # CMYK, YCbCr, LAB, HSV, 1, L, P: Pillow's converters handle each correctly.
        im = im.convert("RGB")
    return np.array(im, dtype=np.uint8), None


def load_image(path: str | Path) -> ImageData:
    """Load a photo as upright 8-bit RGB.

    Parameters
    ----------
    path : str or Path
        Any format Pillow reads; non-ASCII names are fine.

    Returns
    -------
    ImageData
        ``rgb`` ``(H, W, 3) uint8``, ``alpha`` ``(H, W) uint8`` or None, and the path.

    Raises
    ------
    ImageLoadError
        Missing, empty, truncated, corrupt files and images above :data:`MAX_PIXELS`.

    Notes
    -----
    EXIF orientation is applied. CMYK, grayscale and palette images are converted to RGB;
    16-bit images are scaled to 8 bits by keeping the high byte (never clipped). Colours
    described by an embedded ICC profile (Adobe RGB, ProPhoto, Display P3, CMYK, 8-bit grey) are
    converted to sRGB (:func:`~fashion_annotator.core.colour_profiles.to_srgb`).
    """
    im, path = open_image_file(path, decode=False)
    with im:
        rgb = _decode_jpeg_cv(im, path)
        if rgb is not None:
            return ImageData(rgb=rgb, alpha=None, path=path)
        _decode(im, path)
        rgb, alpha = _to_rgb_alpha(to_srgb(upright(im), path), path)
    return ImageData(rgb=rgb, alpha=alpha, path=path)


def _is_plain_jpeg(im: Image.Image) -> bool:
    """An 8-bit colour or grey JPEG (OpenCV decodes it like Pillow); CMYK etc. are not."""
    return im.format == "JPEG" and im.mode in {"RGB", "L"}


def _orient_cv(rgb: np.ndarray, orientation: int) -> np.ndarray:
    """Apply EXIF ``orientation`` (1..8) to ``rgb`` (H, W, 3) uint8, as :func:`upright` does."""
    import cv2  # loaded with the first photo: `info` and `--help` never need it

    for op in _ORIENTATION_CV.get(orientation, ()):
        if op == "flip_lr":
            rgb = cv2.flip(rgb, 1)
        elif op == "flip_tb":
            rgb = cv2.flip(rgb, 0)
        elif op == "rot180":
            rgb = cv2.rotate(rgb, cv2.ROTATE_180)
        elif op == "rot90":  # Pillow's ROTATE_90 is counter-clockwise
            rgb = cv2.rotate(rgb, cv2.ROTATE_90_COUNTERCLOCKWISE)
        elif op == "rot270":
            rgb = cv2.rotate(rgb, cv2.ROTATE_90_CLOCKWISE)
        elif op == "transpose":
            rgb = np.ascontiguousarray(rgb.transpose(1, 0, 2))
        else:  # transverse: transpose about the other diagonal
            rgb = np.ascontiguousarray(rgb[::-1, ::-1].transpose(1, 0, 2))
    return rgb


def _decode_jpeg_cv(im: Image.Image, path: Path) -> np.ndarray | None:
    """Decode a plain JPEG with OpenCV into ``(H, W, 3) uint8`` RGB, upright.

    None when OpenCV should not or could not decode it (not a plain JPEG, no end-of-image
    marker, i.e. possibly truncated, a decode failure, a size that differs from the header):
    the caller then decodes with Pillow, which names the problem.
    """
    if not _is_plain_jpeg(im):
        return None
    import cv2

    data = np.fromfile(path, dtype=np.uint8)
    if data.size < 4 or data[-2] != 0xFF or data[-1] != 0xD9:
        return None
    flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    bgr = cv2.imdecode(data, flags)
    del data
    if bgr is None or bgr.shape[:2] != (im.size[1], im.size[0]):
        return None
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB, dst=bgr)
    if im.info.get("icc_profile"):
        rgb = _profile_to_srgb(rgb, im.info["icc_profile"], path, grey=im.mode == "L")
    return _orient_cv(rgb, exif_orientation(im))


def _profile_to_srgb(rgb: np.ndarray, icc: bytes, path: Path, *, grey: bool = False) -> np.ndarray:
    """``rgb`` ``(H, W, 3) uint8`` decoded by OpenCV, converted to sRGB through the photo's
    embedded profile ``icc`` when it needs it (:func:`to_srgb`, as Pillow-decoded photos);
    ``grey``: a grey JPEG, whose grey profile applies to its one channel."""
    photo = Image.fromarray(rgb[..., 0] if grey else rgb)
    photo.info["icc_profile"] = icc
    managed = to_srgb(photo, path)
    return rgb if managed is photo else np.array(managed, dtype=np.uint8)


def load_preview(
    path: str | Path, side: int | None = None, min_pixels: int | None = None
) -> PhotoPreview | None:
    """Decode a large JPEG photo quickly at a reduced size (JPEG DCT scaling), upright.

    Parameters
    ----------
    path : str or Path
        The photo.
    side : int, optional
        The preview's longer side is at least ``side`` pixels (default :data:`PREVIEW_SIDE`,
        read at call time): the largest DCT reduction (1/2, 1/4 or 1/8) that keeps it so is
        used.
    min_pixels : int, optional
        Photos with at most this many pixels get no preview (default
        :data:`PREVIEW_MIN_PIXELS`, read at call time).

    Returns
    -------
    PhotoPreview or None
        None when the photo is small or not a plain 8-bit JPEG (other formats have no fast
        reduced decode): load it whole with :func:`load_image`.

    Raises
    ------
    ImageLoadError
        The same problems :func:`load_image` reports (missing, empty, corrupt, too large).
    """
    im, path = open_image_file(path, decode=False)
    with im:
        width, height = im.size
        limit = PREVIEW_MIN_PIXELS if min_pixels is None else min_pixels
        if width * height <= limit or not _is_plain_jpeg(im):
            return None
        side = PREVIEW_SIDE if side is None else side
        factor = 1
        while factor < 8 and max(width, height) // (factor * 2) >= side:
            factor *= 2
        im.draft(im.mode, (width // factor, height // factor))
        turned = exif_orientation(im) >= 5  # 5..8 swap width and height
        _decode(im, path)
        rgb, _ = _to_rgb_alpha(to_srgb(upright(im), path), path)
    full = (width, height) if turned else (height, width)
    return PhotoPreview(rgb=rgb, shape=full, path=path)


def check_photo_size(path: Path | str, width: int, height: int) -> None:
    """Refuse a photo too small or too narrow to annotate (:data:`MIN_PHOTO_SIDE`,
    :data:`MAX_PHOTO_ASPECT`), naming ``path`` and its size.

    Raises
    ------
    ImageLoadError
        The photo is under the minimum side or beyond the aspect limit.
    """
    short, long = sorted((int(width), int(height)))
    if short < MIN_PHOTO_SIDE:
        raise ImageLoadError(path, f"photo too small to annotate: {width}x{height} pixels "
                                   f"(at least {MIN_PHOTO_SIDE} on each side)")  # fmt: skip
    if long > MAX_PHOTO_ASPECT * short:
        raise ImageLoadError(path, f"photo too narrow to annotate: {width}x{height} pixels "
                                   f"(one side at most {MAX_PHOTO_ASPECT:g} times the other)")  # fmt: skip
