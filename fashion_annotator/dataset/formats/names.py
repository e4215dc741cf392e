"""Which project photo a name written in an imported file means, and the stems exports write.

Masks attach to photos by name. A name is compared as it would have been stored
(:func:`~fashion_annotator.dataset.confine.storable_name`: bytes that are not UTF-8 and ``\\``
replaced, shortened past 200 bytes) and in Unicode NFC on both sides (macOS writes ``café`` as
``e`` and a combining accent): the full file name first when the source gives the photo's
suffix, then the stem. A stem an export of this program wrote for an image that could not keep
its own (``STEM-ID``, see :func:`export_stems`) is the photo that the export's
:data:`EXPORT_NAMES` lists for it, found by its content (sha256) in whichever project imports
it; without that list ``STEM-ID`` is only ever the photo named so (the id is the exporting
project's, not the importing one's). Several photos that fit equally are never guessed between:
the file is refused, naming them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.core.images import PHOTO_SUFFIXES
from fashion_annotator.dataset.confine import MAX_NAME_BYTES, storable_name
from fashion_annotator.dataset.records import ImageRecord
from fashion_annotator.dataset.store import Project

_RENAMED = (re.compile(r"^(.+)-([0-9]{1,12})-[0-9]{1,6}$"), re.compile(r"^(.+)-([0-9]{1,12})$"))
"""A stem :func:`export_stems` may write for an image that could not keep its own:
``STEM-ID-N`` or ``STEM-ID``, read both ways (so that no stem it makes reads as another image's)."""

EXPORT_NAMES = "export_names.json"
"""The file an export that wrote some photos under another stem leaves beside its files:
``{"renamed": {STEM: {"name": NAME, "sha256": SHA}}}``, each such stem with the photo's own
file name and content hash, so that an import finds that photo in any project."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot hold, not even as a character reference."""
_EDGE_SPACE = re.compile(r"^\s+|\s+$")
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
"""What ``str.splitlines`` breaks a line at."""


def xml_stem(stem: str) -> str:
    """``stem`` as an XML attribute can hold it: control characters (but tab, line feed and
    carriage return, which are escaped) replaced by ``_``. One such character in a CVAT
    ``annotations.xml`` makes the whole file not well-formed: CVAT reads none of it."""
    return _NOT_XML.sub("_", stem)


def line_stem(stem: str) -> str:
    """``stem`` as a line of a list file (VOC ``ImageSets``) can hold it: line breaks and
    whitespace at either end (which readers strip from each line) replaced by ``_``."""
    return _EDGE_SPACE.sub(lambda m: "_" * len(m.group()), _LINE_BREAK.sub("_", stem))


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


@dataclass
class ExportNames:
    """An export's :data:`EXPORT_NAMES`: which photo each stem it renamed is (see
    :func:`read_export_names`)."""

    #: The file read, for messages.
    path: Path
    #: Each renamed stem (in NFC) -> the photo's own file name and sha256.
    photos: dict[str, tuple[str, str]]
    _ids: dict[str, int] = field(default_factory=dict, repr=False)

    def photo(self, project: Project, stem: str, where: Path) -> ImageRecord | None:
        """The project image the export wrote as ``stem``; None when ``stem`` is no stem it
        renamed (then it is a plain name).

        Raises
        ------
        ValueError
            Naming ``where``: the photo listed for ``stem`` is not in ``project`` (no image with
            its content).
        """
        listed = self.photos.get(nfc(stem))
        if listed is None:
            return None
        name, sha256 = listed
        if sha256 not in self._ids:  # listed once, again after a miss (an import adds photos)
            self._ids = {r.sha256: r.id for r in project.images(fetch_photos=False)}
        if sha256 not in self._ids:
            raise ValueError(
                f"{where}: {self.path.name} says {stem!r} is the photo {name} (sha256 {sha256[:12]}...), "
                "which is not in the project; not attached (import that photo first)"
            )
        return project.image(self._ids[sha256])


def listed_photo(
    project: Project, found: list[ImageRecord], stem: str, path: Path, names: ExportNames | None
) -> list[ImageRecord]:
    """``found`` (the project photos named ``stem``), or the photo ``names`` lists for ``stem``.

    Raises
    ------
    ValueError
        Naming ``path``: the listed photo is not in the project, or ``found`` holds another
        photo (one named so by the user as well as the one the export renamed: never guessed).
    """
    renamed = names.photo(project, stem, path) if names is not None else None
    if names is None or renamed is None:
        return found
    if any(r.id != renamed.id for r in found):
        raise ValueError(
            f"{path}: {stem!r} is the project photo {', '.join(r.name for r in found)} by name, but "
            f"{names.path.name} says it is the photo {renamed.name}; not attached"
        )
    return [renamed]


def read_export_names(src: Path) -> ExportNames | None:
    """The :data:`EXPORT_NAMES` of the export at ``src`` (a folder, or a file in it), None when
    it has none (a renamed ``STEM-ID`` is then only a plain name).

    Raises
    ------
    ValueError
        Naming the file: it cannot be read, or is not such a list (nothing is imported: its
        masks could not be told which photo they are).
    """
    path = (src if src.is_dir() else src.parent) / EXPORT_NAMES
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:  # a hostile file: Python's parser names no file
        raise ValueError(f"{path}: cannot be read (JSON nested too deeply); nothing imported") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: cannot be read ({exc}); nothing imported") from None
    renamed = data.get("renamed") if isinstance(data, dict) else None
    if not isinstance(renamed, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("name"), str) and _SHA256.match(str(v.get("sha256")))
        for v in renamed.values()
    ):
        raise ValueError(f"{path}: not an export's list of renamed photos (stem -> name, sha256); nothing imported")
    return ExportNames(path, {nfc(stem): (v["name"], v["sha256"]) for stem, v in renamed.items()})


def write_export_names(out: Path, renamed: Iterable[tuple[str, str, str]]) -> None:
    """Write :data:`EXPORT_NAMES` into ``out`` for ``(stem, photo name, sha256)`` of each image an
    export wrote under another stem than its own; nothing when there is none."""
    photos = {stem: {"name": name, "sha256": sha256} for stem, name, sha256 in renamed}
    if photos:
        atomic_write_text(out / EXPORT_NAMES, json.dumps({"renamed": photos}, indent=1) + "\n")


def find_by_name(
    project: Project, stem: str, path: Path, suffix: str = "", names: ExportNames | None = None
) -> ImageRecord:
    """The one project image that a source names ``stem`` + ``suffix`` (see the module).

    Parameters
    ----------
    stem : str
        The name's stem, as the source gives it (perhaps with bytes that are not UTF-8).
    path : Path
        The source file, for messages.
    suffix : str
        The photo's suffix when the source gives it (``.jpg``), else ``""``.
    names : ExportNames, optional
        The source's :data:`EXPORT_NAMES`: a stem it lists is the photo it names there.

    Raises
    ------
    ValueError
        Naming ``path``: no photo of that name, or several; a listed photo the project lacks,
        or one that is not the project photo of that very name.
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
    found = listed_photo(project, _one(found, key, "stem"), key, path, names)
    if not found:
        raise ValueError(f"{path}: no photo named {shown!r} in the project or the source")
    if len(found) > 1:
        several = ", ".join(r.name for r in found)
        raise ValueError(f"{path}: several project photos are named {shown!r} ({several}); not attached")
    return found[0]


def attach_target(
    project: Project, stem: str, path: Path, folder: str = "", suffix: str = "", names: ExportNames | None = None
) -> ImageRecord:
    """The one project image a source names (masks attach to photos by name,
    :func:`find_by_name`; ``suffix`` the photo's suffix when the source gives it, ``names`` the
    source's :data:`EXPORT_NAMES`).

    ``folder`` is the folder part of the name the source gives (``shoot2`` of
    ``shoot2/look.jpg``): the image must then have been imported from a folder of that name,
    else it is another photo that happens to share the name, and ``ValueError`` says so.
    """
    record = find_by_name(project, stem, path, suffix, names)
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


class AnnotatedPhotos:
    """The project photos one import has taken an annotation of, so that a file annotating a
    photo twice (two Label Studio tasks of one image, two labelme files naming one photo, two
    COCO entries of one file name, ``look.png`` and ``look.PNG`` masks, two source photos of the
    same bytes) never saves one over the other: the first that is imported (saved, or equal to
    a saved version) is, each later one is refused, naming the first (the second was refused as
    differing from "saved version N", which that same import had just saved; with
    ``--overwrite`` it replaced it without a word). An annotation refused (differing from a
    saved mask without ``--overwrite``) takes nothing: a later one of the same photo is tried
    (it was refused as "only the first annotation is imported", when none was).

    Call :meth:`check` before saving an annotation and :meth:`take` once it is saved.
    """

    def __init__(self) -> None:
        self._first: dict[int, str] = {}

    def check(self, record: ImageRecord, where: str) -> None:
        """Refuse ``record``'s annotation from ``where`` (the entry, for messages) when this
        import already took one of that photo.

        Raises
        ------
        ValueError
            Naming ``where`` and the entry whose annotation of ``record`` was imported.
        """
        first = self._first.get(record.id)
        if first is not None:
            earlier = "an earlier entry of the same name" if first == where else first
            raise ValueError(
                f"{where}: annotates the photo {record.name} again ({earlier} annotates it too); "
                "only the first annotation is imported, not this one (remove one of them)"
            )

    def take(self, record: ImageRecord, where: str) -> None:
        """Note that ``record``'s annotation from ``where`` was imported: later ones are refused."""
        self._first.setdefault(record.id, where)


def export_stems(records: Iterable[_Named], carry: Callable[[str], str] | None = None) -> dict[int, str]:
    """A unique file stem per image for exports, its stored name's stem where it can.

    An image gets its id appended (``look-25``; then a count, until unused) when its stem is
    an earlier image's, compared case-folded (``Look`` and ``look`` are one file on Windows and
    macOS), or when another exported image was imported under the same stem (``look.jpg`` and
    ``look.png``: a format that names photos by stem could not tell them apart on import; each
    gets its id). A stem so made is never another image's own, nor reads as another image's
    ``STEM-ID``; the export lists each one in :data:`EXPORT_NAMES` (:func:`write_export_names`),
    which an import reads it back by (:func:`find_by_name`). The stem of that list itself
    (``export_names``) is never an image's: a labelme export wrote the photo ``export_names.jpg``'s
    annotation as ``export_names.json`` and the list over it. ``carry`` gives a stem as the
    format can write it (:func:`xml_stem`, :func:`line_stem`); an image whose stem it changes
    is written under the carried stem with its id, listed the same way.
    """
    records = list(records)
    by_id = {r.id: r for r in records}
    shared = Counter(nfc(r.stem) for r in records)
    own = {nfc(Path(r.name).stem).casefold() for r in records}
    stems: dict[int, str] = {}
    used: set[str] = {Path(EXPORT_NAMES).stem.casefold()}
    for record in records:
        own_stem = Path(record.name).stem
        base = stem = own_stem if carry is None else carry(own_stem)
        n = 0
        while nfc(stem).casefold() in used or (n == 0 and (shared[nfc(record.stem)] > 1 or stem != own_stem)) or (
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
