"""Whether an SQLite write-ahead log holds anything its database file lacks, read without
writing anything (no ``-shm``, no SQLite connection).

The log (https://www.sqlite.org/fileformat2.html#walformat) is a 32-byte header (magic, format,
page size, checkpoint sequence, two salts, a checksum) and frames of a 24-byte header (page
number, the database's size in pages on a commit frame else 0, the header's salts, a running
checksum) and one page. A frame counts when its salts are the header's and its checksum
continues the chain; the pages of the frames up to the last such commit frame are what a reader
sees over the database file. A checkpoint copies them into the file; one that empties the log
is followed by a new header (new salts) at the next write, so frames of before, left behind,
no longer count.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

WAL_MAGIC = (0x377F0682, 0x377F0683)
"""The header's magic: checksums over little-endian words, or (the low bit set) big-endian."""
WAL_VERSION = 3007000
WAL_HEADER = 32
FRAME_HEADER = 24


def wal_adds_to(index: Path, wal: Path) -> bool | None:
    """Whether ``wal`` holds a committed page that ``index`` (the database file) lacks.

    False when every page of its committed frames is, byte for byte, the index's page of that
    number (pages numbered past the last commit's size, left by a database that shrank, are no
    part of it) and the index has the size of its last commit (a log checkpointed but not emptied:
    reading the index alone shows what a reader through the log would); also for a log with no
    committed frame. True otherwise. None when the log cannot be read as one (an unknown
    magic, format or page size, a header whose checksum fails): only SQLite can tell then.

    Raises
    ------
    OSError
        ``wal`` or ``index`` cannot be read.
    """
    with open(wal, "rb") as log:
        parsed = _header(log.read(WAL_HEADER))
        if parsed is None:
            return None
        page_size, big, salts, checksum = parsed
        pages, size = _committed(log, page_size, big, salts, checksum)
        if not pages:
            return False
        with open(index, "rb") as db:
            if db.seek(0, 2) != size * page_size:
                return True
            for number, offset in pages.items():
                if number > size:  # past the last commit's end (the database shrank): not read
                    continue
                log.seek(offset)
                db.seek((number - 1) * page_size)
                if db.read(page_size) != log.read(page_size):
                    return True
    return False


def _header(head: bytes) -> tuple[int, bool, bytes, tuple[int, int]] | None:
    """``(page size, big-endian checksums, salts, checksum)`` of a log header, None when it is
    not a valid one."""
    if len(head) < WAL_HEADER:
        return None
    magic, version, page_size = struct.unpack(">III", head[:12])
    if magic not in WAL_MAGIC or version != WAL_VERSION:
        return None
    if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
        return None
    big = bool(magic & 1)
    checksum = _checksum(head[:24], big, (0, 0))
    if checksum != struct.unpack(">II", head[24:32]):
        return None
    return page_size, big, head[16:24], checksum


def _committed(
    log: BinaryIO, page_size: int, big: bool, salts: bytes, checksum: tuple[int, int]
) -> tuple[dict[int, int], int]:
    """Page number -> where in ``log`` its latest valid committed frame's page starts, and the
    database's size in pages at the last commit (``log`` read on from past its header)."""
    committed: dict[int, int] = {}
    pending: dict[int, int] = {}
    size = 0
    offset = WAL_HEADER
    while len(frame := log.read(FRAME_HEADER + page_size)) == FRAME_HEADER + page_size:
        number, commit = struct.unpack(">II", frame[:8])
        if frame[8:16] != salts or number == 0:
            break
        checksum = _checksum(frame[:8] + frame[FRAME_HEADER:], big, checksum)
        if checksum != struct.unpack(">II", frame[16:24]):
            break
        pending[number] = offset + FRAME_HEADER
        offset += len(frame)
        if commit:
            committed.update(pending)
            pending.clear()
            size = commit
    return committed, size


_POWERS: dict[int, np.ndarray] = {}


def _checksum(data: bytes, big: bool, start: tuple[int, int]) -> tuple[int, int]:
    """SQLite's WAL checksum of ``data`` (a multiple of 8 bytes) continuing from ``start``.

    SQLite runs ``s0 += x0 + s1; s1 += x1 + s0`` over the 32-bit word pairs: a linear step
    ``s <- M s + (x0, x0 + x1)`` with ``M = [[1, 1], [1, 2]]``, so the result is
    ``M^n start + sum_k M^(n-1-k) b_k``, summed at once in ``uint64`` (wrapping modulo 2**64
    keeps it exact modulo 2**32).
    """
    words = np.frombuffer(data, ">u4" if big else "<u4").astype(np.uint64).reshape(-1, 2)
    n = len(words)
    powers = _matrix_powers(n)
    weights = powers[n - 1 :: -1] if n else powers[:0]
    b0, b1 = words[:, 0], words[:, 0] + words[:, 1]
    mask = np.uint64(0xFFFFFFFF)
    with np.errstate(over="ignore"):
        s0 = (weights[:, 0, 0] * b0 + weights[:, 0, 1] * b1).sum(dtype=np.uint64)
        s1 = (weights[:, 1, 0] * b0 + weights[:, 1, 1] * b1).sum(dtype=np.uint64)
        last = powers[n]
        s0 += last[0, 0] * np.uint64(start[0]) + last[0, 1] * np.uint64(start[1])
        s1 += last[1, 0] * np.uint64(start[0]) + last[1, 1] * np.uint64(start[1])
    return int(s0 & mask), int(s1 & mask)


def _matrix_powers(n: int) -> np.ndarray:
    """``M^0 .. M^n`` modulo 2**64, ``(n + 1, 2, 2) uint64`` (cached per length)."""
    if n not in _POWERS:
        powers = np.empty((n + 1, 2, 2), np.uint64)
        powers[0] = np.eye(2, dtype=np.uint64)
        step = np.array([[1, 1], [1, 2]], np.uint64)
        with np.errstate(over="ignore"):
            for i in range(1, n + 1):
                powers[i] = step @ powers[i - 1]
        _POWERS[n] = powers
    return _POWERS[n]
