"""COCO instance JSON: import RLE or polygon instances, export RLE per connected component.

Import reads ``images`` (``file_name`` relative to the JSON's folder or its ``images/``),
``annotations`` and ``categories`` (matched to the task's classes by name). Instances are
painted largest first, so a smaller one lying on a larger one stays visible. An image listed
without annotations is an all-background mask.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.core.labels import Taxonomy
from fashion_annotator.core.polygons import DEFAULT_TOLERANCE, keyhole, mask_to_polygons
from fashion_annotator.dataset.formats.common import (
    FILE_ERRORS,
    ExportSummary,
    ImportSummary,
    PhotoAdder,
    Progress,
    attach_target,
    masked_images,
    safe_join,
    save_imported,
)
from fashion_annotator.dataset.formats.shapes import check_shapes
from fashion_annotator.dataset.records import ImageRecord
from fashion_annotator.dataset.store import Project

ANNOTATIONS_JSON = "annotations.json"


def _read(src: Path) -> tuple[Path, dict]:
    path = src / ANNOTATIONS_JSON if src.is_dir() else src
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable COCO JSON ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise ValueError(f"{path}: not a COCO file (no 'images' list)")
    for key in ("annotations", "categories"):
        if not isinstance(data.get(key, []), list):
            raise ValueError(f"{path}: '{key}' must be a list")
    return path, data


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
            raise ValueError(f"{path}: malformed category {cat!r}")
        name = str(cat["name"])
        if name in taxonomy.names:
            out[cat["id"]] = taxonomy.index(name)
        else:
            out[cat["id"]] = f"category {name!r} is not a class of {taxonomy.name!r}"
    return out


def _decode(segmentation: object, height: int, width: int) -> np.ndarray:
    if isinstance(segmentation, dict):
        counts = segmentation.get("counts")
        size = segmentation.get("size")
        if list(size or []) != [height, width]:
            raise ValueError(f"RLE size {size} differs from the image's {[height, width]}")
        if isinstance(counts, list):
            rle = mask_utils.frPyObjects(segmentation, height, width)
        elif isinstance(counts, str | bytes):
            raw = counts.encode("ascii") if isinstance(counts, str) else counts
            rle = {"size": [height, width], "counts": raw}
        else:
            raise ValueError("RLE 'counts' must be a list or a string")
    elif isinstance(segmentation, list) and segmentation:
        polygons = [list(map(float, p)) for p in segmentation]
        if any(len(p) < 6 or len(p) % 2 for p in polygons):
            raise ValueError("a polygon needs at least 3 x,y pairs")
        rle = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
    else:
        raise ValueError(f"unsupported segmentation {type(segmentation).__name__}")
    return mask_utils.decode(rle).astype(bool)


def _paint(
    record: ImageRecord, anns: list[dict], categories: dict[int, int | str], where: str
) -> np.ndarray:
    height, width = record.shape
    mask = np.zeros((height, width), np.uint8)
    decoded = []
    for ann in anns:
        label = categories.get(int(ann.get("category_id", -1)))
        if label is None:
            raise ValueError(f"{where}: annotation {ann.get('id')} has unknown category")
        if isinstance(label, str):
            raise ValueError(f"{where}: annotation {ann.get('id')}: {label}")
        try:
            region = _decode(ann.get("segmentation"), height, width)
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            raise ValueError(f"{where}: annotation {ann.get('id')}: {exc}") from exc
        decoded.append((int(region.sum()), label, region))
    for _, label, region in sorted(decoded, key=lambda item: -item[0]):
        mask[region] = label
    return mask


def import_coco(
    project: Project,
    src: str | Path,
    taxonomy: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a COCO instance file (``src`` is the JSON, or a folder with ``annotations.json``).

    Photos are looked up relative to the JSON's folder, then its ``images/``; a missing photo
    attaches to the project photo of the same stem. Absolute or ``..`` names are refused.
    """
    path, data = _read(Path(src))
    root = path.parent
    names = {str(c.get("name")) for c in data.get("categories", []) if isinstance(c, dict)}
    task = _pick_task(project, names, taxonomy, path)
    categories = _category_ids(data, project.taxonomy(task), path)
    anns_by_image: dict[object, list[dict]] = defaultdict(list)
    for ann in data.get("annotations", []):
        if isinstance(ann, dict):
            anns_by_image[ann.get("image_id")].append(ann)
    summary = ImportSummary()
    adder = PhotoAdder(project, summary)
    for done, entry in enumerate(data["images"], 1):
        if not isinstance(entry, dict):
            summary.fail(path, f"malformed image entry {entry!r}")
            continue
        name = str(entry.get("file_name", ""))
        where = f"{path}: image {name!r}"
        try:
            record = _photo(project, adder, root, name, where)
            size = (entry.get("height"), entry.get("width"))
            if size != record.shape:
                raise ValueError(f"{where}: size {size} differs from the photo's {record.shape}")
            mask = _paint(record, anns_by_image.get(entry.get("id"), []), categories, where)
            save_imported(project, record, task, mask, summary)
        except FILE_ERRORS as exc:
            summary.fail(where, exc)
        if progress is not None:
            progress(done, len(data["images"]))
    return summary


def _photo(project: Project, adder: PhotoAdder, root: Path, name: str, where: str) -> ImageRecord:
    try:
        candidates = [safe_join(root, name), safe_join(root / "images", name)]
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    for candidate in candidates:
        if candidate.is_file():
            return adder.add(candidate)
    return attach_target(project, Path(name).stem, Path(where))


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
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    summary = ExportSummary(out)
    images: list[dict] = []
    annotations: list[dict] = []
    for record, stem, mask in masked_images(project, task, summary, progress):
        file_name = f"{stem}{record.path.suffix.lower()}"
        shutil.copyfile(record.path, out / "images" / file_name)
        images.append(
            {
                "id": record.id,
                "file_name": file_name,
                "width": record.width,
                "height": record.height,
            }
        )
        annotations.extend(_instances(mask, record.id, len(annotations) + 1, shapes, tolerance))
    categories = [
        {"id": i, "name": name, "supercategory": task}
        for i, name in enumerate(taxonomy.names)
        if i > 0
    ]
    coco = {"images": images, "annotations": annotations, "categories": categories}
    atomic_write_text(out / ANNOTATIONS_JSON, json.dumps(coco))
    return summary


def _instances(
    mask: np.ndarray, image_id: int, first_id: int, shapes: str, tolerance: float
) -> list[dict]:
    out: list[dict] = []
    for label in np.unique(mask):
        if label == 0:
            continue
        count, components = cv2.connectedComponents((mask == label).astype(np.uint8), 8)
        for component in range(1, count):
            binary = np.asfortranarray((components == component).astype(np.uint8))
            rle = mask_utils.encode(binary)
            segmentation: object = {"size": rle["size"], "counts": rle["counts"].decode("ascii")}
            if shapes == "polygon":
                polygons = mask_to_polygons(binary, tolerance)
                segmentation = [keyhole(p).ravel().round(3).tolist() for p in polygons]
            out.append(
                {
                    "id": first_id + len(out),
                    "image_id": image_id,
                    "category_id": int(label),
                    "segmentation": segmentation,
                    "area": int(mask_utils.area(rle)),
                    "bbox": [float(v) for v in mask_utils.toBbox(rle)],
                    "iscrowd": 0,
                }
            )
    return out
