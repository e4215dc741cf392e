"""CVAT for images 1.1: ``annotations.xml`` with ``<image>`` elements and ``images/``.

A folder is read through its ``annotations.xml`` (CVAT's name) or, without one, its only
``.xml`` file (Datumaro's cvat export names it after the subset: ``default.xml``).

Import reads ``<polygon>``, ``<box>``, ``<ellipse>`` and ``<mask>`` elements of each
``<image>``, painted by ``z_order`` (file order among equals), as CVAT renders them. A box or
an ellipse with a ``rotation`` (degrees, clockwise) is turned about its centre; an ellipse is
painted as a polygon of :data:`~fashion_annotator.dataset.formats.shapes.ELLIPSE_SIDES`
vertices. A ``<mask>`` is CVAT's run-length code over its box: ``rle`` counts alternate
background and foreground, starting with background, row by row over ``width x height``
pixels from ``left``, ``top``. ``<polyline>``, ``<points>`` and other elements enclose no
pixels: they are left out and named in the summary. An ``<image>`` without a shape that
paints (CVAT lists every frame of a task, annotated or not) is not annotated: its photo is
imported and listed without a mask, and no mask is saved.

Export writes ``OUT/annotations.xml`` (with the task's labels in ``<meta>``) and the photos
under ``OUT/images/``. ``shapes="polygon"`` (default) writes one ``<polygon>`` per region,
holes cut in through a zero-width bridge (keyhole); ``shapes="mask"`` writes one ``<mask>``
per class (exact). Coordinates: pixel ``(row r, col c)`` spans ``[c, c + 1] x [r, r + 1]``.
A photo whose name holds a character XML 1.0 cannot (a control character) is written as
``STEM-ID`` with ``_`` for it (:func:`~fashion_annotator.dataset.formats.names.xml_stem`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from fashion_annotator.core.atomic import atomic_write_bytes
from fashion_annotator.core.polygons import DEFAULT_TOLERANCE
from fashion_annotator.dataset.formats.common import (
    ExportSummary,
    ImportSummary,
    Progress,
    list_files,
    prepare_export_folder,
    refuse_special,
)
from fashion_annotator.dataset.formats.export_stop import closing_files
from fashion_annotator.dataset.formats.names import xml_stem
from fashion_annotator.dataset.formats.shapes import (
    SourceImage,
    check_shapes,
    class_regions,
    ellipse_ring,
    export_polygons,
    exported_images,
    fmt_number,
    image_side,
    import_entries,
    rotated,
)
from fashion_annotator.dataset.store import Project

ANNOTATIONS_XML = "annotations.xml"
PAINTED = ("polygon", "box", "ellipse", "mask")
"""The ``<image>`` children that paint pixels; the others are left out and named."""


def decode_cvat_rle(counts: list[int], width: int, height: int) -> np.ndarray:
    """CVAT mask RLE (background first, row-major) -> ``(height, width) bool``.

    Raises ``ValueError`` (before anything is allocated) when a box side is negative or the
    counts do not cover the box exactly.
    """
    if width < 0 or height < 0:
        raise ValueError(f"mask box {width}x{height} has a negative side")
    try:
        counts_arr = np.asarray(counts, np.int64)
    except OverflowError as exc:
        raise ValueError(f"mask rle count out of range ({exc})") from exc
    area = width * height
    if (counts_arr < 0).any():
        raise ValueError(f"mask rle has a negative count ({int(counts_arr.min())}): run lengths are 0 or more")
    if (counts_arr > area).any() or counts_arr.sum() != area:
        raise ValueError(
            f"mask rle covers {int(counts_arr.sum())} pixels, its box {width}x{height} has "
            f"{width * height}"
        )
    values = np.arange(len(counts_arr)) % 2 == 1
    return np.repeat(values, counts_arr).reshape(height, width)


def encode_cvat_rle(box: np.ndarray) -> list[int]:
    """``(h, w) bool`` -> CVAT mask RLE counts (background first, row-major)."""
    flat = box.ravel().astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    return [0, *counts] if flat.size and flat[0] else counts


def _mask_region(node: ET.Element) -> Callable[[tuple[int, int]], np.ndarray]:
    """A ``<mask>``: its box is checked against the photo before the RLE is expanded."""
    counts = [int(v) for v in node.get("rle", "").replace(" ", "").split(",") if v]
    left, top = int(float(node.get("left", 0))), int(float(node.get("top", 0)))
    width, height = int(float(node.get("width", 0))), int(float(node.get("height", 0)))

    def paint(size: tuple[int, int]) -> np.ndarray:
        if min(left, top) < 0 or top + height > size[0] or left + width > size[1]:
            raise ValueError(
                f"mask box {left},{top} {width}x{height} leaves the image "
                f"({size[1]}x{size[0]})"
            )
        out = np.zeros(size, bool)
        out[top : top + height, left : left + width] = decode_cvat_rle(counts, width, height)
        return out

    return paint


def _parse_points(text: str) -> np.ndarray:
    pts = np.array([[float(v) for v in pair.split(",")] for pair in text.split(";") if pair])
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3:
        raise ValueError(f"polygon points {text[:60]!r} are not 3 or more x,y pairs")
    return pts


def _parse_image(node: ET.Element, path: Path) -> SourceImage:
    name = node.get("name", "")
    entry = SourceImage(name=name, where=f"{path}: image {name!r}")
    try:
        entry.size = (image_side(node.get("height"), "height"), image_side(node.get("width"), "width"))
        shapes = [c for c in node if c.tag in PAINTED]
        shapes.sort(key=lambda c: int(c.get("z_order", 0)))
        for child in shapes:
            label = child.get("label", "")
            if child.tag == "polygon":
                entry.add_rings(label, [_parse_points(child.get("points", ""))])
            elif child.tag in ("box", "ellipse"):
                entry.add_rings(label, [_turned_ring(child)])
            else:
                entry.add_bitmap(label, _mask_region(child))
    except (ValueError, OverflowError) as exc:  # int(float("inf")) overflows
        entry.error = str(exc)
    others = Counter(c.tag for c in node if c.tag not in PAINTED)
    if others:
        listed = ", ".join(f"{n} <{tag}>" for tag, n in sorted(others.items()))
        entry.notes.append(f"{listed} left out (only {', '.join(f'<{t}>' for t in PAINTED)} paint pixels)")
    entry.annotated = bool(entry.regions)
    return entry


def _turned_ring(node: ET.Element) -> np.ndarray:
    """A ``<box>`` or ``<ellipse>`` as a ring, turned by its ``rotation`` about its centre."""
    degrees = float(node.get("rotation", 0))
    if node.tag == "ellipse":
        cx, cy, rx, ry = (float(node.get(k, "")) for k in ("cx", "cy", "rx", "ry"))
        return ellipse_ring(cx, cy, rx, ry, degrees)
    x0, y0, x1, y1 = (float(node.get(k, "")) for k in ("xtl", "ytl", "xbr", "ybr"))
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    return rotated(corners, degrees, corners.mean(axis=0)) if degrees else corners


def import_cvat(
    project: Project,
    src: str | Path,
    taxonomy: str | None = None,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> ImportSummary:
    """Import a CVAT for images XML (``src`` the file, or a folder: :func:`folder_xml`)."""
    src = Path(src)
    path = folder_xml(src) if src.is_dir() else src
    refuse_special(path, "CVAT XML")
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise ValueError(f"{path}: not a readable CVAT XML ({exc})") from exc
    if root.tag != "annotations":
        raise ValueError(f"{path}: not a CVAT for images file (root <{root.tag}>)")
    entries = [_parse_image(node, path) for node in root.iter("image")]
    if not entries:
        raise ValueError(f"{path}: no <image> elements (a CVAT for video file?)")
    folder = path.parent
    return import_entries(project, entries, [folder / "images", folder], taxonomy, path, progress, overwrite=overwrite)


def folder_xml(folder: Path) -> Path:
    """The CVAT XML of a ``folder``: its ``annotations.xml`` (CVAT's name), else its one
    ``.xml`` file (Datumaro names it after the subset: ``default.xml``).

    Raises
    ------
    ValueError
        The folder has no ``annotations.xml`` and no or several ``.xml`` files (named).
    """
    if (folder / ANNOTATIONS_XML).exists():
        return folder / ANNOTATIONS_XML
    found = list_files(folder, {".xml"})
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValueError(f"{folder}: no {ANNOTATIONS_XML} or other .xml file (a CVAT for images folder expected)")
    names = ", ".join(path.name for path in found)
    raise ValueError(
        f"{folder}: no {ANNOTATIONS_XML} and several .xml files ({names}); import one of them by its path"
    )


def _meta(task: str, names: tuple[str, ...], colors: np.ndarray, size: int) -> ET.Element:
    meta = ET.Element("meta")
    node = ET.SubElement(meta, "task")
    ET.SubElement(node, "name").text = task
    ET.SubElement(node, "size").text = str(size)
    ET.SubElement(node, "mode").text = "annotation"
    labels = ET.SubElement(node, "labels")
    for name, color in zip(names[1:], colors[1:], strict=True):
        label = ET.SubElement(labels, "label")
        ET.SubElement(label, "name").text = name
        ET.SubElement(label, "color").text = "#{:02x}{:02x}{:02x}".format(*color)
        ET.SubElement(label, "type").text = "any"
        ET.SubElement(label, "attributes")
    ET.SubElement(meta, "dumped").text = datetime.now(timezone.utc).isoformat()
    return meta


def _shape(tag: str, label: str, z_order: int, **attrs: str) -> ET.Element:
    base = {"label": label, "source": "manual", "occluded": "0", **attrs, "z_order": str(z_order)}
    return ET.Element(tag, base)


def export_cvat(
    project: Project,
    out: str | Path,
    task: str,
    progress: Progress | None = None,
    *,
    shapes: str = "polygon",
    tolerance: float = DEFAULT_TOLERANCE,
) -> ExportSummary:
    """Write ``OUT/annotations.xml`` (CVAT for images 1.1) and ``OUT/images/``."""
    check_shapes(shapes, "cvat")
    taxonomy = project.taxonomy(task)
    names = taxonomy.names
    out = prepare_export_folder(project, out)
    summary = ExportSummary(out)
    root = ET.Element("annotations")
    ET.SubElement(root, "version").text = "1.1"
    nodes: list[ET.Element] = []
    for record, photo, mask in exported_images(project, task, summary, out / "images", progress, xml_stem):
        node = ET.Element(
            "image",
            {"id": str(len(nodes)), "name": photo, "width": str(record.width),
             "height": str(record.height)},
        )  # fmt: skip
        if shapes == "polygon":
            for z, (label, ring) in enumerate(export_polygons(mask, tolerance)):
                points = ";".join(f"{fmt_number(x)},{fmt_number(y)}" for x, y in ring)
                node.append(_shape("polygon", names[label], z, points=points))
        else:
            for z, (label, region) in enumerate(class_regions(mask)):
                rows, cols = np.flatnonzero(region.any(1)), np.flatnonzero(region.any(0))
                box = region[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
                rle = ", ".join(str(c) for c in encode_cvat_rle(box))
                node.append(
                    _shape("mask", names[label], z, rle=rle, left=str(cols[0]), top=str(rows[0]),
                           width=str(box.shape[1]), height=str(box.shape[0]))
                )  # fmt: skip
        nodes.append(node)
    root.append(_meta(task, tuple(names), taxonomy.colors, len(nodes)))
    root.extend(nodes)
    ET.indent(root)
    with closing_files(summary):
        atomic_write_bytes(out / ANNOTATIONS_XML, ET.tostring(root, encoding="utf-8", xml_declaration=True))
    return summary
