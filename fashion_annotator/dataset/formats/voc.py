"""Pascal VOC segmentation layout, as VOC, CVAT and Datumaro write it.

::

    JPEGImages/STEM.jpg
    SegmentationClass/STEM.png      indexed PNG: palette colour = label, void (224, 224, 192)
    ImageSets/Segmentation/default.txt
    labelmap.txt                    "# label:color_rgb:parts:actions", one "name:r,g,b::" a line

Import: a label is a line of ``labelmap.txt`` (matched to the task's classes by name), its
colour the line's; without the file, pass ``--taxonomy`` (the task's class ``i`` has the VOC
colour ``i``). A mask's pixels are read by colour: an indexed PNG through its palette (an image
editor may re-save the same colours in another index order) and an RGB one directly; a colour
the label map lacks refuses the file, naming it (and its pixel count). Grey masks, indexed PNGs
with a label map without colours and indexed PNGs with the grey-ramp palette are read by index
(``i`` is line ``i``); RGB masks with a label map without colours (Datumaro's default export)
by the VOC colour map (line ``i`` has VOC colour ``i``). Void (224, 224, 192; 255 by index) becomes background, the usual reading of VOC's "not
labelled / boundary" pixels. Only the labels a mask's pixels use must be classes of the task (a
label map may list more). ``SegmentationObject/`` is not read (the instances are not needed
for class masks).

Export writes the same layout with the VOC colour map (so VOC viewers show the standard
colours) and the photos under ``JPEGImages/`` (keeping their own suffix). Exact both ways. A
photo whose stem a line of ``ImageSets`` cannot hold (a line break, whitespace at either end,
which VOC readers strip) is written as ``STEM-ID`` with ``_`` for those characters
(:func:`~fashion_annotator.dataset.formats.names.line_stem`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fashion_annotator.core.atomic import atomic_write_bytes, atomic_write_text
from fashion_annotator.core.label_images import encode_mask_png, load_label_pixels
from fashion_annotator.dataset.formats.common import (
    FILE_ERRORS,
    ExportSummary,
    ImportSummary,
    Progress,
    list_files,
    prepare_export_folder,
    require_folder,
)
from fashion_annotator.dataset.formats.export_stop import closing_files, file_error_text
from fashion_annotator.dataset.formats.names import line_stem
from fashion_annotator.dataset.formats.shapes import (
    SourceImage,
    check_shapes,
    exported_images,
    import_entries,
    pick_task,
)
from fashion_annotator.dataset.store import Project

VOID = 255
VOID_COLOUR = (224, 224, 192)
LABELMAP = "labelmap.txt"
CLASS_DIR = "SegmentationClass"
PHOTO_DIR = "JPEGImages"
SPLIT = Path("ImageSets") / "Segmentation" / "default.txt"


def voc_colormap(n: int = 256) -> np.ndarray:
    """The Pascal VOC colour map: ``(n, 3) uint8``; index 255 is void's (224, 224, 192)."""
    ids = np.arange(n)
    cmap = np.zeros((n, 3), np.uint8)
    for bit in range(8):
        for channel in range(3):
            cmap[:, channel] |= (((ids >> (3 * bit + channel)) & 1) << (7 - bit)).astype(np.uint8)
    return cmap


def read_labelmap(path: Path) -> list[tuple[str, tuple[int, int, int] | None]]:
    """``(name, colour or None)`` per line of a Datumaro/CVAT ``labelmap.txt``.

    Raises
    ------
    ValueError
        Naming ``path``: it cannot be read, is not UTF-8, or a line's colour is not ``r,g,b``.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"{path}: not a readable label map ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a readable label map (not UTF-8 text: {exc.reason} at byte {exc.start})") from exc
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, rest = line.partition(":")
        colour_text = rest.split(":")[0].strip()
        colour = None
        if colour_text:
            try:
                r, g, b = (int(v) for v in colour_text.split(","))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: colour {colour_text!r} is not r,g,b") from exc
            colour = (r, g, b)
        out.append((name.strip(), colour))
    return out


def _colour_code(rgb: np.ndarray) -> np.ndarray:
    """One int per colour of ``(..., 3) uint8`` ``rgb`` (``r << 16 | g << 8 | b``)."""
    return (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]


SHARED = -2
"""What :func:`_colour_table` gives a colour that lines of different labels share."""


def _colour_table(
    colours: list[tuple[int, int, int] | None], labels: list[str] | None = None
) -> dict[int, int]:
    """Colour code -> label index of the label map's colours, void's included; :data:`SHARED`
    for a colour that lines of different labels give (``labels``: the lines' names; None: every
    line is another label), whose pixels say neither by colour."""
    table: dict[int, int] = {}
    for index, colour in [*enumerate(colours), (VOID, VOID_COLOUR)]:
        if colour is None:
            continue
        code = colour[0] << 16 | colour[1] << 8 | colour[2]
        earlier = table.setdefault(code, index)
        if index == VOID:  # void's colour is void, whatever line gives it too (Datumaro's "ignored")
            table[code] = VOID
        elif earlier not in (index, SHARED) and (labels is None or labels[earlier] != labels[index]):
            table[code] = SHARED
    return table


def _sharing(colour: tuple[int, ...], colours: list, labels: list[str] | None) -> str:
    """The labels whose lines give ``colour``, for a message."""
    lines = [i for i, c in enumerate(colours) if c is not None and tuple(c) == tuple(colour)]
    return ", ".join(labels[i] if labels is not None else f"line {i + 1}" for i in lines)


def _load_ids(
    path: Path, colours: list[tuple[int, int, int] | None], labels: list[str] | None = None
) -> np.ndarray:
    """Label indices of a VOC mask PNG (grey values, or labelmap colours).

    Read by the project's checked loader: a decompression bomb, lossy (JPEG) data or a broken
    file is refused with its reason, and EXIF orientation is applied as for the photo. An
    indexed PNG is read by its palette's colours (an image editor may re-save the same colours
    in another index order), unless the label map has no colours or the palette is the grey
    ramp (index i is (i, i, i)): its indices are then the label indices, as a grey mask's. A
    colour that lines of different ``labels`` give is read by the pixel's index when its own line
    gives that colour (as Datumaro and CVAT write), else refused; in an RGB mask, refused.
    """
    pixels, palette = load_label_pixels(path)
    colourless = all(colour is None for colour in colours)
    if pixels.ndim == 3:
        return _rgb_ids(pixels, colours, colourless, labels)
    if palette is None or colourless:
        return pixels
    return _palette_ids(pixels, palette, colours, labels)


def _rgb_ids(
    pixels: np.ndarray, colours: list[tuple[int, int, int] | None], colourless: bool,
    labels: list[str] | None = None,
) -> np.ndarray:  # fmt: skip
    """Label indices of an RGB mask, each pixel looked up by its colour.

    Parameters
    ----------
    pixels : ndarray
        ``(H, W, 3) uint8`` colours.
    colours : list
        The label map's colour of each label index (None where a line has none).
    colourless : bool
        True when no line has a colour: label ``i`` then has the VOC colour map's colour ``i``,
        as Datumaro reads (and its default export writes) such a folder.
    labels : list of str, optional
        The lines' names: a colour that lines of different labels give is refused.

    Raises
    ------
    ValueError
        A colour that no label has, named with its first position (and, for a colour-less
        label map, its pixel count); one that several labels have, naming them.
    """
    if colourless:
        colours = [(r, g, b) for r, g, b in voc_colormap(len(colours)).tolist()]
    ids = np.full(pixels.shape[:2], -1, np.int32)
    code = _colour_code(pixels)
    for key, index in _colour_table(colours, labels).items():
        ids[code == key] = index
    if not (ids < 0).any():
        return ids
    y, x = np.argwhere(ids < 0)[0]
    colour = tuple(int(v) for v in pixels[y, x])
    if ids[y, x] == SHARED:
        raise ValueError(
            f"colour {colour} at x={x}, y={y} ({int((code == code[y, x]).sum())} pixels) is the colour "
            f"of several labels in {LABELMAP} ({_sharing(colour, colours, labels)}): which one is unknown"
        )
    if not colourless:
        raise ValueError(f"colour {colour} at x={x}, y={y} is not in {LABELMAP}")
    count = int((code == code[y, x]).sum())
    raise ValueError(
        f"colour {colour} at x={x}, y={y} ({count} pixels) is not the VOC colour of any of the "
        f"{len(colours)} labels in {LABELMAP} (it lists no colours)"
    )


def _palette_ids(
    pixels: np.ndarray, palette: np.ndarray, colours: list[tuple[int, int, int] | None],
    labels: list[str] | None = None,
) -> np.ndarray:  # fmt: skip
    """Label indices of an indexed mask, each used index mapped by its palette colour (a colour
    several ``labels`` share: the index, when its own line gives that colour)."""
    table = _colour_table(colours, labels)
    counts = np.bincount(pixels.ravel(), minlength=256)
    used = np.flatnonzero(counts)
    lut = np.zeros(256, np.uint8)
    unknown: list[tuple[int, tuple[int, ...] | None]] = []
    shared: list[tuple[int, tuple[int, ...]]] = []
    for index in used.tolist():
        colour = tuple(int(v) for v in palette[index]) if index < len(palette) else None
        label = None if colour is None else table.get(_colour_code(np.array(colour)).item())
        if label == SHARED and colour is not None:
            own = index < len(colours) and colours[index] is not None and tuple(colours[index]) == colour
            if not own:
                shared.append((index, colour))
                continue
            label = index
        if label is None and (colour == VOID_COLOUR or (colour is None and index == VOID)):
            label = VOID  # void by its colour, or index 255 past a short palette (a script's putpalette)
        if label is None:
            unknown.append((index, colour))
        else:
            lut[index] = label
    if not unknown and not shared:
        return lut[pixels]
    if all(index >= len(palette) or tuple(palette[index]) == (index,) * 3 for index in used):
        return pixels
    if shared:
        index, colour = shared[0]
        raise ValueError(
            f"palette index {index}'s colour {colour} ({counts[index]} pixels) is the colour of several "
            f"labels in {LABELMAP} ({_sharing(colour, colours, labels)}): which one is unknown"
        )
    described = ", ".join(
        f"index {index} (no palette colour, {counts[index]} pixels)" if colour is None
        else f"{colour} ({counts[index]} pixels)"
        for index, colour in unknown
    )
    raise ValueError(f"palette colours not in {LABELMAP}: {described}")


def _checked_ids(path: Path, labels: list[str], colours: list) -> np.ndarray:
    """:func:`_load_ids`, refusing indices that the label map lacks (void aside)."""
    ids = _load_ids(path, colours, labels)
    unknown = sorted(set(np.unique(ids).tolist()) - set(range(len(labels))) - {VOID})
    if unknown:
        raise ValueError(f"label indices {unknown} are not in the label map")
    return ids


def _entry(path: Path, labels: list[str], colours: list) -> SourceImage:
    """One mask: a region for each label index its pixels use (read now, and again when painted).

    Labels of the label map that no pixel uses are no regions: they neither need to be classes
    of the task nor count as shapes outside the photo.
    """
    entry = SourceImage(name=path.stem, where=str(path))
    try:
        present = sorted(set(np.unique(_checked_ids(path, labels, colours)).tolist()) - {VOID})
    except (ValueError, OSError) as exc:
        entry.error = str(exc)
        return entry
    cache: dict[str, np.ndarray] = {}

    def ids(size: tuple[int, int]) -> np.ndarray:
        if "ids" not in cache:
            loaded = _checked_ids(path, labels, colours)
            if loaded.shape != size:
                raise ValueError(
                    f"mask {loaded.shape[1]}x{loaded.shape[0]} (WxH) differs from the photo's "
                    f"{size[1]}x{size[0]}"
                )
            cache["ids"] = loaded
        return cache["ids"]

    for index in present:
        entry.add_bitmap(labels[index], functools.partial(_is_index, ids, index))
    return entry


def import_voc(
    project: Project,
    src: str | Path,
    taxonomy: str | None = None,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> ImportSummary:
    """Import a VOC segmentation folder (``SegmentationClass/`` masks, ``JPEGImages/`` photos)."""
    src = require_folder(Path(src), "a Pascal VOC folder")
    masks_dir = require_folder(src / CLASS_DIR, f"{CLASS_DIR}/ of a Pascal VOC folder")
    if (src / LABELMAP).is_file():
        labelmap = read_labelmap(src / LABELMAP)
        labels = [name for name, _ in labelmap]
        colours = [colour for _, colour in labelmap]
    elif taxonomy is not None:
        if taxonomy not in project.tasks:
            project.add_task(taxonomy)
        labels = list(project.taxonomy(taxonomy).names)
        colours = [tuple(c) for c in voc_colormap(len(labels)).tolist()]
    else:
        raise ValueError(
            f"{src / LABELMAP}: missing; pass --taxonomy NAME (mask indices are then its class ids)"
        )
    if taxonomy is None:
        # the task that holds the whole label map (a parsing18 export whose masks happen to use
        # only classes parsing7 has is parsing18's); else the one the pixels' labels fit
        with contextlib.suppress(ValueError):
            taxonomy = pick_task(project, labels, None, src / LABELMAP)
    entries = [_entry(path, labels, colours) for path in list_files(masks_dir, {".png"})]
    return import_entries(project, entries, [src / PHOTO_DIR, src], taxonomy, src, progress, overwrite=overwrite)


def export_voc(
    project: Project,
    out: str | Path,
    task: str,
    progress: Progress | None = None,
    *,
    shapes: str = "mask",
    tolerance: float | None = None,
) -> ExportSummary:
    """Write the VOC layout for every image with a mask of ``task``."""
    check_shapes(shapes, "voc", ("mask",))
    names = project.taxonomy(task).names
    out = prepare_export_folder(project, out, PHOTO_DIR, CLASS_DIR, str(SPLIT.parent))
    palette = voc_colormap()
    summary = ExportSummary(out)
    stems = []
    for record, photo, mask in exported_images(project, task, summary, out / PHOTO_DIR, progress, line_stem):
        stem = Path(photo).stem
        try:
            atomic_write_bytes(out / CLASS_DIR / f"{stem}.png", encode_mask_png(mask, palette))
        except FILE_ERRORS as exc:
            summary.take_back(record, file_error_text(exc), out / PHOTO_DIR / photo)
            continue
        stems.append(stem)
    lines = ["# label:color_rgb:parts:actions"]
    lines += [f"{name}:{','.join(map(str, palette[i]))}::" for i, name in enumerate(names)]
    with closing_files(summary):
        atomic_write_text(out / SPLIT, "".join(f"{s}\n" for s in stems))
        atomic_write_text(out / LABELMAP, "\n".join(lines) + "\n")
    return summary


def _is_index(
    ids: Callable[[tuple[int, int]], np.ndarray], index: int, size: tuple[int, int]
) -> np.ndarray:
    """``(H, W) bool``: where the decoded label map holds ``index``."""
    return ids(size) == index
