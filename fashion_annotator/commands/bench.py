"""``fashion-annotator bench ...``: measurements that print medians (never timed unit tests).

- ``bench superpixels``: hierarchy quality per level (ASA, boundary recall, regions) on a split,
  and the time to compute it on a 1152x1728 photo against the skimage RAG route;
- ``bench refine``: score of the raw model output and after each refinement;
- ``bench effort``: simulated operator actions, tool vs. no model vs. labelme-style polygons
  (``--clicks``: the tool may click; clicks-only and box + GrabCut methods, NoC);
- ``bench noc``: the click model's NoC@90 / NoC@95 (clicks to IoU 0.90 / 0.95, max 20);
- ``bench ui``: the window's responsiveness (stroke repaint, image switch);
- ``bench startup``: launch to window, photo, brush stroke and first proposal
  (:mod:`fashion_annotator.ui.bench_startup`);
- ``bench first-click``: a process's first Smart click with and without the model's warm-up
  (:mod:`fashion_annotator.ui.bench_first_click`);
- ``bench save``: the store's durable mask save against PNG encoding alone;
- ``bench infer``: see :mod:`fashion_annotator.commands.bench_infer`;
- ``bench team``: N simulated operators on one project (PostgreSQL URL or SQLite folder);
- ``bench generalize``: see :mod:`fashion_annotator.commands.bench_generalize`;
- ``bench loop`` and ``bench studio``: see :mod:`fashion_annotator.commands.bench_loop`;
- ``bench selection``: see :mod:`fashion_annotator.commands.bench_selection`;
- ``bench huge``: see :mod:`fashion_annotator.commands.bench_huge`;
- ``bench overlay``: see :mod:`fashion_annotator.commands.bench_overlay`;
- each one's ``--help``: :mod:`fashion_annotator.commands.bench_help`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from fashion_annotator.commands.outputs import write_json
from fashion_annotator.core.samples import scored_split
from fashion_annotator.core.tasks import available_tasks
from fashion_annotator.core.wording import counted
from fashion_annotator.runtime.arg_types import (
    data_folder,
    non_negative_number,
    output_file,
    positive_int,
    positive_number,
)
from fashion_annotator.runtime.exit_codes import report_error

TASKS = tuple(available_tasks())
BIG_PHOTO = (1728, 1152)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register this module's subcommands on ``subparsers``."""
    bench = subparsers.add_parser("bench", help="benchmarks that print medians",
                                  description="Measure quality and speed; each benchmark prints medians.")  # fmt: skip
    sub = bench.add_subparsers(dest="bench", metavar="BENCH", required=True)

    p = sub.add_parser("superpixels", help="superpixel quality per level and speed")
    _data_args(p, task=False)
    p.add_argument("--runs", type=positive_int, default=7, help="timed runs on the 1152x1728 photo")
    p.set_defaults(func=run_superpixels)

    p = sub.add_parser("refine", help="score raw proposals and each refinement")
    _data_args(p)
    p.add_argument("--model", type=Path, default=None, help="model file (default: shipped)")
    p.add_argument(
        "--chain",
        action="append",
        default=[],
        metavar="A,B",
        help="also score this chain of refinements (repeatable), e.g. snap,grabcut",
    )
    p.set_defaults(func=run_refine)

    p = sub.add_parser("effort", help="simulated operator: actions per correction")
    _data_args(p)
    p.add_argument("--model", type=Path, default=None, help="model file (default: shipped)")
    p.add_argument("--no-model", action="store_true", help="the tool starts from an empty mask")
    p.add_argument(
        "--clicks",
        action="store_true",
        help="binary tasks: the tool may click; add the clicks and box_grabcut methods and NoC",
    )
    p.add_argument("--click-model", type=Path, default=None, help="click model (default: shipped)")
    p.set_defaults(func=run_effort)

    p = sub.add_parser("noc", help="click model: clicks to IoU 0.90 / 0.95 (NoC), binary tasks")
    _data_args(p)
    p.add_argument("--click-model", type=Path, default=None, help="click model (default: shipped)")
    p.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads of the click model")
    p.add_argument(
        "--proposal", action=argparse.BooleanOptionalAction, default=True,
        help="a first click on the shipped proposal's object takes it as it is and later "
             "clicks do not spread where the proposal is sure of the opposite, as in the "
             "Smart-click tool (default; the proposal as the window shows it, refinements "
             "included); --no-proposal: the click model alone",
    )  # fmt: skip
    p.set_defaults(func=run_noc)

    p = sub.add_parser("ui", help="window responsiveness")
    p.add_argument("--json", type=output_file, default=None, help="write the figures here")
    p.add_argument(
        "--size", type=_size, default=None, metavar="WxH",
        help="measure synthetic photos of this size (e.g. 8660x5770) instead of CCP/studio",
    )  # fmt: skip
    p.set_defaults(func=run_ui)

    p = sub.add_parser("startup", help="launch to window, photo, stroke and first proposal")
    p.add_argument("--runs", type=positive_int, default=5, help="launches per project (and per checkout)")
    p.add_argument("--data", type=data_folder, default=None,
                   help="also a project of photos of this folder (its images/ when it has one)")  # fmt: skip
    p.add_argument("--limit", type=positive_int, default=50, help="photos of --data (default 50)")
    p.add_argument("--baseline", type=data_folder, default=None, metavar="CHECKOUT",
                   help="also launch this checkout's window, alternating run for run")  # fmt: skip
    p.add_argument("--json", type=output_file, default=None, help="write the figures here")
    p.set_defaults(func=run_startup)

    p = sub.add_parser("first-click", help="a process's first Smart click, with and without the warm-up")
    p.add_argument("--runs", type=positive_int, default=5, help="fresh processes of each kind")
    p.add_argument("--pause", type=non_negative_number, default=3.0, help="seconds from the tool to the click")
    p.add_argument("--busy", type=int, default=0, help="processes kept spinning meanwhile (a loaded machine)")
    p.add_argument("--json", type=output_file, default=None, help="write the figures here")
    p.set_defaults(func=run_first_click)

    p = sub.add_parser("save", help="durable mask save time against PNG encoding alone")
    p.add_argument("--runs", type=positive_int, default=30, help="saves timed")
    p.add_argument("--json", type=output_file, default=None, help="write the figures here")
    p.set_defaults(func=run_save)

    from fashion_annotator.commands import bench_infer, bench_instances

    bench_infer.register(sub)

    bench_instances.register(sub)

    p = sub.add_parser("team", help="N simulated operators on one project, some killed")
    p.add_argument("--url", required=True,
                   help="where to make the bench project: postgresql://user@host/db?project=NAME "
                   "or a new SQLite project folder")  # fmt: skip
    p.add_argument("--operators", type=positive_int, default=16, help="operator processes")
    p.add_argument("--minutes", type=positive_number, default=3.0, help="how long they work")
    p.add_argument("--think-s", type=non_negative_number, default=1.0, help="mean seconds between saves")
    p.add_argument("--crash-every-s", type=positive_number, default=15.0,
                   help="mean seconds between SIGKILLs of a random operator")  # fmt: skip
    p.add_argument("--json", type=output_file, default=None, help="write the figures here")
    p.set_defaults(func=run_team)

    from fashion_annotator.commands import bench_generalize

    bench_generalize.register(sub)

    from fashion_annotator.commands import bench_loop

    bench_loop.register(sub)

    from fashion_annotator.commands import bench_help, bench_huge, bench_overlay, bench_selection

    bench_selection.register(sub)
    bench_huge.register(sub)
    bench_overlay.register(sub)
    bench_help.describe(sub)


def _data_args(p: argparse.ArgumentParser, task: bool = True) -> None:
    p.add_argument("--data", type=data_folder, required=True, help="plain mask-folder dataset")
    if task:
        p.add_argument("--task", required=True, choices=TASKS)
    else:
        p.add_argument("--task", default="parsing7", choices=TASKS, help="ground truth used")
    p.add_argument("--json", type=output_file, default=None, help="write the figures here")
    p.add_argument("--limit", type=positive_int, default=None, help="only the first N photos")
    p.add_argument("--split", default="val", help="split of splits.json (default val)")


def _write(result: dict[str, Any], path: Path | None, name: str, status: int = 0) -> int:
    """Write the figures to ``path`` (none: nothing to write); ``status``, or 1 with the error
    naming the file when it cannot be written (a full disk says so)."""
    if path is None:
        return status
    try:
        write_json(path, result)
    except OSError as exc:
        return _fail(name, exc)
    print(f"-> {path}")
    return status


def _fail(name: str, exc: Exception) -> int:
    return report_error(exc, f"bench {name}")


def _progress(done: int, name: str) -> None:
    """Redraw the photo count on stderr when it is a terminal (a log file got every redraw)."""
    if sys.stderr.isatty():
        print(f"\r{counted(done, 'photo')} ({name})", end="", file=sys.stderr, flush=True)


def _progress_done() -> None:
    """End the photo count's line (:func:`_progress`)."""
    if sys.stderr.isatty():
        print(file=sys.stderr)


def _median_ms(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000.0 * float(np.median(times))


def run_superpixels(args: argparse.Namespace) -> int:
    """Quality table per level on the split, then timing on an upscaled photo."""
    import cv2
    from skimage import graph
    from skimage.segmentation import felzenszwalb

    from fashion_annotator.evaluation.effort import iter_dataset, naming
    from fashion_annotator.evaluation.superpixel_quality import hierarchy_quality
    from fashion_annotator.segmentation.superpixels import (
        SuperpixelParams,
        compute_superpixels,
        merge_hierarchy,
    )

    try:
        rows, timed, most = [], None, -1.0
        for i, photo in enumerate(
            iter_dataset(args.data, args.task, split=args.split, limit=args.limit), 1
        ):
            with naming(photo):
                rows.append(hierarchy_quality(compute_superpixels(photo.rgb), photo.gt))
            if rows[-1][0]["regions"] > most:  # timed: the photo of most regions, not a flat one
                timed, most = photo, rows[-1][0]["regions"]
            _progress(i, photo.name)
        _progress_done()
    except (ValueError, OSError) as exc:
        return _fail("superpixels", exc)
    levels = [
        {
            key: float(np.mean([r[level][key] for r in rows]))
            for key in ("asa", "boundary_recall", "regions")
        }
        | {"level": level}
        for level in range(len(rows[0]))
    ]
    assert timed is not None  # iter_dataset raises on a split without photos
    big = cv2.resize(timed.rgb, BIG_PHOTO[::-1], interpolation=cv2.INTER_CUBIC)
    params = SuperpixelParams()
    ours = _median_ms(lambda: compute_superpixels(big), args.runs)
    factor = params.working_size / max(BIG_PHOTO)
    small = cv2.resize(big, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    smooth = cv2.medianBlur(small, params.median_size)
    fh_args = {"scale": params.scale, "sigma": params.sigma, "min_size": params.min_size}
    fh_ms = _median_ms(lambda: felzenszwalb(smooth, **fh_args), args.runs)
    labels = felzenszwalb(smooth, **fh_args).astype(np.int32)
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    graph_ms = _median_ms(
        lambda: merge_hierarchy(labels, lab, params.level_counts, params.contrast_weight),
        args.runs,
    )

    def skimage_route() -> None:
        rag = graph.rag_mean_color(small, labels)
        graph.merge_hierarchical(
            labels,
            rag,
            thresh=30,
            rag_copy=False,
            in_place_merge=True,
            merge_func=_skimage_merge,
            weight_func=_skimage_weight,
        )

    # skimage's RAG has no node for a photo of one region (KeyError): nothing to compare then
    baseline = _median_ms(skimage_route, 1) if labels.max() > labels.min() else None
    result = {
        "split": scored_split(args.data, args.split),
        "task": args.task,
        "n_images": len(rows),
        "levels": levels,
        "timing": {
            "photo": f"{BIG_PHOTO[1]}x{BIG_PHOTO[0]}",
            "source_photo": timed.name,
            "runs": args.runs,
            "hierarchy_median_ms": ours,
            "felzenszwalb_median_ms": fh_ms,
            "graph_median_ms": graph_ms,
            "skimage_rag_merge_ms": baseline,
            "graph_speedup": None if baseline is None else baseline / max(graph_ms, 1e-3),
        },
    }
    print(f"{'level':>5} {'ASA':>7} {'BR@2px':>7} {'regions':>8}")
    for row in levels:
        print(
            f"{row['level']:>5} {row['asa']:7.4f} {row['boundary_recall']:7.4f} "
            f"{row['regions']:8.0f}"
        )
    t = result["timing"]
    skimage = (
        f"skimage rag_mean_color + merge_hierarchical on the same regions {baseline:.0f} ms, "
        f"{t['graph_speedup']:.0f}x our graph step"
        if baseline is not None
        else "no skimage comparison: one region only"
    )
    print(
        f"{t['photo']} from {timed.name}: hierarchy {ours:.0f} ms median of {args.runs} "
        f"(felzenszwalb {fh_ms:.0f} ms, our graph step {graph_ms:.0f} ms); {skimage}"
    )
    return _write(result, args.json, "superpixels")


def _skimage_weight(g: Any, src: int, dst: int, n: int) -> dict[str, float]:
    diff = g.nodes[dst]["mean color"] - g.nodes[n]["mean color"]
    return {"weight": float(np.linalg.norm(diff))}


def _skimage_merge(g: Any, src: int, dst: int) -> None:
    g.nodes[dst]["total color"] += g.nodes[src]["total color"]
    g.nodes[dst]["pixel count"] += g.nodes[src]["pixel count"]
    g.nodes[dst]["mean color"] = g.nodes[dst]["total color"] / g.nodes[dst]["pixel count"]


def _load_model(args: argparse.Namespace) -> Any:
    from fashion_annotator.segmentation.proposals import load_predictor

    return load_predictor(args.model if args.model is not None else args.task)


def run_refine(args: argparse.Namespace) -> int:
    """Score the raw proposals and each refinement alone, and the default chain."""
    from fashion_annotator.evaluation.datasets import TaskScores, task_classes
    from fashion_annotator.evaluation.effort import iter_dataset, naming
    from fashion_annotator.segmentation.pipeline import refine_proposal
    from fashion_annotator.segmentation.proposals import ModelLoadError
    from fashion_annotator.segmentation.refine import BINARY_ONLY, REFINEMENTS, default_refinements
    from fashion_annotator.segmentation.superpixels import DEFAULT_LEVEL, compute_superpixels

    try:
        predictor = _load_model(args)
        classes = task_classes(args.data, args.task)
        binary = len(classes) == 2
        variants: dict[str, tuple[str, ...]] = {"raw": ()}
        variants |= {n: (n,) for n in REFINEMENTS if binary or n not in BINARY_ONLY}
        variants["all"] = tuple(n for n in REFINEMENTS if n in variants)
        for chain in args.chain:
            variants[chain] = tuple(n for n in chain.split(",") if n)
        variants["default"] = default_refinements(args.task)
        scores = {name: TaskScores(classes) for name in variants}
        times: dict[str, list[float]] = {name: [] for name in variants}
        photos = iter_dataset(args.data, args.task, split=args.split, limit=args.limit)
        for i, photo in enumerate(photos, 1):
            predictor.set_image(photo.rgb)
            proposal = predictor.predict()
            with naming(photo):
                regions = compute_superpixels(photo.rgb).levels[DEFAULT_LEVEL]
            for name, chain in variants.items():
                t0 = time.perf_counter()
                out = refine_proposal(proposal, photo.rgb, regions, chain).mask
                times[name].append(time.perf_counter() - t0)
                scores[name].update(out, photo.gt, name=photo.name)
            _progress(i, photo.name)
        _progress_done()
    except (ModelLoadError, ValueError, OSError) as exc:
        return _fail("refine", exc)
    metric = "mean_dice" if binary else "miou"
    table = {}
    width = max(10, *(len(name) for name in scores))
    print(f"{'variant':>{width}} {metric:>9} {'pix.acc':>8} {'ms':>6}")
    for name, acc in scores.items():
        s = acc.summary()
        table[name] = {
            "refinements": list(variants[name]),
            metric: s[metric],
            "miou": s["miou"],
            "pixel_accuracy": s["pixel_accuracy"],
            "median_ms": 1000.0 * float(np.median(times[name])),
        }
        print(
            f"{name:>{width}} {s[metric]:9.4f} {s['pixel_accuracy']:8.4f} "
            f"{table[name]['median_ms']:6.0f}"
        )
    result = {
        "task": args.task,
        "n_images": scores["raw"].n_images,
        "metric": metric,
        "model_version": predictor.model_version,
        "variants": table,
    }
    return _write(result, args.json, "refine")


def run_effort(args: argparse.Namespace) -> int:
    """Simulate corrections; print and write the three methods' figures."""
    from fashion_annotator.evaluation import effort
    from fashion_annotator.segmentation.proposals import ModelLoadError

    predictor = None
    if not args.no_model:
        try:
            predictor = _load_model(args)
        except ModelLoadError as exc:
            print(f"no model ({exc}); the tool starts from an empty mask", file=sys.stderr)
    click_predictor = None
    if args.clicks:
        from fashion_annotator.models.weights import ModelFileError
        from fashion_annotator.segmentation.clicks import ClickPredictor

        try:
            click_predictor = ClickPredictor(args.click_model)
        except ModelFileError as exc:
            return _fail("effort", exc)
    try:
        result = effort.run_effort(
            args.data,
            args.task,
            predictor=predictor,
            split=args.split,
            limit=args.limit,
            progress=_progress,
            click_predictor=click_predictor,
        )
        _progress_done()
    except (ValueError, OSError) as exc:
        return _fail("effort", exc)
    print(
        f"{args.task}: {result['n_images']} photos, target {result['target_metric']} >= "
        f"{result['target']} within {result['max_actions']} actions; "
        f"tool starts from {result['tool_start']}"
    )
    print(f"{'method':>9} {'median':>7} {'mean':>7} {'reached':>8}")
    for method in ("tool", "no_model", "polygon", "clicks", "box_grabcut"):
        if method not in result:
            continue
        m = result[method]
        print(
            f"{method:>9} {m['median_actions']:7.1f} {m['mean_actions']:7.1f} "
            f"{m['reached_share']:8.0%}"
        )
    ratio = result["ratio_tool_to_polygon"]
    if ratio is not None:
        print(f"tool / polygon median actions: {ratio:.2f}")
    if "noc" in result:
        print(f"NoC@90 {result['noc']['noc90']:.2f}, NoC@95 {result['noc']['noc95']:.2f} (max 20)")
    if "box_prompt" in result:
        b = result["box_prompt"]
        model = ", ".join(
            f"{k.split('_')[1]} actions {v:.4f}" for k, v in b.items() if k.startswith("model_")
        )
        print(
            f"one box: GrabCut median Dice {b['grabcut_1_action_median_dice']:.4f}; "
            f"box + clicks: {model}"
        )
    return _write(result, args.json, "effort")


def run_noc(args: argparse.Namespace) -> int:
    """Simulated clicks from an empty mask; print NoC@90 / NoC@95 and write the figures."""
    from fashion_annotator.evaluation.click_effort import run_noc as noc
    from fashion_annotator.models.weights import ModelFileError
    from fashion_annotator.segmentation import pipeline
    from fashion_annotator.segmentation.clicks import ClickPredictor
    from fashion_annotator.segmentation.proposals import load_predictor
    from fashion_annotator.segmentation.superpixels import DEFAULT_LEVEL, compute_superpixels

    try:
        predictor = ClickPredictor(args.click_model, threads=args.threads)
        propose = None
        if args.proposal:
            model = load_predictor(args.task, device="cpu")

            def propose(rgb: np.ndarray) -> np.ndarray:
                # The proposal as the window shows it: the network's mask after the task's
                # refinements, on the default superpixel level.
                regions = compute_superpixels(rgb).levels[DEFAULT_LEVEL]
                return pipeline.propose(rgb, model, regions=regions).mask == 1

        result = noc(args.data, args.task, predictor, split=args.split, limit=args.limit,
                     progress=_progress, propose=propose)  # fmt: skip
        _progress_done()
    except (ModelFileError, ValueError, OSError) as exc:  # ModelFileError: click or proposal model
        return _fail("noc", exc)
    print(
        f"{args.task}: {result['n_images']} photos, NoC@90 {result['noc90']:.2f}, "
        f"NoC@95 {result['noc95']:.2f} (max {result['max_clicks']}; never reached: "
        f"{result['fail90']:.0%} / {result['fail95']:.0%}); IoU after 1/3/5 clicks "
        f"{result['iou_at']['1']:.3f}/{result['iou_at']['3']:.3f}/{result['iou_at']['5']:.3f}; "
        f"{result['click_ms_median']:.0f} ms per simulated click (placement and scoring included)"
    )
    return _write(result, args.json, "noc")


def run_ui(args: argparse.Namespace) -> int:
    """Window responsiveness; the measurement lives with the window's code."""
    from fashion_annotator.ui.bench import main

    main(args.json, size=args.size)
    return 0


def run_startup(args: argparse.Namespace) -> int:
    """Seconds from launching the window to its milestones, medians; the measurement lives
    with the window's code."""
    from fashion_annotator.ui.bench_startup import main, report

    result = main(args.data, args.limit, args.runs, args.baseline)
    print(report(result))
    return _write(result, args.json, "startup")


def run_first_click(args: argparse.Namespace) -> int:
    """The first Smart click of fresh processes, with and without the model's warm-up."""
    from fashion_annotator.ui.bench_first_click import main, report

    result = main(args.runs, args.pause, args.busy)
    print(report(result))
    return _write(result, args.json, "first-click")


def _size(text: str) -> tuple[int, int]:
    """``WxH`` -> ``(width, height)``."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: expected WIDTHxHEIGHT, e.g. 8660x5770") from exc
    if width < 16 or height < 16:
        raise argparse.ArgumentTypeError(f"{text!r}: at least 16x16 pixels")
    return width, height


def run_save(args: argparse.Namespace) -> int:
    """Median ``Project.save_mask`` of a 550x830 parsing mask, and the PNG encoding baseline."""
    from fashion_annotator.evaluation.save_speed import bench_save

    result = bench_save(n=args.runs)
    print(
        f"save_mask median {result['save_median_ms']:.2f} ms, PNG encoding alone "
        f"{result['encode_median_ms']:.2f} ms (ratio {result['ratio']:.1f}) over {args.runs} saves"
    )
    return _write(result, args.json, "save")


def run_team(args: argparse.Namespace) -> int:
    """Simulated team on one project: save latency, lost saves, double claims, crashes."""
    from fashion_annotator.dataset.records import ProjectError
    from fashion_annotator.evaluation.team import TeamBenchConfig, run_team_bench

    config = TeamBenchConfig(args.url, args.operators, args.minutes, args.think_s,
                             crash_every_s=args.crash_every_s)  # fmt: skip
    try:
        result = run_team_bench(config, progress=lambda line: print(line, file=sys.stderr))
    except (ProjectError, RuntimeError) as exc:
        return _fail("team", exc)
    print(
        f"{result['backend']}: {result['operators']} operators, {result['saves']} saves "
        f"({result['saves_per_s']:.1f}/s), save p50/p95/p99 {result['save_ms_p50']:.1f}/"
        f"{result['save_ms_p95']:.1f}/{result['save_ms_p99']:.1f} ms, claim p95 "
        f"{result['claim_ms_p95']:.1f} ms, {result['crashes']} crashes, "
        f"{result['double_claims']} double claims, {result['lost_saves']} lost saves"
    )
    ok = result["double_claims"] == 0 and result["lost_saves"] == 0
    return _write(result, args.json, "team", 0 if ok else 1)
