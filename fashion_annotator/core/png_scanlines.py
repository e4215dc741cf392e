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
                elif kind == b"IEND":
                    ended = True
                    break
        except struct.error as exc:
            raise _Unsupported from exc
        if self.header is None or not ended or not bodies:
            raise _Unsupported
        width, self.height, depth, _colour = self.header
        self.stride = (width * depth + 7) // 8 + 1  # the filter-type byte, then the samples
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
        while (chunk := lines.read(rows)).size:
            if chunk[:, 1:].any():
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
        (other sizes or sample depths, rows first differing under different filter types,
        damaged data): decode both instead.
    """
    if first == second:
        return True
    try:
        a, b = _Scanlines(first), _Scanlines(second)
        if a.header is None or b.header is None or a.header[:3] != b.header[:3]:
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
                return False if chunk_a[row, 0] == chunk_b[row, 0] else None
            rows = min(2 * rows, _MAX_ROWS)
    except _Unsupported:
        return None
