"""What a file that Pillow cannot open is, told from its first bytes: a refusal that names it.

A 32-bit float colour TIFF from an HDR or retouching pipeline, or an iPhone HEIC photo saved
under a ``.jpg`` name, was refused as "not a recognised image format (accepted: ... TIFF ...;
corrupt file?)": the TIFF's own format listed as accepted, and no word of what to do.
:func:`unreadable_reason` names the kind and the way out.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

__all__ = ["unreadable_reason"]

#: File signatures (at offset 0) of formats Pillow opens only in some variants.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"II*\0", "TIFF"), (b"MM\0*", "TIFF"), (b"II+\0", "TIFF"), (b"MM\0+", "TIFF"),
    (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"),
)  # fmt: skip
#: ISO-BMFF brands (bytes 8..12 after ``ftyp``) of HEIF / HEIC / AVIF photos.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif"})


def _head(source: Path | BinaryIO, size: int = 16) -> bytes:
    """The first ``size`` bytes of ``source`` (a stream is left where it was); empty when
    they cannot be read."""
    try:
        if isinstance(source, Path):
            with source.open("rb") as fh:
                return fh.read(size)
        where = source.tell()
        source.seek(0)
        head = source.read(size)
        source.seek(where)
        return head
    except (OSError, ValueError):
        return b""


def unreadable_reason(source: Path | BinaryIO, accepted: tuple[str, ...]) -> str:
    """Why ``source``, which Pillow could not identify, is refused, in words.

    Parameters
    ----------
    source : Path or binary stream
        The file, or its bytes.
    accepted : tuple of str
        The Pillow formats the loader opens.

    Returns
    -------
    str
        A TIFF, PNG or JPEG of a variant that cannot be decoded and an HEIF/AVIF photo are
        named as such with what to save them as; anything else is "not a recognised image
        format" with the accepted ones listed.
    """
    head = _head(source)
    kind = next((fmt for signature, fmt in _SIGNATURES if head.startswith(signature)), None)
    if kind == "TIFF":
        return ("a TIFF of a kind that cannot be read (32-bit float colour, 16-bit CMYK or another "
                "unusual layout, or a damaged file); save it as an 8- or 16-bit RGB TIFF, PNG "
                "or JPEG")  # fmt: skip
    if kind is not None:
        return f"a {kind} file that cannot be read (an unsupported variant, or a damaged file)"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "an HEIF/HEIC/AVIF photo (whatever its name says), not read here; save it as JPEG"
    return f"not a recognised image format (accepted: {', '.join(sorted(accepted))}; corrupt file?)"
