"""Embedded ICC colour profiles: a photo's pixels converted to sRGB as they are decoded.

A raw converter's ProPhoto or Adobe RGB export, a phone's Display P3 photo, a print studio's
CMYK JPEG or a greyscale photo with Photoshop's Dot Gain or Gray Gamma profile holds its colours
in the space its embedded profile describes; read as sRGB they come out dull or shifted (12-17
grey levels per channel for ProPhoto, up to 19 for Gray Gamma 1.8), in the window, the models and
the instances' colour names alike. :func:`to_srgb` converts them through the profile (Pillow's
``ImageCms``, LittleCMS) with a perceptual rendering intent. It is the one place that does:
:func:`~fashion_annotator.core.images.load_image`,
:func:`~fashion_annotator.core.images.load_preview` and the queue's thumbnails go through it.

Skipped, at the cost of a dictionary look-up: photos without a profile, profiles that map
colours as sRGB does (tested on a few probe colours once per profile, whatever their name),
16-bit grey and profiles of another colour space than the pixels'. 8-bit grey pixels with a
grey profile come out RGB. A
profile that cannot be parsed or used leaves the pixels as they are, with a warning in the log
that names the file; it never fails the load.
"""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

__all__ = ["INTENT", "to_srgb"]

log = logging.getLogger(__name__)

INTENT = ImageCms.Intent.PERCEPTUAL
"""The rendering intent of every conversion (LittleCMS uses the colorimetric one for matrix
profiles without perceptual tables)."""
#: The profile colour spaces converted, by the Pillow mode the pixels are converted in.
_SPACES = {"RGB": "RGB", "RGBA": "RGB", "CMYK": "CMYK", "L": "GRAY"}
#: Colour modes made RGB (or RGBA) before an RGB profile is applied.
_RGB_LIKE = frozenset({"RGB", "RGBA", "RGBX", "RGBa", "P", "PA"})
#: 8-bit grey modes a grey profile is applied to (the result is RGB, or RGBA with their alpha).
_GREY = frozenset({"L", "LA", "La"})


class _Unusable(ValueError):
    """A profile that cannot be parsed or turned into a transform."""


@lru_cache(maxsize=1)
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


#: Probe colours: a grey ramp, the primaries and secondaries, and mixes ``(N, 3) uint8``.
_PROBE = np.concatenate([
    np.repeat(np.arange(0, 256, 15, dtype=np.uint8)[:, None], 3, 1),
    np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255], [255, 0, 255],
              [200, 120, 60], [40, 90, 160], [128, 200, 100]], np.uint8),
])  # fmt: skip


def _same_as_srgb(profile: ImageCms.ImageCmsProfile, mode: str = "RGB") -> bool:
    """Whether ``profile`` maps the probe colours (``mode`` "L": a grey ramp) to sRGB within one
    level: sRGB or sGray itself under any name, skipped at no cost. Its name is not enough: "GIMP
    built-in Linear sRGB" and esRGB call themselves sRGB and move a grey of 128 to 55 and 159 (a
    hand test)."""
    probe = _PROBE if mode == "RGB" else np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, 1)
    source = Image.fromarray(probe[None] if mode == "RGB" else probe[None, :, 0])
    transform = ImageCms.buildTransform(profile, _srgb(), mode, "RGB", renderingIntent=INTENT,
                                        flags=ImageCms.Flags.NOCACHE)  # fmt: skip
    out = ImageCms.applyTransform(source, transform)
    assert out is not None
    return bool(np.abs(np.asarray(out, np.int16) - probe[None].astype(np.int16)).max() <= 1)


@lru_cache(maxsize=8)
def _transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """The transform from ``icc`` to sRGB for pixels in ``mode``; None when none is needed.

    Raises
    ------
    _Unusable
        The profile cannot be parsed, or LittleCMS cannot build a transform from it.
    """
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = profile.profile.xcolor_space.strip()
        if space != _SPACES[mode]:
            return None  # a grey profile, or one that does not fit the pixels
        if space in ("RGB", "GRAY") and _same_as_srgb(profile, "L" if space == "GRAY" else "RGB"):
            return None
        # no pixel cache: a transform is shared by the loading and thumbnail threads
        return ImageCms.buildTransform(profile, _srgb(), mode, "RGBA" if mode == "RGBA" else "RGB",
                                       renderingIntent=INTENT, flags=ImageCms.Flags.NOCACHE)  # fmt: skip
    except (ImageCms.PyCMSError, OSError, TypeError, ValueError) as exc:
        raise _Unusable(str(exc) or type(exc).__name__) from exc


def to_srgb(im: Image.Image, name: Path | str) -> Image.Image:
    """``im``'s pixels converted from its embedded ICC profile to sRGB.

    Parameters
    ----------
    im : PIL.Image.Image
        A decoded image; its ``info["icc_profile"]`` is the embedded profile.
    name : Path or str
        The file it came from, named by the warning about a profile that cannot be used.

    Returns
    -------
    PIL.Image.Image
        A new RGB image (RGBA when ``im`` has alpha, which is kept as it is) without the
        profile, grey pixels included; ``im`` itself when it has no profile, an sRGB or sGray
        one, one of another colour space than its pixels, or one that cannot be used (logged as
        a warning).
    """
    icc = im.info.get("icc_profile")
    if not icc:
        return im
    mode = im.mode
    if mode in _RGB_LIKE:  # a transparent colour (tRNS) becomes alpha, as the loader makes it
        mode = "RGBA" if mode in ("RGBA", "RGBa", "PA") or "transparency" in im.info else "RGB"
    elif mode in _GREY:
        mode = "L"
    elif mode != "CMYK":
        return im  # 16-bit grey, float, LAB...: no profile applied
    try:
        transform = _transform(bytes(icc), mode)
    except _Unusable as exc:
        log.warning("%s: its embedded colour profile cannot be used (%s); colours read as sRGB", name, exc)
        return im
    if transform is None:
        return im
    if mode == "L":
        return _grey_to_srgb(im, transform)
    source = im if im.mode == mode else im.convert(mode)
    out = ImageCms.applyTransform(source, transform)
    assert out is not None  # not in place: a new image
    out.info.pop("icc_profile", None)
    return out


def _grey_to_srgb(im: Image.Image, transform: ImageCms.ImageCmsTransform) -> Image.Image:
    """Grey ``im`` (``L``, ``LA``, ``La``, or ``L`` with a transparent grey) through its grey
    profile's ``transform`` to sRGB: RGB, or RGBA with its alpha kept."""
    has_alpha = im.mode != "L" or "transparency" in im.info
    with_alpha = im.convert("LA") if has_alpha else None
    grey = with_alpha.getchannel("L") if with_alpha is not None else im
    out = ImageCms.applyTransform(grey, transform)
    assert out is not None  # not in place: a new image
    if with_alpha is not None:
        out.putalpha(with_alpha.getchannel("A"))
    out.info.pop("icc_profile", None)
    return out
