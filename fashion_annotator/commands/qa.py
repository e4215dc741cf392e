"""``fashion-annotator qa-report``: the QA report of a project as HTML (and CSV)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from fashion_annotator.core.wording import counted
from fashion_annotator.dataset.postgres.url import project_location
from fashion_annotator.runtime.arg_types import output_file, positive_int
from fashion_annotator.runtime.exit_codes import EXIT_PARTIAL, EXIT_USAGE, PROG, report_error
from fashion_annotator.runtime.paths import check_output_outside
from fashion_annotator.runtime.progress import ProgressBar


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register this module's subcommands on ``subparsers``."""
    p = subparsers.add_parser(
        "qa-report",
        help="write a project's QA report: HTML (one self-contained file) and optional CSV",
        description=(
            "Score every saved mask of a task against the proposal shown when the image was "
            "opened (or, with --rescore, the current model's prediction), then write summary "
            "statistics with and without outliers, the histogram, reject reasons, throughput "
            "and overlays of the worst images into one HTML file."
        ),
        epilog="exit status: 0 written, 1 error (nothing written), 3 written but some saved "
        "masks or proposals could not be read (listed on stderr, in the report and the CSV)",
    )
    p.add_argument("project", type=project_location,
                   help="project folder or postgresql://user@host/db?project=NAME")  # fmt: skip
    p.add_argument("--out", type=output_file, required=True, help="HTML file to write")
    p.add_argument("--task", default=None, help="task to report (default: the project's first)")
    p.add_argument("--worst", type=int, default=20, help="overlays of the N worst images")
    p.add_argument("--csv", type=output_file, default=None, help="also write the table as CSV here")
    p.add_argument("--k", type=float, default=3.0, help="outlier rule: median - k * MAD")
    p.add_argument(
        "--rescore", action="store_true", help="score against the current model's prediction"
    )
    p.add_argument("--device", default="auto", help="for --rescore: auto, cpu, cuda")
    p.add_argument("--batch-size", type=positive_int, default=8, help="for --rescore: photos per batch")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the report; return 0, 1 with a message on stderr when something is unusable, 2 on
    bad usage."""
    from fashion_annotator.dataset.store import ProjectError, open_project
    from fashion_annotator.qa.mask_agreement import MaskAgreement, ReportAgreements
    from fashion_annotator.qa.report import build_html, write_csv, write_html
    from fashion_annotator.qa.scores import (
        metric_name,
        predictor_cache_key,
        rescore_with_model,
        score_project,
    )
    from fashion_annotator.segmentation.proposals import ModelLoadError, load_shown_predictor

    if args.worst < 0:
        print(
            f"{PROG} qa-report: error: --worst must be >= 0, got {args.worst}", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        if args.csv is not None and args.csv.resolve() == args.out.resolve():
            raise ValueError(f"{args.csv}: --csv and --out name the same file")
        with open_project(args.project) as project:
            for output in (args.out, args.csv):
                if output is not None:
                    check_output_outside(output, project.root, "project")
            task = args.task or project.tasks[0]
            project.taxonomy(task)
            agreements = ReportAgreements(project, task)  # compared as the scoring reads each mask
            predictor = None
            if args.rescore:
                predictor = load_shown_predictor(task, project, device=args.device)

                key = predictor_cache_key(task, predictor)  # shared with the window
                with ProgressBar("re-scoring") as bar:
                    scores = rescore_with_model(
                        project, task, predictor, batch_size=args.batch_size, progress=bar.update,
                        keep=lambda image_id, mask: project.cache.save(image_id, key, mask),
                        cached=lambda image_id: project.cache.load(image_id, key), read_mask=agreements.note,
                    )  # fmt: skip
            else:
                with ProgressBar("scoring") as bar:
                    scores = score_project(project, task, progress=bar.update, read_mask=agreements.note)
            document = build_html(
                project, task, scores, worst=args.worst, k=args.k, predictor=predictor,
                agreements=agreements,
            )  # fmt: skip
            write_html(args.out, document)
            if args.csv is not None:
                write_csv(scores, args.csv, metric_name(project.taxonomy(task)), args.k, agreements)
            figures = agreements.figures(r.image_id for r in scores)
    except (ProjectError, ModelLoadError, OSError, ValueError) as exc:
        return report_error(exc, "qa-report")
    size_kb = args.out.stat().st_size / 1024
    print(f"{args.out}: {counted(len(scores), 'image')}, {size_kb:.0f} KiB")
    disagree = sum(isinstance(f, MaskAgreement) and f.disagrees for f in figures.values())
    if disagree:  # flagged in the report too
        print(f"{counted(disagree, 'image')} whose cutout and parsing masks disagree (see the report)")
    for why, n in Counter(r.unscored for r in scores if r.unscored).items():  # listed in the report too
        print(f"{counted(n, 'image')} not scored: {why}")
    damaged = [r for r in scores if r.problem]
    for row in damaged:  # listed, not scored: say which files, and that the report is partial
        print(f"{PROG} qa-report: {row.name}: not scored: {row.problem}", file=sys.stderr)
    return EXIT_PARTIAL if damaged else 0
