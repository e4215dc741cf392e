"""Label Studio JSON export: a list of tasks with ``brushlabels`` RLE and ``polygonlabels``.

Import reads each task's last non-cancelled annotation (``predictions`` are not ground
truth and are ignored; a task without one is named as left out, its photo imported without a
mask): ``brushlabels`` (Label Studio's bit-packed RLE of an RGBA canvas; a
pixel is set where alpha >= 128), ``polygonlabels``, ``rectanglelabels`` (percent
coordinates, rotation about the top-left corner as Label Studio draws it) and
``ellipselabels`` (centre ``x``, ``y`` and ``radiusX``, ``radiusY`` in percent of the width and
height, rotation about the centre; painted as a polygon of
:data:`~fashion_annotator.dataset.formats.shapes.ELLIPSE_SIDES` vertices), painted in result
order. Other results (``keypointlabels``, ``choices``, a region without a label...) paint
nothing: they are counted by type and named in the summary, and a task whose regions paint
nothing is not annotated (its photo is imported without a mask, and no mask is saved); a
submitted annotation without regions is an all-background mask (nothing of the task there). The photo is ``data.image``: a ``?d=`` local-files path (percent-encoded, decoded
once; tried with its folders, then shorter, beside the JSON or in ``images/``), or an upload's
file name (Label Studio's ``8hex-`` prefix is tried without it); else the project photo with
the same stem (see :class:`~fashion_annotator.dataset.formats.shapes.PhotoFinder`). A plain
relative path that names a file beside the JSON as written (older exports of this app wrote
``images/NAME`` unescaped) is taken as it is.

Export writes ``OUT/tasks.json`` and the photos under ``OUT/images/``; ``data.image`` is
``/data/local-files/?d=images/NAME`` with ``NAME`` percent-encoded as Label Studio writes it
(point a local-files storage with document root ``OUT`` at it, or import as pre-annotations),
so ``#``, ``%``, ``?``, spaces and control characters in a name survive the round trip.
``shapes="mask"`` (default, exact) writes one brush region per class, ``shapes="polygon"``
one polygon per region with holes cut in through a zero-width bridge. ``OUT/label_config.xml``
is the labeling interface those results belong to (the project's Settings > Labeling
Interface > Code): Label Studio shows and converts a result only through a control tag named as
its ``from_name`` that lists its label, which nothing else in the export names.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlparse

import numpy as np

from fashion_annotator.core.atomic import atomic_write_text
from fashion_annotator.core.polygons import DEFAULT_TOLERANCE
from fashion_annotator.dataset.formats.common import (
    ExportSummary,
    ImportSummary,
    Progress,
    prepare_export_folder,
    read_json,
)
from fashion_annotator.dataset.formats.export_stop import closing_files
from fashion_annotator.dataset.formats.shapes import (
    SourceImage,
    check_shapes,
    class_regions,
    ellipse_ring,
    export_polygons,
    exported_images,
    image_side,
    import_entries,
    rotated,
)
from fashion_annotator.dataset.store import Project

TASKS_JSON = "tasks.json"
LABEL_CONFIG = "label_config.xml"
_CONTROLS = {"brushlabels": ("BrushLabels", "tag"), "polygonlabels": ("PolygonLabels", "label")}
"""The control tag and its name (a result's ``from_name``) of each result type an export writes."""
PAINTED = ("brushlabels", "polygonlabels", "rectanglelabels", "ellipselabels")
"""The result types that paint pixels; the others (``keypointlabels``, ``choices``...) are
left out and named in the summary."""
_WORD_BITS = 8
_RUN_BITS = (3, 4, 8, 16)
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")
LOCAL_FILES = "/data/local-files/?d="
_URL_START = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|/)")


def _bit_fields(padded: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """The ``width``-bit big-endian fields (``width`` <= 32) at bit offsets ``starts``.

    Parameters
    ----------
    padded : np.ndarray
        The ``uint8`` bytes, with at least 5 zero bytes after the last one a field may reach.
    starts : np.ndarray
        ``int64`` bit offsets from the first byte's most significant bit.
    width : int
        Bits per field, 1 to 32.

    Returns
    -------
    np.ndarray
        ``uint64``, one field per offset.
    """
    first = starts >> 3
    used = (7 + width + 7) // 8  # the bytes a field can touch
    acc = np.zeros(starts.size, np.uint64)
    for k in range(used):
        acc = (acc << np.uint64(8)) | padded[first + k]
    drop = (8 * used - width - (starts & 7)).astype(np.uint64)
    return (acc >> drop) & np.uint64((1 << width) - 1)


def _run_starts(padded: np.ndarray, nbits: int, word: int, sizes: list[int]) -> np.ndarray:
    """Walk the runs of a brush RLE after its 53-bit header, to the first one whose header does
    not fit in the RLE: the bit offset of each run whose header is whole.

    Each run's place depends on the one before, so this is a Python loop, one step a run (its
    words are read afterwards with numpy, :func:`_bit_fields`). It does not count words: the
    caller keeps the runs up to the one that reaches the declared number (the runs after it, in
    bits an encoder left over, are walked for nothing, never read).

    Parameters
    ----------
    padded : np.ndarray
        The RLE's ``uint8`` bytes and at least 4 zero bytes more.
    nbits : int
        Bits in the RLE (without the padding).
    word, sizes
        The header's word size and its four run-length field sizes.

    Returns
    -------
    np.ndarray
        ``int64`` bit offsets.
    """
    wide = padded.astype(np.uint32)
    windows = ((wide[:-3] << 24) | (wide[1:-2] << 16) | (wide[2:-1] << 8) | wide[3:]).data  # by its first byte
    # by a run's first 3 bits (repeat, size index): its length field's size, shift and mask,
    # and the bits of its one word when it repeats (0: a literal run's words follow)
    kinds = [(s, 29 - s, (1 << s) - 1, word if repeat else 0) for repeat in (0, 1) for s in sizes]
    starts: list[int] = []
    add = starts.append
    pos = 53
    try:
        while True:
            head = windows[pos >> 3] << (pos & 7) & 0xFFFFFFFF  # 32 bits from pos; 25 or more real
            size, shift, mask, repeat_bits = kinds[head >> 29]
            first = pos + 3 + size
            if first > nbits:
                break
            add(pos)
            pos = first + (repeat_bits or ((head >> shift & mask) + 1) * word)
    except IndexError:  # the run before claimed words far past the end
        pass
    return np.asarray(starts, np.int64)


def decode_ls_rle(rle: list[int], expected: int | None = None) -> np.ndarray:
    """Label Studio brush RLE (thi.ng rle-pack) -> the flat ``uint8`` words it encodes.

    With ``expected``, an RLE that declares another number of words is refused (``ValueError``)
    before anything is allocated: its header may ask for up to 2^32 words. So is one that ends
    early, and one whose header declares words wider than a byte and holds a value above 255
    (numpy's ``OverflowError`` for it stopped the whole import). The runs are walked in Python
    (one step a run), their words read and expanded with numpy.
    """
    try:
        data = np.asarray(rle, np.int64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"brush RLE is not a list of bytes ({exc})") from exc
    if data.ndim != 1 or (data.size and not 0 <= data.min() <= data.max() <= 255):
        raise ValueError("brush RLE is not a list of bytes (0..255)")
    raw = data.astype(np.uint8)
    nbits = 8 * raw.size
    if nbits < 32:
        raise ValueError("brush RLE ends early")
    num = int.from_bytes(raw[:4].tobytes(), "big")
    if expected is not None and num != expected:
        raise ValueError(f"brush RLE holds {num} values, the image needs {expected}")
    if nbits < 53:
        raise ValueError("brush RLE ends early")
    head = int.from_bytes(raw[4:7].tobytes(), "big")
    word = (head >> 19) + 1
    sizes = [(head >> (15 - 4 * k) & 15) + 1 for k in range(4)]
    padded = np.concatenate([raw, np.zeros(8, np.uint8)])
    starts = _run_starts(padded, nbits, word, sizes) if num else np.zeros(0, np.int64)
    size = np.asarray(sizes, np.int64)[_bit_fields(padded, starts + 1, 2).astype(np.int64)]
    length = (_bit_fields(padded, starts + 3, 16).astype(np.int64) >> (16 - size)) + 1
    last = int(np.searchsorted(np.cumsum(length), num))  # the run that reaches num words
    starts, size, length = starts[: last + 1], size[: last + 1], length[: last + 1]
    cut = int(length.sum()) < num  # a run's header did not fit
    repeat = _bit_fields(padded, starts, 1).astype(bool)
    first = starts + 3 + size
    if length.size:  # the last run stops at the declared number of words
        length[-1] = min(int(length[-1]), num - int(length[:-1].sum()))
        cut = cut or int(first[-1]) + (word if repeat[-1] else int(length[-1]) * word) > nbits
    read = np.where(repeat, 1, length)  # words each run reads
    read = np.minimum(read, np.maximum((nbits - first) // word, 0))  # those before a cut-off end
    offsets = np.cumsum(read) - read
    index = np.arange(int(read.sum()), dtype=np.int64) - np.repeat(offsets, read)
    values = _bit_fields(padded, np.repeat(first, read) + word * index, word)
    if values.size and int(values.max()) > 255:  # a garbled header (wider words): not a brush canvas
        above = int(values[np.argmax(values > 255)])
        raise ValueError(f"brush RLE holds a value of {above} in its {word}-bit words: a brush holds bytes (0..255)")
    if cut:
        raise ValueError("brush RLE ends early")
    return np.repeat(values.astype(np.uint8), np.repeat(np.where(repeat, length, 1), read))


def encode_ls_rle(words: np.ndarray) -> list[int]:
    """Flat ``uint8`` words -> Label Studio brush RLE (as its converter writes it).

    One run a stretch of equal words (a longer one split every 2^16 words): one word as a
    literal run of one, more as a repeat run with the shortest length field that holds them.
    Each run is one code of at most 27 bits; the codes are summed into the bytes they cover (their
    bits never overlap).
    """
    flat = np.asarray(words, np.uint8).ravel()
    header = f"{flat.size:032b}{_WORD_BITS - 1:05b}" + "".join(f"{s - 1:04b}" for s in _RUN_BITS)
    code = width = np.zeros(0, np.int64)
    if flat.size:
        starts = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1])
        lengths = np.diff(np.concatenate([starts, [flat.size]]))
        longest = 1 << _RUN_BITS[-1]
        pieces = -(-lengths // longest)
        chunk = np.full(int(pieces.sum()), longest, np.int64)
        chunk[np.cumsum(pieces) - 1] = lengths - longest * (pieces - 1)
        value = np.repeat(flat[starts], pieces).astype(np.int64)
        index = np.searchsorted(1 << np.asarray(_RUN_BITS), chunk - 1, side="right")
        field = np.asarray(_RUN_BITS, np.int64)[index]
        repeat = (chunk > 1).astype(np.int64)
        code = ((repeat << 2 | index) << field | (chunk - 1)) << _WORD_BITS | value
        width = 3 + field + _WORD_BITS
    ends = len(header) + np.cumsum(width)
    size = -(-(int(ends[-1]) if ends.size else len(header)) // 8)
    begin = ends - width
    placed = code << (40 - width - (begin & 7))  # in the 5 bytes from its first one
    where = np.concatenate([(begin >> 3) + k for k in range(5)])
    parts = np.concatenate([placed >> (32 - 8 * k) & 255 for k in range(5)])
    out = np.bincount(where, parts.astype(np.float64), size + 5)[:size].astype(np.int64)
    head = int(header, 2) << (-len(header) % 8)
    out[: -(-len(header) // 8)] += list(head.to_bytes(-(-len(header) // 8), "big"))
    return out.tolist()


def local_files_url(path: str) -> str:
    """The ``data.image`` Label Studio gives a local file at ``path`` (relative to its document
    root): ``/data/local-files/?d=`` and the path percent-encoded (``/`` kept)."""
    return LOCAL_FILES + quote(path, safe="/")


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a file; a name too long or otherwise unusable is not."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _photo_name(data: dict, folders: list[Path]) -> str:
    """The photo a task's ``data`` names: a local-files path, a file name, or a relative path.

    Parameters
    ----------
    data
        The task's ``data`` object (``image``, else its first string value).
    folders
        Where the photos may lie (beside the JSON, its ``images/``).

    Returns
    -------
    str
        The photo's path or name, decoded from the URL exactly once.
    """
    url = data.get("image")
    if not isinstance(url, str):
        url = next((v for v in data.values() if isinstance(v, str)), "")
    if url and not _URL_START.match(url) and _is_file(folders[0] / url):
        return url  # an unescaped relative path, as older exports of this app wrote it
    parsed = urlparse(url)
    local = parse_qs(parsed.query, keep_blank_values=True).get("d")
    if local:  # a local-files path (parse_qs decodes it): its folders tell photos of one name apart
        return local[0]
    base = Path(unquote(parsed.path)).name
    if not any(_is_file(f / base) for f in folders) and _UPLOAD_PREFIX.match(base):
        return _UPLOAD_PREFIX.sub("", base)
    return base


def _without_export_folder(path: str) -> str:
    """``path`` without the ``images/`` of this program's export (``images/look.jpg``): that
    folder holds the export's copies, it does not say where the project's photo came from (a
    re-import without the photos attaches to the project photo of that name)."""
    head, _, name = path.partition("/")
    return name if head == "images" and name and "/" not in name else path


def _rectangle(value: dict, width: int, height: int) -> np.ndarray:
    x, y = value["x"] * width / 100, value["y"] * height / 100
    w, h = value["width"] * width / 100, value["height"] * height / 100
    corners = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float64)
    return rotated(corners, float(value.get("rotation", 0)), corners[0])


def _ellipse(value: dict, width: int, height: int) -> np.ndarray:
    """An ellipse region: ``x``, ``y`` its centre, ``radiusX`` and ``radiusY`` in percent of
    the width and the height, turned ``rotation`` degrees clockwise about its centre."""
    cx, cy = value["x"] * width / 100, value["y"] * height / 100
    rx, ry = value["radiusX"] * width / 100, value["radiusY"] * height / 100
    return ellipse_ring(cx, cy, rx, ry, float(value.get("rotation", 0)))


def _add_result(entry: SourceImage, result: object, number: int) -> str | None:
    """Add result ``number`` (1-based) of the task's annotation to ``entry``.

    Returns
    -------
    str or None
        None when the result is a region painted; else what was left out (its type, e.g.
        ``keypointlabels``, or ``TYPE without a label``), for the summary.

    Raises ``ValueError`` (or ``KeyError``, ``TypeError``) for a malformed result: a string or
    a list where Label Studio writes an object, a missing size or value, a size other than an
    earlier result's (percent coordinates of another image).
    """
    if not isinstance(result, dict):
        raise ValueError(f"result {number} is not an object: {result!r:.60}")
    kind = result.get("type", "")
    value = result.get("value") or {}
    if not isinstance(value, dict):
        raise ValueError(f"result {number}: 'value' is not an object: {value!r:.60}")
    if kind not in PAINTED:
        return str(kind) or "result without a type"
    labels = value.get(kind) or value.get("labels") or []
    if not labels:
        return f"{kind} without a label"
    if not isinstance(labels, list):
        raise ValueError(f"result {number}: '{kind}' is not a list of labels: {labels!r:.60}")
    width = image_side(result.get("original_width"), "original_width")
    height = image_side(result.get("original_height"), "original_height")
    if entry.size is not None and entry.size != (height, width):  # its percent would be of another size
        raise ValueError(
            f"result {number} is drawn on a {width}x{height} image, an earlier one on "
            f"{entry.size[1]}x{entry.size[0]}: their regions would not line up"
        )
    entry.size = (height, width)
    label = str(labels[0])
    if kind == "brushlabels":
        if value.get("format", "rle") != "rle":
            raise ValueError(f"brush format {value.get('format')!r} (only 'rle' is read)")
        rle = value["rle"]

        def paint(size: tuple[int, int], rle: list[int] = rle) -> np.ndarray:
            words = decode_ls_rle(rle, size[0] * size[1] * 4)
            return words.reshape(size[0], size[1], 4)[..., 3] >= 128

        entry.add_bitmap(label, paint)
    elif kind == "polygonlabels":
        pts = np.asarray(value["points"], np.float64) * [width / 100, height / 100]
        if pts.ndim != 2 or len(pts) < 3:
            raise ValueError(f"polygon {label!r} has fewer than 3 points")
        entry.add_rings(label, [pts])
    elif kind == "ellipselabels":
        entry.add_rings(label, [_ellipse(value, width, height)])
    else:
        entry.add_rings(label, [_rectangle(value, width, height)])
    return None


def _parse_task(task: object, number: int, path: Path, folders: list[Path]) -> SourceImage:
    """One task's last non-cancelled annotation; a task without one is not ``annotated``."""
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        return SourceImage(name="", where=f"{path}: task {number}", error="malformed task")
    name = _photo_name(task["data"], folders)
    where = f"{path}: task {task.get('id', number)} ({name})"
    entry = SourceImage(name=_without_export_folder(name), where=where)
    try:
        annotations = task.get("annotations") or []
        if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
            raise ValueError(f"'annotations' is not a list of objects: {annotations!r:.60}")
        annotations = [a for a in annotations if not a.get("was_cancelled")]
        if not annotations:
            entry.annotated = False
            entry.notes.append("no annotation (none yet, or only cancelled ones); no mask imported")
            return entry
        results = annotations[-1].get("result") or []
        if not isinstance(results, list):
            raise ValueError(f"'result' is not a list of regions: {results!r:.60}")
        left_out = Counter(
            kind for k, result in enumerate(results, 1) if (kind := _add_result(entry, result, k))
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        entry.error = f"unreadable result ({exc!r})" if isinstance(exc, KeyError) else str(exc)
        return entry
    if left_out:
        listed = ", ".join(f"{n} {kind}" for kind, n in sorted(left_out.items()))
        entry.notes.append(f"{listed} left out (only {', '.join(PAINTED)} paint pixels)")
    if not entry.regions and results:  # regions, none of which paints (an empty result: all background)
        entry.annotated = False
        entry.notes.append("no region to paint; no mask imported")
    return entry


def import_labelstudio(
    project: Project,
    src: str | Path,
    taxonomy: str | None = None,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> ImportSummary:
    """Import a Label Studio JSON export (``src`` the file, or a folder with tasks.json)."""
    src = Path(src)
    path = src / TASKS_JSON if src.is_dir() else src
    data = read_json(path, "Label Studio JSON")
    tasks = [data] if isinstance(data, dict) else data
    if not isinstance(tasks, list):
        raise ValueError(f"{path}: not a Label Studio export (a list of tasks expected)")
    folders = [path.parent, path.parent / "images"]
    entries = [_parse_task(t, n, path, folders) for n, t in enumerate(tasks, 1)]
    return import_entries(project, entries, folders, taxonomy, path, progress, overwrite=overwrite)


def _result(kind: str, n: int, record, label: str, value: dict) -> dict:
    return {
        "id": f"fa{record.id}_{n}",
        "type": kind,
        "from_name": _CONTROLS[kind][1],
        "to_name": "image",
        "original_width": record.width,
        "original_height": record.height,
        "image_rotation": 0,
        "origin": "manual",
        "value": {**value, kind: [label]},
    }


def label_config(names: list[str] | tuple[str, ...], colors: np.ndarray, kind: str) -> str:
    """The Label Studio labeling interface of an export's results of ``kind``: the photo
    (``$image``) and one labels control listing every class but the background."""
    view = ET.Element("View")
    ET.SubElement(view, "Image", {"name": "image", "value": "$image", "zoom": "true"})
    tag, name = _CONTROLS[kind]
    control = ET.SubElement(view, tag, {"name": name, "toName": "image"})
    for label, color in zip(names[1:], colors[1:], strict=True):
        ET.SubElement(control, "Label", {"value": label, "background": "#{:02x}{:02x}{:02x}".format(*color)})
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


def export_labelstudio(
    project: Project,
    out: str | Path,
    task: str,
    progress: Progress | None = None,
    *,
    shapes: str = "mask",
    tolerance: float = DEFAULT_TOLERANCE,
) -> ExportSummary:
    """Write ``OUT/tasks.json`` (Label Studio JSON), ``OUT/label_config.xml`` and ``OUT/images/``."""
    check_shapes(shapes, "labelstudio")
    taxonomy = project.taxonomy(task)
    names = taxonomy.names
    out = prepare_export_folder(project, out)
    summary = ExportSummary(out)
    tasks = []
    for record, photo, mask in exported_images(project, task, summary, out / "images", progress):
        results: list[dict] = []
        if shapes == "mask":
            for label, region in class_regions(mask):
                words = np.repeat(np.where(region, 255, 0).astype(np.uint8)[..., None], 4, axis=2)
                value: dict[str, object] = {"format": "rle", "rle": encode_ls_rle(words)}
                results.append(_result("brushlabels", len(results), record, names[label], value))
        else:
            scale = np.array([100 / record.width, 100 / record.height])
            for label, ring in export_polygons(mask, tolerance):
                value = {"points": (ring * scale).round(4).tolist(), "closed": True}
                results.append(_result("polygonlabels", len(results), record, names[label], value))
        tasks.append(
            {
                "id": record.id,
                "data": {"image": local_files_url(f"images/{photo}")},
                "annotations": [{"id": record.id, "result": results, "was_cancelled": False}],
                "predictions": [],
            }
        )
    with closing_files(summary):
        atomic_write_text(out / TASKS_JSON, json.dumps(tasks))
        kind = "brushlabels" if shapes == "mask" else "polygonlabels"
        atomic_write_text(out / LABEL_CONFIG, label_config(names, taxonomy.colors, kind))
    return summary
