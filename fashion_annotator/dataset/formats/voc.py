"""Pascal VOC segmentation layout, as VOC, CVAT and Datumaro write it.

::

    JPEGImages/STEM.jpg
    SegmentationClass/STEM.png      indexed PNG: pixel value = label index, 255 = void
    ImageSets/Segmentation/default.txt
    labelmap.txt                    "# label:color_rgb:parts:actions", one "name:r,g,b::" a line

Import: label index ``i`` is line ``i`` of ``labelmap.txt`` (matched to the task's classes by
name); without it, pass ``--taxonomy`` and the indices are the task's class ids. An RGB
(non-indexed) mask is read through the labelmap's colours. Void (255) becomes background,
the usual reading of VOC's "not labelled / boundary" pixels. Only the labels a mask's pixels
use must be classes of the task (a label map may list more). ``SegmentationObject/`` is not
read (the instances are not needed for class masks).

Export writes the same layout with the VOC colour map (so VOC viewers show the standard
colours) and the photos under ``JPEGImages/`` (keeping their own suffix). Exact both ways.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fashion_annotator.core.label_images import encode_mask_png, load_label_pixels
from fashion_annotator.dataset.formats.common import (
    ExportSummary,
    ImportSummary,
    Progress,
    list_files,
    prepare_export_folder,
    require_folder,
)
from fashion_annotator.dataset.formats.shapes import (
    SourceImage,
    check_shapes,
    exported_images,
    import_entries,
    pick_task,
)
from fashion_annotator.dataset.store import Project

VOID = 255
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
    """``(name, colour or None)`` per line of a Datumaro/CVAT ``labelmap.txt``."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
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


def _load_ids(path: Path, colours: list[tuple[int, int, int] | None]) -> np.ndarray:
    """Label indices of a VOC mask PNG (palette indices, grey values, or labelmap colours).

    Read by the project's checked loader: a decompression bomb, lossy (JPEG) data or a broken
    file is refused with its reason, and EXIF orientation is applied as for the photo.
    """
    pixels = load_label_pixels(path)
    if pixels.ndim == 2:
        return pixels
    rgb = pixels
    ids = np.full(rgb.shape[:2], -1, np.int32)
    code = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
    for index, colour in [*enumerate(colours), (VOID, (224, 224, 192))]:
        if colour is not None:
            ids[code == (colour[0] << 16 | colour[1] << 8 | colour[2])] = index
    if (ids < 0).any():
        y, x = np.argwhere(ids < 0)[0]
        raise ValueError(f"colour {tuple(int(v) for v in rgb[y, x])} at x={x}, y={y} is not in {LABELMAP}")
    return ids


def _checked_ids(path: Path, labels: list[str], colours: list) -> np.ndarray:
    """:func:`_load_ids`, refusing indices that the label map lacks (void aside)."""
    ids = _load_ids(path, colours)
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
    for _, photo, mask in exported_images(project, task, summary, out / PHOTO_DIR, progress):
        stem = Path(photo).stem
        (out / CLASS_DIR / f"{stem}.png").write_bytes(encode_mask_png(mask, palette))
        stems.append(stem)
    (out / SPLIT).write_text("".join(f"{s}\n" for s in stems), encoding="utf-8")
    lines = ["# label:color_rgb:parts:actions"]
    lines += [f"{name}:{','.join(map(str, palette[i]))}::" for i, name in enumerate(names)]
    (out / LABELMAP).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return summary


def _is_index(
    ids: Callable[[tuple[int, int]], np.ndarray], index: int, size: tuple[int, int]
) -> np.ndarray:
    """``(H, W) bool``: where the decoded label map holds ``index``."""
    return ids(size) == index
