"""Which project photo a name written in an imported file means, and the stems exports write.

Masks attach to photos by name. A name is compared as it would have been stored
(:func:`~fashion_annotator.dataset.confine.storable_name`: bytes that are not UTF-8 and ``\\``
replaced, shortened past 200 bytes) and in Unicode NFC on both sides (macOS writes ``café`` as
``e`` and a combining accent): the full file name first when the source gives the photo's
suffix, then the stem, then a stem an export of this program wrote for an image whose own
stem another image of the export had (``STEM-ID``, see :func:`export_stems`). Several photos
that fit equally are never guessed between: the file is refused, naming them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Protocol

from fashion_annotator.core.images import PHOTO_SUFFIXES
from fashion_annotator.dataset.confine import MAX_NAME_BYTES, storable_name
from fashion_annotator.dataset.records import ImageRecord, ProjectError
from fashion_annotator.dataset.store import Project

_RENAMED = (re.compile(r"^(.+)-([0-9]{1,12})-[0-9]{1,6}$"), re.compile(r"^(.+)-([0-9]{1,12})$"))
"""A stem :func:`export_stems` wrote for an image that could not keep its own: ``STEM-ID-N`` or
``STEM-ID`` (``ID`` the exporting project's image id), read both ways."""


class _Named(Protocol):
    """What :func:`export_stems` reads of an image record."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def stem(self) -> str: ...


def nfc(text: str) -> str:
    """``text`` in Unicode normal form C (one code point for ``é``), as names are compared."""
    return unicodedata.normalize("NFC", text)


def own_name(record: ImageRecord) -> str:
    """The file name ``record`` was imported under (its stem and its stored name's suffix)."""
    return record.stem + Path(record.name).suffix


def images_by_stem(project: Project, stem: str) -> list[ImageRecord]:
    """The images imported under ``stem`` as a source names it: made storable (a name that is
    not UTF-8, a backslash), compared in NFC (the stored stem as given, NFC or NFD)."""
    stem = storable_name(stem)
    found: dict[int, ImageRecord] = {}
    for form in dict.fromkeys((stem, nfc(stem), unicodedata.normalize("NFD", stem))):
        for record in project.images_by_stem(form):
            found.setdefault(record.id, record)
    return [found[i] for i in sorted(found)]


def _one(found: list[ImageRecord], given: str, key: str) -> list[ImageRecord]:
    """``found`` narrowed to the images whose ``key`` (``"stem"`` or ``"name"``) is ``given``
    exactly, when several are equal only in NFC (two distinct photos ``café``)."""
    if len(found) < 2:
        return found
    exact = [r for r in found if (r.stem if key == "stem" else own_name(r)) == given]
    return exact or found


def _readings(stem: str) -> list[tuple[str, int]]:
    """``(STEM, ID)`` for each way ``stem`` reads as a stem :func:`export_stems` made."""
    return [(m[1], int(m[2])) for pattern in _RENAMED if (m := pattern.match(stem)) is not None]


def _is_named(record: _Named, base: str) -> bool:
    """Whether ``record``'s own stem or its stored name's is ``base`` (in NFC)."""
    return nfc(base) in (nfc(record.stem), nfc(Path(record.name).stem))


def _renamed(project: Project, stem: str, suffix: str) -> list[ImageRecord]:
    """The images an export of this program may have written as ``stem`` (``STEM-ID``): image
    ``ID`` of the project, only when its own stem (or its stored name's) really is ``STEM``
    and, when ``suffix`` is given, its photo has that suffix."""
    found: dict[int, ImageRecord] = {}
    for base, image_id in _readings(stem):
        try:
            record = project.image(image_id)
        except ProjectError:
            continue
        if _is_named(record, base) and (not suffix or Path(record.name).suffix.casefold() == suffix.casefold()):
            found[record.id] = record
    return list(found.values())


def find_by_name(project: Project, stem: str, path: Path, suffix: str = "") -> ImageRecord:
    """The one project image that a source names ``stem`` + ``suffix`` (see the module).

    Parameters
    ----------
    stem : str
        The name's stem, as the source gives it (perhaps with bytes that are not UTF-8).
    path : Path
        The source file, for messages.
    suffix : str
        The photo's suffix when the source gives it (``.jpg``), else ``""``.

    Raises
    ------
    ValueError
        Naming ``path``: no photo of that name, or several.
    """
    name = storable_name(stem + suffix)
    key = name[: len(name) - len(suffix)] if suffix else name
    shown = key + suffix
    found = images_by_stem(project, key)
    if not suffix and len(key.encode("utf-8")) > MAX_NAME_BYTES - 16:  # shortened with its suffix
        keys = {key} | {storable_name(stem + s)[: -len(s)] for s in PHOTO_SUFFIXES}
        found = sorted({r.id: r for k in keys for r in images_by_stem(project, k)}.values(), key=lambda r: r.id)
    if suffix:  # the full name first; a suffix in another case (older exports lower-cased it)
        same = [r for r in found if nfc(own_name(r)) == nfc(name)] or [
            r for r in found if nfc(own_name(r)).casefold() == nfc(name).casefold()
        ]
        found = _one(same, name, "name") if same else found
    found = _one(found, key, "stem") or _renamed(project, key, suffix)
    if not found:
        raise ValueError(f"{path}: no photo named {shown!r} in the project or the source")
    if len(found) > 1:
        names = ", ".join(r.name for r in found)
        raise ValueError(f"{path}: several project photos are named {shown!r} ({names}); not attached")
    return found[0]


def attach_target(project: Project, stem: str, path: Path, folder: str = "", suffix: str = "") -> ImageRecord:
    """The one project image a source names (masks attach to photos by name,
    :func:`find_by_name`; ``suffix`` the photo's suffix when the source gives it).

    ``folder`` is the folder part of the name the source gives (``shoot2`` of
    ``shoot2/look.jpg``): the image must then have been imported from a folder of that name,
    else it is another photo that happens to share the name, and ``ValueError`` says so.
    """
    record = find_by_name(project, stem, path, suffix)
    parent = PurePosixPath(folder.replace("\\", "/")).name
    if parent not in ("", ".", "..") and not _came_from(record, parent):
        raise ValueError(
            f"{path}: names the photo {folder}/{stem}, which is not in the source; the project's "
            f"{record.name} came from another folder ({record.source}), so it is not attached "
            "(put the photo in the source folder)"
        )
    return record


def _came_from(record: ImageRecord, folder: str) -> bool:
    """Whether ``record`` may have been imported from a folder named ``folder`` (its ``source``
    is the imported path with ``/`` written as ``_``, see
    :func:`~fashion_annotator.dataset.confine.storable_name`). A source shortened to fit
    (:data:`~fashion_annotator.dataset.confine.MAX_NAME_BYTES`: a deep folder) lost its end, so
    nothing says it did not: it is taken."""
    if len(record.source.encode("utf-8")) >= MAX_NAME_BYTES - 16:
        return True
    suffix = Path(record.source).suffix
    return f"_{record.source}".endswith(storable_name(f"_{folder}/{record.stem}{suffix}"))


def export_stems(records: Iterable[_Named]) -> dict[int, str]:
    """A unique file stem per image for exports, its stored name's stem where it can.

    An image gets its id appended (``look-25``; then a count, until unused) when its stem is
    an earlier image's, compared case-folded (``Look`` and ``look`` are one file on Windows and
    macOS), or when another exported image was imported under the same stem (``look.jpg`` and
    ``look.png``: a format that names photos by stem could not tell them apart on import; each
    gets its id). A stem so made is never another image's own, so an import reading
    ``STEM-ID`` back knows it was renamed (:func:`find_by_name`).
    """
    records = list(records)
    by_id = {r.id: r for r in records}
    shared = Counter(nfc(r.stem) for r in records)
    own = {nfc(Path(r.name).stem).casefold() for r in records}
    stems: dict[int, str] = {}
    used: set[str] = set()
    for record in records:
        base = stem = Path(record.name).stem
        n = 0
        while nfc(stem).casefold() in used or (n == 0 and shared[nfc(record.stem)] > 1) or (
            n and (nfc(stem).casefold() in own or _misread(stem, record, by_id))
        ):
            n += 1
            stem = f"{base}-{record.id}" if n == 1 else f"{base}-{record.id}-{n}"
        used.add(nfc(stem).casefold())
        stems[record.id] = stem
    return stems


def _misread(stem: str, record: _Named, by_id: dict[int, _Named]) -> bool:
    """Whether ``stem`` made for ``record`` also reads as another image's (``photo-3-2``: image
    3's ``photo`` or image 2's ``photo-3``)."""
    return any(i != record.id and i in by_id and _is_named(by_id[i], base) for base, i in _readings(stem))
