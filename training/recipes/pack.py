"""Build a compact data pack for a GPU machine: downscaled CCP photos, masks and pseudo-labels.

The GPU machine receives the repository and nothing beside it (64 MiB at most), so the recipe
reads a pack made here::

    python -m training.recipes.pack --ccp ../shared/datasets/ccp \\
        --unlabeled ../shared/datasets/ccp-unlabeled --out gpu_pack

Layout (``OUT``):

- ``ccp/``: a plain mask folder (``images/NAME.webp``, ``masks/NAME.png`` with CCP ids,
  ``taxonomies.json``, ``splits.json``, ``labels.json``), photos and masks resized by ``--scale``.
- ``unlabeled/images/NAME.webp`` resized by ``--unlabeled-scale`` and ``unlabeled/tags.json``
  (pseudo-labels are made on the training device, see :mod:`training.recipes.gpu`).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from fashion_annotator.core.images import load_image
from fashion_annotator.core.label_images import load_mask
from fashion_annotator.core.label_maps import resize_labels


def _save_photo(rgb: np.ndarray, path: Path, quality: int) -> None:
    """WebP (a third smaller than JPEG at the same quality; the pack must fit 64 MiB)."""
    Image.fromarray(rgb).save(path, "WEBP", quality=quality, method=6)


def _scaled(shape: tuple[int, int], scale: float) -> tuple[int, int]:
    return max(8, round(shape[1] * scale)), max(8, round(shape[0] * scale))


def pack_labeled(src: Path, dst: Path, scale: float, quality: int) -> int:
    """Copy the plain mask folder ``src`` into ``dst`` resized by ``scale``; return the count."""
    (dst / "images").mkdir(parents=True, exist_ok=True)
    (dst / "masks").mkdir(parents=True, exist_ok=True)
    for name in ("taxonomies.json", "splits.json", "labels.json"):
        if (src / name).is_file():
            shutil.copyfile(src / name, dst / name)
    n = 0
    for image in sorted((src / "images").glob("*.jpg")):
        mask_file = src / "masks" / f"{image.stem}.png"
        if not mask_file.is_file():
            continue
        rgb = load_image(image).rgb
        mask = load_mask(mask_file, rgb.shape[:2])
        size = _scaled(rgb.shape[:2], scale)
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        _save_photo(small, dst / "images" / f"{image.stem}.webp", quality)
        labels = resize_labels(mask, (size[1], size[0]))
        Image.fromarray(labels).save(dst / "masks" / mask_file.name, optimize=True)
        n += 1
    return n


def pack_unlabeled(src: Path, dst: Path, scale: float, quality: int, limit: int | None = None) -> int:
    """Resize the tagged photos into ``dst/images`` and copy ``tags.json``; return the count.

    Pseudo-labels are made on the training device (:mod:`training.recipes.gpu` ``relabel``),
    where the teacher runs in seconds rather than the hours a shared 2-core CPU needs.
    """
    (dst / "images").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src / "tags.json", dst / "tags.json")
    images = sorted((src / "images").glob("*.jpg"))[:limit]
    for image in images:
        rgb = load_image(image).rgb
        small = cv2.resize(rgb, _scaled(rgb.shape[:2], scale), interpolation=cv2.INTER_AREA)
        _save_photo(small, dst / "images" / f"{image.stem}.webp", quality)
    return len(images)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.recipes.pack", description=__doc__.split("\n")[0])
    parser.add_argument("--ccp", type=Path, required=True)
    parser.add_argument("--unlabeled", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scale", type=float, default=0.6)
    parser.add_argument("--unlabeled-scale", type=float, default=0.45)
    parser.add_argument("--quality", type=int, default=80)
    parser.add_argument("--limit", type=int, help="unlabeled photos to pack (default all)")
    args = parser.parse_args(argv)
    n = pack_labeled(args.ccp, args.out / "ccp", args.scale, args.quality)
    report: dict[str, object] = {"labeled": n}
    if args.unlabeled is not None:
        report["unlabeled"] = pack_unlabeled(
            args.unlabeled, args.out / "unlabeled", args.unlabeled_scale, args.quality, args.limit
        )
    (args.out / "pack.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
