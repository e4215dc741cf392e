"""labelme: one JSON per photo (``shapes`` with ``label``, ``points``, ``shape_type``).

Import reads ``polygon``, ``rectangle``, ``circle`` and ``mask`` shapes (the last is a base64
PNG of the shape's box, labelme 5.3+), painted in file order as labelme's own converters do;
``line``, ``linestrip`` and ``point`` shapes enclose no pixels and are skipped. The photo is
``imagePath`` relative to the JSON (or its base name beside it or in ``images/``), else the
project photo with the same stem; an embedded ``imageData`` is not needed.

Export writes ``OUT/STEM.json`` beside a copy of the photo ``OUT/STEM.ext``: one ``polygon``
shape per region, labelled with the class name. A region's holes are cut into its outline
through a zero-width bridge (keyhole polygon), so no background shapes are needed and the
file opens in labelme as drawn. Coordinates are labelme's canvas coordinates: pixel
``(row r, col c)`` spans ``[c, c + 1] x [r, r + 1]``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.core.images import ImageLoadError
from fashion_annotator.core.label_images import decode_mask_png
from fashion_annotator.core.polygons import DEFAULT_TOLERANCE
from fashion_annotator.dataset.formats.common import (
    FILE_ERRORS,
    ExportSummary,
    ImportSummary,
    Progress,
    prepare_export_folder,
    read_json,
)
from fashion_annotator.dataset.formats.export_stop import file_error_text
from fashion_annotator.dataset.formats.names import EXPORT_NAMES
from fashion_annotator.dataset.formats.shapes import (
    SourceImage,
    check_shapes,
    ellipse_ring,
    export_polygons,
    exported_images,
    image_side,
    import_entries,
)
from fashion_annotator.dataset.store import Project

LABELME_VERSION = "5.5.0"
NO_AREA = frozenset({"line", "linestrip", "point", "points"})


def _points(shape: dict) -> np.ndarray:
    pts = np.asarray(shape.get("points"), np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"shape {shape.get('label')!r}: points must be a list of [x, y] pairs")
    if not np.isfinite(pts).all():
        raise ValueError(f"shape {shape.get('label')!r}: a coordinate is not a finite number")
    return pts


def _ring(shape: dict) -> np.ndarray:
    kind = shape.get("shape_type") or "polygon"
    pts = _points(shape)
    if kind == "polygon":
        if len(pts) < 3:
            raise ValueError(f"polygon {shape.get('label')!r} has fewer than 3 points")
        return pts
    if len(pts) != 2:
        raise ValueError(f"{kind} {shape.get('label')!r} needs 2 points, got {len(pts)}")
    if kind == "rectangle":
        (x0, y0), (x1, y1) = pts
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    if kind == "circle":
        (cx, cy), edge = pts
        radius = float(np.hypot(*(edge - pts[0])))
        return ellipse_ring(cx, cy, radius, radius)
    raise ValueError(f"unsupported shape_type {kind!r}")


def _bitmap(shape: dict, where: str) -> Callable[[tuple[int, int]], np.ndarray]:
    """A ``mask`` shape: its base64 PNG, decoded (by the checked loader) when it is painted.

    The box's top-left corner is ``points[0]``; parts of the box outside the photo are cut off.
    """
    pts = _points(shape)
    label = shape.get("label")
    try:
        data = base64.b64decode(shape["mask"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"mask shape {label!r}: unreadable mask ({exc})") from exc
    x0, y0 = (int(np.floor(v)) for v in pts[0])

    def paint(size: tuple[int, int]) -> np.ndarray:
        try:
            box = decode_mask_png(data, where) > 0
        except ImageLoadError as exc:
            raise ValueError(f"{where}: mask shape {label!r}: unreadable mask ({exc.reason})") from exc
        out = np.zeros(size, bool)
        top, left = max(y0, 0), max(x0, 0)
        bottom, right = min(y0 + box.shape[0], size[0]), min(x0 + box.shape[1], size[1])
        if top < bottom and left < right:
            out[top:bottom, left:right] = box[top - y0 : bottom - y0, left - x0 : right - x0]
        return out

    return paint


def parse_labelme(path: Path) -> SourceImage:
    """Read one labelme JSON into a :class:`SourceImage` (errors recorded, not raised)."""
    entry = SourceImage(name=path.stem, where=str(path))
    try:
        data = read_json(path, "labelme JSON")
        if not isinstance(data, dict) or not isinstance(data.get("shapes"), list):
            raise ValueError("not a labelme file (no 'shapes' list)")
        entry.name = str(data.get("imagePath") or path.stem)
        if data.get("imageHeight") and data.get("imageWidth"):
            entry.size = (image_side(data["imageHeight"], "imageHeight"), image_side(data["imageWidth"], "imageWidth"))
        for shape in data["shapes"]:
            if not isinstance(shape, dict) or "label" not in shape:
                raise ValueError(f"malformed shape {shape!r:.80}")
            kind = shape.get("shape_type") or "polygon"
            if kind in NO_AREA:
                continue
            if kind == "mask":
                entry.add_bitmap(str(shape["label"]), _bitmap(shape, str(path)))
            else:
                entry.add_rings(str(shape["label"]), [_ring(shape)])
    except (ValueError, TypeError) as exc:
        entry.error = str(exc)
    except RecursionError:  # a structure nested deeper than its checks can walk
        entry.error = "nested too deeply to be read"
    return entry


def import_labelme(
    project: Project,
    src: str | Path,
    taxonomy: str | None = None,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> ImportSummary:
    """Import a labelme JSON file, or every ``*.json`` of a folder (not recursive; an export's
    :data:`~fashion_annotator.dataset.formats.names.EXPORT_NAMES` is read as such)."""
    src = Path(src)
    files = sorted(p for p in src.glob("*.json") if p.name != EXPORT_NAMES) if src.is_dir() else [src]
    if not files:
        raise ValueError(f"{src}: no labelme .json files")
    entries = [parse_labelme(f) for f in files]
    folder = src if src.is_dir() else src.parent
    return import_entries(project, entries, [folder, folder / "images"], taxonomy, src, progress, overwrite=overwrite)


def export_labelme(
    project: Project,
    out: str | Path,
    task: str,
    progress: Progress | None = None,
    *,
    shapes: str = "polygon",
    tolerance: float = DEFAULT_TOLERANCE,
) -> ExportSummary:
    """Write ``OUT/STEM.json`` (labelme polygons) and ``OUT/STEM.ext`` for each masked image."""
    check_shapes(shapes, "labelme", ("polygon",))
    names = project.taxonomy(task).names
    out = prepare_export_folder(project, out)
    summary = ExportSummary(out)
    for record, photo, mask in exported_images(project, task, summary, out, progress):
        doc: dict[str, Any] = {
            "version": LABELME_VERSION,
            "flags": {},
            "shapes": [
                {
                    "label": names[label],
                    "points": ring.tolist(),
                    "group_id": None,
                    "description": "",
                    "shape_type": "polygon",
                    "flags": {},
                    "mask": None,
                }
                for label, ring in export_polygons(mask, tolerance)
            ],
            "imagePath": photo,
            "imageData": None,
            "imageHeight": record.height,
            "imageWidth": record.width,
        }
        try:
            atomic_write_text(out / f"{Path(photo).stem}.json", json.dumps(doc, indent=2))
        except FILE_ERRORS as exc:
            summary.take_back(record, file_error_text(exc), out / photo)
    return summary
