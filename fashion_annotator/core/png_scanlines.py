"""Label PNGs read scanline by scanline: blankness and sameness without a full decode.

A PNG's image data is its scanlines, each a filter-type byte and the filtered samples, deflated
together. Two questions a retrain asks of every saved mask, "is it all background?" and "is it
the proposal?", are answered from those bytes, stopping at the first scanline that settles
them: a garment mask is told from a blank one, or a corrected mask from its proposal, in a
fraction of a decode. Only plain grey and indexed, non-interlaced PNGs are read this way (the
masks this program writes); anything else answers None and the caller decodes.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from fashion_annotator.core.images import MAX_PIXELS

__all__ = ["png_all_background", "png_same_pixels"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_FIRST_ROWS = 32  # scanlines inflated at first, doubled while nothing settles the question
_MAX_ROWS = 1024
_TURNING_CHUNKS = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt"})  # EXIF, or XMP/EXIF as text


class _Unsupported(Exception):
    """Not a PNG this module reads (or damaged): the caller decodes instead."""


class _Scanlines:
    """The scanlines of one PNG, inflated on demand.

    Parameters
    ----------
    data : bytes
        A PNG file's contents.

    Raises
    ------
    _Unsupported
        Not a plain grey or indexed, non-interlaced PNG, or damaged chunks.
    """

    def __init__(self, data: bytes) -> None:
        if not data.startswith(_PNG_SIGNATURE):
            raise _Unsupported
        self.header: tuple[int, int, int, int] | None = None  # width, height, depth, colour
        # EXIF or XMP may turn the decoded mask (images.upright): its rows are not the stored ones
        self.may_turn = False
        bodies: list[bytes] = []
        pos = len(_PNG_SIGNATURE)
        ended = False
        try:
            while pos + 8 <= len(data):
                (length,) = struct.unpack(">I", data[pos : pos + 4])
                kind = data[pos + 4 : pos + 8]
                body = data[pos + 8 : pos + 8 + length]
                if len(body) != length:
                    raise _Unsupported
                pos += 12 + length
                if kind == b"IHDR":
                    width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
                    if colour not in (0, 3) or interlace != 0 or not 0 < width * height <= MAX_PIXELS:
                        raise _Unsupported  # a bomb's size is for the decode's checks to refuse
                    self.header = (width, height, depth, colour)
                elif kind == b"IDAT":
                    bodies.append(body)
                elif kind in _TURNING_CHUNKS:
                    self.may_turn = True
                elif kind == b"IEND":
                    ended = True
                    break
        except struct.error as exc:
            raise _Unsupported from exc
        if self.header is None or not ended or not bodies:
            raise _Unsupported
        width, self.height, depth, _colour = self.header
        self.stride = (width * depth + 7) // 8 + 1  # the filter-type byte, then the samples
        # Samples narrower than a byte leave unspecified bits at the end of a row's last byte;
        # they reach only that byte's column through the filters (left and up: none right of it)
        self.padded = width * depth % 8 != 0
        self.sample_bits = (0xFF00 >> (width * depth % 8)) & 0xFF if self.padded else 0xFF
        self._bodies = iter(bodies)
        self._inflater = zlib.decompressobj()
        self._pending = b""
        self.rows_read = 0

    def read(self, rows: int) -> np.ndarray:
        """The next ``rows`` scanlines (fewer at the end), shape ``(n, stride)``, uint8."""
        want = min(rows, self.height - self.rows_read) * self.stride
        try:
            while len(self._pending) < want:
                tail = self._inflater.unconsumed_tail
                source = tail if tail else next(self._bodies, None)
                if source is None:
                    break
                self._pending += self._inflater.decompress(source, want - len(self._pending))
        except zlib.error as exc:
            raise _Unsupported from exc
        whole = min(len(self._pending), want) // self.stride * self.stride
        out = np.frombuffer(self._pending, dtype=np.uint8, count=whole).reshape(-1, self.stride)
        self._pending = self._pending[whole:]
        self.rows_read += out.shape[0]
        return out

    def complete(self) -> bool:
        """Whether every scanline the header promises was there."""
        return self.rows_read == self.height


def _last_bytes_painted(chunk: np.ndarray, above: int, sample_bits: int) -> tuple[bool, int]:
    """Whether a sample in the last byte of these rows is not 0, the rest of each row being 0.

    With every other byte of the rows 0, each filter predicts a row's last byte as the one
    above it (None and Sub: 0; Average: half of it), so the rows unfilter one byte each.

    Parameters
    ----------
    chunk : ndarray, shape (n, stride), uint8
        Filtered scanlines whose other sample bytes are all 0.
    above : int
        The last byte of the row above the first, unfiltered (0 for the image's first row).
    sample_bits : int
        The bits of the last byte that hold samples (the others pad the row).

    Returns
    -------
    tuple of (bool, int)
        Whether a sample is not 0, and the last row's last byte unfiltered.
    """
    for kind, value in zip(chunk[:, 0].tolist(), chunk[:, -1].tolist(), strict=True):
        predicted = {2: above, 3: above // 2, 4: above}.get(kind, 0)
        above = (value + predicted) & 0xFF
        if above & sample_bits:
            return True, above
    return False, above


def png_all_background(data: bytes) -> bool | None:
    """Whether a label PNG holds only label 0, read without decoding it when it is not.

    A PNG's filtered scanlines are all zero exactly when its pixels are (each of the five
    filters predicts 0 from zero neighbours), so the check stops at the first non-zero sample.

    Parameters
    ----------
    data : bytes
        A PNG file's contents.

    Returns
    -------
    bool or None
        True when every pixel is 0, False when one is not; None when the file is not a plain
        grey or indexed, non-interlaced PNG (decode it instead). Damaged data gives None or
        False: the store's SHA-256 check, not this, tells a damaged file.
    """
    try:
        lines = _Scanlines(data)
        rows = _FIRST_ROWS
        whole = lines.stride - 1 if lines.padded else lines.stride  # the bytes of samples only
        above = 0  # the row above's last byte, unfiltered
        while (chunk := lines.read(rows)).size:
            if chunk[:, 1:whole].any():
                return False
            if lines.padded and (above or chunk[:, -1].any()):
                painted, above = _last_bytes_painted(chunk, above, lines.sample_bits)
                if painted:
                    return False
            rows = min(2 * rows, _MAX_ROWS)
        return True if lines.complete() else None
    except _Unsupported:
        return None


def png_same_pixels(first: bytes, second: bytes) -> bool | None:
    """Whether two label PNGs hold the same label ids, stopping at the first scanline that differs.

    Scanlines stored byte for byte alike hold the same samples when the ones above them do (a
    row is unfiltered from its bytes and the row above), so equal rows are passed over. At the
    first row that differs, the same filter type on both sides means different samples (each
    filter is one-to-one given the row above): the answer is False without a decode.

    Parameters
    ----------
    first, second : bytes
        PNG file contents.

    Returns
    -------
    bool or None
        True when every label id is the same, False when one differs; None when this cannot tell
        (other sizes or sample depths, 2- or 4-bit grey against indexed, EXIF or text chunks
        that may turn one, rows first differing under different filter types or only in a last
        byte with padding bits, damaged data): decode both instead.
    """
    if first == second:
        return True
    try:
        a, b = _Scanlines(first), _Scanlines(second)
        if a.header is None or b.header is None or a.header[:3] != b.header[:3]:
            return None
        if a.header[3] != b.header[3] and a.header[2] != 8:
            return None  # 2- and 4-bit grey is scaled to 0..255 as decoded, indices are not
        if a.may_turn or b.may_turn:
            return None
        rows = _FIRST_ROWS
        while True:
            chunk_a = a.read(rows)
            chunk_b = b.read(chunk_a.shape[0])
            if chunk_a.shape != chunk_b.shape:
                return None
            if not chunk_a.size:
                return True if a.complete() and b.complete() else None
            differ = np.flatnonzero((chunk_a != chunk_b).any(axis=1))
            if differ.size:
                row = differ[0]
                if chunk_a[row, 0] != chunk_b[row, 0]:
                    return None
                # the first byte that differs filtered is the first that differs unfiltered
                first = np.flatnonzero(chunk_a[row] != chunk_b[row])[0]
                return None if a.padded and first == a.stride - 1 else False
            rows = min(2 * rows, _MAX_ROWS)
    except _Unsupported:
        return None
