"""YOLO segmentation (Ultralytics): ``data.yaml``, ``images/``, ``labels/STEM.txt``.

Each label line is ``class x1 y1 x2 y2 ...`` with coordinates normalised to ``[0, 1]`` by the
photo's width and height; class ``k`` is ``names[k]`` of ``data.yaml`` (a list or an
``{index: name}`` map). Background is not a YOLO class: class ``k`` of an export is the
task's class ``k + 1``.

Import reads every ``labels/**/*.txt`` (a detection line ``class cx cy w h`` becomes its
box); the photo is the file of the same stem in the mirrored ``images/`` folder (Ultralytics'
``labels`` -> ``images`` rule), else the project photo with that stem. Regions are painted
largest first, as Ultralytics' overlapping-mask loader does, so a smaller region lying on a
larger one stays visible.

Export writes one polygon per region; holes are cut in through a zero-width bridge to the
outline (the keyhole convention of Ultralytics' own COCO converter), and ``data.yaml`` lists
``train`` and ``val`` as ``images`` (split the files as you wish).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import yaml

from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.core.polygons import DEFAULT_TOLERANCE, ring_area
from fashion_annotator.dataset.formats.common import (
    FILE_ERRORS,
    ExportSummary,
    ImportSummary,
    Progress,
    prepare_export_folder,
    refuse_special,
    require_folder,
)
from fashion_annotator.dataset.formats.export_stop import closing_files, file_error_text
from fashion_annotator.dataset.formats.shapes import (
    SourceImage,
    check_shapes,
    export_polygons,
    exported_images,
    fmt_number,
    import_entries,
    paint_rings,
)
from fashion_annotator.dataset.store import Project

DATA_YAML = "data.yaml"


def read_names(path: Path) -> list[str]:
    """Class names of a ``data.yaml`` (``names`` as a list or an index map)."""
    refuse_special(path, "YAML file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: not a readable YAML file ({exc})") from exc
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, dict):
        try:
            indices = sorted(int(k) for k in names)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: 'names' keys must be class indices") from exc
        if indices != list(range(len(indices))):
            raise ValueError(f"{path}: 'names' indices must run 0..{len(indices) - 1}")
        return [_class_name(names[k] if k in names else names[str(k)], k, path) for k in indices]
    if isinstance(names, list):
        return [_class_name(n, k, path) for k, n in enumerate(names)]
    raise ValueError(f"{path}: no 'names' list or map")


def _class_name(value: object, index: int, path: Path) -> str:
    """Class ``index``'s name (a YAML scalar as text). A list or a map is refused: written out,
    one built of nested YAML aliases (``&a [*b, *b, ...]``) grew to gigabytes from a few lines."""
    if isinstance(value, list | dict):
        raise ValueError(f"{path}: class {index}'s name is a {'list' if isinstance(value, list) else 'map'}, not a name")
    return str(value)


def _line_rings(values: list[float]) -> np.ndarray:
    """The ring of one label line's coordinates (0..1 of the photo's sides); ``ValueError`` for
    a coordinate that is not a finite number (the rest is checked when it is painted)."""
    if len(values) == 4:
        cx, cy, w, h = values
        ring = np.array(
            [[cx - w / 2, cy - h / 2], [cx + w / 2, cy - h / 2],
             [cx + w / 2, cy + h / 2], [cx - w / 2, cy + h / 2]]
        )  # fmt: skip
    elif len(values) < 6 or len(values) % 2:
        raise ValueError(f"{len(values)} coordinates (a polygon needs 3 or more x y pairs)")
    else:
        ring = np.asarray(values, np.float64).reshape(-1, 2)
    if not np.isfinite(ring).all():
        raise ValueError("a coordinate is not a finite number")
    return ring


def _photo_for(label_file: Path, labels_dir: Path) -> str:
    """``SUB/STEM`` under ``images/``: the label file's mirror (the suffix is found later)."""
    return label_file.relative_to(labels_dir).with_suffix("").as_posix()


def _parse(label_file: Path, names: list[str], labels_dir: Path) -> SourceImage:
    entry = SourceImage(name=_photo_for(label_file, labels_dir), where=str(label_file))
    try:
        shapes = []
        refuse_special(label_file, "YOLO label file")
        lines = label_file.read_text(encoding="utf-8-sig").splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            fields = line.split()
            try:
                cls = int(fields[0])
                ring = _line_rings([float(v) for v in fields[1:]])
            except ValueError as exc:
                raise ValueError(f"line {number}: {exc}") from exc
            if not 0 <= cls < len(names):
                raise ValueError(f"line {number}: class {cls} is not in data.yaml's names")
            shapes.append((names[cls], ring))
        shapes.sort(key=lambda item: -ring_area(item[1]))
        for label, ring in shapes:
            entry.add_bitmap(label, functools.partial(_paint_relative, label, ring))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        entry.error = str(exc)
    return entry


def import_yolo(
    project: Project,
    src: str | Path,
    taxonomy: str | None = None,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> ImportSummary:
    """Import a YOLO segmentation folder (``data.yaml``, ``labels/``, ``images/``)."""
    src = require_folder(Path(src), "a YOLO dataset folder")
    names = read_names(src / DATA_YAML)
    labels_dir = require_folder(src / "labels", "labels/ of a YOLO dataset")
    files = sorted(labels_dir.rglob("*.txt"))
    entries = [_parse(f, names, labels_dir) for f in files]
    if taxonomy is None and not entries:
        raise ValueError(f"{labels_dir}: no label files")
    return import_entries(
        project, entries, [src / "images", src], taxonomy, src / DATA_YAML, progress, overwrite=overwrite
    )


def export_yolo(
    project: Project,
    out: str | Path,
    task: str,
    progress: Progress | None = None,
    *,
    shapes: str = "polygon",
    tolerance: float = DEFAULT_TOLERANCE,
) -> ExportSummary:
    """Write ``OUT/data.yaml``, ``OUT/images/`` and ``OUT/labels/`` (one line per region)."""
    check_shapes(shapes, "yolo", ("polygon",))
    names = project.taxonomy(task).names
    out = prepare_export_folder(project, out, "labels")
    summary = ExportSummary(out)
    for record, photo, mask in exported_images(project, task, summary, out / "images", progress):
        scale = np.array([1 / record.width, 1 / record.height])
        lines = [
            " ".join([str(label - 1), *(fmt_number(v, 6) for v in (ring * scale).ravel())])
            for label, ring in export_polygons(mask, tolerance)
        ]
        try:
            atomic_write_text(out / "labels" / f"{Path(photo).stem}.txt", "".join(f"{line}\n" for line in lines))
        except FILE_ERRORS as exc:
            summary.take_back(record, file_error_text(exc), out / "images" / photo)
    data = {
        "train": "images",
        "val": "images",
        "nc": len(names) - 1,
        "names": {i: name for i, name in enumerate(names[1:])},
    }
    with closing_files(summary):
        atomic_write_text(out / DATA_YAML, yaml.safe_dump(data, sort_keys=False))
    return summary


def _paint_relative(label: str, ring: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Paint one ring given in 0..1 coordinates on an image of ``size = (H, W)`` (checked:
    :func:`~fashion_annotator.dataset.formats.shapes.paint_rings`)."""
    return paint_rings(label, [ring * [size[1], size[0]]], size)
