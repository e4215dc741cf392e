"""Training data: sample lists, task label mappings, a deterministic split and a uint8 cache.

Photos and masks are decoded once, shrunk to the network input size (area interpolation for
photos, area vote for label maps: :func:`resize_labels`) and kept as uint8 arrays in an
``.npz`` cache, so epochs never re-decode JPEGs. Validation masks are also kept at full resolution: validation figures are
computed at the photos' own size.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.core import samples as samples_io
from fashion_annotator.core.atomic import atomic_path
from fashion_annotator.core.label_maps import object_crop, resize_labels
from fashion_annotator.core.labels import UNMAPPED
from fashion_annotator.core.masks import BBox
from fashion_annotator.core.samples import Sample
from fashion_annotator.models.preprocess import letterbox_photo, resize_photo

__all__ = [
    "CachedSplit",
    "Sample",
    "data_fingerprint",
    "list_samples",
    "load_split",
    "resize_labels",
    "split_samples",
    "sweep_split_caches",
    "task_mapping",
]


@dataclass
class CachedSplit:
    """Decoded samples of one split.

    Attributes
    ----------
    names : list of str
    images : (N, H, W, 3) uint8
        Photos area-resized to the network input size ``(H, W)``.
    masks : (N, H, W) uint8
        Source label ids, nearest-resized to ``(H, W)``.
    full_masks : list of (H_i, W_i) uint8
        Source label ids at each photo's own resolution (validation only; else empty).
    content : (N, 2) int64 or None
        Letterboxed splits: ``(h, w)`` of each photo inside its ``(H, W)`` canvas (top-left; the
        rest is padding in the model's mean colour, labelled background). None when squashed.
    """

    names: list[str]
    images: np.ndarray
    masks: np.ndarray
    full_masks: list[np.ndarray] = field(default_factory=list)
    content: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.names)


def task_mapping(data_dir: Path, task: str) -> tuple[list[str], np.ndarray]:
    """Return the class names of ``task`` and the ``(256,) uint8`` LUT source id -> class id.

    Read by :func:`fashion_annotator.core.samples.task_mapping`; source ids the dataset does
    not map train as background (0).
    """
    classes, mapping = samples_io.task_mapping(data_dir, task)
    lut = mapping.lut.copy()
    lut[lut == UNMAPPED] = 0
    return classes, lut


def list_samples(data_dir: Path) -> list[Sample]:
    """The labelled photos of a plain mask folder, every split (photos without masks skipped)."""
    return samples_io.list_samples(data_dir, samples_io.ALL_SPLIT, require_masks=False)


def split_samples(
    samples: list[Sample], data_dir: Path | None = None, val_fraction: float = 0.15
) -> tuple[list[Sample], list[Sample]]:
    """Split into (train, val), deterministically.

    ``data_dir/splits.json`` (``{"train": [...], "val": [...]}``, read and checked by
    :func:`fashion_annotator.core.samples.read_splits`) wins when present; otherwise a
    sample goes to val when the SHA-1 of its name falls in the lowest ``val_fraction``, so the
    split does not change when samples are added (old ones keep their side).

    Raises
    ------
    ValueError
        ``splits.json`` is not valid, names a photo twice, or two of its splits share a photo.
    """
    splits = samples_io.read_splits(data_dir) if data_dir is not None else None
    if splits is not None:
        train_names, val_names = set(splits.get("train", [])), set(splits.get("val", []))
        return (
            [s for s in samples if s.name in train_names],
            [s for s in samples if s.name in val_names],
        )

    def bucket(name: str) -> float:
        return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) / 16**8

    val = [s for s in samples if bucket(s.name) < val_fraction]
    if not val and len(samples) > 1:
        val = [min(samples, key=lambda s: bucket(s.name))]
    train = [s for s in samples if s not in val]
    return train, val


def _fingerprint(
    samples: list[Sample],
    size: tuple[int, int],
    keep_full: bool,
    pad: tuple[int, ...] | None = None,
    crop_lut: np.ndarray | None = None,
) -> str:
    # "vote": labels resized by area vote (caches of the older top-left sampling are stale)
    h = hashlib.sha1(f"vote{size}{keep_full}{'' if pad is None else ('letterbox', pad)}".encode())
    if crop_lut is not None:
        h.update(b"object-crops" + np.ascontiguousarray(crop_lut, np.uint8).tobytes())
    for s in samples:
        for p in (s.image, s.mask):
            st = p.stat()
            h.update(f"{s.name}|{p}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def load_split(
    samples: list[Sample],
    size: tuple[int, int],
    cache_dir: Path | None,
    keep_full: bool = False,
    letterbox_pad: np.ndarray | None = None,
    crop_lut: np.ndarray | None = None,
    tag: str | None = None,
) -> CachedSplit:
    """Decode and resize ``samples`` (or read them from the cache in ``cache_dir``).

    Parameters
    ----------
    samples : list of Sample
    size : (h, w)
        Network input size in pixels.
    cache_dir : Path or None
        Where the ``.npz`` cache lives; None disables caching.
    keep_full : bool
        Also keep the full-resolution masks (for validation).
    letterbox_pad : (3,) uint8 or None
        Letterbox models: keep each photo's aspect inside the ``size`` canvas and pad with this
        colour (:func:`fashion_annotator.models.preprocess.letterbox_photo`); None squashes.
    crop_lut : (256,) uint8 or None
        Also add each photo's object crop (:func:`fashion_annotator.core.label_maps.object_crop`
        around the pixels this source id -> class table maps to a class above 0), named
        ``NAME#crop``, so the network learns the zoomed view the crop pass shows it. Photos whose
        subject fills most of the frame have no crop. Not with ``keep_full``.
    tag : str or None
        What the cache holds, e.g. ``garment-train``: it is named ``split-TAG-KEY.npz``, and the
        tag's other caches (of other photos, masks or settings: no resume or later run reads
        them) are removed once it is read or written (:func:`sweep_split_caches`). A cache of
        the same content under another tag is read instead of writing a copy. None: named
        ``split-KEY.npz``, nothing removed.
    """
    if crop_lut is not None and keep_full:
        raise ValueError("object crops are training views; validation keeps whole photos")
    h, w = size
    pad = None if letterbox_pad is None else tuple(int(v) for v in letterbox_pad)
    cache = None
    if cache_dir is not None:
        key = _fingerprint(samples, size, keep_full, pad, crop_lut)
        cache = Path(cache_dir) / (f"split-{tag}-{key}.npz" if tag else f"split-{key}.npz")
        for found in (cache, *sorted(Path(cache_dir).glob(f"split-*{key}.npz"))):
            if found.is_file():
                cached = _read_cache(found, keep_full)
                if tag:
                    sweep_split_caches(Path(cache_dir), tag, keep=found)
                return cached
    names: list[str] = []
    images_l: list[np.ndarray] = []
    masks_l: list[np.ndarray] = []
    content_l: list[tuple[int, int]] = []
    full = []
    for s in samples:
        rgb, mask = samples_io.read_sample(s)
        for name, crop in _views(s.name, mask, crop_lut):
            names.append(name)
            photo, labels = (rgb, mask) if crop is None else (rgb[crop.slices], mask[crop.slices])
            if pad is None:
                images_l.append(resize_photo(photo, size))
                masks_l.append(resize_labels(labels, size))
            else:
                canvas, (ch, cw) = letterbox_photo(photo, size, np.asarray(pad, np.uint8))
                images_l.append(canvas)
                resized = np.zeros((h, w), np.uint8)
                resized[:ch, :cw] = resize_labels(labels, (ch, cw))
                masks_l.append(resized)
                content_l.append((ch, cw))
        if keep_full:
            full.append(mask)
    images = np.stack(images_l) if images_l else np.empty((0, h, w, 3), np.uint8)
    masks = np.stack(masks_l) if masks_l else np.empty((0, h, w), np.uint8)
    content = None if pad is None else np.array(content_l, np.int64).reshape(-1, 2)
    split = CachedSplit(names, images, masks, full, content)
    if cache is not None:
        extra: dict[str, Any] = {f"full_{i}": m for i, m in enumerate(full)}
        if content is not None:
            extra["content"] = content
        with atomic_path(cache) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, names=np.array(split.names), images=images, masks=masks, **extra)
        if tag:
            sweep_split_caches(cache.parent, tag, keep=cache)
    return split


def _read_cache(path: Path, keep_full: bool) -> CachedSplit:
    """The split that :func:`load_split` cached in ``path``."""
    with np.load(path) as z:
        n = len(z["names"])
        full = [z[f"full_{i}"] for i in range(n)] if keep_full else []
        content = z["content"] if "content" in z.files else None
        return CachedSplit(list(z["names"]), z["images"], z["masks"], full, content)


def sweep_split_caches(cache_dir: Path, tag: str | None, keep: Path | None = None) -> list[Path]:
    """Remove the split caches of ``tag`` but ``keep`` from ``cache_dir``.

    Parameters
    ----------
    cache_dir : Path
        A :func:`load_split` cache folder (a project's ``cache/training``, shared by its tasks).
    tag : str or None
        The caches ``split-TAG-KEY.npz`` of this tag; None: the untagged ``split-KEY.npz`` ones
        (written before caches were tagged: none is read again, a run reads tagged ones).
    keep : Path or None
        The cache just read or written.

    Returns
    -------
    list of Path
        The files removed (one that cannot be removed is kept).
    """
    name = re.compile((re.escape(f"split-{tag}-") if tag else "split-") + r"[0-9a-f]{16}\.npz")
    removed = []
    for path in sorted(cache_dir.glob("split-*.npz")):
        if path != keep and name.fullmatch(path.name):
            try:
                path.unlink()
            except OSError:
                continue
            removed.append(path)
    return removed


def _views(
    name: str, mask: np.ndarray, crop_lut: np.ndarray | None
) -> list[tuple[str, BBox | None]]:
    """A sample's training views: the whole photo, then its object crop where it has one."""
    views: list[tuple[str, BBox | None]] = [(name, None)]
    if crop_lut is not None:
        target = np.asarray(crop_lut, np.uint8)[mask]
        crop = object_crop((target > 0) & (target != UNMAPPED))
        if crop is not None:
            views.append((f"{name}#crop", crop))
    return views


def data_fingerprint(names: list[str], masks: np.ndarray) -> str:
    """SHA-256 over the sample names and their (resized) masks: which data a model saw."""
    h = hashlib.sha256()
    for name in names:
        h.update(name.encode() + b"\0")
    h.update(np.ascontiguousarray(masks).tobytes())
    return h.hexdigest()
