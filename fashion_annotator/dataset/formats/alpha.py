"""Alpha-channel cutouts: RGBA PNGs where alpha > 0 is the garment.

Import turns a studio's hand cutouts into binary masks; export writes the deliverable
cutout (the photo with the background made transparent). The colour under fully transparent
pixels is black, not the photo's: a viewer that drops alpha would show the backdrop, the
mannequin or a model's face, and the files are smaller; partly transparent edge pixels keep
the photo's colour (``--edges soft``, what a retoucher wants) or, with ``--edges clean``, the
garment's colour estimated without the backdrop's (no light halo on a white or black page).
A cutout re-imports as the same mask.

The loader converts a photo's colours to sRGB through its embedded profile (Adobe RGB, CMYK...),
so a cutout carries an sRGB profile: an application that takes an untagged file for its own
working space (Photoshop set to Adobe RGB) shows it in the photo's colours too. It keeps the
photo's resolution (dots per inch), so it lands on its photo at the same size when placed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageCms

from fashion_annotator.core.atomic import atomic_path
from fashion_annotator.core.foreground import FOREGROUND_HALO, estimate_foreground
from fashion_annotator.core.guided import SOFT_EDGE_PX, SOFT_EDGE_RADIUS, soft_edge_alpha
from fashion_annotator.core.images import ImageLoadError, load_image, open_image_file
from fashion_annotator.dataset.formats.common import (
    FILE_ERRORS,
    ExportSummary,
    ImportSummary,
    PhotoAdder,
    Progress,
    export_each,
    list_files,
    note_without_mask,
    prepare_export_folder,
    require_folder,
    save_imported,
)
from fashion_annotator.dataset.formats.names import (
    AnnotatedPhotos,
    images_by_stem,
    listed_photo,
    read_export_names,
)
from fashion_annotator.dataset.records import ImageRecord
from fashion_annotator.dataset.store import Project

ALPHA_SUFFIXES = frozenset({".png", ".webp", ".tif", ".tiff"})


def default_binary_task(project: Project) -> str:
    """``garment`` when the project has it, else its first binary task."""
    if "garment" in project.tasks:
        return "garment"
    for task in project.tasks:
        if project.taxonomy(task).is_binary:
            return task
    raise ValueError(f"{project.root}: no binary task for cutouts; name one (export: --task garment, import: --taxonomy garment)")


def import_alpha(
    project: Project,
    src: str | Path,
    taxonomy: str | None = None,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> ImportSummary:
    """Import cutouts: each becomes the binary mask of the photo with the same stem.

    A cutout whose stem matches one project photo (of the same size) attaches to it, as does
    one the export renamed to the photo its ``export_names.json`` lists (found by content);
    otherwise the cutout file itself becomes the photo.
    """
    src = require_folder(Path(src), "a folder of RGBA cutouts")
    if taxonomy is not None and taxonomy not in project.tasks:
        project.add_task(taxonomy)
    task = taxonomy or default_binary_task(project)
    if not project.taxonomy(task).is_binary:
        raise ValueError(f"task {task!r} is not binary; alpha cutouts need a two-class task")
    summary = ImportSummary()
    adder, names, seen = PhotoAdder(project, summary), read_export_names(src), AnnotatedPhotos()
    files = list_files(src, ALPHA_SUFFIXES, summary)
    if names is not None:  # the export's own list, not a file left out
        summary.skipped = [(where, why) for where, why in summary.skipped if where != str(names.path)]
    for done, path in enumerate(files, 1):
        record: ImageRecord | None = None
        try:
            image = load_image(path)
            if image.alpha is None:
                raise ValueError(f"{path}: no alpha channel (expected an RGBA cutout)")
            matches = listed_photo(project, images_by_stem(project, path.stem), path.stem, path, names)
            if len(matches) > 1:
                raise ValueError(f"{path}: several project photos are named {path.stem!r}")
            record = matches[0] if matches else adder.add(path)
            if record.shape != image.shape:
                raise ValueError(
                    f"{path}: cutout size {image.shape} differs from photo {record.name} "
                    f"{record.shape}"
                )
            mask = (image.alpha > 0).astype(np.uint8)
            seen.check(record, str(path))  # look.png and look.tif: one photo's cutout twice
            save_imported(project, record, task, mask, summary, overwrite)
            seen.take(record, str(path))
            if str(path) in summary.with_alpha:  # a cutout added as its own photo: its alpha is
                summary.with_alpha.remove(str(path))  # its mask now, not a transparency to warn of
        except FILE_ERRORS as exc:
            summary.fail(path, exc)
            if record is not None:
                note_without_mask(project, record, task, summary)
        if progress is not None:
            progress(done, len(files))
    return summary


#: zlib level of exported cutouts: 3 encodes a 1152x1728 photo in 287 ms against Pillow's
#: default 6's 728 ms (80% of the export's time per photo), files 15% larger (1.67 / 1.46 MB).
CUTOUT_PNG_LEVEL = 3

#: How an exported cutout's edge is written: ``soft`` (partial alpha on the mask's edge
#: pixels, :func:`tiled_soft_alpha`, the photo's colours kept), ``clean`` (the same alpha, the
#: partly transparent pixels' colour the garment's without the backdrop's,
#: :func:`tiled_clean_colours`) or ``hard`` (0 / 255).
CUTOUT_EDGES = ("soft", "clean", "hard")


#: Soft edges are worked out tile by tile (each with a halo the filter reaches across): over
#: the garment's whole bounding box the guided filter's float images of a 50 MP photo took
#: 1.6 GB, and 5.5 GB for a garment with a bag in the far corner.
EDGE_TILE = 512
_EDGE_HALO = SOFT_EDGE_PX + 2 * SOFT_EDGE_RADIUS + 8


Tile = tuple[slice, slice]


def _haloed_tiles(shape: tuple[int, ...], halo: int) -> Iterator[tuple[Tile, Tile, Tile]]:
    """The :data:`EDGE_TILE` tiles of an image, row by row.

    Parameters
    ----------
    shape : tuple of int
        The image's ``(H, W)`` (more axes are ignored).
    halo : int
        How far, in pixels, each tile is grown (within the image) for the work done on it.

    Yields
    ------
    tile, grown, inner : tuple of two slices each
        The tile's rows and columns in the image; those of the tile grown by ``halo``; the
        tile's within the grown one (``work(image[grown])[inner]`` belongs at ``tile``).
    """
    height, wide = shape[:2]
    for y0 in range(0, height, EDGE_TILE):
        for x0 in range(0, wide, EDGE_TILE):
            y1, x1 = min(y0 + EDGE_TILE, height), min(x0 + EDGE_TILE, wide)
            ty0, tx0 = max(0, y0 - halo), max(0, x0 - halo)
            ty1, tx1 = min(height, y1 + halo), min(wide, x1 + halo)
            yield ((slice(y0, y1), slice(x0, x1)), (slice(ty0, ty1), slice(tx0, tx1)),
                   (slice(y0 - ty0, y1 - ty0), slice(x0 - tx0, x1 - tx0)))


def tiled_soft_alpha(rgb: np.ndarray, mask: np.ndarray, width: int = SOFT_EDGE_PX) -> np.ndarray:
    """:func:`~fashion_annotator.core.guided.soft_edge_alpha` of the whole photo, worked out on
    the :data:`EDGE_TILE` tiles that hold the mask's edge, each with its halo: the same alpha
    (within a level where float sums round otherwise), in memory a tile needs.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
        The photo.
    mask : (H, W) bool or integer
        The cutout (non-zero: kept).
    width : int
        Band width in pixels; 0 gives the hard 0 / 255 alpha.

    Returns
    -------
    (H, W) uint8
    """
    keep = np.asarray(mask) > 0
    alpha = np.where(keep, 255, 0).astype(np.uint8)
    if width <= 0:
        return alpha
    for tile, grown, inner in _haloed_tiles(keep.shape, _EDGE_HALO + width):
        rows, cols = tile
        near = keep[max(0, rows.start - width):rows.stop + width,
                    max(0, cols.start - width):cols.stop + width]
        if not near.any() or near.all():
            continue  # no edge pixel in the tile: its alpha is 0 or 255 throughout
        alpha[tile] = soft_edge_alpha(rgb[grown], keep[grown], width)[inner]
    return alpha


def tiled_clean_colours(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """:func:`~fashion_annotator.core.foreground.estimate_foreground` of the whole photo, worked
    out on the :data:`EDGE_TILE` tiles that hold partly transparent pixels, each with its halo:
    the same colours, in memory a tile needs.

    Parameters
    ----------
    rgb : (H, W, 3) uint8
        The photo.
    alpha : (H, W) uint8
        The cutout's alpha (:func:`tiled_soft_alpha`).

    Returns
    -------
    (H, W, 3) uint8
        A new array: the photo, partly transparent pixels decontaminated.
    """
    out = np.array(rgb, dtype=np.uint8, copy=True)
    for tile, grown, inner in _haloed_tiles(alpha.shape, FOREGROUND_HALO):
        part = alpha[tile]
        if not ((part > 0) & (part < 255)).any():
            continue  # no partly transparent pixel in the tile: its colours stay
        out[tile] = estimate_foreground(rgb[grown], alpha[grown])[inner]
    return out


#: EXIF orientations that turn the photo a quarter (its x and y resolutions swap upright).
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_TIFF_X_RESOLUTION = 282


@lru_cache(maxsize=1)
def srgb_icc() -> bytes:
    """The ICC profile embedded in every cutout: sRGB, the space the loader decodes photos to."""
    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def photo_dpi(path: Path) -> tuple[float, float] | None:
    """The photo's ``(x, y)`` resolution in dots per inch as it stands upright (EXIF orientation
    applied), read from its header; None when the file gives none (or no usable one).
    """
    try:
        im, _ = open_image_file(path, decode=False)
    except (ImageLoadError, OSError):
        return None
    with im:
        dpi = im.info.get("dpi")
        if im.format == "TIFF" and _TIFF_X_RESOLUTION not in getattr(im, "tag_v2", {}):
            dpi = None  # Pillow says 1 dpi for a TIFF without resolution tags
        try:
            orientation = im.getexif().get(0x0112, 1)
        except Exception:  # a broken EXIF block: the photo loaded as it stands
            orientation = 1
    if not isinstance(dpi, tuple) or len(dpi) != 2:
        return None
    try:
        x, y = float(dpi[0]), float(dpi[1])
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not (math.isfinite(x) and math.isfinite(y) and x > 0 and y > 0):
        return None
    return (y, x) if orientation in _QUARTER_TURNS else (x, y)


#: EXIF tags a cutout keeps from its photo: who made it and whose it is (Artist, Copyright), as
#: "Copyright and Contact Info" does in Photoshop's Export As; the rest (camera, place, time,
#: orientation: the cutout is upright) is left out.
RIGHTS_TAGS = (0x013B, 0x8298)


def photo_rights(path: Path) -> bytes | None:
    """An EXIF block holding only the photo's :data:`RIGHTS_TAGS` (its Artist and Copyright),
    None when it has neither (or no readable EXIF)."""
    try:
        im, _ = open_image_file(path, decode=False)
    except (ImageLoadError, OSError):
        return None
    with im:
        try:
            exif = im.getexif()
            kept = {tag: exif[tag] for tag in RIGHTS_TAGS if isinstance(exif.get(tag), str) and exif[tag].strip()}
        except Exception:  # a broken EXIF block: nothing kept, the photo loaded as it stands
            return None
    if not kept:
        return None
    rights = Image.Exif()
    for tag, value in kept.items():
        rights[tag] = value
    return rights.tobytes()


def export_cutouts(
    project: Project, out: str | Path, task: str, progress: Progress | None = None, edges: str = "soft"
) -> ExportSummary:
    """Write ``OUT/STEM.png``: the upright photo, alpha > 0 exactly where the mask is not
    background, tagged sRGB (:func:`srgb_icc`) with the photo's resolution
    (:func:`photo_dpi`); with ``edges="soft"`` the mask's pixels within
    :data:`~fashion_annotator.core.guided.SOFT_EDGE_PX` of its edge are partly transparent as the
    photo's colours say (anti-aliased, hair and fur fade), keeping the photo's colours;
    ``edges="clean"`` gives the same alpha with those pixels' colours the garment's, the
    backdrop's share taken out (:func:`tiled_clean_colours`); ``hard``: alpha is 0 / 255. The
    colour of every pixel with alpha 0 is black (none of the photo is left under the
    transparency)."""
    if edges not in CUTOUT_EDGES:
        raise ValueError(f"cutout edges {edges!r}: expected one of {', '.join(CUTOUT_EDGES)}")
    out = prepare_export_folder(project, out)
    summary = ExportSummary(out)

    def write(record: ImageRecord, stem: str, mask: np.ndarray) -> None:
        rgb = project.load_photo(record.id).rgb
        if rgb.shape[:2] != mask.shape:
            raise ValueError(f"photo {rgb.shape[:2]} differs from its mask {mask.shape}")
        alpha = tiled_soft_alpha(rgb, mask, 0 if edges == "hard" else SOFT_EDGE_PX)
        if edges == "clean":
            rgb = tiled_clean_colours(rgb, alpha)
        rgb = np.where((alpha > 0)[..., None], rgb, np.uint8(0))
        options: dict[str, Any] = {"compress_level": CUTOUT_PNG_LEVEL, "icc_profile": srgb_icc()}
        dpi = photo_dpi(project.image_path(record.id))
        if dpi is not None:
            options["dpi"] = dpi
        rights = photo_rights(project.image_path(record.id))
        if rights is not None:
            options["exif"] = rights
        with atomic_path(out / f"{stem}.png") as tmp:
            Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(tmp, format="PNG", **options)

    export_each(project, task, summary, write, progress)
    return summary
