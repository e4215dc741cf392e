"""COCO instance JSON: import RLE or polygon instances, export RLE per connected component.

Import reads ``images`` (``file_name`` relative to the JSON's folder or its ``images/``; for a
JSON in ``annotations/``, also the standard layout's ``images/SUBSET/`` or ``SUBSET/`` beside it),
``annotations`` and ``categories`` (matched to the task's classes by name). Instances are
painted largest first, so a smaller one lying on a larger one stays visible. A file that lists
images but no annotations at all (an image list, or an export made before anyone annotated)
or annotations but no categories is refused: nothing in it says what the pixels are (unless
its ``info`` says ``all_images_annotated``, as this app's export writes: all-background masks). In a file
with annotations, an image listed without any is an all-background mask (COCO's way of listing
a photo with nothing on it; this app's export writes one so), unless the file also has
annotations whose ``image_id`` matches no image (then the ids disagree and such an image is
refused, not saved empty); an annotation that paints no pixel is named, and an image none of
whose annotations paints one is refused (no all-background mask). Every coordinate, count and id is checked in Python before pycocotools' C code sees
it (NaN or huge coordinates, RLE counts that do not add up to the image would crash it).
An image entry without ``height`` / ``width`` takes its photo's size; one whose size is not its
photo's is refused (:func:`~fashion_annotator.dataset.formats.coco_layout.checked_size`, as
coco-instances does); errors name the file and the ``images[i]`` entry (:func:`~fashion_annotator.dataset.formats.coco_layout.entry_where`).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.core.images import copy_upright
from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.core.polygons import DEFAULT_TOLERANCE, keyhole, mask_to_polygons
from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.formats.coco_layout import (
    checked_size,
    coco_file,
    entry_where,
    photo_folders,
)
from fashion_annotator.dataset.formats.common import (
    FILE_ERRORS,
    ExportSummary,
    ImportSummary,
    PhotoAdder,
    Progress,
    check_extent,
    export_each,
    note_without_mask,
    prepare_export_folder,
    read_json,
    safe_join,
    save_imported,
)
from fashion_annotator.dataset.formats.export_stop import closing_files
from fashion_annotator.dataset.formats.names import (
    AnnotatedPhotos,
    ExportNames,
    attach_target,
    read_export_names,
)
from fashion_annotator.dataset.formats.shapes import check_shapes
from fashion_annotator.dataset.records import ImageRecord
from fashion_annotator.dataset.store import Project

ANNOTATIONS_JSON = "annotations.json"
ALL_ANNOTATED = "all_images_annotated"
"""The ``info`` key this app's export sets: every listed image is a saved mask, so a file of
all-background masks (no annotations at all) is read as such, not refused."""
MAX_POLYGON_VALUES = 4_000_000
"""Most polygon coordinates in one annotation."""


def _read(src: Path) -> tuple[Path, dict, list[tuple[str, str]]]:
    """The COCO file of ``src`` (:func:`coco_file`), its checked contents and the JSON files
    left out beside it."""
    path, left_out = coco_file(src, ANNOTATIONS_JSON)
    data = read_json(path, "COCO JSON")
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise ValueError(f"{path}: not a COCO file (no 'images' list)")
    for key in ("annotations", "categories"):
        if not isinstance(data.get(key, []), list):
            raise ValueError(f"{path}: '{key}' must be a list")
    return path, data, left_out


def require_annotations(data: dict, path: Path, what: str = "masks") -> None:
    """Refuse a COCO file that lists images but no annotations, or annotations but no
    categories: its images would be saved as all-background ``what`` marked done.

    Raises
    ------
    ValueError
        Naming the file and what it lacks.
    """
    info = data.get("info")
    complete = isinstance(info, dict) and info.get(ALL_ANNOTATED) is True
    if data["images"] and not data.get("annotations") and not complete:
        raise ValueError(
            f"{path}: {counted(len(data['images']), 'image')} listed but no annotations (an image list, or a "
            f"file exported before anything was annotated); nothing imported, not saved as empty "
            f"{what} (to add the photos alone, import their folder with --format photos)"
        )
    if data.get("annotations") and not data.get("categories"):
        raise ValueError(f"{path}: annotations but no 'categories': their classes are unknown; nothing imported")


def _pick_task(project: Project, names: set[str], taxonomy: str | None, path: Path) -> str:
    if taxonomy is not None:
        if taxonomy not in project.tasks:
            project.add_task(taxonomy)
        return taxonomy
    for task in project.tasks:
        if names <= set(project.taxonomy(task).names):
            return task
    raise ValueError(
        f"{path}: categories {sorted(names)} fit none of the tasks ({', '.join(project.tasks)}); "
        "pass --taxonomy NAME"
    )


def _category_ids(data: dict, taxonomy: Taxonomy, path: Path) -> dict[int, int | str]:
    """COCO category id -> class id, or the error text for names outside the taxonomy."""
    out: dict[int, int | str] = {}
    for cat in data.get("categories", []):
        if not isinstance(cat, dict) or "id" not in cat or "name" not in cat:
            raise ValueError(f"{path}: malformed category {_short(cat)}")
        cid = _coco_id(cat["id"], "category")
        if cid in out:
            raise ValueError(f"{path}: category id {cid} is defined twice")
        name = str(cat["name"])
        if name in taxonomy.names:
            out[cid] = taxonomy.index(name)
        else:
            out[cid] = f"category {name!r} is not a class of {taxonomy.name!r}"
    return out


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


ImageId = int | str
"""An image id: COCO's integer, or (``strings=True``, Fashionpedia-style files) a string."""


def _coco_id(value: object, what: str) -> int:
    """A COCO id: an integer (not a bool, list or string)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} id {_short(value)} is not an integer")
    return value


def _image_id(value: object, strings: bool) -> ImageId:
    """An image id: :func:`_coco_id`, or also a string when ``strings``."""
    if strings and isinstance(value, str):
        return value
    try:
        return _coco_id(value, "image")
    except ValueError:
        if strings:
            raise ValueError(f"image id {_short(value)} is neither an integer nor a string") from None
        raise


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"polygon coordinate {_short(value)} is not a number")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"polygon coordinate {value} is not finite")
    return value


def _polygons(segmentation: list, height: int, width: int) -> list[list[float]]:
    """Checked polygons: numbers, finite, within
    :data:`~fashion_annotator.dataset.formats.common.COORD_MARGIN` image sizes."""
    total = 0
    polygons = []
    for poly in segmentation:
        if not isinstance(poly, list):
            raise ValueError(f"a polygon must be a list of numbers, got {_short(poly)}")
        total += len(poly)
        if total > MAX_POLYGON_VALUES:
            raise ValueError(f"more than {MAX_POLYGON_VALUES} polygon coordinates")
        if len(poly) < 6 or len(poly) % 2:
            raise ValueError("a polygon needs at least 3 x,y pairs")
        values = [_number(v) for v in poly]
        check_extent(np.array(values), height, width)
        polygons.append(values)
    return polygons


def _string_counts(counts: str | bytes) -> list[int]:
    """Decode COCO's compressed RLE string (pycocotools' ``rleFrString``) in Python."""
    raw = counts.encode("ascii") if isinstance(counts, str) else bytes(counts)
    out: list[int] = []
    p = 0
    while p < len(raw):
        x, k, more = 0, 0, True
        while more:
            if p >= len(raw):
                raise ValueError("RLE string ends inside a number")
            c = raw[p] - 48
            if not 0 <= c < 64:
                raise ValueError(f"RLE string has an invalid character {chr(raw[p])!r}")
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if k > 13:
                raise ValueError("RLE string has an oversized number")
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(out) > 2:
            x += out[-2]
        out.append(x)
    return out


def _check_counts(counts: list, height: int, width: int) -> None:
    if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in counts):
        raise ValueError("RLE counts must be non-negative integers")
    if sum(counts) != height * width:
        raise ValueError(f"RLE counts add up to {sum(counts)}, not {height}x{width} pixels")


def _checked_rle(segmentation: object, height: int, width: int) -> dict:
    """pycocotools' RLE of a COCO segmentation: RLE (compressed or not) or polygons.

    ``ValueError`` for an RLE of another size, run lengths that are negative or do not add up
    to ``height * width`` (pycocotools would leave the rest undefined), or polygons that are
    malformed or far outside the image.
    """
    if isinstance(segmentation, dict):
        counts = segmentation.get("counts")
        size = segmentation.get("size")
        if not isinstance(size, list) or size != [height, width]:
            raise ValueError(f"RLE size {_short(size)} differs from the image's {[height, width]}")
        if isinstance(counts, list):
            _check_counts(counts, height, width)
            rle = mask_utils.frPyObjects({"size": size, "counts": counts}, height, width)
        elif isinstance(counts, str | bytes):
            try:
                raw = counts.encode("ascii") if isinstance(counts, str) else counts
            except UnicodeEncodeError:
                raise ValueError("RLE string is not ASCII") from None
            _check_counts(_string_counts(raw), height, width)
            rle = {"size": [height, width], "counts": raw}
        else:
            raise ValueError("RLE 'counts' must be a list or a string")
    elif isinstance(segmentation, list) and segmentation:
        polygons = _polygons(segmentation, height, width)
        rle = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
    elif segmentation is None or segmentation == []:
        raise ValueError("no segmentation (a bounding box alone): a region needs polygons or an RLE mask")
    else:
        raise ValueError(f"unsupported segmentation {type(segmentation).__name__}")
    return rle


def decode_segmentation(segmentation: object, height: int, width: int) -> np.ndarray:
    """``(height, width) bool`` of a COCO segmentation (checked as :func:`_checked_rle`)."""
    return mask_utils.decode(_checked_rle(segmentation, height, width)).astype(bool)


@dataclass(frozen=True)
class Region:
    """A decoded segmentation kept as the crop of its bounding box: an image of hundreds of
    regions holds their boxes, not a full frame each (a 12-megapixel photo of 400 regions
    peaked at 4.7 GB)."""

    area: int
    rows: slice
    cols: slice
    pixels: np.ndarray
    """``bool`` crop of the box."""

    def paint(self, target: np.ndarray, value: int) -> None:
        """Set ``value`` where the region lies in ``target`` (the full frame)."""
        target[self.rows, self.cols][self.pixels] = value


def decode_region(segmentation: object, height: int, width: int) -> Region:
    """The :class:`Region` of a COCO segmentation (checked as :func:`_checked_rle`); one
    full frame is decoded at a time."""
    rle = _checked_rle(segmentation, height, width)
    area = int(mask_utils.area(rle))
    x, y, w, h = (int(round(float(v))) for v in mask_utils.toBbox(rle))
    rows, cols = slice(y, y + h), slice(x, x + w)
    pixels = mask_utils.decode(rle)[rows, cols].astype(bool)
    return Region(area, rows, cols, pixels)


def _paint(
    record: ImageRecord, anns: list[dict], categories: dict[int, int | str], where: str
) -> tuple[np.ndarray, list[str]]:
    """The mask of an image's annotations (largest first), and what each that paints no pixel
    is; ``ValueError`` when none of them paints one (no all-background mask saved for them)."""
    height, width = record.shape
    mask = np.zeros((height, width), np.uint8)
    decoded: list[tuple[int, Region]] = []
    for ann in anns:
        cid = ann.get("category_id")
        label = None if isinstance(cid, bool) or not isinstance(cid, int) else categories.get(cid)
        if label is None:
            raise ValueError(f"{where}: annotation {ann.get('id')} has unknown category")
        if isinstance(label, str):
            raise ValueError(f"{where}: annotation {ann.get('id')}: {label}")
        try:
            region = decode_region(ann.get("segmentation"), height, width)
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            raise ValueError(f"{where}: annotation {ann.get('id')}: {exc}") from exc
        decoded.append((label, region))
    empty = [
        f"annotation {ann.get('id')} paints no pixel of the {width}x{height} photo (it lies outside it, or is "
        "a line or a sliver that covers no pixel's centre)"
        for ann, (_, region) in zip(anns, decoded, strict=True) if not region.area
    ]  # fmt: skip
    if empty and len(empty) == len(decoded):
        which = "its only annotation paints no" if len(empty) == 1 else f"none of its {len(empty)} annotations paints a"
        raise ValueError(f"{where}: {which} pixel of the {width}x{height} photo (outside it, or too thin); no mask saved")
    for label, region in sorted(decoded, key=lambda item: -item[1].area):
        region.paint(mask, label)
    return mask, empty


def import_coco(
    project: Project,
    src: str | Path,
    taxonomy: str | None = None,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> ImportSummary:
    """Import a COCO instance file: ``src`` is the JSON, or a folder with ``annotations.json``
    or the standard layout's ``annotations/instances_SUBSET.json`` (:func:`coco_file`).

    Photos are looked up relative to the JSON's folder, then its ``images/`` (and, for a JSON
    in ``annotations/``, the standard layout's folders: :func:`photo_folders`); a missing photo
    attaches to the project photo of the same stem. Absolute or ``..`` names are refused.
    Images sharing an id, annotations with a malformed or unknown ``image_id`` are refused
    and listed: an annotation is never painted on the wrong photo nor silently dropped. A
    photo listed again (another id, the same file) is imported from its first entry only.
    """
    path, data, left_out = _read(Path(src))
    require_annotations(data, path)
    names = {str(c.get("name")) for c in data.get("categories", []) if isinstance(c, dict)}
    task = _pick_task(project, names, taxonomy, path)
    try:
        categories = _category_ids(data, project.taxonomy(task), path)
    except ValueError as exc:
        message = str(exc)
        raise ValueError(message if message.startswith(str(path)) else f"{path}: {message}") from None
    summary = ImportSummary(skipped=left_out)
    ids, shared = _image_ids(data["images"], path, summary)
    anns_by_image, orphans = _group_annotations(
        data.get("annotations", []), ids, shared, path, summary
    )
    adder, renamed, seen = PhotoAdder(project, summary), read_export_names(path), AnnotatedPhotos()
    for done, entry in enumerate(data["images"], 1):
        image_id = ids.get(done - 1)
        if image_id is not None:
            name = str(entry.get("file_name", ""))
            where = entry_where(path, done - 1, name)
            record: ImageRecord | None = None
            try:
                anns = anns_by_image.get(image_id, [])
                if not anns and orphans:
                    raise ValueError(
                        f"{where}: no annotation refers to image id {image_id} while {orphans} "
                        "refer to ids that match no image; not saved as an empty mask"
                    )
                record = find_photo(project, adder, path, name, where, renamed)
                checked_size(entry, record.shape, where)  # absent: the photo's size
                mask, empty = _paint(record, anns, categories, where)
                seen.check(record, f"{where}, id {image_id}")
                save_imported(project, record, task, mask, summary, overwrite)
                seen.take(record, f"{where}, id {image_id}")
                summary.empty_shapes.extend((where, what) for what in empty)
            except FILE_ERRORS as exc:
                summary.fail(where, exc)
                if record is not None:
                    note_without_mask(project, record, task, summary)
        if progress is not None:
            progress(done, len(data["images"]))
    return summary


def _image_ids(
    entries: list, path: Path, summary: ImportSummary, *, strings: bool = False
) -> tuple[dict[int, ImageId], set[ImageId]]:
    """Position in ``images`` -> image id for entries with a valid, unique id (others
    listed), and the ids shared by several entries (``strings``: string ids are valid too)."""
    ids: dict[int, ImageId] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            summary.fail(path, f"images[{i}]: malformed image entry {_short(entry)}")
            continue
        try:
            ids[i] = _image_id(entry.get("id"), strings)
        except ValueError as exc:
            summary.fail(path, f"images[{i}] ({_short(entry.get('file_name'))}): {exc}")
    counts = Counter(ids.values())
    for i, image_id in list(ids.items()):
        if counts[image_id] > 1:
            summary.fail(
                path,
                f"images[{i}] ({_short(entries[i].get('file_name'))}): image id {image_id} is "
                f"used by {counts[image_id]} images; its annotations cannot be attributed",
            )
            del ids[i]
    return ids, {i for i, n in counts.items() if n > 1}


def _group_annotations(
    anns: list, ids: dict[int, ImageId], shared: set[ImageId], path: Path, summary: ImportSummary,
    *, strings: bool = False,
) -> tuple[dict[ImageId, list[dict]], int]:  # fmt: skip
    """Annotations by image id, and how many refer to no image (each refused and listed)."""
    valid = set(ids.values())
    by_image: dict[ImageId, list[dict]] = defaultdict(list)
    orphans = 0
    for i, ann in enumerate(anns):
        if not isinstance(ann, dict):
            summary.fail(path, f"annotations[{i}]: malformed annotation {_short(ann)}")
            continue
        try:
            image_id = _image_id(ann.get("image_id"), strings)
        except ValueError as exc:
            summary.fail(path, f"annotation {_short(ann.get('id'))}: {exc}")
            orphans += 1
            continue
        if image_id in valid:
            by_image[image_id].append(ann)
        elif image_id in shared:
            summary.fail(path, f"annotation {_short(ann.get('id'))}: image id {image_id} is "
                         "shared by several images; not imported")  # fmt: skip
        else:
            summary.fail(path, f"annotation {_short(ann.get('id'))}: image_id {image_id} "
                         "matches no (valid, unique) image; not imported")  # fmt: skip
            orphans += 1
    return by_image, orphans


def find_photo(
    project: Project, adder: PhotoAdder, path: Path, name: str, where: str, names: ExportNames | None = None
) -> ImageRecord:
    """The project image of ``name``, an image's ``file_name`` in the COCO file ``path``.

    ``name`` is looked up relative to each of :func:`photo_folders` (the first file found is
    added), as written and then with ``\\`` as a folder separator (a file made on Windows), else
    the project photo of the same stem is taken
    (:func:`~fashion_annotator.dataset.formats.names.attach_target`).

    Raises
    ------
    ValueError
        An absolute or ``..`` name, or one leading out of a folder through a link; no photo.
        The message starts with ``where``.
    """
    forms = dict.fromkeys((name, name.replace("\\", "/")))  # a file made on Windows: sub\look.jpg
    try:
        candidates = [safe_join(folder, form) for form in forms for folder in photo_folders(path)]
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    for candidate in candidates:
        if candidate.is_file():
            return adder.add(candidate)
    rel = Path(name)
    return attach_target(project, rel.stem, Path(where), folder=str(rel.parent), suffix=rel.suffix, names=names)


def export_coco(
    project: Project,
    out: str | Path,
    task: str,
    progress: Progress | None = None,
    *,
    shapes: str = "mask",
    tolerance: float = DEFAULT_TOLERANCE,
) -> ExportSummary:
    """Write ``OUT/annotations.json`` (one instance per connected component per class) and the
    photos under ``OUT/images/``. ``shapes="mask"``: RLE (exact); ``"polygon"``: one polygon
    per instance, holes cut in through a zero-width bridge (keyhole), simplified within
    ``tolerance`` pixels."""
    check_shapes(shapes, "coco")
    taxonomy = project.taxonomy(task)
    out = prepare_export_folder(project, out, "images")
    summary = ExportSummary(out)
    images: list[dict] = []
    annotations: list[dict] = []

    def write(record: ImageRecord, stem: str, mask: np.ndarray) -> None:
        file_name = f"{stem}{record.path.suffix}"
        instances = _instances(mask, record.id, len(annotations) + 1, shapes, tolerance)
        summary.upright += copy_upright(record.path, out / "images" / file_name, record.shape)
        images.append(
            {"id": record.id, "file_name": file_name, "width": record.width,
             "height": record.height}
        )  # fmt: skip
        annotations.extend(instances)

    export_each(project, task, summary, write, progress)
    categories = [
        {"id": i, "name": name, "supercategory": task}
        for i, name in enumerate(taxonomy.names)
        if i > 0
    ]
    info = {"description": f"Fashion Annotator {task} masks", ALL_ANNOTATED: True}
    coco = {"info": info, "images": images, "annotations": annotations, "categories": categories}
    with closing_files(summary):
        atomic_write_text(out / ANNOTATIONS_JSON, json.dumps(coco))
    return summary


def _component_counts(components: np.ndarray, count: int) -> list[list[int]]:
    """Uncompressed COCO RLE counts of components ``1..count-1`` of a label image.

    Vectorised over all components together (column-major order, as COCO wants): time grows
    with pixels plus runs, not islands x pixels.
    """
    height, width = components.shape
    flat = components.T.ravel()
    idx = np.flatnonzero(flat)
    order = np.argsort(flat[idx], kind="stable")
    idx, labels = idx[order], flat[idx][order]
    new_comp = np.r_[True, labels[1:] != labels[:-1]]
    first = np.flatnonzero(new_comp | np.r_[True, np.diff(idx) != 1])
    last = np.r_[first[1:] - 1, len(idx) - 1]
    starts, ends = idx[first], idx[last] + 1
    comp_first = new_comp[first]
    prev_end = np.r_[0, ends[:-1]]
    prev_end[comp_first] = 0
    runs = np.empty(2 * len(starts), np.int64)
    runs[0::2], runs[1::2] = starts - prev_end, ends - starts
    values = runs.tolist()
    bounds = np.r_[np.flatnonzero(comp_first), len(starts)].tolist()
    tails = (height * width - ends[np.r_[bounds[1:]] - 1]).tolist()
    out = []
    for c in range(len(bounds) - 1):
        counts = values[2 * bounds[c] : 2 * bounds[c + 1]]
        if tails[c]:
            counts.append(tails[c])
        out.append(counts)
    return out


def _instances(
    mask: np.ndarray, image_id: int, first_id: int, shapes: str = "mask",
    tolerance: float = DEFAULT_TOLERANCE,
) -> list[dict]:
    out: list[dict] = []
    height, width = mask.shape
    size = [height, width]
    for label in np.unique(mask):
        if label == 0:
            continue
        binary = (mask == label).astype(np.uint8)
        count, components, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
        rles = mask_utils.frPyObjects(
            [{"size": size, "counts": c} for c in _component_counts(components, count)],
            height, width,
        )  # fmt: skip
        # pycocotools' area() and toBbox() overflow on lists of more than 255 instances.
        areas = stats[1:, cv2.CC_STAT_AREA].tolist()
        boxes = stats[1:, :4].tolist()  # left, top, width, height: COCO's bbox
        for c, (rle, area, box) in enumerate(zip(rles, areas, boxes, strict=True), 1):
            segmentation: object = {"size": size, "counts": rle["counts"].decode("ascii")}
            if shapes == "polygon":
                # traced in the component's box (1 px around it): the whole frame per component
                # took minutes on a 24-megapixel photo of a few hundred regions
                x, y, bw, bh = box
                y0, x0 = max(0, y - 1), max(0, x - 1)
                piece = components[y0 : y + bh + 1, x0 : x + bw + 1] == c
                offset = np.array([x0, y0], np.float64)
                polygons = mask_to_polygons(piece, tolerance)
                segmentation = [(keyhole(p) + offset).ravel().round(3).tolist() for p in polygons]
            out.append(
                {
                    "id": first_id + len(out),
                    "image_id": image_id,
                    "category_id": int(label),
                    "segmentation": segmentation,
                    "area": int(area),
                    "bbox": [float(v) for v in box],
                    "iscrowd": 0,
                }
            )
    return out
