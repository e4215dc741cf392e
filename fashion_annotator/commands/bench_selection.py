"""``fashion-annotator bench selection``: the Retrain dialog's count of a project's masks.

:func:`~fashion_annotator.dataset.training_set.select_training_masks` sorts every saved mask
into corrected, unchanged (the proposal accepted) and blank (nothing proposed, background only).
The bench makes a project of ``--images`` CCP garment masks at 1152x1728 (a tenth saved blank
with nothing proposed, a third saved as proposed, the rest with an edge moved), then times the
selection as it runs (PNG scanlines read, :mod:`~fashion_annotator.core.png_scanlines`) against
the same selection decoding every mask and proposal, interleaved in one run: medians per mask
and their ratio. Both must sort every mask alike.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.commands.bench import BIG_PHOTO, _fail, _write
from fashion_annotator.runtime.arg_types import data_folder, output_file, positive_int


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``selection`` to the ``bench`` subcommands."""
    p = sub.add_parser("selection", help="the Retrain dialog's count of a project's masks")
    p.add_argument("--data", type=data_folder, default=None,
                   help="CCP-layout dataset whose masks are used (default: the bundled test subset)")  # fmt: skip
    p.add_argument("--images", type=positive_int, default=40, help="masks in the bench project")
    p.add_argument("--runs", type=positive_int, default=3, help="timed runs of each way")
    p.add_argument("--json", type=output_file, default=None, help="write the figures here")
    p.set_defaults(func=run)


def _garments(data: Path, n: int) -> list[np.ndarray]:
    """``n`` garment masks (any label but background) at :data:`BIG_PHOTO`, cycling the folder's."""
    import cv2

    from fashion_annotator.core.label_images import load_mask

    files = sorted((data / "masks").glob("*.png"))
    if not files:
        raise ValueError(f"{data / 'masks'}: no mask PNGs")
    size = (BIG_PHOTO[1], BIG_PHOTO[0])
    return [cv2.resize((load_mask(files[i % len(files)]) > 0).astype(np.uint8), size,
                       interpolation=cv2.INTER_NEAREST) for i in range(n)]  # fmt: skip


def _make_project(folder: Path, masks: list[np.ndarray]) -> Path:
    """A project of one photo per mask, each mask saved done in one of the three kinds."""
    import cv2

    from fashion_annotator.dataset.store import Project

    root = folder / "project"
    with Project.create(root, tasks=("garment",), user="bench") as project:
        for i, garment in enumerate(masks):
            photo = folder / "photos" / f"{i:04d}.png"
            photo.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(photo), np.full((*garment.shape, 3), (i % 256, i // 256, 7), np.uint8))
            image_id = project.add_image(photo).id
            if i % 10 == 0:  # nothing proposed, saved blank (a label set marked done unpainted)
                project.save_mask(image_id, "garment", np.zeros_like(garment), status="done")
                continue
            project.save_proposal(image_id, "garment", garment, "bench")
            fixed = garment.copy()
            if i % 3:  # an edge moved over 60 rows
                fixed[900:960] = cv2.dilate(garment, np.ones((9, 9), np.uint8))[900:960]
            project.save_mask(image_id, "garment", fixed, status="done")
    return root


def run(args: argparse.Namespace) -> int:
    """Print the medians per mask of both ways and their ratio."""
    from fashion_annotator.dataset.store import Project
    from fashion_annotator.dataset.training_set import select_training_masks

    data = args.data or Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "ccp_small"
    try:
        masks = _garments(data, args.images)
    except (OSError, ValueError) as exc:
        return _fail("selection", exc)
    with tempfile.TemporaryDirectory(prefix="fa-bench-selection-") as tmp:
        root = _make_project(Path(tmp), masks)
        times: dict[str, list[float]] = {"scanlines": [], "decode": []}
        kinds: dict[str, Any] = {}
        with Project.open(root) as project:
            for _ in range(args.runs):
                for way in times:
                    start = time.perf_counter()
                    selection = select_training_masks(project, "garment", scanlines=way == "scanlines")
                    times[way].append(time.perf_counter() - start)
                    kinds[way] = (len(selection.corrected), len(selection.unchanged), len(selection.blank))
    per_mask = {way: 1000.0 * float(np.median(t)) / len(masks) for way, t in times.items()}
    ratio = per_mask["scanlines"] / per_mask["decode"]
    corrected, unchanged, blank = kinds["scanlines"]
    print(f"{len(masks)} garment masks at {BIG_PHOTO[1]}x{BIG_PHOTO[0]}: {corrected} corrected, "
          f"{unchanged} unchanged, {blank} blank; median of {args.runs} runs each, interleaved")  # fmt: skip
    print(f"  scanlines {per_mask['scanlines']:.2f} ms per mask")
    print(f"  decode    {per_mask['decode']:.2f} ms per mask")
    print(f"  ratio     {ratio:.2f}")
    status = 0
    if kinds["scanlines"] != kinds["decode"]:
        print(f"  the two ways sorted the masks differently: {kinds}")
        status = 1
    result = {"images": len(masks), "runs": args.runs, "kinds": kinds["scanlines"],
              "ms_per_mask": per_mask, "ratio": ratio, "same_kinds": status == 0}  # fmt: skip
    return _write(result, args.json, "selection", status)
