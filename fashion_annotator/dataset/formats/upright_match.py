"""Recognise a photo an export wrote turned upright as the project's EXIF-rotated original.

Every export writes a photo with an EXIF rotation turned upright and re-encoded
(:func:`~fashion_annotator.core.images.copy_upright`), so importing the export back finds no
project photo of its bytes. :class:`UprightMatcher` finds it by content instead: a project
photo with an EXIF rotation whose upright pixels have the same size as the incoming photo's and
the same look, compared on a grid of up to 32 x 32 block means (blocks of 8 pixels a side at
least; a photo under 32 pixels a side is never matched so), each channel on its 0-255 scale:

* one JPEG re-encode (quality 95, as the export; or 75), even two in a row, of 60 CCP photos
  moved a block's mean by at most 0.18 on average and 9 at most;
* 3,000 pairs of different CCP photos of the same pixel size differed by 36 on average at the
  least (162 at most at the least); the same photo moved 2 pixels sideways by 1.6 (20),
  brightened by 6 levels by 5.4.

:data:`MEAN_LIMIT` and :data:`PEAK_LIMIT` sit between the two, well clear of both.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

from fashion_annotator.core.images import ImageData, exif_orientation, load_image, open_image_file
from fashion_annotator.dataset.formats.names import nfc
from fashion_annotator.dataset.records import ImageRecord
from fashion_annotator.dataset.store import Project
from fashion_annotator.dataset.storeio import read_photo_bytes

#: Largest mean absolute difference of two photos' 32 x 32 block means (0-255) that still
#: counts as one photo re-encoded (measured: 0.18 at most re-encoded, 36 at least otherwise).
MEAN_LIMIT = 1.0

#: Largest difference of any one block mean (measured: 9 at most re-encoded, 162 at least
#: for different photos, 20 for the same photo moved 2 pixels).
PEAK_LIMIT = 16.0

_GRID = 32
_CELL = 8


def _grid(photo: ImageData) -> np.ndarray | None:
    """The photo's RGB as a grid of block means: ``_GRID`` x ``_GRID``, fewer for a photo under
    ``_GRID * _CELL`` pixels a side (no block under ``_CELL`` pixels a side, where one
    re-encode moves single pixels more); None for one too small to tell (under 4 blocks a side).
    """
    height, width = photo.rgb.shape[:2]
    side = min(_GRID, height // _CELL, width // _CELL)
    if side < 4:
        return None
    small = Image.fromarray(photo.rgb).convert("RGB").resize((side, side), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32)


def same_content(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two grids of :func:`_grid` show one photo (re-encoded at most)."""
    diff = np.abs(a - b)
    return float(diff.mean()) <= MEAN_LIMIT and float(diff.max()) <= PEAK_LIMIT


def _orientation_and_size(path: Path) -> tuple[int, tuple[int, int]]:
    """The photo's EXIF orientation (1: none; :func:`.exif_orientation`) and its upright
    ``(height, width)``."""
    im, _ = open_image_file(path, decode=False)
    with im:
        width, height = im.size
        orientation = exif_orientation(im)
    return orientation, ((width, height) if orientation >= 5 else (height, width))  # 5..8 swap the sides


class UprightMatcher:
    """Find the EXIF-rotated project photo an incoming photo is an upright copy of.

    Only project photos with an EXIF rotation are candidates (the only ones an export
    re-encodes); a photo whose bytes are in the project is left to the hash lookup. Each project
    photo is matched by content at most once per import (:meth:`claim`).
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self._records: list[ImageRecord] | None = None
        self._shas: set[str] = set()
        self._turned: dict[int, bool] = {}
        self._grids: dict[int, np.ndarray | None] = {}
        #: Project image id -> the incoming file matched to it by content.
        self.claimed: dict[int, str] = {}
        self._by_bytes: dict[int, str] = {}

    def _candidates(self, shape: tuple[int, int]) -> list[ImageRecord]:
        """The project photos of upright ``shape`` that have an EXIF rotation."""
        found = []
        for record in self._records or []:
            if record.shape != shape:
                continue
            if record.id not in self._turned:
                try:
                    self._turned[record.id] = _orientation_and_size(self.project.image_path(record.id))[0] != 1
                except (ValueError, OSError):  # missing or unreadable: no candidate
                    self._turned[record.id] = False
            if self._turned[record.id]:
                found.append(record)
        return found

    def _grid_of(self, record: ImageRecord) -> np.ndarray | None:
        """The project photo's :func:`_grid` (upright), read once; None when unreadable."""
        if record.id not in self._grids:
            try:
                self._grids[record.id] = _grid(self.project.load_photo(record.id))
            except (ValueError, OSError):
                self._grids[record.id] = None
        return self._grids[record.id]

    def match(self, path: Path) -> ImageRecord | None:
        """The project photo ``path`` is an upright copy of; None when there is none (or the
        project holds ``path``'s very bytes).

        Among several that match, the one of the same file name is taken.

        Raises
        ------
        ValueError
            Several project photos match and none (or more than one) has the file's name, or
            the one matched was already matched to another file of this import.
        """
        if self._records is None:
            self._records = self.project.images(fetch_photos=False)
            self._shas = {record.sha256 for record in self._records}
        try:  # the header first: most files have no EXIF-rotated photo of their size to match
            candidates = self._candidates(_orientation_and_size(path)[1])
        except (ValueError, OSError):  # not a photo: adding it says why
            return None
        if not candidates:
            return None
        raw = read_photo_bytes(path)  # a special file or one too large is refused here, as when added
        if hashlib.sha256(raw).hexdigest() in self._shas:
            return None
        try:
            incoming = _grid(load_image(path))
        except (ValueError, OSError):
            return None
        if incoming is None:
            return None
        found = [r for r in candidates if (g := self._grid_of(r)) is not None and same_content(g, incoming)]
        if len(found) > 1:
            stem = nfc(path.stem).casefold()
            named = [r for r in found if nfc(Path(r.name).stem).casefold() == stem or nfc(r.stem).casefold() == stem]
            if len(named) != 1:
                names = ", ".join(r.name for r in found)
                raise ValueError(f"{path}: shows the same photo as several project photos ({names}); "
                                 "refused, never guessed between")  # fmt: skip
            found = named
        if not found:
            return None
        record = found[0]
        self.claim(record, path)
        return record

    def claim(self, record: ImageRecord, path: Path, *, by_content: bool = True) -> None:
        """Take ``record`` for ``path`` (found by its content, else by its bytes); refused when
        another file of this import took it and either was found by content.

        Raises
        ------
        ValueError
            Naming both files and the project photo.
        """
        first = self.claimed.get(record.id) or (self._by_bytes.get(record.id) if by_content else None)
        if first is not None and first != str(path):
            raise ValueError(f"{path}: shows the same photo as {record.name}, which {first} of this "
                             "import already is; refused, not put on one photo twice")  # fmt: skip
        (self.claimed if by_content else self._by_bytes)[record.id] = str(path)
        self._shas.add(record.sha256)
