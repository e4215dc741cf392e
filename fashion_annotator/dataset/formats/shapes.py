"""What the annotation-tool formats share (labelme, CVAT, VOC, Label Studio, YOLO).

An importer parses its files into :class:`SourceImage` entries (a photo name and the labelled
regions drawn on it, in painting order); :func:`import_entries` finds each photo, paints the
regions into a label mask of the chosen task and saves it. Exporters turn a mask into
polygons with :func:`export_polygons` (keyhole rings, see :mod:`fashion_annotator.core.polygons`)
or into one binary region per class with :func:`class_regions`.

Regions are painted in the order the source gives them, later over earlier, which is how
labelme, CVAT (by ``z_order``) and Label Studio draw them; regions this project writes never
overlap, so their order does not matter.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from fashion_annotator.core.images import copy_upright
from fashion_annotator.core.polygons import DEFAULT_TOLERANCE, keyhole, label_polygons, rasterize
from fashion_annotator.dataset.formats.common import (
    FILE_ERRORS,
    PHOTO_SUFFIXES,
    ExportSummary,
    ImportSummary,
    PhotoAdder,
    Progress,
    check_extent,
    check_inside,
    masked_images,
    note_without_mask,
    safe_join,
    save_imported,
)
from fashion_annotator.dataset.formats.export_stop import file_error_text
from fashion_annotator.dataset.formats.names import (
    AnnotatedPhotos,
    ExportNames,
    attach_target,
    read_export_names,
)
from fashion_annotator.dataset.records import ImageRecord
from fashion_annotator.dataset.store import Project

SHAPE_KINDS = ("polygon", "mask")
"""How an export writes regions: ``polygon`` (vertices) or ``mask`` (the format's bitmap/RLE)."""
ELLIPSE_SIDES = 64
"""Vertices of the polygon an imported circle or ellipse is painted as."""


@dataclass
class SourceImage:
    """One image of a source file: the photo's name and its regions in painting order.

    ``where`` names the file (and image) for error messages; ``size`` is the ``(H, W)`` the
    source declares, checked against the photo when given; ``error`` marks an entry that
    could not be parsed (its regions are then ignored and the entry is refused).
    ``annotated`` False: the source lists the photo without annotating it (CVAT lists every
    frame of a task): the photo is imported and listed without a mask, and no mask is saved.
    ``notes`` say what the entry left out (shapes not read), for ``summary.skipped``.
    """

    name: str
    where: str
    size: tuple[int, int] | None = None
    regions: list[tuple[str, Callable[[tuple[int, int]], np.ndarray]]] = field(default_factory=list)
    error: str | None = None
    annotated: bool = True
    notes: list[str] = field(default_factory=list)

    def add_rings(self, label: str, rings: list[np.ndarray]) -> None:
        """A region given as polygon rings (pixel-edge coordinates).

        Raises ``ValueError`` now for a coordinate that is not a finite number; coordinates
        too far outside the photo refuse the entry when it is painted (:func:`paint_rings`).
        """
        rings = [np.asarray(r, np.float64).reshape(-1, 2) for r in rings]
        if not all(np.isfinite(r).all() for r in rings):
            raise ValueError(f"shape {label!r}: a coordinate is not a finite number")
        self.regions.append((label, functools.partial(paint_rings, label, rings)))

    def add_bitmap(self, label: str, paint: Callable[[tuple[int, int]], np.ndarray]) -> None:
        """A region given as a function ``(H, W) -> (H, W) bool`` (decoded on demand)."""
        self.regions.append((label, paint))


def image_side(value: object, key: str) -> int:
    """A side of the photo as a source file declares it (``imageHeight``, ``original_width``,
    ``height``), in pixels: a whole number, or text that reads as one.

    Raises
    ------
    ValueError
        Naming ``key``: missing, not a number, not finite (JSON's ``Infinity`` and ``NaN``: Python
        reads them) or not whole. ``int()`` of an infinite side raised ``OverflowError``, which
        stopped the whole import.
    """
    if value is None:
        raise ValueError(f"no {key} given")
    try:
        number = float(value) if isinstance(value, int | float | str) and not isinstance(value, bool) else math.nan
    except (ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number) or not number.is_integer() or number < 0:
        raise ValueError(f"{key} {value!r:.40} is not a whole number of pixels")
    return int(number)


def paint_rings(label: str, rings: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """:func:`rasterize` ``rings`` of one shape onto an image of ``size = (H, W)``, checked.

    A shape wholly outside the image paints nothing (the import names it); one that reaches
    into the image with a vertex more than
    :data:`~fashion_annotator.dataset.formats.common.COORD_MARGIN` image sizes outside is a
    broken file: ``ValueError`` naming the shape's label.
    """
    pts = np.concatenate(rings)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    if (hi <= 0).any() or lo[0] >= size[1] or lo[1] >= size[0]:
        return np.zeros(size, bool)
    try:
        check_extent(pts, *size)
    except ValueError as exc:
        raise ValueError(f"shape {label!r}: {exc}") from None
    return rasterize(rings, size)


def rotated(points: np.ndarray, degrees: float, centre: np.ndarray) -> np.ndarray:
    """``points`` ``(N, 2)`` x, y turned ``degrees`` clockwise on screen (y points down) about
    ``centre``: the rotation of CVAT boxes and ellipses and of Label Studio rectangles."""
    angle = np.deg2rad(degrees)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (np.asarray(points, np.float64) - centre) @ rot.T + centre


def ellipse_ring(
    cx: float, cy: float, rx: float, ry: float, degrees: float = 0.0, sides: int = ELLIPSE_SIDES
) -> np.ndarray:
    """An ellipse (a circle when ``rx == ry``) as a ``(sides, 2)`` ring, turned ``degrees``
    clockwise about its centre (:func:`rotated`)."""
    angles = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    ring = np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1)
    return rotated(ring, degrees, np.array([cx, cy])) if degrees else ring


def pick_task(project: Project, names: Iterable[str], taxonomy: str | None, where: Path) -> str:
    """The task whose classes hold every label in ``names`` (``taxonomy`` when given).

    Raises
    ------
    ValueError
        No project task has all the labels; the message lists them and suggests --taxonomy.
    """
    if taxonomy is not None:
        if taxonomy not in project.tasks:
            project.add_task(taxonomy)
        return taxonomy
    wanted = set(names)
    for task in project.tasks:
        if wanted <= set(project.taxonomy(task).names):
            return task
    raise ValueError(
        f"{where}: labels {sorted(wanted)} fit none of the tasks ({', '.join(project.tasks)}); "
        "pass --taxonomy NAME"
    )


class PhotoFinder:
    """Finds the photo of each entry of one import, listing each source folder once."""

    def __init__(
        self, project: Project, adder: PhotoAdder, folders: list[Path], names: ExportNames | None = None
    ) -> None:
        self.project, self.adder, self.folders, self.names = project, adder, folders, names
        self._listed: dict[Path, dict[str, list[str]]] = {}

    def find(self, name: str, where: str) -> ImageRecord:
        """The project image for a photo ``name`` written in a source file.

        Tried in order, in each folder: ``name`` relative to it and then its shorter tails
        (``a/b/look.jpg``, ``b/look.jpg``, ``look.jpg``: tools often write a path from another
        machine; escapes refused), a photo with the same stem and any photo suffix in any case
        (``DSC0001.JPG``; formats that name photos by stem); then the project photo with the
        same stem (masks attach to photos imported before), which must have come from a folder
        named as ``name``'s folder part, when it has one
        (:func:`~fashion_annotator.dataset.formats.names.attach_target`).

        Raises
        ------
        ValueError
            No photo, or several source photos share the stem; the message names ``where``.
        """
        parts = [part for part in PurePosixPath(name.replace("\\", "/")).parts if part not in ("/", ".", "..")]
        tails = ["/".join(parts[i:]) for i in range(len(parts))]
        for folder in self.folders:
            for tail in tails:
                try:
                    candidate = safe_join(folder, tail)
                except ValueError:
                    continue
                if candidate.is_file():
                    return self.adder.add(candidate)
            for tail in tails:
                found = self._by_stem(folder, PurePosixPath(tail), where)
                if found is not None:
                    return self.adder.add(found)
        rel = PurePosixPath("/".join(parts) or name)
        suffix = rel.suffix if rel.suffix.lower() in PHOTO_SUFFIXES else ""
        stem = rel.name[: len(rel.name) - len(suffix)]
        return attach_target(self.project, stem, Path(where), folder=str(rel.parent), suffix=suffix, names=self.names)

    def _by_stem(self, folder: Path, rel: PurePosixPath, where: str) -> Path | None:
        """The one photo ``folder/rel.parent/STEM.*`` (any case of a photo suffix), or None."""
        stem = rel.stem if rel.suffix.lower() in PHOTO_SUFFIXES else rel.name
        try:
            directory = safe_join(folder, str(rel.parent)) if str(rel.parent) != "." else folder
        except ValueError:
            return None
        if directory not in self._listed:
            listed: dict[str, list[str]] = {}
            if directory.is_dir():
                for path in sorted(directory.iterdir()):
                    if path.suffix.lower() in PHOTO_SUFFIXES and path.is_file():
                        listed.setdefault(path.stem, []).append(path.name)
            self._listed[directory] = listed
        names = self._listed[directory].get(stem, [])
        if len(names) > 1:
            raise ValueError(f"{where}: several photos in {directory} are named {stem!r} ({', '.join(names)})")
        if not names:
            return None
        try:  # a link out of the source folder is refused here as by name (safe_join)
            check_inside(folder, directory / names[0])
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        return directory / names[0]


def import_entries(
    project: Project,
    entries: list[SourceImage],
    folders: list[Path],
    taxonomy: str | None,
    where: Path,
    progress: Progress | None = None,
    summary: ImportSummary | None = None,
    *,
    overwrite: bool = False,
) -> ImportSummary:
    """Find each entry's photo, paint its regions into a mask of the task and save it
    (``overwrite``: a mask that differs from the saved one becomes a new version, see
    :func:`~fashion_annotator.dataset.formats.common.save_imported`).

    The task is :func:`pick_task` of every label used; an entry with a label outside the
    task, a size that differs from the photo's, shapes none of which paints a pixel (they would
    save an all-background mask, the photo done), or a parse error is refused with its reason,
    and the rest are imported. As in every format, a photo that is found is imported even when
    its annotation is refused: it waits in the project without that mask, named in
    ``summary.without_mask`` (fix the file and import again to add the mask). So is the photo
    of an entry that is not ``annotated`` (no mask is saved for it; when its photo is found
    nowhere it is only listed in ``summary.skipped``). A photo that several entries annotate is
    imported from the first; the others are refused, naming it
    (:class:`~fashion_annotator.dataset.formats.names.AnnotatedPhotos`).
    """
    summary = summary or ImportSummary()
    labels = {label for e in entries if e.error is None for label, _ in e.regions}
    task = pick_task(project, labels, taxonomy, where)
    finder = PhotoFinder(project, PhotoAdder(project, summary), folders, read_export_names(where))
    seen = AnnotatedPhotos()
    for done, entry in enumerate(entries, 1):
        summary.skipped.extend((entry.where, note) for note in entry.notes)
        if entry.error is None and not entry.annotated:
            _import_unannotated(project, finder, entry, task, summary)
        else:
            _import_entry(project, finder, entry, task, summary, seen, overwrite)
        if progress is not None:
            progress(done, len(entries))
    return summary


def _import_entry(
    project: Project, finder: PhotoFinder, entry: SourceImage, task: str, summary: ImportSummary,
    seen: AnnotatedPhotos, overwrite: bool = False,
) -> None:
    """Paint and save one entry's mask (the first of its photo in the import, ``seen``); a
    refusal is listed with its photo, when found."""
    names = project.taxonomy(task).names
    record: ImageRecord | None = None
    try:
        if entry.error is not None:
            if entry.name:
                record = finder.find(entry.name, entry.where)
            raise ValueError(entry.error)
        record = finder.find(entry.name, entry.where)
        if entry.size is not None and tuple(entry.size) != record.shape:
            raise ValueError(
                f"{entry.where}: size {entry.size[1]}x{entry.size[0]} (WxH) differs from "
                f"the photo's {record.width}x{record.height}"
            )
        mask = np.zeros(record.shape, np.uint8)
        empty: list[tuple[str, str]] = []
        for k, (label, paint) in enumerate(entry.regions, 1):
            if label not in names:
                raise ValueError(f"{entry.where}: label {label!r} is not a class of {task!r}")
            region = paint(record.shape)
            if not region.any():
                empty.append((
                    str(entry.where),
                    f"shape {k} ({label}) paints no pixel of the {record.width}x{record.height} photo (it lies "
                    "outside it, or is a line or a sliver that covers no pixel's centre)",
                ))  # fmt: skip
            mask[region] = names.index(label)
        if empty and len(empty) == len(entry.regions):  # not an all-background mask: nothing was drawn
            which = "its only shape paints no" if len(empty) == 1 else f"none of its {len(empty)} shapes paints a"
            raise ValueError(
                f"{entry.where}: {which} pixel of the {record.width}x{record.height} photo (outside it, or "
                "too thin: drawn on another image size?); no mask saved"
            )
        summary.empty_shapes.extend(empty)
        seen.check(record, entry.where)
        save_imported(project, record, task, mask, summary, overwrite)
        seen.take(record, entry.where)
    except FILE_ERRORS as exc:
        # the annotation's own problem comes first, even when its photo is missing too
        summary.fail(entry.where, exc if entry.error is None else entry.error)
        if record is not None:
            note_without_mask(project, record, task, summary)


def _import_unannotated(
    project: Project, finder: PhotoFinder, entry: SourceImage, task: str, summary: ImportSummary
) -> None:
    """Import the photo of an entry the source did not annotate; no mask is saved."""
    try:
        record = finder.find(entry.name, entry.where)
    except FILE_ERRORS as exc:
        summary.skipped.append((entry.where, f"not annotated, and its photo was not imported ({exc})"))
        return
    note_without_mask(project, record, task, summary)


def exported_images(
    project: Project,
    task: str,
    summary: ExportSummary,
    photo_dir: Path,
    progress: Progress | None = None,
    carry: Callable[[str], str] | None = None,
) -> Iterator[tuple[ImageRecord, str, np.ndarray]]:
    """``(record, exported photo name, mask)`` per image with a mask of ``task``.

    Each photo is copied to ``photo_dir/STEM.ext`` (a unique stem per image, as ``carry``
    lets the format write it: :func:`~fashion_annotator.dataset.formats.names.export_stems`)
    before it is yielded; one that cannot be copied is listed in ``summary.errors`` and not
    yielded; ``progress(done, total)`` counts the project's images, skipped ones included.
    """
    photo_dir.mkdir(parents=True, exist_ok=True)
    for record, stem, mask in masked_images(project, task, summary, progress, carry):
        photo = f"{stem}{record.path.suffix}"
        try:
            summary.upright += copy_upright(record.path, photo_dir / photo, record.shape)
        except FILE_ERRORS as exc:  # a photo gone or unreadable: listed, the export goes on
            summary.take_back(record, file_error_text(exc))
            continue
        yield record, photo, mask


def export_polygons(
    mask: np.ndarray, tolerance: float = DEFAULT_TOLERANCE
) -> list[tuple[int, np.ndarray]]:
    """``(label, keyhole ring (N, 2) float64)`` per region of ``mask``, largest first."""
    return [(label, keyhole(poly)) for label, poly in label_polygons(mask, tolerance)]


def class_regions(mask: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """``(label, (H, W) bool)`` for each non-background label present in ``mask``."""
    for label in np.unique(mask):
        if label != 0:
            yield int(label), mask == label


def check_shapes(shapes: str, fmt: str, allowed: tuple[str, ...] = SHAPE_KINDS) -> None:
    """Raise ``ValueError`` when ``shapes`` is not one of ``allowed`` for format ``fmt``."""
    if shapes not in allowed:
        raise ValueError(f"{fmt} export writes shapes as {' or '.join(allowed)}, not {shapes!r}")


def fmt_number(value: float, digits: int = 3) -> str:
    """A coordinate as short text: integers without a fraction, else up to ``digits`` decimals."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
