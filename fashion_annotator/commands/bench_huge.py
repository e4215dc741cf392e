"""``fashion-annotator bench huge``: superpixels, the window's proposal and Smart clicks on a
very large photo.

A CCP photo (the bundled test subset's first, or ``--photo``) is enlarged to ``--size`` (default
6000x9000, a camera's full frame). Each run times, as the window runs them: the superpixels, the
parsing task's proposal made to agree with the garment and person cutouts (each model's
proposal after its refinements, :func:`~fashion_annotator.segmentation.pipeline.with_cutouts`),
proposed on a copy (:mod:`~fashion_annotator.segmentation.large_photos`, as shipped) and at full
resolution (the copy's side raised past the photo's), interleaved; then a first and a second
Smart click. It prints the medians, the full-resolution way over the copy's, and the share of
pixels both ways label alike.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.commands.bench import _fail, _size, _write
from fashion_annotator.runtime.arg_types import output_file, positive_int

#: The tasks proposed: the parsing task and the cutouts it agrees with.
PARSING, CUTOUTS = "parsing7", ("garment", "person")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``huge`` to the ``bench`` subcommands."""
    p = sub.add_parser("huge", help="superpixels, proposal and Smart clicks on a very large photo")
    p.add_argument("--size", type=_size, default=(6000, 9000), metavar="WxH",
                   help="the enlarged photo's size (default 6000x9000)")  # fmt: skip
    p.add_argument("--photo", type=Path, default=None, help="photo to enlarge (default: a CCP one)")
    p.add_argument("--runs", type=positive_int, default=3, help="timed runs of each way")
    p.add_argument("--no-full", action="store_true", help="skip the full-resolution proposals")
    p.add_argument("--json", type=output_file, default=None, help="write the figures here")
    p.set_defaults(func=run)


def _photo(path: Path | None, size: tuple[int, int]) -> np.ndarray:
    """``(H, W, 3) uint8``: the photo enlarged (bicubic) to ``size`` ``(W, H)``."""
    from PIL import Image

    default = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "ccp_small" / "images" / "0001.jpg"
    with Image.open(path or default) as image:
        return np.asarray(image.convert("RGB").resize(size, Image.Resampling.BICUBIC))


def _proposal(rgb: np.ndarray, regions: np.ndarray, predictors: dict[str, Any]) -> np.ndarray:
    """The parsing mask the window shows (``ui/annotate/proposal_source``)."""
    from fashion_annotator.segmentation import pipeline

    cutouts = {name: pipeline.propose(rgb, predictors[name], regions=regions, compute_regions=False).mask == 1
               for name in CUTOUTS}  # fmt: skip
    proposal = pipeline.propose(rgb, predictors[PARSING], regions=regions, compute_regions=False)
    return pipeline.with_cutouts(proposal, cutouts).mask


def _clicks(rgb: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """Seconds of a first (positive, on the garment) and a second (negative) Smart click."""
    from fashion_annotator.annotate.tools.click_model import shared_click_predictor
    from fashion_annotator.segmentation.clicks import Click

    predictor = shared_click_predictor(None)
    if predictor is None:
        raise ValueError("no click model")
    ys, xs = np.nonzero(mask > 0)
    at = Click(float(np.median(ys)), float(np.median(xs)), True)
    t0 = time.perf_counter()
    predictor.set_image(rgb)
    first = predictor.predict(np.zeros(mask.shape, bool), [at])
    t1 = time.perf_counter()
    away = Click(float(ys.min()), float(xs.min()), False)
    predictor.predict(first.mask, [at, away])
    return t1 - t0, time.perf_counter() - t1


def run(args: argparse.Namespace) -> int:
    """Print the medians of each step and the proposal's two ways."""
    from fashion_annotator.segmentation import large_photos
    from fashion_annotator.segmentation import superpixels as sp
    from fashion_annotator.segmentation.proposals import load_predictor

    try:
        rgb = _photo(args.photo, args.size)
        predictors = {name: load_predictor(name) for name in (PARSING, *CUTOUTS)}
    except (OSError, ValueError) as exc:
        return _fail("huge", exc)
    times: dict[str, list[float]] = {"superpixels": [], "proposal": [], "proposal_full": [],
                                     "first_click": [], "second_click": []}  # fmt: skip
    shipped = large_photos.PROPOSE_MAX_SIDE
    alike = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        regions = sp.compute_superpixels(rgb).levels[sp.DEFAULT_LEVEL]
        times["superpixels"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        mask = _proposal(rgb, regions, predictors)
        times["proposal"].append(time.perf_counter() - t0)
        if not args.no_full:
            large_photos.PROPOSE_MAX_SIDE = max(rgb.shape) + 1
            try:
                t0 = time.perf_counter()
                full = _proposal(rgb, regions, predictors)
                times["proposal_full"].append(time.perf_counter() - t0)
            finally:
                large_photos.PROPOSE_MAX_SIDE = shipped
            alike.append(float((full == mask).mean()))
        try:
            first, second = _clicks(rgb, mask)
        except ValueError as exc:
            return _fail("huge", exc)
        times["first_click"].append(first)
        times["second_click"].append(second)
    medians = {k: float(np.median(v)) for k, v in times.items() if v}
    w, h = args.size
    print(f"{w}x{h} photo, median of {args.runs} runs (seconds; proposals interleaved)")
    for name, value in medians.items():
        print(f"  {name:<14} {value:8.2f}")
    result: dict[str, Any] = {"size": [w, h], "runs": args.runs, "median_s": medians, "times_s": times}
    if alike:
        ratio = medians["proposal_full"] / medians["proposal"]
        print(f"  full / copy    {ratio:8.2f}  (pixels labelled alike: {100 * min(alike):.2f}%)")
        result.update(full_over_copy=ratio, alike=min(alike))
    return _write(result, args.json, "huge")
